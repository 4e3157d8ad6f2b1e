use crate::finding::Finding;
use crate::model::{Node, Value};
use crate::query::keys::{cmk_keys, key_vault};
use crate::query::vaults::VaultRef;
use crate::query::{Prop, Tri, lookup, str_is};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that the key a CMK registry uses (a `Microsoft.KeyVault/vaults/keys` or
    /// `Microsoft.KeyVault/managedHSMs/keys` resource of the template) can wrap and unwrap the
    /// registry's data key:
    /// - `keyOps`, when written, includes both `wrapKey` and `unwrapKey`;
    /// - the key is not disabled (`attributes.enabled: false`);
    /// - it has not expired (`attributes.exp`, seconds since 1970, in the past) and is already
    ///   valid (`attributes.nbf` not in the future), both compared with the time of the lint run;
    /// - an `RSA-HSM` key in a Key Vault is in a Premium vault (`sku.name: premium`).
    ///
    /// A key the template does not declare (passed in by id) is not in view and not checked.
    ///
    /// ## Why is this bad?
    /// Key Vault enforces `keyOps` on every operation ("Operation … is not permitted on this
    /// key", `KeyOperationForbidden`): without `wrapKey`/`unwrapKey` the registry cannot use the
    /// key, and its creation fails with "Failed to access KeyId". A disabled key refuses
    /// `unwrapKey` (`KeyDisabled`), which blocks all registry data. An expired or
    /// not-yet-valid key refuses `wrapKey`, so a registry cannot be created with it or rotated
    /// to it. A Standard vault cannot hold HSM-protected keys, so creating the key fails.
    ///
    /// ## Example
    /// ```json
    /// "properties": { "kty": "RSA", "keySize": 3072, "keyOps": [ "encrypt", "decrypt" ] }
    /// ```
    ///
    /// ```bicep
    /// properties: { kty: 'RSA', keySize: 3072, keyOps: [ 'encrypt', 'decrypt' ] }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "properties": { "kty": "RSA", "keySize": 3072, "keyOps": [ "wrapKey", "unwrapKey" ] }
    /// ```
    ///
    /// ```bicep
    /// properties: { kty: 'RSA', keySize: 3072, keyOps: [ 'wrapKey', 'unwrapKey' ] }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-enable-customer-managed-keys>
    ///   (the identity needs get, wrapKey and unwrapKey on the key)
    /// - Azure/azure-sdk-for-net issue 11518 (`KeyOperationForbidden` when an operation is not
    ///   in `keyOps`) (<https://github.com/Azure/azure-sdk-for-net/issues/11518>)
    /// - Azure/azure-sdk-for-python issue 45342 (`KeyDisabled` on unwrap of a disabled key)
    ///   (<https://github.com/Azure/azure-sdk-for-python/issues/45342>)
    /// - Azure/azure-sdk-for-net issue 7677 (the service honours `nbf`/`exp` in wrapKey, not in
    ///   unwrapKey) (<https://github.com/Azure/azure-sdk-for-net/issues/7677>)
    /// - <https://learn.microsoft.com/azure/key-vault/keys/about-keys> (HSM-protected keys need
    ///   the Premium SKU)
    pub struct KeyNotUsableForWrapping {
        code: "CMK024",
        name: "key-not-usable-for-wrapping",
        level: Error,
        summary: "The registry's key must allow wrapKey and unwrapKey, be enabled and valid now, and an RSA-HSM key needs a Premium vault",
    }
}

const WRAP_OPS: [&str; 2] = ["wrapKey", "unwrapKey"];

/// The wrap operations a written `keyOps` list lacks (`None`: not written, or not all known).
fn missing_ops(ops: &Node) -> Option<Vec<&'static str>> {
    let list = ops.as_array()?;
    let mut have = Vec::new();
    for op in list {
        match &op.value {
            Value::Str(s) => have.push(s.as_str()),
            _ => return None,
        }
    }
    let missing: Vec<_> = WRAP_OPS
        .into_iter()
        .filter(|need| !have.iter().any(|h| h.eq_ignore_ascii_case(need)))
        .collect();
    (!missing.is_empty()).then_some(missing)
}

