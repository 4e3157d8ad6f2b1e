//! The TOML spec: one file describes one registry with customer-managed-key encryption.
//!
//! [`load`] parses the text (file 0 of the returned [`SourceMap`]) into a typed, defaulted
//! [`Spec`] in which every field remembers where it came from; a default remembers the table
//! (or the file start) it was filled in for, so a rule about a defaulted value still points
//! somewhere sensible. Structural problems (malformed TOML, unknown keys, wrong types, bad enum
//! values, missing or conflicting keys) are `SPEC001` findings and leave no spec. A well-formed
//! spec is the third front end of the rule catalogue: [`model::model`] builds the deployment it
//! describes as a format-neutral model located in the TOML, and the same rules that lint ARM
//! and Bicep run on it.
//!
//! Reference (defaults in brackets; enum values are matched without regard to case and kept in
//! the schemas' canonical casing; `schemas/spec.schema.json` is the same for editors):
//!
//! | key | meaning |
//! |---|---|
//! | `registry.name` | required, 5–50 letters/digits (CMK013) |
//! | `registry.location` | [the resource group's location] |
//! | `registry.sku` | Basic/Classic/Standard/Premium [Premium]; not Premium is CMK001 |
//! | `registry.content_trust` | [false]; true is CMK003 |
//! | `registry.tags` | table of strings, on every resource created |
//! | `registry.public_network_access`, `registry.zone_redundancy` | Enabled/Disabled [Enabled, Disabled] |
//! | `registry.admin_user` | [false] |
//! | `identity.name` / `identity.resource_id` | exactly one: create, or use an existing identity |
//! | `identity.system_assigned` | [false; true with `vault.firewall` or `encryption = "system"`]: the registry's system identity too |
//! | `identity.encryption` | user-assigned/system [user-assigned; system with `vault.firewall`]: the identity the registry reaches its key with (`rotate --identity system` writes it) |
//! | `vault.name` | required, 3–24 rule (CMK013) |
//! | `vault.resource_group`, `vault.subscription_id` | vault elsewhere: grant via nested deployment |
//! | `vault.access` | access-policy/rbac [access-policy] |
//! | `vault.create` | [false]; not with resource_group/subscription_id, nor with `key.id` |
//! | `vault.firewall` | [false]; the vault denies public access: the system-identity path |
//! | `key.id` / `key.name` (+ `key.version`) | exactly one; `id` is checked by CMK005 |
//! | `key.rotation` | automatic/manual [from the id: versionless ⇒ automatic]; mismatch is CMK004 |
//! | `key.type`, `key.size` | RSA/RSA-HSM, 2048/3072/4096 [RSA, 3072]; EC/oct or other sizes are CMK002 |
//! | `key.create` | [false]; needs `key.name`, no `key.version`, the vault in the template's scope |
//! | `key.previous_versions` | [none]; versions of the key the registry used before: pinning one again is CMK027 |
//! | `key.rotate_after`, `key.expires_after`, `key.notify_before` | rotation policy of a created key with automatic rotation [P18M, P2Y, P30D] |
//! | `deployment.cloud` | AzureCloud/AzureChinaCloud/AzureUSGovernment [AzureCloud] |
//! | `deployment.api_version` | registry API [2025-11-01]; before 2019-12-01-preview is CMK014 |
//! | `deployment.locks` | [false]; CanNotDelete locks on the identity and a created vault |

pub mod duration;
pub mod model;
mod parse;

pub use duration::Duration;

use crate::azure::Cloud;
use crate::finding::Finding;
use crate::source::{Loc, SourceMap};

/// A value and the TOML text it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub loc: Loc,
    /// False when the value is a default filled in by the parser.
    pub explicit: bool,
}

impl<T> Spanned<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Spanned {
            value,
            loc,
            explicit: true,
        }
    }
    pub fn default_at(value: T, loc: Loc) -> Self {
        Spanned {
            value,
            loc,
            explicit: false,
        }
    }
}

/// `Enabled` / `Disabled` knobs of the registry (schema casing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toggle {
    Enabled,
    Disabled,
}

impl Toggle {
    pub fn as_str(self) -> &'static str {
        match self {
            Toggle::Enabled => "Enabled",
            Toggle::Disabled => "Disabled",
        }
    }
}

