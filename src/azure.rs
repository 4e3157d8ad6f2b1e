//! Azure facts the generator and the rules share: name rules, key URIs, clouds, role ids,
//! API versions. Sources: `../shared/docs/cmk-facts.md` §2–§5.

/// Key Vault Crypto Service Encryption User: exactly wrapKey/unwrapKey/get on keys.
pub const ROLE_CRYPTO_SERVICE_ENCRYPTION_USER: &str = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
/// Key Vault Crypto User: works for CMK, but also encrypt/decrypt/sign/verify.
pub const ROLE_CRYPTO_USER: &str = "12338af0-0e69-4776-bea7-57ae8d297424";
/// Key Vault Crypto Officer: works, and can also manage (delete, purge) keys.
pub const ROLE_CRYPTO_OFFICER: &str = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";
/// Key Vault Administrator: every data-plane action on the vault.
pub const ROLE_ADMINISTRATOR: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";

/// Managed HSM Crypto Service Encryption User, a role of the HSM's *local* RBAC (data plane),
/// assigned with `az keyvault role assignment create --hsm-name`, never by an ARM
/// `roleAssignments` resource (azure-docs `key-vault/managed-hsm/built-in-roles.md`).
pub const ROLE_HSM_CRYPTO_SERVICE_ENCRYPTION_USER: &str = "33413926-3206-4cdd-b39a-83574fe37a17";

/// Resource types of the CMK wiring, as Azure spells them (compare case-insensitively, with
/// `crate::model::Resource::is_type`).
pub mod types {
    pub const REGISTRY: &str = "Microsoft.ContainerRegistry/registries";
    pub const IDENTITY: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";
    pub const VAULT: &str = "Microsoft.KeyVault/vaults";
    pub const KEY: &str = "Microsoft.KeyVault/vaults/keys";
    pub const MANAGED_HSM_KEY: &str = "Microsoft.KeyVault/managedHSMs/keys";
    pub const ACCESS_POLICIES: &str = "Microsoft.KeyVault/vaults/accessPolicies";
    pub const ROLE_ASSIGNMENT: &str = "Microsoft.Authorization/roleAssignments";
    pub const DEPLOYMENT: &str = "Microsoft.Resources/deployments";
    pub const LOCK: &str = "Microsoft.Authorization/locks";
}

/// API versions of everything `acr-cmk build` deploys besides the registry (whose version is the
/// spec's `deployment.api_version`): the newest stable version of each type in the official
/// schemas (`../shared/arm-schemas/resource-index.json`, azure-resource-manager-schemas
/// @a1454431, 2026-08-16; a test keeps them there). The generator writes them and the spec
/// front end models them.
pub mod api {
    /// 2024-11-30 requires `properties` (an empty object will do).
    pub const IDENTITY: &str = "2024-11-30";
    /// Control-plane versions before 2026-02-01 retire on 2027-02-27; from 2026-02-01 a created
    /// vault defaults to RBAC, so the generator always writes `enableRbacAuthorization`
    /// (learn.microsoft.com/azure/key-vault/general/access-control-default).
    pub const KEY_VAULT: &str = "2026-02-01";
    pub const ROLE_ASSIGNMENT: &str = "2022-04-01";
    pub const DEPLOYMENTS: &str = "2025-04-01";
    pub const LOCKS: &str = "2020-05-01";
}

/// The latest stable registry API version (the generator's default).
pub const REGISTRY_API_DEFAULT: &str = "2025-11-01";
/// The first registry API version with `properties.encryption`.
pub const REGISTRY_API_FIRST_ENCRYPTION: &str = "2019-12-01-preview";

/// Registry API versions that predate `encryption` (cmk-facts §5).
pub const REGISTRY_API_WITHOUT_ENCRYPTION: &[&str] = &[
    "2016-06-27-preview",
    "2017-03-01",
    "2017-06-01-preview",
    "2017-10-01",
    "2019-05-01",
];

/// Does this registry API version know `properties.encryption`? API versions are dates, so the
/// comparison is on the `YYYY-MM-DD` prefix (a `-preview` of the same date sorts before it).
pub fn registry_api_has_encryption(api: &str) -> bool {
    let date = api.get(..10).unwrap_or(api);
    if date < "2019-12-01" {
        return false;
    }
    !REGISTRY_API_WITHOUT_ENCRYPTION.contains(&api)
}

