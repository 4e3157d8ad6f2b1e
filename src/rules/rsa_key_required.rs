use crate::azure;
use crate::finding::Finding;
use crate::query::keys::cmk_keys;
use crate::query::{Prop, lookup, shown};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that a key a registry uses as its customer-managed key is an RSA key (`kty` `RSA`
    /// or `RSA-HSM`) of 2048, 3072 or 4096 bits, wherever its type is known: a key the template
    /// creates, or the key a build spec describes (`key.type`, `key.size`).
    ///
    /// ## Why is this bad?
    /// Container Registry wraps its data key with RSA and supports only `RSA` and `RSA-HSM` keys:
    /// elliptic-curve (`EC`, `EC-HSM`) and symmetric (`oct`, `oct-HSM`) keys are not supported.
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
    ///   ("supports only RSA or RSA-HSM keys. Elliptic-curve keys aren't currently supported")
    /// - <https://learn.microsoft.com/azure/key-vault/keys/about-keys-details> (key types and
    ///   sizes: RSA 2048, 3072 and 4096 bits; symmetric `oct` keys are Managed HSM only)
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
        let m = ctx.model;
        for (k, key, reg) in cmk_keys(m) {
            let registry = &m.resources[reg];
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
                                "key '{}' has {} '{shown}'; a registry's customer-managed key must be RSA or RSA-HSM",
                                key.display_name(),
                                m.spell(k, "kty"),
                            ),
                        )
                        .label("not RSA")
                        .assuming(reg)
                        .related(registry.loc, "the registry that uses this key")
                        .help(format!(
                            "set {} to 'RSA' (or 'RSA-HSM') with {} 2048, 3072 or 4096",
                            m.spell(k, "kty"),
                            m.spell(k, "keySize")
                        )),
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
                            "key '{}' has {} {}; registries accept RSA keys of 2048, 3072 or 4096 bits",
                            key.display_name(),
                            m.spell(k, "keySize"),
                            shown(size)
                        ),
                    )
                    .label("unsupported key size")
                    .assuming(reg)
                    .related(registry.loc, "the registry that uses this key")
                    .help(format!("set {} to 2048, 3072 or 4096", m.spell(k, "keySize"))),
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

    #[test]
    fn a_referenced_key_is_checked_when_its_type_is_stated() {
        // The spec front end describes a key it does not create as an `existing` key with the
        // type the spec states; a template's `existing` key has no properties to check.
        let stated = with(
            good(),
            json!([{"sym": "key", "type": "Microsoft.KeyVault/vaults/keys", "name": "kvcmk01/cmk",
                    "existing": true, "properties": {"kty": "EC"}}]),
        );
        assert_eq!(check(&RsaKeyRequired, &model(stated)).len(), 1);
        let referenced = with(
            good(),
            json!([{"sym": "key", "type": "Microsoft.KeyVault/vaults/keys", "name": "kvcmk01/cmk",
                    "existing": true}]),
        );
        assert!(check(&RsaKeyRequired, &model(referenced)).is_empty());
    }
}