/// How the identity is allowed to use the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A vault access policy with `get`, `wrapKey`, `unwrapKey`.
    AccessPolicy,
    /// A role assignment of Key Vault Crypto Service Encryption User on the vault.
    Rbac,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::AccessPolicy => "access-policy",
            Access::Rbac => "rbac",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// Versionless key id: the registry picks up new key versions within an hour.
    Automatic,
    /// Versioned key id: the registry keeps that version until `az acr encryption rotate-key`.
    Manual,
}

impl Rotation {
    pub fn as_str(self) -> &'static str {
        match self {
            Rotation::Automatic => "automatic",
            Rotation::Manual => "manual",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Registry {
    pub name: Spanned<String>,
    /// `None`: the resource group's location.
    pub location: Option<Spanned<String>>,
    /// As written (canonical casing when it names a SKU); anything but `Premium` is CMK001.
    pub sku: Spanned<String>,
    pub content_trust: Spanned<bool>,
    /// In file order.
    pub tags: Vec<(Spanned<String>, Spanned<String>)>,
    pub public_network_access: Spanned<Toggle>,
    pub zone_redundancy: Spanned<Toggle>,
    pub admin_user: Spanned<bool>,
    /// The `[registry]` table header.
    pub loc: Loc,
}

/// Exactly one of `identity.name` / `identity.resource_id`.
#[derive(Clone, Debug)]
pub enum Identity {
    /// The template creates this user-assigned identity.
    Create(Spanned<String>),
    /// An existing user-assigned identity, by resource id.
    Existing(Spanned<String>),
}

#[derive(Clone, Debug)]
pub struct Vault {
    pub name: Spanned<String>,
    pub resource_group: Option<Spanned<String>>,
    pub subscription_id: Option<Spanned<String>>,
    pub access: Spanned<Access>,
    pub create: Spanned<bool>,
    /// `vault.firewall`: the vault denies public network access; only the registry's
    /// system-assigned identity passes it, as a trusted service.
    pub firewall: Spanned<bool>,
    pub loc: Loc,
}

impl Vault {
    /// The vault lives outside the deployment's resource group: its grant needs a nested
    /// deployment.
    pub fn is_remote(&self) -> bool {
        self.resource_group.is_some() || self.subscription_id.is_some()
    }
}

/// Exactly one of `key.id` / `key.name`.
#[derive(Clone, Debug)]
pub enum KeyRef {
    Id(Spanned<String>),
    Name {
        name: Spanned<String>,
        version: Option<Spanned<String>>,
    },
}

#[derive(Clone, Debug)]
pub struct Key {
    pub reference: KeyRef,
    /// Explicit, or inferred from the id (versionless ⇒ automatic).
    pub rotation: Spanned<Rotation>,
    /// As written (canonical casing when it names a key type); EC/oct are CMK002.
    pub kty: Spanned<String>,
    pub size: Spanned<i64>,
    pub create: Spanned<bool>,
    /// `key.rotate_after`, `key.expires_after`, `key.notify_before` as written (see
    /// [`Spec::rotation_policy`] for the policy in effect).
    pub rotate_after: Option<Spanned<Duration>>,
    pub expires_after: Option<Spanned<Duration>>,
    pub notify_before: Option<Spanned<Duration>>,
    /// `key.previous_versions`: versions of this key the registry used before (oldest first,
    /// as `acr-cmk rotate --write-spec` appends them), each a distinct key version. Pinning
    /// one of them again rolls the key back (CMK027).
    pub previous_versions: Vec<Spanned<String>>,
    pub loc: Loc,
}

impl Key {
    pub fn name(&self) -> Option<&Spanned<String>> {
        match &self.reference {
            KeyRef::Name { name, .. } => Some(name),
            KeyRef::Id(_) => None,
        }
    }
}

/// The rotation policy of a key the template creates, with the defaults filled in.
///
/// Defaults: Microsoft's own ("Configure cryptographic key auto-rotation in Azure Key Vault":
/// rotate after 18 months, notify 30 days before expiry, new versions expire after 2 years —
/// the values of its ARM sample and CLI policy file). Two years matches Microsoft's
/// recommendation to "rotate encryption keys at least every two years"; rotating six months
/// before a version expires leaves time to notice a rotation that did not happen (the Notify
/// event fires 30 days before expiry, Key Vault's own default notification).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationPolicy {
    /// `lifetimeActions[Rotate].trigger.timeAfterCreate`.
    pub rotate_after: Spanned<Duration>,
    /// `attributes.expiryTime`: the lifetime of each version the policy creates.
    pub expires_after: Spanned<Duration>,
    /// `lifetimeActions[Notify].trigger.timeBeforeExpiry`.
    pub notify_before: Spanned<Duration>,
}

impl RotationPolicy {
    pub const ROTATE_AFTER: Duration = Duration::of_months(18);
    pub const EXPIRES_AFTER: Duration = Duration::of_years(2);
    pub const NOTIFY_BEFORE: Duration = Duration::of_days(30);
}

#[derive(Clone, Debug)]
pub struct Deployment {
    pub cloud: Spanned<Cloud>,
    pub api_version: Spanned<String>,
    /// `deployment.locks`: CanNotDelete locks on the identity and on a vault the template
    /// creates.
    pub locks: Spanned<bool>,
    pub loc: Loc,
}

/// A parsed, defaulted spec.
#[derive(Clone, Debug)]
pub struct Spec {
    pub registry: Registry,
    pub identity: Identity,
    /// `identity.system_assigned`: the registry's system-assigned identity is enabled beside
    /// the user-assigned one and granted key access (implied by `vault.firewall`).
    pub system_assigned: Spanned<bool>,
    /// `identity.encryption = "system"`: the registry reaches its key through its
    /// system-assigned identity (moved there by `acr-cmk rotate --identity system`), as it does
    /// behind a vault firewall; default `"user-assigned"`.
    pub encryption_system: Spanned<bool>,
    pub vault: Vault,
    pub key: Key,
    pub deployment: Deployment,
}

impl Spec {
    /// Does the registry get its system-assigned identity (and its grant) too?
    pub fn system_identity(&self) -> bool {
        self.system_assigned.value || self.vault.firewall.value || self.encryption_system.value
    }