/// Seconds since 1970 as `YYYY-MM-DD` (UTC), for messages.
fn date(secs: i64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Rule for KeyNotUsableForWrapping {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        let now = now();
        for (k, key, reg) in cmk_keys(m) {
            if key.existing {
                continue;
            }
            let name = key.display_name();
            let registry = &m.resources[reg];
            let mut report = |path: &str, message: String, label: &str, help: String| {
                out.push(
                    Finding::on(&Self::META, k, path, message)
                        .label(label)
                        .assuming(reg)
                        .related(registry.loc, "the registry that uses this key")
                        .help(help),
                );
            };
            if let Prop::Known(ops) = lookup(&key.body, "properties.keyOps")
                && let Some(missing) = missing_ops(ops)
            {
                report(
                    "properties.keyOps",
                    format!(
                        "key '{name}' does not allow {}: the registry needs wrapKey and unwrapKey to use it",
                        missing.join(" and ")
                    ),
                    "no wrapKey/unwrapKey",
                    "add 'wrapKey' and 'unwrapKey' to keyOps".into(),
                );
            }
            if let Prop::Known(enabled) = lookup(&key.body, "properties.attributes.enabled")
                && enabled.as_bool() == Some(false)
            {
                report(
                    "properties.attributes.enabled",
                    format!(
                        "key '{name}' is disabled: Key Vault refuses unwrapKey with a disabled key, so the registry cannot read its data"
                    ),
                    "disabled",
                    "set attributes.enabled to true".into(),
                );
            }
            if let Prop::Known(exp) = lookup(&key.body, "properties.attributes.exp")
                && let Some(exp) = exp.as_i64()
                && exp <= now
            {
                report(
                    "properties.attributes.exp",
                    format!("key '{name}' expired on {}: Key Vault refuses wrapKey with an expired key, so a registry cannot be created with it or rotated to it", date(exp)),
                    "in the past",
                    "set attributes.exp to a future time (or leave it out), or use a new key version".into(),
                );
            }
            if let Prop::Known(nbf) = lookup(&key.body, "properties.attributes.nbf")
                && let Some(nbf) = nbf.as_i64()
                && nbf > now
            {
                report(
                    "properties.attributes.nbf",
                    format!(
                        "key '{name}' is not valid before {}: Key Vault refuses wrapKey until then, so a registry cannot be created with it or rotated to it",
                        date(nbf)
                    ),
                    "in the future",
                    "leave attributes.nbf out, or deploy the registry after that time".into(),
                );
            }
            let hsm_protected = match lookup(&key.body, "properties.kty") {
                Prop::Known(kty) => str_is(kty, "RSA-HSM"),
                _ => Tri::Unknown,
            };
            if hsm_protected == Tri::Yes
                && let VaultRef::Resource(v) = key_vault(m, k)
                && !m.resources[v].existing
                && let Prop::Known(sku) = lookup(&m.resources[v].body, "properties.sku.name")
                && str_is(sku, "standard") == Tri::Yes
            {
                out.push(
                    Finding::on(
                        &Self::META,
                        k,
                        "properties.kty",
                        format!(
                            "key '{name}' is RSA-HSM but vault '{}' is Standard: HSM-protected keys need a Premium vault",
                            m.resources[v].display_name()
                        ),
                    )
                    .label("needs a Premium vault")
                    .assuming(reg)
                    .related(m.resources[v].loc_of("properties.sku.name"), "the vault's SKU")
                    .related(registry.loc, "the registry that uses this key")
                    .help("set the vault's sku.name to 'premium', or use kty 'RSA'"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    fn with_key(props: serde_json::Value) -> serde_json::Value {
        let list = with(
            good(),
            json!([{"sym": "key", "type": "Microsoft.KeyVault/vaults/keys", "apiVersion": "2023-07-01",
                    "name": "kvcmk01/cmk", "dependsOn": ["kv"], "properties": props}]),
        );
        edit(list, "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"] =
                "${ref:key.properties.keyUri}".into()
        })
    }

    fn findings(props: serde_json::Value) -> Vec<Finding> {
        check(&KeyNotUsableForWrapping, &model(with_key(props)))
    }

    #[test]
    fn a_usable_key_is_clean() {
        for props in [
            json!({"kty": "RSA", "keySize": 3072}),
            json!({"kty": "RSA", "keyOps": ["WRAPKEY", "unwrapKey", "sign"],
                   "attributes": {"enabled": true, "exp": 4102444800_i64, "nbf": 1577836800}}),
            json!({"kty": "RSA", "keyOps": ["${param:op}"]}),
        ] {
            assert!(findings(props.clone()).is_empty(), "{props}");
        }
    }

    #[test]
    fn key_ops_without_wrap_or_unwrap_are_reported() {
        let f = findings(json!({"kty": "RSA", "keyOps": ["encrypt", "unwrapKey"]}));
        assert_eq!(pointers(&f), ["/resources/4/properties/keyOps"]);
        assert!(
            f[0].message.contains("does not allow wrapKey:"),
            "{}",
            f[0].message
        );
        let f = findings(json!({"kty": "RSA", "keyOps": []}));
        assert!(
            f[0].message.contains("wrapKey and unwrapKey"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn disabled_expired_and_not_yet_valid_keys_are_reported() {
        let f = findings(json!({"kty": "RSA",
            "attributes": {"enabled": false, "exp": 1577836800, "nbf": 4102444800_i64}}));
        assert_eq!(
            pointers(&f),
            [
                "/resources/4/properties/attributes/enabled",
                "/resources/4/properties/attributes/exp",
                "/resources/4/properties/attributes/nbf"
            ]
        );
        assert!(
            f[1].message.contains("expired on 2020-01-01"),
            "{}",
            f[1].message
        );
        assert!(
            f[2].message.contains("before 2100-01-01"),
            "{}",
            f[2].message
        );
    }

    #[test]
    fn an_rsa_hsm_key_needs_a_premium_vault() {
        let f = findings(json!({"kty": "RSA-HSM"}));
        assert_eq!(pointers(&f), ["/resources/4/properties/kty"]);
        let premium = edit(with_key(json!({"kty": "RSA-HSM"})), "kv", |r| {
            r["properties"]["sku"]["name"] = "premium".into()
        });
        assert!(check(&KeyNotUsableForWrapping, &model(premium)).is_empty());
    }

    #[test]
    fn managed_hsm_keys_get_the_same_checks() {
        let list = with(
            good(),
            json!([{"sym": "hkey", "type": "Microsoft.KeyVault/managedHSMs/keys", "apiVersion": "2026-02-01",
                    "name": "hsm1/cmk", "properties": {"kty": "RSA-HSM", "keyOps": ["sign"]}}]),
        );
        let list = edit(list, "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"] =
                "https://hsm1.managedhsm.azure.net/keys/cmk".into()
        });
        let f = check(&KeyNotUsableForWrapping, &model(list));
        assert_eq!(pointers(&f), ["/resources/4/properties/keyOps"]);
    }

    #[test]
    fn dates_are_shown_in_utc() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(4_102_444_800), "2100-01-01");
    }
}
