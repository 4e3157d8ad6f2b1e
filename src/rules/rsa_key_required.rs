use crate::azure;
use crate::finding::Finding;
use crate::query::keys::cmk_keys;
use crate::query::{Prop, lookup, shown};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that a key the template creates and a registry uses as its customer-managed key is
    /// an RSA key (`kty` `RSA` or `RSA-HSM`) of 2048, 3072 or 4096 bits.
    ///
    /// ## Why is this bad?
    /// Container Registry wraps its data key with RSA. Elliptic-curve (`EC`, `EC-HSM`) and
    /// symmetric (`oct`, `oct-HSM`) keys are rejected when the registry is created.
    ///
    /// ## Example
    /// ```json
    /// {
    ///   "type": "Microsoft.KeyVault/vaults/keys",
    ///   "name": "[format('{0}/cmk', parameters('vault_name'))]",
    ///   "properties": { "kty": "EC", "curveName": "P-256" }
    /// }
    /// ```
    ///
    /// ```bicep
    /// resource key 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
    ///   parent: kv
    ///   name: 'cmk'
    ///   properties: { kty: 'EC', curveName: 'P-256' }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "properties": { "kty": "RSA", "keySize": 3072 }
    /// ```
    ///
    /// ```bicep
    /// properties: { kty: 'RSA', keySize: 3072 }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys>
    pub struct RsaKeyRequired {
        code: "CMK002",
        name: "rsa-key-required",
        level: Error,
        summary: "A registry's customer-managed key must be an RSA key of 2048, 3072 or 4096 bits",
    }
}

impl Rule for RsaKeyRequired {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        for (k, key, reg) in cmk_keys(ctx.model) {
            if key.existing {
                continue;
            }
            let registry = &ctx.model.resources[reg];
            if let Prop::Known(kty) = lookup(&key.body, "properties.kty") {
                let ok = kty.as_str().is_some_and(azure::key_type_supported);
                if !ok {
                    let shown = kty.as_str().unwrap_or(kty.value.type_name());
                    out.push(
                        Finding::on(
                            &Self::META,
                            k,
                            "properties.kty",
                            format!(
                                "key '{}' has kty '{shown}'; a registry's customer-managed key must be RSA or RSA-HSM",
                                key.display_name()
                            ),
                        )
                        .label("not RSA")
                        .assuming(reg)
                        .related(registry.loc, "the registry that uses this key")
                        .help("set kty to 'RSA' (or 'RSA-HSM') with keySize 2048, 3072 or 4096"),
                    );
                    continue;
                }
            }
            if let Prop::Known(size) = lookup(&key.body, "properties.keySize")
                && !matches!(size.as_i64(), Some(2048 | 3072 | 4096))
            {
                out.push(
                    Finding::on(
                        &Self::META,
                        k,
                        "properties.keySize",
                        format!(
                            "key '{}' has keySize {}; registries accept RSA keys of 2048, 3072 or 4096 bits",
                            key.display_name(),
                            shown(size)
                        ),
                    )
                    .assuming(reg)
                    .related(registry.loc, "the registry that uses this key")
                    .help("set keySize to 2048, 3072 or 4096"),
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

    fn with_key(kty: &str, size: serde_json::Value) -> serde_json::Value {
        let list = with(
            good(),
            json!([{"sym": "key", "type": "Microsoft.KeyVault/vaults/keys", "apiVersion": "2023-07-01",
                    "name": "kvcmk01/cmk", "dependsOn": ["kv"],
                    "properties": {"kty": kty, "keySize": size}}]),
        );
        edit(list, "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"] =
                "${ref:key.properties.keyUri}".into()
        })
    }

    #[test]
    fn rsa_key_is_clean() {
        assert!(check(&RsaKeyRequired, &model(with_key("RSA", json!(3072)))).is_empty());
        assert!(check(&RsaKeyRequired, &model(with_key("RSA-HSM", json!(4096)))).is_empty());
    }

    #[test]
    fn ec_key_is_reported() {
        let f = check(&RsaKeyRequired, &model(with_key("EC", json!(null))));
        assert_eq!(pointers(&f), ["/resources/4/properties/kty"]);
        assert!(f[0].message.contains("'EC'"));
    }

    #[test]
    fn odd_size_is_reported_unknown_is_not() {
        let f = check(&RsaKeyRequired, &model(with_key("RSA", json!(1024))));
        assert_eq!(pointers(&f), ["/resources/4/properties/keySize"]);
        assert!(
            check(
                &RsaKeyRequired,
                &model(with_key("${param:kty}", json!("${param:size}")))
            )
            .is_empty()
        );
    }

    #[test]
    fn key_named_by_a_literal_uri_is_checked() {
        let list = with(
            good(),
            json!([{"sym": "key", "type": "Microsoft.KeyVault/vaults/keys", "name": "kvcmk01/cmk",
                    "properties": {"kty": "EC-HSM"}}]),
        );
        let f = check(&RsaKeyRequired, &model(list));
        assert_eq!(pointers(&f), ["/resources/4/properties/kty"]);
    }

    #[test]
    fn keys_no_registry_uses_are_ignored() {
        let list = with(
            good(),
            json!([{"sym": "key", "type": "Microsoft.KeyVault/vaults/keys", "name": "kvcmk01/other",
                    "properties": {"kty": "EC"}}]),
        );
        assert!(check(&RsaKeyRequired, &model(list)).is_empty());
    }
}