    /// Does the registry reach its key through its system-assigned identity
    /// (`identity.encryption = "system"`, implied by `vault.firewall`)?
    pub fn encryption_system(&self) -> bool {
        self.encryption_system.value || self.vault.firewall.value
    }

    /// Where the spec says so: `identity.encryption`, else `vault.firewall`.
    pub fn encryption_identity_loc(&self) -> Loc {
        if self.encryption_system.explicit {
            self.encryption_system.loc
        } else {
            self.vault.firewall.loc
        }
    }

    /// Where the system identity is asked for: `identity.system_assigned`, else `vault.firewall`.
    pub fn system_identity_loc(&self) -> Loc {
        if self.system_assigned.explicit {
            self.system_assigned.loc
        } else if self.encryption_system.explicit {
            self.encryption_system.loc
        } else {
            self.vault.firewall.loc
        }
    }

    /// The rotation policy the template gives the key: only for a key it creates with automatic
    /// rotation (a pinned version would never use the versions the policy creates; an
    /// existing key is not the template's to change).
    pub fn rotation_policy(&self) -> Option<RotationPolicy> {
        let k = &self.key;
        if !k.create.value || k.rotation.value != Rotation::Automatic {
            return None;
        }
        let or = |v: &Option<Spanned<Duration>>, d: Duration| {
            v.clone().unwrap_or_else(|| Spanned::default_at(d, k.loc))
        };
        Some(RotationPolicy {
            rotate_after: or(&k.rotate_after, RotationPolicy::ROTATE_AFTER),
            expires_after: or(&k.expires_after, RotationPolicy::EXPIRES_AFTER),
            notify_before: or(&k.notify_before, RotationPolicy::NOTIFY_BEFORE),
        })
    }

