use crate::finding::Finding;
use crate::query::grants::{
    Lack, broken_statements, grant_site, lack_of_access, unseen_deployments, why_ineffective,
};
use crate::query::registries::with_access;
use crate::query::Tri;
use crate::query::vaults::rbac_by_default;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that the identity a CMK registry uses is granted access to its key: a vault
    /// access policy with the key permissions `get`, `wrapKey` and `unwrapKey` (or `all`) for
    /// the identity's principalId, or, on a vault with `enableRbacAuthorization: true`, a role
    /// assignment of *Key Vault Crypto Service Encryption User*
    /// (e147488a-f6f5-4113-8e2d-b22465e65bf6; Crypto User, Crypto Officer and Administrator also
    /// work).
    ///
    /// Which of the two the vault honours follows `enableRbacAuthorization`; when it is not
    /// written, the Key Vault API version the vault is created with decides: before 2026-02-01
    /// access policies, from 2026-02-01 on Azure RBAC (access policies on such a vault grant
    /// nothing). Control-plane API versions before 2026-02-01 retire on 2027-02-27, so write
    /// `enableRbacAuthorization` explicitly before moving a template to the new version.
    ///
    /// The identity is the user-assigned identity whose clientId `keyVaultProperties.identity`
    /// names, or, for `keyVaultProperties.identity: 'system'` (a registry moved with `az acr
    /// encryption rotate-key --identity [system]`, see CMK006), the registry's own
    /// system-assigned identity. That identity's principal is the registry's
    /// `identity.principalId`: ARM `reference(<registry id>, '<api>', 'Full').identity.principalId`,
    /// Bicep `registry.identity.principalId`; a grant must name it so (directly or through a
    /// nested deployment's or module's parameter) to count. Because that principal exists only
    /// once the registry does, the grant depends on the registry (`acr-cmk build` puts it in a
    /// nested deployment for `system_assigned` and firewalled vaults).
    ///
    /// The rule reports only what is certain: the identity is created by the template (a new
    /// identity cannot hold a grant made elsewhere; a system-assigned identity belongs to the
    /// registry the template deploys), and no grant in the template may be for it. An identity
    /// passed in by id and granted nothing, and a grant whose principal the tool cannot tell (a
    /// parameter with no value), are not errors: CMK020 says, at note level, that the key
    /// access could not be verified.
    /// A nested deployment or module whose template the tool sees is looked into (AVM's empty
    /// telemetry deployment hides nothing). When the template also has a deployment the tool
    /// cannot see into (a remote `templateLink`, a registry module, an unreadable file), the
    /// grant may be there: CMK020 (key-access-unverified) says so, at note level, instead.
    ///
    /// ## Why is this bad?
    /// The registry cannot unwrap its data key: the deployment fails, or a running registry
    /// stops serving images.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.KeyVault/vaults/accessPolicies", "name": "[concat(parameters('vault_name'), '/add')]",
    ///   "properties": { "accessPolicies": [ { "tenantId": "[subscription().tenantId]",
    ///     "objectId": "[reference(variables('identityId')).principalId]",
    ///     "permissions": { "keys": [ "get" ] } } ] } }
    /// ```
    ///
    /// ```bicep
    /// resource grant 'Microsoft.KeyVault/vaults/accessPolicies@2023-07-01' = {
    ///   parent: kv
    ///   name: 'add'
    ///   properties: { accessPolicies: [ { tenantId: tenant().tenantId
    ///     objectId: uai.properties.principalId, permissions: { keys: [ 'get' ] } } ] }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "permissions": { "keys": [ "get", "wrapKey", "unwrapKey" ] }
    /// ```
    ///
    /// ```bicep
    /// permissions: { keys: [ 'get', 'wrapKey', 'unwrapKey' ] }
    /// ```
    ///
    /// For the registry's system-assigned identity (`keyVaultProperties.identity: 'system'`),
    /// grant the registry's principal, after the registry:
    /// ```json
    /// { "tenantId": "[subscription().tenantId]",
    ///   "objectId": "[reference(resourceId('Microsoft.ContainerRegistry/registries', parameters('registry_name')), '2025-11-01', 'Full').identity.principalId]",
    ///   "permissions": { "keys": [ "get", "wrapKey", "unwrapKey" ] } }
    /// ```
    ///
    /// ```bicep
    /// { tenantId: tenant().tenantId, objectId: registry.identity.principalId
    ///   permissions: { keys: [ 'get', 'wrapKey', 'unwrapKey' ] } }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-enable-customer-managed-keys>
    ///   (key permissions `get`, `unwrapKey`, `wrapKey`, or the role *Key Vault Crypto Service
    ///   Encryption User*)
    /// - <https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security>
    ///   (the role ids)
    /// - <https://learn.microsoft.com/azure/key-vault/general/rbac-guide>
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-rotate-revoke-customer-managed-keys>
    ///   (`az acr encryption rotate-key --identity [system]`; the system-assigned identity
    ///   needs the same key access)
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-resource#reference>
    ///   (`reference(<id>, <api>, 'Full')` returns the whole resource, `identity.principalId`
    ///   included)
    /// - <https://learn.microsoft.com/azure/key-vault/general/access-control-default> ("When you
    ///   create a new vault with API version 2026-02-01 or later, the default access control
    ///   model is Azure RBAC"; "This default applies only to create operations"; "All Key Vault
    ///   Control Plane API versions before 2026-02-01 retire on February 27, 2027")
    pub struct KeyAccessMissing {
        code: "CMK007",
        name: "key-access-missing",
        level: Error,
        summary: "The registry's identity is not granted get/wrapKey/unwrapKey on its key",
    }
}