/// `properties.zoneRedundancy` first appears in registry API 2020-11-01-preview.
pub fn registry_api_has_zone_redundancy(api: &str) -> bool {
    api.get(..10).unwrap_or(api) >= "2020-11-01"
}

/// Sovereign clouds with their DNS suffixes.
// Variants are spelt as `az cloud list` names the clouds, which the generated scripts compare.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cloud {
    AzureCloud,
    AzureChinaCloud,
    AzureUSGovernment,
}

impl Cloud {
    pub const ALL: [Cloud; 3] = [
        Cloud::AzureCloud,
        Cloud::AzureChinaCloud,
        Cloud::AzureUSGovernment,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "AzureCloud",
            Cloud::AzureChinaCloud => "AzureChinaCloud",
            Cloud::AzureUSGovernment => "AzureUSGovernment",
        }
    }
    pub fn parse(s: &str) -> Option<Cloud> {
        Cloud::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
    }
    pub fn vault_suffix(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "vault.azure.net",
            Cloud::AzureChinaCloud => "vault.azure.cn",
            Cloud::AzureUSGovernment => "vault.usgovcloudapi.net",
        }
    }
    pub fn hsm_suffix(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "managedhsm.azure.net",
            Cloud::AzureChinaCloud => "managedhsm.azure.cn",
            Cloud::AzureUSGovernment => "managedhsm.usgovcloudapi.net",
        }
    }
    pub fn login_suffix(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "azurecr.io",
            Cloud::AzureChinaCloud => "azurecr.cn",
            Cloud::AzureUSGovernment => "azurecr.us",
        }
    }
}

/// A parsed key-encryption-key URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUri {
    /// Vault (or managed HSM) name: the first DNS label.
    pub vault: String,
    /// DNS suffix after the vault name, e.g. `vault.azure.net`.
    pub suffix: String,
    /// Which cloud the suffix belongs to, and whether it is a Managed HSM.
    pub cloud: Option<Cloud>,
    pub managed_hsm: bool,
    pub name: String,
    /// The 32-character version, if the URI is versioned.
    pub version: Option<String>,
}

/// Is `s` shaped like a Key Vault key version: 32 letters and digits (system-generated,
/// observed lowercase hex; the last segment of a versioned key id)?
pub fn is_key_version(s: &str) -> bool {
    s.len() == 32 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Parse `https://{vault}.{suffix}/keys/{name}[/{version}]`. The error says what is wrong, in
/// words fit for a diagnostic.
pub fn parse_key_uri(uri: &str) -> Result<KeyUri, String> {
    let rest = uri
        .strip_prefix("https://")
        .ok_or_else(|| "a key identifier must start with https://".to_string())?;
    let (host, path) = rest
        .split_once('/')
        .ok_or_else(|| "no /keys/<name> path after the vault host".to_string())?;
    let host = host.strip_suffix(":443").unwrap_or(host);
    let (vault, suffix) = host
        .split_once('.')
        .ok_or_else(|| format!("'{}' is not a Key Vault host", crate::quote::value(host)))?;
    let suffix_lc = suffix.to_ascii_lowercase();
    let mut cloud = None;
    let mut managed_hsm = false;
    for c in Cloud::ALL {
        if suffix_lc == c.vault_suffix() {
            cloud = Some(c);
        } else if suffix_lc == c.hsm_suffix() {
            cloud = Some(c);
            managed_hsm = true;
        }
    }
    if cloud.is_none() {
        return Err(format!(
            "'{}' is not a Key Vault or Managed HSM DNS suffix (expected e.g. vault.azure.net, vault.azure.cn, vault.usgovcloudapi.net or managedhsm.azure.net)",
            crate::quote::value(suffix)
        ));
    }
    if managed_hsm {
        check_hsm_name(vault)?;
    } else {
        check_vault_name(vault)?;
    }
    let path = path.strip_suffix('/').unwrap_or(path);
    let mut segs = path.split('/');
    if !segs.next().is_some_and(|s| s.eq_ignore_ascii_case("keys")) {
        return Err("the path must be /keys/<name>[/<version>] (secrets and certificates cannot encrypt a registry)".into());
    }
    let name = segs
        .next()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| "the key name is missing after /keys/".to_string())?;
    check_key_name(name)?;
    let version = match segs.next() {
        None | Some("") => None,
        Some(v) => {
            if !is_key_version(v) {
                return Err(format!(
                    "key version '{}' is not a 32-character key version",
                    crate::quote::value(v)
                ));
            }
            Some(v.to_string())
        }
    };
    if segs.next().is_some() {
        return Err("too many path segments: expected /keys/<name>[/<version>]".into());
    }
    if uri.contains('?') || uri.contains('#') {
        return Err("a key identifier has no query or fragment".into());
    }
    Ok(KeyUri {
        vault: vault.to_string(),
        suffix: suffix.to_string(),
        cloud,
        managed_hsm,
        name: name.to_string(),
        version,
    })
}