    /// The key URI the registry uses when the template does not create the key: `key.id`, or
    /// built from the vault name, the cloud's vault suffix, `key.name` and `key.version`.
    pub fn key_uri(&self) -> Option<String> {
        match &self.key.reference {
            _ if self.key.create.value => None,
            KeyRef::Id(id) => Some(id.value.clone()),
            KeyRef::Name { name, version } => {
                let mut uri = format!(
                    "https://{}.{}/keys/{}",
                    self.vault.name.value,
                    self.deployment.cloud.value.vault_suffix(),
                    name.value
                );
                if let Some(v) = version {
                    uri.push('/');
                    uri.push_str(&v.value);
                }
                Some(uri)
            }
        }
    }
}

/// The result of loading one spec.
#[derive(Debug)]
pub struct Loaded {
    /// File 0 is the spec.
    pub sources: SourceMap,
    /// `None` when the text is not a well-formed spec (then `findings` says why).
    pub spec: Option<Spec>,
    /// `SPEC001` findings (structural problems).
    pub findings: Vec<Finding>,
}

/// Parse spec text. `display` is the file name used in diagnostics.
pub fn load(display: &str, text: &str) -> Loaded {
    let mut sources = SourceMap::new();
    let file = sources.add(display, text);
    let (spec, findings) = parse::parse(file, text);
    Loaded {
        sources,
        spec,
        findings,
    }
}

/// Read and parse a spec file. The error is an I/O or encoding problem, in words.
pub fn load_file(path: &std::path::Path) -> Result<Loaded, String> {
    let text =
        crate::read::text(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(load(&path.display().to_string(), &text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[registry]\nname = \"contosoregistry\"\n[identity]\nname = \"id-x\"\n[vault]\nname = \"kv-contoso\"\n[key]\nname = \"acr-cmk\"\n";

    fn spec(text: &str) -> Spec {
        let l = load("t.toml", text);
        assert!(l.findings.is_empty(), "{:?}", l.findings);
        l.spec.unwrap()
    }

    #[test]
    fn defaults_are_filled_in_and_marked_implicit() {
        let s = spec(MINIMAL);
        assert_eq!(s.registry.sku.value, "Premium");
        assert!(!s.registry.sku.explicit);
        assert_eq!(s.registry.public_network_access.value, Toggle::Enabled);
        assert_eq!(s.registry.zone_redundancy.value, Toggle::Disabled);
        assert!(!s.registry.admin_user.value && !s.registry.content_trust.value);
        assert_eq!(s.vault.access.value, Access::AccessPolicy);
        assert_eq!(s.key.kty.value, "RSA");
        assert_eq!(s.key.size.value, 3072);
        assert_eq!(s.key.rotation.value, Rotation::Automatic);
        assert_eq!(s.deployment.cloud.value, Cloud::AzureCloud);
        assert_eq!(s.deployment.api_version.value, "2025-11-01");
        // A default points at its table header.
        assert_eq!(s.registry.sku.loc.range(), 0.."[registry]".len());
    }

    #[test]
    fn enums_are_matched_without_case_and_stored_canonically() {
        let s = spec(&MINIMAL.replace(
            "[vault]\n",
            "[deployment]\ncloud = \"azurechinacloud\"\n[vault]\naccess = \"RBAC\"\n",
        ));
        assert_eq!(s.vault.access.value, Access::Rbac);
        assert_eq!(s.deployment.cloud.value, Cloud::AzureChinaCloud);
        let s = spec(&MINIMAL.replace("[identity]", "sku = \"premium\"\n[identity]"));
        assert_eq!(s.registry.sku.value, "Premium");
    }

    #[test]
    fn key_uri_is_built_from_vault_cloud_name_and_version() {
        let s = spec(&MINIMAL.replace(
            "name = \"acr-cmk\"\n",
            "name = \"acr-cmk\"\nversion = \"0123456789abcdef0123456789abcdef\"\n[deployment]\ncloud = \"AzureUSGovernment\"\n",
        ));
        assert_eq!(
            s.key_uri().as_deref(),
            Some(
                "https://kv-contoso.vault.usgovcloudapi.net/keys/acr-cmk/0123456789abcdef0123456789abcdef"
            )
        );
        assert_eq!(s.key.rotation.value, Rotation::Manual);
        assert!(!s.key.rotation.explicit);
    }

    #[test]
    fn encryption_system_implies_the_system_identity_and_contradictions_are_located() {
        let s = spec(&MINIMAL.replace(
            "name = \"id-x\"\n",
            "name = \"id-x\"\nencryption = \"system\"\n",
        ));
        assert!(s.encryption_system() && s.system_identity());
        assert_eq!(
            &MINIMAL.replace(
                "name = \"id-x\"\n",
                "name = \"id-x\"\nencryption = \"system\"\n"
            )[s.encryption_identity_loc().range()],
            "\"system\""
        );
        for (extra, at) in [
            (
                "encryption = \"system\"\nsystem_assigned = false\n",
                "false",
            ),
            (
                "encryption = \"user-assigned\"\n[vault]\nfirewall = true\n",
                "\"user-assigned\"",
            ),
        ] {
            let text = MINIMAL
                .replace("name = \"id-x\"\n", &format!("name = \"id-x\"\n{extra}"))
                .replace(
                    "[vault]\nfirewall = true\n[vault]\n",
                    "[vault]\nfirewall = true\n",
                );
            let l = load("t.toml", &text);
            assert_eq!(l.findings.len(), 1, "{text}\n{:?}", l.findings);
            assert_eq!(&text[l.findings[0].loc.range()], at, "{text}");
        }
    }

    #[test]
    fn values_remember_their_location() {
        let s = spec(MINIMAL);
        let text = MINIMAL;
        assert_eq!(&text[s.vault.name.loc.range()], "\"kv-contoso\"");
    }

    const V1: &str = "0123456789abcdef0123456789abcdef";
    const V2: &str = "5c0f4b1e9a2d4c7f8e3b6a1d0c9f8e7d";

    fn with_previous(list: &str) -> String {
        MINIMAL.replace(
            "name = \"acr-cmk\"\n",
            &format!("name = \"acr-cmk\"\nprevious_versions = {list}\n"),
        )
    }

    #[test]
    fn previous_versions_are_kept_in_order_with_their_location() {
        let text = with_previous(&format!("[\"{V1}\", \"{V2}\"]"));
        let s = spec(&text);
        let shown: Vec<&str> = s
            .key
            .previous_versions
            .iter()
            .map(|v| &text[v.loc.range()])
            .collect();
        assert_eq!(shown, [format!("\"{V1}\""), format!("\"{V2}\"")]);
        assert!(spec(MINIMAL).key.previous_versions.is_empty());
    }

    /// (message, located text) of each finding.
    fn errors(text: &str) -> Vec<(String, String)> {
        let l = load("t.toml", text);
        assert!(l.spec.is_none());
        l.findings
            .iter()
            .map(|f| (f.message.clone(), text[f.loc.range()].to_string()))
            .collect()
    }

    #[test]
    fn previous_versions_that_are_not_distinct_key_versions_are_located_errors() {
        let text = with_previous(&format!(
            "[\"{V1}\", 7, \"v2\", \"{}\"]",
            V1.to_ascii_uppercase()
        ));
        let found = errors(&text);
        assert_eq!(
            found,
            [
                (
                    "`key.previous_versions` holds key versions (strings), found an integer"
                        .to_string(),
                    "7".to_string()
                ),
                (
                    "`key.previous_versions`: \"v2\" is not a key version".to_string(),
                    "\"v2\"".to_string()
                ),
                (
                    format!(
                        "`key.previous_versions` lists \"{}\" twice",
                        V1.to_ascii_uppercase()
                    ),
                    format!("\"{}\"", V1.to_ascii_uppercase())
                ),
            ]
        );
        let l = load("t.toml", &text);
        let twice = &l.findings[2];
        assert_eq!(&text[twice.related[0].loc.range()], format!("\"{V1}\""));
        let found = errors(&with_previous(&format!("\"{V1}\"")));
        assert_eq!(
            found[0].0,
            "`key.previous_versions` must be an array of key versions, found a string"
        );
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        let deep = format!("a = {}", "[".repeat(100_000));
        let l = load("deep.toml", &deep);
        assert!(l.spec.is_none() && !l.findings.is_empty());
        let huge = "# x\n".repeat(400_000);
        let l = load("huge.toml", &huge);
        assert!(l.spec.is_none());
        // The size limit of the resource policy, at 1:1, not a TOML error.
        assert_eq!(l.findings[0].code, "LIM001");
        assert_eq!(l.findings[0].loc.range(), 0..0);
        assert!(
            l.findings[0]
                .message
                .contains("1600000 bytes, more than 1048576"),
            "{}",
            l.findings[0].message
        );
        let l = load("dotted.toml", "registry.name = 5\n");
        assert!(l.spec.is_none());
    }
}
