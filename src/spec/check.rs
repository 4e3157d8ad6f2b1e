//! The CMK rules applied to a well-formed spec, before anything is generated, located on the
//! TOML value at fault. Grouped by rule code; the codes are the catalogue's (`crate::rules`),
//! so `acr-cmk explain CODE` documents these findings too.

use super::{Identity, KeyRef, Rotation, Spanned, Spec};
use crate::azure;
use crate::finding::Finding;
use crate::rules::meta;

/// Every rule finding for the spec, in code order.
pub fn check(spec: &Spec) -> Vec<Finding> {
    let mut out = Vec::new();
    cmk001_premium_sku(spec, &mut out);
    cmk002_rsa_key(spec, &mut out);
    cmk003_content_trust(spec, &mut out);
    cmk004_rotation_mode(spec, &mut out);
    cmk005_key_identifier(spec, &mut out);
    cmk013_names(spec, &mut out);
    cmk014_api_version(spec, &mut out);
    out
}

fn cmk001_premium_sku(spec: &Spec, out: &mut Vec<Finding>) {
    let sku = &spec.registry.sku;
    if sku.value != "Premium" {
        out.push(
            Finding::new(
                meta("CMK001"),
                sku.loc,
                format!(
                    "customer-managed keys need the Premium SKU; this registry is {}",
                    sku.value
                ),
            )
            .label("not Premium")
            .help("set sku = \"Premium\" (or remove `sku`: Premium is the default)"),
        );
    }
}

fn cmk002_rsa_key(spec: &Spec, out: &mut Vec<Finding>) {
    let key = &spec.key;
    if !azure::key_type_supported(&key.kty.value) {
        out.push(
            Finding::new(
                meta("CMK002"),
                key.kty.loc,
                format!(
                    "a registry can only be encrypted with an RSA or RSA-HSM key, not {}",
                    key.kty.value
                ),
            )
            .label("unsupported key type")
            .help("set type = \"RSA\" or \"RSA-HSM\" (elliptic-curve and symmetric keys are not supported)"),
        );
    }
    if ![2048, 3072, 4096].contains(&key.size.value) {
        out.push(
            Finding::new(
                meta("CMK002"),
                key.size.loc,
                format!("RSA key size {} is not supported", key.size.value),
            )
            .label("unsupported key size")
            .help("use size = 2048, 3072 or 4096"),
        );
    }
}

fn cmk003_content_trust(spec: &Spec, out: &mut Vec<Finding>) {
    let ct = &spec.registry.content_trust;
    if ct.value {
        out.push(
            Finding::new(
                meta("CMK003"),
                ct.loc,
                "content trust cannot be enabled on a registry encrypted with a customer-managed key",
            )
            .label("content trust enabled")
            .help("set content_trust = false (Azure rejects the deployment with BlockedForEncryptionEnabledRegistry)"),
        );
    }
}

/// Versioned id ⇒ manual rotation, versionless ⇒ automatic: an explicit `rotation` that says
/// otherwise would silently not do what the author expects.
fn cmk004_rotation_mode(spec: &Spec, out: &mut Vec<Finding>) {
    let rot = &spec.key.rotation;
    if !rot.explicit || spec.key.create.value {
        return;
    }
    let (versioned, at) = match &spec.key.reference {
        KeyRef::Id(id) => match azure::parse_key_uri(&id.value) {
            Ok(k) => (k.version.is_some(), id.loc),
            Err(_) => return, // CMK005 reports it
        },
        KeyRef::Name { name, version } => (
            version.is_some(),
            version.as_ref().map_or(name.loc, |v| v.loc),
        ),
    };
    let by_name = matches!(spec.key.reference, KeyRef::Name { .. });
    let f = match (rot.value, versioned) {
        (Rotation::Automatic, true) => Finding::new(
            meta("CMK004"),
            rot.loc,
            "rotation = \"automatic\" but the key id is versioned, which pins the registry to one key version",
        )
        .help(if by_name {
            "remove `key.version` so the registry follows new key versions, or set rotation = \"manual\""
        } else {
            "drop the version segment from key.id (…/keys/<name>) for automatic rotation, or set rotation = \"manual\""
        }),
        (Rotation::Manual, false) => Finding::new(
            meta("CMK004"),
            rot.loc,
            "rotation = \"manual\" but the key id is versionless, so the registry rotates automatically",
        )
        .help(if by_name {
            "add `key.version` to pin a key version, or set rotation = \"automatic\""
        } else {
            "add the 32-character version segment to key.id (…/keys/<name>/<version>), or set rotation = \"automatic\""
        }),
        _ => return,
    };
    out.push(
        f.label("rotation mode set here")
            .related(at, "the key id decides the rotation mode"),
    );
}