/// Registry: 5–50 letters and digits.
pub fn check_registry_name(name: &str) -> Result<(), String> {
    let shown = crate::quote::value(name);
    let n = name.chars().count();
    if !(5..=50).contains(&n) {
        return Err(format!(
            "registry names are 5–50 characters long; '{shown}' has {n}"
        ));
    }
    if let Some(c) = name.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(format!(
            "registry names have only letters and digits; '{shown}' has {c:?}"
        ));
    }
    Ok(())
}

/// Key vault: 3–24, letters/digits/hyphens, starts with a letter, ends with a letter or digit,
/// no consecutive hyphens.
pub fn check_vault_name(name: &str) -> Result<(), String> {
    let shown = crate::quote::value(name);
    let n = name.chars().count();
    if !(3..=24).contains(&n) {
        return Err(format!(
            "key vault names are 3–24 characters long; '{shown}' has {n}"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "key vault names have only letters, digits and hyphens; '{shown}' has {c:?}"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(format!(
            "key vault names start with a letter; '{shown}' does not"
        ));
    }
    if name.ends_with('-') {
        return Err(format!(
            "key vault names end with a letter or digit; '{shown}' ends with '-'"
        ));
    }
    if name.contains("--") {
        return Err(format!(
            "key vault names have no consecutive hyphens; '{shown}' has '--'"
        ));
    }
    Ok(())
}

/// Managed HSM: 3–24, letters/digits/hyphens, starts with a letter.
pub fn check_hsm_name(name: &str) -> Result<(), String> {
    let shown = crate::quote::value(name);
    let n = name.chars().count();
    if !(3..=24).contains(&n)
        || !name.starts_with(|c: char| c.is_ascii_alphabetic())
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(format!(
            "'{shown}' is not a valid Managed HSM name (3–24 letters, digits, hyphens; starts with a letter)"
        ));
    }
    Ok(())
}

/// User-assigned identity: 3–128, letters/digits/`-`/`_`, starts with a letter or digit.
pub fn check_identity_name(name: &str) -> Result<(), String> {
    let shown = crate::quote::value(name);
    let n = name.chars().count();
    if !(3..=128).contains(&n) {
        return Err(format!(
            "identity names are 3–128 characters long; '{shown}' has {n}"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "identity names have only letters, digits, '-' and '_'; '{shown}' has {c:?}"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "identity names start with a letter or digit; '{shown}' does not"
        ));
    }
    Ok(())
}

/// Key: 1–127 letters, digits, hyphens.
pub fn check_key_name(name: &str) -> Result<(), String> {
    let shown = crate::quote::value(name);
    let n = name.chars().count();
    if !(1..=127).contains(&n) {
        return Err(format!(
            "key names are 1–127 characters long; '{shown}' has {n}"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "key names have only letters, digits and hyphens; '{shown}' has {c:?}"
        ));
    }
    Ok(())
}

/// A GUID in its 8-4-4-4-12 hexadecimal form (subscription ids, tenant ids).
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Resource group: 1–90 of letters, digits, `-`, `_`, `.`, `(`, `)`; not ending in `.`.
pub fn check_resource_group_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if !(1..=90).contains(&n) {
        return Err(format!(
            "resource group names are 1–90 characters long; '{name}' has {n}"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || "-_.()".contains(*c)))
    {
        return Err(format!(
            "resource group names have only letters, digits, '-', '_', '.', '(' and ')'; '{name}' has {c:?}"
        ));
    }
    if name.ends_with('.') {
        return Err(format!(
            "resource group names do not end with '.'; '{name}' does"
        ));
    }
    Ok(())
}

/// `/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`.
pub fn check_identity_resource_id(id: &str) -> Result<(), String> {
    let segs: Vec<&str> = id.split('/').collect();
    let shape_ok = segs.len() == 9
        && segs[0].is_empty()
        && segs[1].eq_ignore_ascii_case("subscriptions")
        && segs[3].eq_ignore_ascii_case("resourceGroups")
        && segs[5].eq_ignore_ascii_case("providers")
        && segs[6].eq_ignore_ascii_case("Microsoft.ManagedIdentity")
        && segs[7].eq_ignore_ascii_case("userAssignedIdentities");
    if !shape_ok {
        return Err(format!(
            "'{id}' is not the resource id of a user-assigned identity"
        ));
    }
    if !is_guid(segs[2]) {
        return Err(format!(
            "the subscription '{}' in the identity's resource id is not a GUID",
            segs[2]
        ));
    }
    check_resource_group_name(segs[4])?;
    check_identity_name(segs[8])
}

/// Key Vault SKU of a vault created for a key of this type: HSM-backed keys need premium.
pub fn vault_sku_for_key_type(kty: &str) -> &'static str {
    if kty.eq_ignore_ascii_case("RSA-HSM") {
        "premium"
    } else {
        "standard"
    }
}