const HELP: &str = "grant the identity's principalId the key permissions get, wrapKey and unwrapKey (access policy), or the role Key Vault Crypto Service Encryption User on an RBAC vault";

const HELP_SYSTEM: &str = "grant the registry's principal (ARM reference(<registry id>, '<api>', 'Full').identity.principalId, Bicep registry.identity.principalId) the key permissions get, wrapKey and unwrapKey (access policy), or the role Key Vault Crypto Service Encryption User on an RBAC vault, in a deployment that depends on the registry";

const HELP_RBAC_DEFAULT: &str = "write enableRbacAuthorization: false on the vault to keep access policies, or assign the identity's principalId the role Key Vault Crypto Service Encryption User";

impl Rule for KeyAccessMissing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        // A grant may be in a deployment the tool cannot see into, or in a statement with a
        // syntax error: CMK020 speaks instead.
        if unseen_deployments(m).next().is_some() || broken_statements(m).next().is_some() {
            return;
        }
        let kvp = "properties.encryption.keyVaultProperties.identity";
        for (i, r, a) in with_access(m) {
            // A Managed HSM key is granted in the HSM's local RBAC, out of the template's
            // reach: CMK025 says that it could not be checked.
            if a.key.as_ref().is_some_and(|k| k.managed_hsm == Tri::Yes) {
                continue;
            }
            match lack_of_access(m, &a) {
                None => {}
                // A grant whose principal the tool cannot tell: CMK020 says so.
                Some(Lack::PrincipalUnknown(_)) => {}
                Some(Lack::NoGrant) => out.push(
                    Finding::on(
                        &Self::META,
                        i,
                        kvp,
                        format!(
                            "{} is never granted access to the key: no access policy or role assignment for its principalId",
                            a.who(m)
                        ),
                    )
                    .label("this identity has no key access")
                    .help(if a.system { HELP_SYSTEM } else { HELP }),
                ),
                Some(Lack::Ineffective(grants)) => {
                    for g in grants {
                        let why =
                            why_ineffective(m, g).unwrap_or_else(|| "it is not effective".into());
                        out.push(
                            Finding::on(
                                &Self::META,
                                g.resource,
                                grant_site(g),
                                format!(
                                    "the grant for {} does not give key access: {why}",
                                    a.who(m)
                                ),
                            )
                            .label("insufficient grant")
                            .assuming(i)
                            .related(r.loc_of(kvp), "the registry uses this identity")
                            .help(match rbac_by_default(m, &g.vault) {
                                Some(_) => HELP_RBAC_DEFAULT,
                                None => HELP,
                            }),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    #[test]
    fn granted_identity_is_clean() {
        assert!(check(&KeyAccessMissing, &model(good())).is_empty());
        let all = edit(good(), "pol", |r| {
            r["properties"]["accessPolicies"][0]["permissions"]["keys"] = json!(["All"])
        });
        assert!(check(&KeyAccessMissing, &model(all)).is_empty());
    }

    #[test]
    fn inline_vault_policy_counts() {
        let list = remove(good(), "pol");
        let list = edit(list, "kv", |r| {
            r["properties"]["accessPolicies"] = json!([{"tenantId": "t",
                "objectId": "${ref:uai.properties.principalId}",
                "permissions": {"keys": ["get", "wrapkey", "unwrapkey"]}}])
        });
        assert!(check(&KeyAccessMissing, &model(list)).is_empty());
    }

    #[test]
    fn no_grant_is_reported() {
        let f = check(&KeyAccessMissing, &model(remove(good(), "pol")));
        assert_eq!(
            pointers(&f),
            ["/resources/2/properties/encryption/keyVaultProperties/identity"]
        );
    }

    #[test]
    fn no_grant_is_reported_even_when_the_identity_is_referenced_by_principal_id() {
        // CMK006 reports the principalId; the missing grant is a second, independent mistake.
        let list = edit(remove(good(), "pol"), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["identity"] =
                json!("${ref:uai.properties.principalId}")
        });
        let f = check(&KeyAccessMissing, &model(list));
        assert_eq!(
            pointers(&f),
            ["/resources/2/properties/encryption/keyVaultProperties/identity"]
        );
    }

    #[test]
    fn missing_permission_is_reported_at_the_policy() {
        let list = edit(good(), "pol", |r| {
            r["properties"]["accessPolicies"][0]["permissions"]["keys"] = json!(["get", "list"])
        });
        let f = check(&KeyAccessMissing, &model(list));
        assert_eq!(pointers(&f), ["/resources/2/properties/accessPolicies/0"]);
        assert!(
            f[0].message.contains("wrapKey, unwrapKey"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn access_policy_on_rbac_vault_is_reported() {
        let list = edit(good(), "kv", |r| {
            r["properties"]["enableRbacAuthorization"] = true.into()
        });
        let f = check(&KeyAccessMissing, &model(list));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("RBAC"));
    }

    #[test]
    fn access_policy_on_a_vault_created_rbac_by_default_is_reported() {
        // Key Vault API 2026-02-01 creates vaults with Azure RBAC unless told otherwise.
        let new_api = edit(good(), "kv", |r| r["apiVersion"] = "2026-02-01".into());
        let f = check(&KeyAccessMissing, &model(new_api.clone()));
        assert_eq!(pointers(&f), ["/resources/2/properties/accessPolicies/0"]);
        assert!(f[0].message.contains("API 2026-02-01"), "{}", f[0].message);
        assert!(
            f[0].help
                .as_deref()
                .unwrap()
                .contains("enableRbacAuthorization: false")
        );
        let preview = edit(good(), "kv", |r| {
            r["apiVersion"] = "2026-03-01-preview".into()
        });
        assert_eq!(check(&KeyAccessMissing, &model(preview)).len(), 1);
        // Written false keeps access policies; an older version defaults to them.
        let explicit = edit(new_api, "kv", |r| {
            r["properties"]["enableRbacAuthorization"] = false.into()
        });
        assert!(check(&KeyAccessMissing, &model(explicit)).is_empty());
        let old_api = edit(good(), "kv", |r| r["apiVersion"] = "2025-05-01".into());
        assert!(check(&KeyAccessMissing, &model(old_api)).is_empty());
    }

    #[test]
    fn role_assignment_on_rbac_vault_is_clean() {
        let list = remove(good(), "pol");
        let list = edit(list, "kv", |r| {
            r["properties"]["enableRbacAuthorization"] = true.into()
        });
        let list = with(
            list,
            json!([{"sym": "ra", "type": "Microsoft.Authorization/roleAssignments",
            "name": "${expr:guid(x)}", "scope": "${id:kv}",
            "properties": {"principalId": "${ref:uai.properties.principalId}",
                "roleDefinitionId": "${expr:subscription().id}/providers/Microsoft.Authorization/roleDefinitions/E147488A-F6F5-4113-8E2D-B22465E65BF6"}}]),
        );
        assert!(check(&KeyAccessMissing, &model(list)).is_empty());
    }

    #[test]
    fn a_deployment_the_tool_cannot_see_into_may_hold_the_grant() {
        let list = with(
            remove(good(), "pol"),
            json!([{"sym": "remote", "type": "Microsoft.Resources/deployments", "name": "grants",
                    "unseen": "templateLink.uri 'https://example.org/t.json'",
                    "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.org/t.json"}}}]),
        );
        assert!(check(&KeyAccessMissing, &model(list)).is_empty());
    }

    #[test]
    fn a_deployment_whose_template_is_seen_hides_no_grant() {
        // AVM's telemetry deployment: an inline template that declares nothing.
        let list = with(
            remove(good(), "pol"),
            json!([{"sym": "pid", "type": "Microsoft.Resources/deployments", "name": "pid-47ed15a6-730a-4827-bcb4-0fd963ffbd82-x",
                    "properties": {"mode": "Incremental", "template": {"resources": []}}}]),
        );
        let f = check(&KeyAccessMissing, &model(list));
        assert_eq!(
            pointers(&f),
            ["/resources/2/properties/encryption/keyVaultProperties/identity"]
        );
    }

    #[test]
    fn external_identity_or_unknown_principal_is_not_reported() {
        let list = edit(remove(good(), "pol"), "uai", |r| {
            r["existing"] = true.into()
        });
        assert!(check(&KeyAccessMissing, &model(list)).is_empty());
        let list = edit(good(), "pol", |r| {
            r["properties"]["accessPolicies"][0]["objectId"] = "${param:principal}".into()
        });
        assert!(check(&KeyAccessMissing, &model(list)).is_empty());
    }

    /// The registry moved to its system-assigned identity: `'system'`, with that identity on.
    /// A second access-policy entry, for `principal`.
    fn also_granted(list: serde_json::Value, principal: &str) -> serde_json::Value {
        edit(list, "pol", |r| {
            let mut entry = r["properties"]["accessPolicies"][0].clone();
            entry["objectId"] = principal.into();
            r["properties"]["accessPolicies"]
                .as_array_mut()
                .unwrap()
                .push(entry);
        })
    }

    #[test]
    fn the_system_identity_granted_by_its_registry_principal_is_clean() {
        let list = also_granted(on_system_identity(good()), "${ref:acr.identity.principalId}");
        assert!(check(&KeyAccessMissing, &model(list)).is_empty());
        // A role assignment on an RBAC vault, as `acr-cmk build` generates it.
        let list = edit(remove(on_system_identity(good()), "pol"), "kv", |r| {
            r["properties"]["enableRbacAuthorization"] = true.into()
        });
        let list = with(
            list,
            json!([{"sym": "ra", "type": "Microsoft.Authorization/roleAssignments",
            "name": "${expr:guid(x)}", "scope": "${id:kv}", "dependsOn": ["acr"],
            "properties": {"principalId": "${ref:acr.identity.principalId}",
                "roleDefinitionId": "e147488a-f6f5-4113-8e2d-b22465e65bf6"}}]),
        );
        assert!(check(&KeyAccessMissing, &model(list)).is_empty());
    }

    #[test]
    fn the_system_identity_without_a_grant_is_reported() {
        // The user-assigned identity's grant is not the system identity's.
        let f = check(&KeyAccessMissing, &model(on_system_identity(good())));
        assert_eq!(
            pointers(&f),
            ["/resources/3/properties/encryption/keyVaultProperties/identity"]
        );
        assert_eq!(
            f[0].message,
            "the registry's system-assigned identity is never granted access to the key: no access policy or role assignment for its principalId"
        );
        assert!(
            f[0].help
                .as_deref()
                .unwrap()
                .contains("registry.identity.principalId")
        );
        // Another property of the registry is not its identity's principal.
        let list = also_granted(on_system_identity(good()), "${ref:acr.properties.principalId}");
        assert_eq!(check(&KeyAccessMissing, &model(list)).len(), 1);
        // Nor is the identity of another registry the template declares.
        let list = with(
            also_granted(on_system_identity(good()), "${ref:other.identity.principalId}"),
            json!([{"sym": "other", "type": "Microsoft.ContainerRegistry/registries", "name": "other01"}]),
        );
        assert_eq!(check(&KeyAccessMissing, &model(list)).len(), 1);
    }

    #[test]
    fn an_insufficient_grant_to_the_system_identity_is_reported_at_the_grant() {
        let list = edit(
            also_granted(on_system_identity(good()), "${ref:acr.identity.principalId}"),
            "pol",
            |r| r["properties"]["accessPolicies"][1]["permissions"]["keys"] = json!(["get"]),
        );
        let f = check(&KeyAccessMissing, &model(list));
        assert_eq!(pointers(&f), ["/resources/2/properties/accessPolicies/1"]);
        assert!(
            f[0].message
                .starts_with("the grant for the registry's system-assigned identity does not give key access: the access policy lacks the key permission(s) wrapKey, unwrapKey"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn a_grant_to_a_principal_the_tool_cannot_tell_is_not_a_verdict_for_the_system_identity() {
        // CMK020 says it could not be verified (see there); CMK007 is not certain.
        let list = also_granted(on_system_identity(good()), "${param:registry_principal_id}");
        assert!(check(&KeyAccessMissing, &model(list)).is_empty());
    }
}
