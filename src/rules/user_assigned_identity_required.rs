use crate::finding::Finding;
use crate::model::Resource;
use crate::query::identities::{
    UsedIdentity, assigned_identities, identity_for_key, key_is_id, used_identity,
};
use crate::query::registries::{cmk_registries, encryption_enabled, previous_registry};
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
    /// `keyVaultProperties.identity: 'system'` (the registry's system-assigned identity) is
    /// reported too, unless `lint --baseline` shows that the registry already exists with a
    /// customer-managed key: then it is the documented state after `az acr encryption
    /// rotate-key --identity [system]`, and only `identity.type` must still include
    /// `SystemAssigned`.
    ///
    /// ## Why is this bad?
    /// When a registry is created, Container Registry can only read the key as a user-assigned
    /// identity (a system-assigned identity does not exist yet). The service looks the identity
    /// up by client id: a principal id, or an identity not assigned to the registry, fails the
    /// deployment.
    ///
    /// A registry that exists can be moved to its system-assigned identity afterwards (the only
    /// identity a vault firewall lets through as a trusted service). The documented sequence:
    /// 1. create the registry with a user-assigned identity and a key it can reach;
    /// 2. enable its system-assigned identity (`identity.type: 'SystemAssigned, UserAssigned'`,
    ///    or `az acr identity assign --identities [system]`) and grant that identity's
    ///    principalId key access;
    /// 3. `az acr encryption rotate-key --name R --key-encryption-key <key id> --identity
    ///    [system]`;
    /// 4. from then on the template says `keyVaultProperties.identity: 'system'` (`acr-cmk
    ///    build`'s `encryption_identity=system`), so a redeployment does not move it back.
    ///
    /// Lint that template with `--baseline` (the template the registry was deployed with) so
    /// that the tool knows the registry is not being created.
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
    ///   if required, you can enable the registry's system-assigned managed identity"; the
    ///   project's seed document is its 2021 zh-cn version, which adds that removing the system
    ///   identity that encryption uses needs a support ticket to restore it)
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-enable-customer-managed-keys>
    ///   (the template sets `keyVaultProperties.identity` to the identity's `clientId`)
    /// - <https://learn.microsoft.com/azure/templates/microsoft.containerregistry/registries>
    ///   (`keyVaultProperties.identity`: "The client id of the identity which will be used to
    ///   access key vault")
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-rotate-revoke-customer-managed-keys>
    ///   (`az acr encryption rotate-key --identity [system]`)
    /// - MicrosoftDocs/azure-docs issues 61064 and 61015: a firewalled vault is reached only
    ///   through the system-assigned identity, after creation
    ///   (<https://github.com/MicrosoftDocs/azure-docs/issues/61064>,
    ///   <https://github.com/MicrosoftDocs/azure-docs/issues/61015>)
    pub struct UserAssignedIdentityRequired {
        code: "CMK006",
        name: "user-assigned-identity-required",
        level: Error,
        summary: "A CMK registry must use an assigned user-assigned identity, referenced by its clientId",
    }
}

const KVP_IDENTITY: &str = "properties.encryption.keyVaultProperties.identity";
const HELP: &str = "assign a user-assigned identity (identity.type 'UserAssigned', userAssignedIdentities keyed by its resource id) and set keyVaultProperties.identity to its clientId";
const SYSTEM_HELP: &str = "create the registry with a user-assigned identity (its clientId in keyVaultProperties.identity); if this registry already exists and was moved with `az acr encryption rotate-key --identity [system]`, lint with `--baseline <the template it was deployed with>` to say so";

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
            if matches!(used_identity(r).0, UsedIdentity::System) {
                if let Some(f) = system_identity(ctx, i, r, assigned.system_assigned_type) {
                    out.push(f);
                }
                continue;
            }
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
                UsedIdentity::System | UsedIdentity::Other => {}
            }
        }
    }
}

