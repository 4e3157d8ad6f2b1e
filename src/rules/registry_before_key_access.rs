use crate::finding::Finding;
use crate::query::grants::grant_effective;
use crate::query::registries::with_access;
use crate::query::{Tri, identity_name, short_name};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that a CMK registry depends (`dependsOn`, directly or transitively, or through
    /// Bicep symbolic references) on the access policy or role assignment that lets its identity
    /// use the key, when both are deployed by the same template.
    ///
    /// Reported when the template grants the identity access and the registry does not wait
    /// for that grant, whether the template creates the identity or is passed it by id: a
    /// template that grants an existing identity access does so because the registry needs it
    /// (had the identity been granted elsewhere, the grant would be redundant and waiting for
    /// it harmless).
    ///
    /// ## Why is this bad?
    /// Without the dependency, Resource Manager deploys the registry and the grant in parallel.
    /// The registry is created before its identity may read the key, and the deployment fails
    /// intermittently (the race in the Azure docs' own template).
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.ContainerRegistry/registries", "name": "[parameters('registry_name')]",
    ///   "dependsOn": [ "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('identity_name'))]" ] }
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
    ///   name: registryName
    ///   // nothing refers to the access policy
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "dependsOn": [
    ///   "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('identity_name'))]",
    ///   "[resourceId('Microsoft.KeyVault/vaults/accessPolicies', parameters('vault_name'), 'add')]"
    /// ]
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
    ///   name: registryName
    ///   dependsOn: [ grant ]
    /// }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/templates/resource-dependency>
    ///   ("When resources aren't dependent on each other, Resource Manager deploys them in
    ///   parallel")
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/resource-dependencies>
    ///   (symbolic references are implicit dependencies)
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-enable-customer-managed-keys>
    ///   (the docs template: the registry depends on the identity, not on the access policy)
    pub struct RegistryBeforeKeyAccess {
        code: "CMK008",
        name: "registry-before-key-access",
        level: Error,
        summary: "The registry does not depend on the grant that gives its identity key access",
    }
}

impl Rule for RegistryBeforeKeyAccess {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        for (i, r, a) in with_access(m) {
            // The system-assigned identity's grant needs the registry's principal id, so it
            // can only follow the registry; the registry is moved to that identity once the
            // grant exists (CMK006).
            if a.system {
                continue;
            }
            // Depending on any grant that is or may be the identity's is enough.
            if a.grants.iter().any(|(g, _)| m.depends_on(i, g.resource)) {
                continue;
            }
            let Some(grant) = a
                .definite()
                .find(|g| !m.resources[g.resource].existing && grant_effective(m, g) != Tri::No)
            else {
                continue;
            };
            let target = &m.resources[grant.resource];
            out.push(
                Finding::on(
                    &Self::META,
                    i,
                    "dependsOn",
                    format!(
                        "registry '{}' does not depend on '{}', which grants identity '{}' access to the key",
                        r.display_name(),
                        short_name(target),
                        identity_name(m, &a.identity_id)
                    ),
                )
                .label("may be created before the grant")
                .related(target.loc, "the grant is declared here")
                .help(format!(
                    "add the grant ('{}') to the registry's dependsOn",
                    short_name(target)
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    #[test]
    fn dependency_on_the_grant_is_clean() {
        assert!(check(&RegistryBeforeKeyAccess, &model(good())).is_empty());
    }

    #[test]
    fn transitive_and_deployment_dependencies_count() {
        // registry → helper deployment that contains the policy
        let list = edit(good(), "pol", |r| r["in"] = "dep".into());
        let list = with(
            list,
            json!([{"sym": "dep", "type": "Microsoft.Resources/deployments", "name": "grant"}]),
        );
        let list = edit(list, "acr", |r| r["dependsOn"] = json!(["uai", "dep"]));
        assert!(check(&RegistryBeforeKeyAccess, &model(list)).is_empty());
    }

    #[test]
    fn missing_dependency_is_reported() {
        let list = edit(good(), "acr", |r| r["dependsOn"] = json!(["uai"]));
        let f = check(&RegistryBeforeKeyAccess, &model(list));
        assert_eq!(pointers(&f), ["/resources/3/dependsOn"]);
        assert!(f[0].message.contains("kvcmk01/add"), "{}", f[0].message);
    }

    #[test]
    fn external_identity_granted_in_the_template_is_reported() {
        // The identity is passed in, but the template grants it access: the registry races
        // with that grant as it would with a new identity's.
        let list = edit(good(), "acr", |r| r["dependsOn"] = json!(["uai"]));
        let list = edit(list, "uai", |r| r["existing"] = true.into());
        let f = check(&RegistryBeforeKeyAccess, &model(list));
        assert_eq!(pointers(&f), ["/resources/3/dependsOn"]);
    }

    #[test]
    fn the_system_identity_s_grant_follows_its_registry() {
        // Its grant needs the registry's principal id: the registry cannot depend on it.
        let list = edit(good(), "pol", |r| {
            r["properties"]["accessPolicies"][0]["objectId"] =
                "${ref:acr.identity.principalId}".into();
            r["dependsOn"] = json!(["kv", "acr"]);
        });
        let list = edit(on_system_identity(list), "acr", |r| {
            r["dependsOn"] = json!(["uai"]);
        });
        assert!(check(&RegistryBeforeKeyAccess, &model(list)).is_empty());
    }
}
