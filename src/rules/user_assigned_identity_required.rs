use crate::finding::Finding;
use crate::model::Resource;
use crate::query::identities::{
    UsedIdentity, assigned_identities, identity_for_key, key_is_id, used_identity,
};
use crate::query::registries::cmk_registries;
use crate::query::{Tri, identity_name};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that a registry with customer-managed-key encryption reaches its key through a
    /// user-assigned managed identity: `identity.type` includes `UserAssigned`,
    /// `identity.userAssignedIdentities` lists the identity, and
    /// `encryption.keyVaultProperties.identity` is that identity's **clientId** (not its
    /// principalId, and not an identity the registry does not have).
    ///
    /// ## Why is this bad?
    /// When a registry is created, Container Registry can only read the key as a user-assigned
    /// identity (a system-assigned identity does not exist yet). The service looks the identity
    /// up by client id: a principal id, or an identity not assigned to the registry, fails the
    /// deployment.
    ///
    /// ## Example
    /// ```json
    /// "identity": { "type": "SystemAssigned" },
    /// "properties": { "encryption": { "status": "enabled", "keyVaultProperties": {
    ///   "identity": "[reference(variables('identityId')).principalId]",
    ///   "keyIdentifier": "[parameters('kek_id')]" } } }
    /// ```
    ///
    /// ```bicep
    /// identity: { type: 'SystemAssigned' }
    /// properties: { encryption: { status: 'enabled', keyVaultProperties: {
    ///   identity: uai.properties.principalId
    ///   keyIdentifier: kekId } } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "identity": { "type": "UserAssigned", "userAssignedIdentities": { "[variables('identityId')]": {} } },
    /// "properties": { "encryption": { "status": "enabled", "keyVaultProperties": {
    ///   "identity": "[reference(variables('identityId')).clientId]",
    ///   "keyIdentifier": "[parameters('kek_id')]" } } }
    /// ```
    ///
    /// ```bicep
    /// identity: { type: 'UserAssigned', userAssignedIdentities: { '${uai.id}': {} } }
    /// properties: { encryption: { status: 'enabled', keyVaultProperties: {
    ///   identity: uai.properties.clientId
    ///   keyIdentifier: kekId } } }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys>
    ///   ("You have to configure a user-assigned managed identity to access the key vault. Later,
    ///   if required, you can enable the registry's system-assigned managed identity")
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-enable-customer-managed-keys>
    ///   (the template sets `keyVaultProperties.identity` to the identity's `clientId`)
    /// - <https://learn.microsoft.com/azure/templates/microsoft.containerregistry/registries>
    ///   (`keyVaultProperties.identity`: "The client id of the identity which will be used to
    ///   access key vault")
    pub struct UserAssignedIdentityRequired {
        code: "CMK006",
        name: "user-assigned-identity-required",
        level: Error,
        summary: "A CMK registry must use an assigned user-assigned identity, referenced by its clientId",
    }
}

const KVP_IDENTITY: &str = "properties.encryption.keyVaultProperties.identity";
const HELP: &str = "assign a user-assigned identity (identity.type 'UserAssigned', userAssignedIdentities keyed by its resource id) and set keyVaultProperties.identity to its clientId";