/// A registry that reaches its key through its system-assigned identity (`'system'`): right
/// for a registry that already exists with a customer-managed key (the baseline shows it), as
/// long as it has that identity; a registry being created cannot use it.
fn system_identity(ctx: &Ctx, i: usize, r: &Resource, system_type: Tri) -> Option<Finding> {
    let meta = &UserAssignedIdentityRequired::META;
    let name = r.display_name();
    let existing = ctx
        .baseline
        .and_then(|base| previous_registry(base, r))
        .filter(|old| encryption_enabled(old) == Tri::Yes);
    match existing {
        None => Some(
            Finding::on(
                meta,
                i,
                KVP_IDENTITY,
                format!(
                    "registry '{name}' reaches its key through its system-assigned identity; a registry is created with a customer-managed key through a user-assigned identity only"
                ),
            )
            .label("system-assigned identity")
            .help(SYSTEM_HELP),
        ),
        Some(old) if system_type == Tri::No => Some(
            Finding::on(
                meta,
                i,
                "identity.type",
                format!(
                    "registry '{name}' reaches its key through its system-assigned identity, but identity.type does not enable that identity"
                ),
            )
            .label("no SystemAssigned")
            .related(
                old.loc_of("properties.encryption"),
                "the baseline shows the registry with a customer-managed key",
            )
            .help("keep 'SystemAssigned' in identity.type (e.g. 'SystemAssigned, UserAssigned'): without it the registry has no identity to reach its key with"),
        ),
        // Moved to its system-assigned identity after creation, as documented; or whether
        // it has that identity is not known.
        Some(_) => None,
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

    /// `rotate-key --identity [system]` done: keyVaultProperties.identity is 'system'.
    fn moved_to_system(identity_type: &str) -> serde_json::Value {
        edit(good(), "acr", |r| {
            r["identity"]["type"] = identity_type.into();
            r["properties"]["encryption"]["keyVaultProperties"]["identity"] = "system".into();
        })
    }

    #[test]
    fn the_system_identity_is_reported_unless_the_baseline_shows_the_registry_with_cmk() {
        let moved = model(moved_to_system("SystemAssigned, UserAssigned"));
        // No baseline: the registry may be being created, which needs a user-assigned identity.
        let f = check(&UserAssignedIdentityRequired, &moved);
        assert_eq!(pointers(&f), [PTR]);
        assert!(f[0].message.contains("system-assigned identity"));
        assert!(f[0].help.as_deref().unwrap().contains("--baseline"));
        // The baseline shows it with a customer-managed key: the documented move, clean; also
        // with the user-assigned identity removed (CMK026's business, not CMK006's).
        let base = model(good());
        assert!(check_with_baseline(&UserAssignedIdentityRequired, &moved, Some(&base)).is_empty());
        let system_only = model(moved_to_system("SystemAssigned"));
        assert!(
            check_with_baseline(&UserAssignedIdentityRequired, &system_only, Some(&base))
                .is_empty()
        );
        // A baseline without the registry, or with it but without a customer-managed key: the
        // registry is created (or CMK added, CMK010), so the system identity cannot be used.
        for base in [
            model(edit(good(), "acr", |r| r["name"] = "otherregistry".into())),
            model(edit(good(), "acr", |r| {
                r["properties"]["encryption"] = json!({"status": "disabled"})
            })),
        ] {
            let f = check_with_baseline(&UserAssignedIdentityRequired, &moved, Some(&base));
            assert_eq!(pointers(&f), [PTR]);
        }
    }

    #[test]
    fn a_moved_registry_must_keep_its_system_identity() {
        let base = model(good());
        let without = model(moved_to_system("UserAssigned"));
        let f = check_with_baseline(&UserAssignedIdentityRequired, &without, Some(&base));
        assert_eq!(pointers(&f), ["/resources/3/identity/type"]);
        assert!(f[0].message.contains("does not enable that identity"));
        // Its type unknown: not reported.
        let unknown = model(moved_to_system("${param:identityType}"));
        assert!(
            check_with_baseline(&UserAssignedIdentityRequired, &unknown, Some(&base)).is_empty()
        );
    }

    #[test]
    fn missing_identity_reference_is_reported() {
        let m = model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["identity"] = "".into()
        }));
        assert_eq!(pointers(&check(&UserAssignedIdentityRequired, &m)), [PTR]);
    }
}
