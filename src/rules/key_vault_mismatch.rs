use crate::finding::Finding;
use crate::query::grants::grant_site;
use crate::query::registries::with_access;
use crate::query::Tri;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that the vault named in the registry's key identifier is the vault on which its
    /// identity is granted key access. Reported when every grant for the identity is on a vault
    /// whose name is known to differ from the key's vault. In a build spec: a `key.id` in
    /// another vault than `vault.name`.
    ///
    /// ## Why is this bad?
    /// A grant on another vault gives no access to this key: the registry cannot unwrap its data
    /// key and the deployment fails. It usually comes from a copy-pasted key URI or a vault
    /// parameter that was renamed in one place only.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.KeyVault/vaults/accessPolicies", "name": "kv-prod/add", ... },
    /// { "type": "Microsoft.ContainerRegistry/registries", ...
    ///   "keyIdentifier": "https://kv-test.vault.azure.net/keys/cmk" }
    /// ```
    ///
    /// ```bicep
    /// resource grant 'Microsoft.KeyVault/vaults/accessPolicies@2023-07-01' = { name: 'kv-prod/add', ... }
    /// // ...
    /// keyIdentifier: 'https://kv-test.vault.azure.net/keys/cmk'
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "keyIdentifier": "https://kv-prod.vault.azure.net/keys/cmk"
    /// ```
    ///
    /// ```bicep
    /// keyIdentifier: key.properties.keyUri // the key in the granted vault
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-rotate-revoke-customer-managed-keys>
    ///   ("If you're using the key from a different key vault, verify that … has the get, wrap,
    ///   and unwrap permissions on that key vault")
    /// - <https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers>
    ///   (the key id names its vault)
    /// - <https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults/accesspolicies>
    ///   (an access policy belongs to one vault)
    pub struct KeyVaultMismatch {
        code: "CMK016",
        name: "key-vault-mismatch",
        level: Error,
        summary: "The key is in a different vault than the one the identity is granted access to",
    }
}

impl Rule for KeyVaultMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        for (i, _, a) in with_access(m) {
            let Some(key) = &a.key else { continue };
            let Some(key_vault) = key.vault.name(m) else {
                continue;
            };
            if a.grants.iter().any(|(_, p)| *p == Tri::Unknown) {
                continue;
            }
            let definite: Vec<_> = a.definite().collect();
            if definite.is_empty()
                || !definite
                    .iter()
                    .all(|g| g.vault.known_different(&key.vault, m))
            {
                continue;
            }
            let g = definite[0];
            let granted = g.vault.name(m).map(|n| n.to_string()).unwrap_or_default();
            out.push(
                Finding::on(
                    &Self::META,
                    i,
                    "properties.encryption.keyVaultProperties.keyIdentifier",
                    format!(
                        "the key is in vault '{key_vault}' but {} is granted access to vault '{granted}'",
                        a.who(m)
                    ),
                )
                .label(format!("key in vault '{key_vault}'"))
                .related(
                    m.locate(g.resource, grant_site(g).segments()).0,
                    format!("grant on vault '{granted}'"),
                )
                .help("use a key from the vault the identity is granted, or grant the identity on the key's vault"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    fn key(uri: &str) -> crate::model::Model {
        model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"] = uri.into()
        }))
    }

    #[test]
    fn same_vault_is_clean() {
        assert!(check(&KeyVaultMismatch, &model(good())).is_empty());
        assert!(
            check(
                &KeyVaultMismatch,
                &key("https://KVCMK01.vault.azure.net/keys/cmk")
            )
            .is_empty()
        );
    }

    #[test]
    fn other_vault_is_reported() {
        let f = check(
            &KeyVaultMismatch,
            &key("https://kvother.vault.azure.net/keys/cmk"),
        );
        assert_eq!(
            pointers(&f),
            ["/resources/3/properties/encryption/keyVaultProperties/keyIdentifier"]
        );
        assert!(f[0].message.contains("'kvother'") && f[0].message.contains("'kvcmk01'"));
    }

    #[test]
    fn role_assignment_scoped_to_another_vault_is_reported() {
        use serde_json::json;
        let list = with(
            remove(good(), "pol"),
            json!([{"sym": "ra", "type": "Microsoft.Authorization/roleAssignments",
                "name": "${expr:guid(x)}", "scope": "Microsoft.KeyVault/vaults/kvother",
                "properties": {"principalId": "${ref:uai.properties.principalId}",
                    "roleDefinitionId": "e147488a-f6f5-4113-8e2d-b22465e65bf6"}}]),
        );
        let f = check(&KeyVaultMismatch, &model(list));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("'kvother'"), "{}", f[0].message);
        // A role assignment on the resource group covers every vault in it.
        let list = with(
            remove(good(), "pol"),
            json!([{"sym": "ra", "type": "Microsoft.Authorization/roleAssignments",
                "name": "${expr:guid(x)}", "scope": "/subscriptions/s/resourceGroups/rg",
                "properties": {"principalId": "${ref:uai.properties.principalId}",
                    "roleDefinitionId": "e147488a-f6f5-4113-8e2d-b22465e65bf6"}}]),
        );
        assert!(check(&KeyVaultMismatch, &model(list)).is_empty());
    }

    #[test]
    fn symbolic_vault_is_not_reported() {
        assert!(
            check(
                &KeyVaultMismatch,
                &key("https://${param:v}.vault.azure.net/keys/cmk")
            )
            .is_empty()
        );
    }
}