fn cmk005_key_identifier(spec: &Spec, out: &mut Vec<Finding>) {
    let cloud = spec.deployment.cloud.value;
    match &spec.key.reference {
        KeyRef::Id(id) => {
            let k = match azure::parse_key_uri(&id.value) {
                Ok(k) => k,
                Err(e) => {
                    out.push(
                        Finding::new(
                            meta("CMK005"),
                            id.loc,
                            format!("`key.id` is not a Key Vault key identifier: {e}"),
                        )
                        .label("invalid key identifier")
                        .help(format!(
                            "use https://<vault>.{}/keys/<name>[/<32-character version>]",
                            cloud.vault_suffix()
                        )),
                    );
                    return;
                }
            };
            if k.cloud != Some(cloud) {
                let other = k.cloud.map_or("another cloud", |c| c.name());
                let explicit = spec.deployment.cloud.explicit;
                let mut f = Finding::new(
                        meta("CMK005"),
                        id.loc,
                        format!(
                            "the key is in {other} ({}) but the deployment targets {}",
                            k.suffix,
                            cloud.name()
                        ),
                    )
                    .label("wrong cloud")
                    .help(format!(
                        "{} keys live under {} (or {} for a Managed HSM); fix the key id or set `deployment.cloud`{}",
                        cloud.name(),
                        cloud.vault_suffix(),
                        cloud.hsm_suffix(),
                        if explicit { "" } else { " (default AzureCloud)" }
                    ));
                if explicit {
                    f = f.related(spec.deployment.cloud.loc, "deployment cloud");
                }
                out.push(f);
            }
            if !k.vault.eq_ignore_ascii_case(&spec.vault.name.value) {
                out.push(
                    Finding::new(
                        meta("CMK005"),
                        id.loc,
                        format!(
                            "the key is in vault '{}' but the access grant is for vault '{}'",
                            k.vault, spec.vault.name.value
                        ),
                    )
                    .label("vault in the key id")
                    .related(spec.vault.name.loc, "vault.name")
                    .help("the identity would be granted access to a vault that does not hold the key: make `vault.name` and the key id agree"),
                );
            }
        }
        KeyRef::Name { version, .. } => {
            if let Some(v) = version
                && (v.value.len() != 32 || !v.value.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                out.push(
                    Finding::new(
                        meta("CMK005"),
                        v.loc,
                        format!("key version '{}' is not a 32-character key version", v.value),
                    )
                    .label("invalid version")
                    .help("copy the version from `az keyvault key show --query key.kid` (the last path segment), or remove it for automatic rotation"),
                );
            }
        }
    }
}

fn name_finding(
    out: &mut Vec<Finding>,
    value: &Spanned<String>,
    check: fn(&str) -> Result<(), String>,
) {
    if let Err(e) = check(&value.value) {
        out.push(
            Finding::new(meta("CMK013"), value.loc, e)
                .label("invalid name")
                .help(
                    "Azure rejects this name at deployment time; choose one that follows the rule",
                ),
        );
    }
}

fn cmk013_names(spec: &Spec, out: &mut Vec<Finding>) {
    name_finding(out, &spec.registry.name, azure::check_registry_name);
    match &spec.identity {
        Identity::Create(name) => name_finding(out, name, azure::check_identity_name),
        Identity::Existing(rid) => {
            if let Err(e) = azure::check_identity_resource_id(&rid.value) {
                out.push(
                    Finding::new(meta("CMK013"), rid.loc, e)
                        .label("invalid identity resource id")
                        .help("use /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>"),
                );
            }
        }
    }
    name_finding(out, &spec.vault.name, azure::check_vault_name);
    if let Some(rg) = &spec.vault.resource_group {
        name_finding(out, rg, azure::check_resource_group_name);
    }
    if let Some(sub) = &spec.vault.subscription_id
        && !azure::is_guid(&sub.value)
    {
        out.push(
            Finding::new(
                meta("CMK013"),
                sub.loc,
                format!("subscription id '{}' is not a GUID", sub.value),
            )
            .label("invalid subscription id")
            .help("use the subscription's id (az account show --query id), not its name"),
        );
    }
    if let Some(name) = spec.key.name() {
        name_finding(out, name, azure::check_key_name);
    }
}

fn cmk014_api_version(spec: &Spec, out: &mut Vec<Finding>) {
    let api = &spec.deployment.api_version;
    if !azure::registry_api_has_encryption(&api.value) {
        out.push(
            Finding::new(
                meta("CMK014"),
                api.loc,
                format!(
                    "registry API version {} has no `encryption` property",
                    api.value
                ),
            )
            .label("too old for customer-managed keys")
            .help(format!(
                "use {} or later (default {})",
                azure::REGISTRY_API_FIRST_ENCRYPTION,
                azure::REGISTRY_API_DEFAULT
            )),
        );
    }
}