impl Rule for UserAssignedIdentityRequired {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        for (i, r) in cmk_registries(ctx.model) {
            let push = |out: &mut Vec<Finding>, path: &str, msg: String| {
                out.push(Finding::on(&Self::META, i, path, msg).help(HELP));
            };
            let assigned = assigned_identities(r);
            if assigned.user_assigned_type == Tri::No {
                push(
                    out,
                    "identity.type",
                    format!(
                        "registry '{}' has no user-assigned identity; customer-managed keys need one at creation",
                        r.display_name()
                    ),
                );
                continue;
            }
            if assigned.keys.as_ref().is_some_and(|k| k.is_empty()) {
                push(
                    out,
                    "identity.userAssignedIdentities",
                    format!(
                        "registry '{}' lists no identity in identity.userAssignedIdentities",
                        r.display_name()
                    ),
                );
                continue;
            }
            let (used, _) = used_identity(r);
            match used {
                UsedIdentity::Missing => push(
                    out,
                    KVP_IDENTITY,
                    "encryption is enabled but keyVaultProperties.identity is missing or empty".into(),
                ),
                UsedIdentity::PrincipalIdOf(_) => push(
                    out,
                    KVP_IDENTITY,
                    "keyVaultProperties.identity is the identity's principalId; it must be its clientId".into(),
                ),
                UsedIdentity::ClientIdOf(id) => {
                    if not_assigned(ctx.model, r, &id) {
                        push(
                            out,
                            KVP_IDENTITY,
                            format!(
                                "keyVaultProperties.identity is the clientId of identity '{}', which is not among the registry's user-assigned identities",
                                identity_name(ctx.model, &id)
                            ),
                        );
                    }
                }
                UsedIdentity::Other => {}
            }
        }
    }
}

/// The identity is known not to be assigned: every assigned key denotes another identity the
/// model declares (so none of them can turn out to be this one).
fn not_assigned(model: &crate::model::Model, r: &Resource, id: &crate::model::SymStr) -> bool {
    let Some(keys) = assigned_identities(r).keys else {
        return false;
    };
    !keys.is_empty()
        && keys.iter().all(|k| {
            !key_is_id(&k.name, id)
                && identity_for_key(model, &k.name).is_some_and(|j| !model.resources[j].id.same(id))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    const PTR: &str = "/resources/3/properties/encryption/keyVaultProperties/identity";

    #[test]
    fn assigned_client_id_is_clean() {
        assert!(check(&UserAssignedIdentityRequired, &model(good())).is_empty());
        let m = model(edit(good(), "acr", |r| {
            r["identity"]["type"] = "SystemAssigned, UserAssigned".into()
        }));
        assert!(check(&UserAssignedIdentityRequired, &m).is_empty());
    }

    #[test]
    fn system_assigned_only_is_reported() {
        let m = model(edit(good(), "acr", |r| {
            r["identity"] = json!({"type": "SystemAssigned"})
        }));
        let f = check(&UserAssignedIdentityRequired, &m);
        assert_eq!(pointers(&f), ["/resources/3/identity/type"]);
    }

    #[test]
    fn principal_id_is_reported() {
        let m = model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["identity"] =
                "${ref:uai.properties.principalId}".into()
        }));
        let f = check(&UserAssignedIdentityRequired, &m);
        assert_eq!(pointers(&f), [PTR]);
        assert!(f[0].message.contains("principalId"));
    }

    #[test]
    fn identity_not_assigned_is_reported() {
        let list = with(
            good(),
            json!([{"sym": "other", "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
                    "name": "other-id"}]),
        );
        let m = model(edit(list, "acr", |r| {
            r["identity"]["userAssignedIdentities"] = json!({"${id:other}": {}})
        }));
        let f = check(&UserAssignedIdentityRequired, &m);
        assert_eq!(pointers(&f), [PTR]);
        assert!(
            f[0].message
                .contains("identity '{parameters('identity_name')}'"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn unknown_identities_are_not_reported() {
        let m = model(edit(good(), "acr", |r| {
            r["identity"]["userAssignedIdentities"] = json!({"${param:identityId}": {}});
            r["properties"]["encryption"]["keyVaultProperties"]["identity"] =
                "${param:clientId}".into();
        }));
        assert!(check(&UserAssignedIdentityRequired, &m).is_empty());
        let m = model(edit(good(), "acr", |r| r["identity"] = "${opaque}".into()));
        assert!(check(&UserAssignedIdentityRequired, &m).is_empty());
    }

    #[test]
    fn missing_identity_reference_is_reported() {
        let m = model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["identity"] = "".into()
        }));
        assert_eq!(pointers(&check(&UserAssignedIdentityRequired, &m)), [PTR]);
    }
}
