use crate::finding::Finding;
use crate::query::grants::{GrantKind, grant_effective};
use crate::query::registries::with_access;
use crate::query::{Tri, identity_name, short_name};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Warns when the role assignment that gives a CMK registry's identity key access is created
    /// in the same deployment as the registry (and no access policy grants it too).
    ///
    /// ## Why is this bad?
    /// Azure RBAC role assignments take effect after a propagation delay (usually seconds,
    /// sometimes minutes). Even with `dependsOn`, the registry can be created before the
    /// assignment is effective, and creation fails with a Key Vault 403. Access policies take
    /// effect at once, but Key Vault calls them legacy and recommends Azure RBAC.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.Authorization/roleAssignments", "scope": "[resourceId('Microsoft.KeyVault/vaults', parameters('vault_name'))]", ... },
    /// { "type": "Microsoft.ContainerRegistry/registries", "dependsOn": [ "[extensionResourceId(...)]" ], ... }
    /// ```
    ///
    /// ```bicep
    /// resource grant 'Microsoft.Authorization/roleAssignments@2022-04-01' = { scope: kv, ... }
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = { dependsOn: [ grant ], ... }
    /// ```
    ///
    /// ## Use instead
    /// Create the identity and its role assignment in a first deployment (or stage), and the
    /// registry in a second one once the assignment has propagated. A vault with access
    /// policies avoids the wait, but access policies are Key Vault's legacy model.
    /// ```json
    /// // deployment 1: identity + roleAssignments; deployment 2: the registry
    /// ```
    ///
    /// ```bicep
    /// // main.bicep: module grant 'grant.bicep' = { ... }, then deploy registry.bicep separately
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/key-vault/general/rbac-migration> ("it can take
    ///   several minutes for role assignments to be applied. Vault access policies are assigned
    ///   instantly")
    /// - <https://learn.microsoft.com/azure/role-based-access-control/troubleshooting>
    ///   (role assignment changes can take minutes to take effect)
    /// - <https://learn.microsoft.com/azure/key-vault/general/access-control-default>
    ///   (access policies are legacy; Azure RBAC is recommended)
    pub struct RbacPropagationRace {
        code: "CMK019",
        name: "rbac-propagation-race",
        level: Warning,
        summary: "The registry's key-access role assignment is created in the same deployment and may not have propagated",
    }
}

impl Rule for RbacPropagationRace {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        // Several registries (a loop) may share one role assignment: report it once.
        let mut seen = Vec::new();
        for (i, r, a) in with_access(m) {
            // The system-assigned identity is granted after its registry exists and used only
            // once the registry is moved to it (CMK006): no race with the registry's creation.
            if a.system {
                continue;
            }
            let effective: Vec<_> = a
                .definite()
                .filter(|g| grant_effective(m, g) == Tri::Yes)
                .collect();
            if effective.iter().any(|g| {
                matches!(g.kind, GrantKind::AccessPolicy { .. }) || m.resources[g.resource].existing
            }) {
                continue;
            }
            let Some(g) = effective.first() else { continue };
            if seen.contains(&g.resource) {
                continue;
            }
            seen.push(g.resource);
            let ra = &m.resources[g.resource];
            out.push(
                Finding::on(
                    &Self::META,
                    g.resource,
                    "",
                    format!(
                        "role assignment '{}' for identity '{}' is created in the same deployment as registry '{}'; it may not have propagated when the registry is created",
                        short_name(ra),
                        identity_name(m, &a.identity_id),
                        r.display_name()
                    ),
                )
                .label("created with the registry")
                .assuming(i)
                .related(r.loc, "the registry that needs it")
                .help("assign the role in an earlier deployment than the registry's and let it propagate (a vault access policy takes effect at once, but Key Vault calls access policies legacy)"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    fn rbac() -> serde_json::Value {
        let list = edit(remove(good(), "pol"), "kv", |r| {
            r["properties"]["enableRbacAuthorization"] = true.into()
        });
        with(
            list,
            json!([{"sym": "ra", "type": "Microsoft.Authorization/roleAssignments",
            "name": "${expr:guid(x)}", "scope": "${id:kv}",
            "properties": {"principalId": "${ref:uai.properties.principalId}",
                "roleDefinitionId": "${expr:subscription().id}/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6"}}]),
        )
    }

    #[test]
    fn access_policy_is_clean() {
        assert!(check(&RbacPropagationRace, &model(good())).is_empty());
    }

    #[test]
    fn role_assignment_in_same_deployment_is_reported() {
        let f = check(&RbacPropagationRace, &model(rbac()));
        assert_eq!(pointers(&f), ["/resources/3"]);
        assert_eq!(f[0].level, crate::finding::Level::Warning);
    }

    #[test]
    fn pre_existing_role_assignment_is_clean() {
        let list = edit(rbac(), "ra", |r| r["existing"] = true.into());
        assert!(check(&RbacPropagationRace, &model(list)).is_empty());
    }

    #[test]
    fn the_system_identity_granted_after_its_registry_is_no_race() {
        // The registry is moved to its system identity once the grant exists (CMK006).
        let list = edit(rbac(), "ra", |r| {
            r["properties"]["principalId"] = "${ref:acr.identity.principalId}".into();
            r["dependsOn"] = json!(["acr"]);
        });
        let list = on_system_identity(list);
        assert!(check(&RbacPropagationRace, &model(list)).is_empty());
    }
}
