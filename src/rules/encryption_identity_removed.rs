use crate::azure::types::REGISTRY;
use crate::finding::Finding;
use crate::query::identities::{assigned_identities, key_is_id, used_identity};
use crate::query::registries::{encryption_enabled, previous_registry};
use crate::query::{Tri, deployed, identity_name};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Compares a template with its previous version (`acr-cmk lint --baseline`) and reports a
    /// CMK registry from which the new version removes the user-assigned identity that its
    /// encryption uses in the previous version (`keyVaultProperties.identity` there), whether
    /// the new version still names that identity for the key or moves the key to another one in
    /// the same deployment. Without `--baseline` the rule does nothing.
    ///
    /// ## Why is this bad?
    /// The registry reaches its key through that identity. Azure refuses to remove it ("Azure
    /// resource '…' does not have access to identity '…' Try forcibly adding the identity to the
    /// registry"), and a registry whose identity is gone becomes inactive ("The identity
    /// associated with the registry is inactive"): image pulls, pushes and key rotation fail
    /// until the identity is assigned again.
    ///
    /// ## Example
    /// Previous version: `"identity": { "type": "UserAssigned", "userAssignedIdentities": {
    /// "<old identity id>": {} } }` with `keyVaultProperties.identity` its clientId; new
    /// version:
    /// ```json
    /// "identity": { "type": "UserAssigned", "userAssignedIdentities": { "[variables('newIdentityId')]": {} } }
    /// ```
    ///
    /// ```bicep
    /// identity: { type: 'UserAssigned', userAssignedIdentities: { '${newIdentity.id}': {} } }
    /// ```
    ///
    /// ## Use instead
    /// Keep the old identity assigned while the key moves: first deploy with both identities
    /// (or run `az acr encryption rotate-key --name R --key-encryption-key <key id> --identity
    /// <new identity clientId>`), then remove the old identity in a later deployment.
    /// ```json
    /// "userAssignedIdentities": { "[variables('oldIdentityId')]": {}, "[variables('newIdentityId')]": {} }
    /// ```
    ///
    /// ```bicep
    /// userAssignedIdentities: { '${oldIdentity.id}': {}, '${newIdentity.id}': {} }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-troubleshoot-customer-managed-keys>
    ///   ("Error when you're removing a managed identity", "Identity expiry error")
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-rotate-revoke-customer-managed-keys>
    pub struct EncryptionIdentityRemoved {
        code: "CMK026",
        name: "encryption-identity-removed",
        level: Error,
        summary: "The identity a registry's encryption uses must not be removed from the registry",
    }
}

impl Rule for EncryptionIdentityRemoved {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let Some(base) = ctx.baseline else { return };
        for (i, r) in deployed(ctx.model, REGISTRY) {
            let Some(old) = previous_registry(base, r) else {
                continue;
            };
            if encryption_enabled(old) != Tri::Yes {
                continue;
            }
            let Some(used) = used_identity(old).0.identity_id() else {
                continue;
            };
            let now = assigned_identities(r);
            let (removed, path) = match (now.user_assigned_type, &now.keys) {
                (Tri::No, _) => (true, "identity.type"),
                (Tri::Yes, Some(keys)) => (
                    !keys.iter().any(|k| key_is_id(&k.name, &used)),
                    "identity.userAssignedIdentities",
                ),
                _ => (false, ""),
            };
            if !removed {
                continue;
            }
            let name = identity_name(base, &used);
            let still_used = used_identity(r)
                .0
                .identity_id()
                .is_some_and(|id| id.same(&used));
            let message = if still_used {
                format!(
                    "registry '{}': identity '{name}', which its encryption uses, is removed from the registry; Azure refuses this, and without it the registry cannot reach its key",
                    r.display_name()
                )
            } else {
                format!(
                    "registry '{}': identity '{name}', which its encryption uses in the baseline, is removed in the same deployment that changes the key's identity",
                    r.display_name()
                )
            };
            out.push(
                Finding::on(&Self::META, i, path, message)
                    .label("encryption identity removed")
                    .related(
                        old.loc_of("properties.encryption.keyVaultProperties.identity"),
                        "the baseline's encryption uses this identity",
                    )
                    .help("keep the identity assigned; move the key to another identity first (`az acr encryption rotate-key --identity`), then remove it in a later deployment"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    fn second_identity(list: serde_json::Value) -> serde_json::Value {
        with(
            list,
            json!([{"sym": "uai2", "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
                    "apiVersion": "2023-01-31", "name": "id-new", "location": "westeurope"}]),
        )
    }

    #[test]
    fn unchanged_or_added_identity_is_clean() {
        let m = model(good());
        assert!(check_with_baseline(&EncryptionIdentityRemoved, &m, Some(&m)).is_empty());
        let both = edit(second_identity(good()), "acr", |r| {
            r["identity"]["userAssignedIdentities"] = json!({"${id:uai}": {}, "${id:uai2}": {}});
            r["properties"]["encryption"]["keyVaultProperties"]["identity"] =
                "${ref:uai2.properties.clientId}".into();
        });
        let base = model(second_identity(good()));
        assert!(
            check_with_baseline(&EncryptionIdentityRemoved, &model(both), Some(&base)).is_empty()
        );
        assert!(check(&EncryptionIdentityRemoved, &model(good())).is_empty());
    }

    #[test]
    fn removing_the_encryption_identity_is_reported() {
        let base = model(second_identity(good()));
        let moved = edit(second_identity(good()), "acr", |r| {
            r["identity"]["userAssignedIdentities"] = json!({"${id:uai2}": {}});
            r["properties"]["encryption"]["keyVaultProperties"]["identity"] =
                "${ref:uai2.properties.clientId}".into();
        });
        let f = check_with_baseline(&EncryptionIdentityRemoved, &model(moved), Some(&base));
        assert_eq!(
            pointers(&f),
            ["/resources/3/identity/userAssignedIdentities"]
        );
        assert!(
            f[0].message.contains("changes the key's identity"),
            "{}",
            f[0].message
        );

        let system_only = edit(good(), "acr", |r| {
            r["identity"] = json!({"type": "SystemAssigned"});
        });
        let f = check_with_baseline(
            &EncryptionIdentityRemoved,
            &model(system_only),
            Some(&model(good())),
        );
        assert_eq!(pointers(&f), ["/resources/3/identity/type"]);
        assert!(
            f[0].message.contains("Azure refuses this"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn unknown_identities_are_not_reported() {
        let unknown = edit(good(), "acr", |r| {
            r["identity"]["userAssignedIdentities"] = "${param:ids}".into();
        });
        assert!(
            check_with_baseline(
                &EncryptionIdentityRemoved,
                &model(unknown),
                Some(&model(good()))
            )
            .is_empty()
        );
    }
}