/// Key types a registry accepts.
pub fn key_type_supported(kty: &str) -> bool {
    kty.eq_ignore_ascii_case("RSA") || kty.eq_ignore_ascii_case("RSA-HSM")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_uri_versioned_and_versionless() {
        let k = parse_key_uri(
            "https://myvault.vault.azure.net/keys/mykey/0123456789abcdef0123456789abcdef",
        )
        .unwrap();
        assert_eq!(k.vault, "myvault");
        assert_eq!(k.cloud, Some(Cloud::AzureCloud));
        assert_eq!(
            k.version.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(
            (k.suffix.as_str(), k.name.as_str()),
            ("vault.azure.net", "mykey")
        );
        let k = parse_key_uri("https://myhsm.managedhsm.azure.net/keys/k").unwrap();
        assert!(k.managed_hsm && k.version.is_none());
    }

    #[test]
    fn key_uri_errors_say_what_is_wrong() {
        assert!(
            parse_key_uri("http://v.vault.azure.net/keys/k")
                .unwrap_err()
                .contains("https://")
        );
        assert!(
            parse_key_uri("https://vlt1.vault.azure.net/secrets/k")
                .unwrap_err()
                .contains("/keys/")
        );
        assert!(
            parse_key_uri("https://vlt.vault.azure.com/keys/k")
                .unwrap_err()
                .contains("suffix")
        );
        assert!(
            parse_key_uri("https://vlt.vault.azure.net/keys/k/123")
                .unwrap_err()
                .contains("32-character")
        );
    }

    #[test]
    fn names() {
        assert!(check_registry_name("myregistry01").is_ok());
        assert!(check_registry_name("my-registry").is_err());
        assert!(check_registry_name("abcd").is_err());
        assert!(check_vault_name("kv-prod-01").is_ok());
        assert!(check_vault_name("1kv").is_err());
        assert!(check_vault_name("kv--x").is_err());
        assert!(check_identity_name("id_ok-1").is_ok());
        assert!(check_identity_name("_id").is_err());
    }

    #[test]
    fn api_versions() {
        assert!(registry_api_has_encryption("2019-12-01-preview"));
        assert!(registry_api_has_encryption("2025-11-01"));
        assert!(!registry_api_has_encryption("2019-05-01"));
        assert!(!registry_api_has_encryption("2017-10-01"));
    }

    #[test]
    fn identity_resource_ids() {
        let ok = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-acr";
        assert!(check_identity_resource_id(ok).is_ok());
        assert!(check_identity_resource_id("/subscriptions/x/resourceGroups/rg").is_err());
        assert!(check_identity_resource_id(&ok.replace("id-acr", "_bad")).is_err());
        assert!(check_identity_resource_id(&ok.replace("00000000-0000", "nope")).is_err());
    }

    #[test]
    fn resource_group_names() {
        assert!(check_resource_group_name("rg-keys_(prod).1").is_ok());
        assert!(check_resource_group_name("rg.").is_err());
        assert!(check_resource_group_name("rg'x").is_err());
    }
}
