use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};
use crate::schema::versions::{Verdict, neighbours, newest_stable, verdict};

declare_rule! {
    /// ## What it does
    /// Reports a resource whose `apiVersion` is not a version of its type, for the types of the
    /// five namespaces acr-cmk knows (Microsoft.Authorization, .ContainerRegistry, .KeyVault,
    /// .ManagedIdentity, .Resources): the versions published in the official ARM schemas, plus
    /// the few that Resource Manager accepts without a published schema (listed with their
    /// evidence in `scripts/derive-resource-schemas/overrides.json`). Types of other namespaces
    /// are never judged. `existing` references are checked too: Resource Manager calls the API
    /// with that version to read them. Same scope as SCH001: by default the resources of a
    /// registry's CMK wiring.
    ///
    /// ## Why is this bad?
    /// Resource Manager rejects the deployment (`NoRegisteredProviderFound`: "No registered
    /// resource provider found for location … and API version …"). A version that was never
    /// published is usually a typo or a version of another type.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2019-12-01" }
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2019-12-01' = { … }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2025-11-01" }
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = { … }
    /// ```
    ///
    /// ## References
    /// - Resolve errors for resource provider registration (`NoRegisteredProviderFound`):
    ///   <https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-register-resource-provider>
    /// - The published versions per type: <https://learn.microsoft.com/azure/templates/> and
    ///   <https://github.com/Azure/azure-resource-manager-schemas>
    pub struct UnknownApiVersion {
        code: "SCH003",
        name: "unknown-api-version",
        level: Error,
        summary: "A resource's apiVersion is not an API version of its type",
    }
}

impl Rule for UnknownApiVersion {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        for (i, r) in ctx.model.resources.iter().enumerate() {
            let Some(version) = r.api_version.as_deref() else {
                continue;
            };
            let Verdict::Unknown(published) = verdict(&r.ty, version) else {
                continue;
            };
            if !ctx.in_scope(i) {
                continue;
            }
            let near = neighbours(published, version).join(", ");
            let newest = newest_stable(published).unwrap_or_default();
            out.push(
                Finding::on(
                    &Self::META,
                    i,
                    "apiVersion",
                    format!("{} has no API version '{version}' (nearest: {near})", r.ty),
                )
                .label("not a published API version")
                .help(format!(
                    "use a published API version, e.g. the newest stable one, {newest}; \
                     `az provider show --namespace {} --query \"resourceTypes[].{{type: resourceType, versions: apiVersions}}\"` \
                     lists what your cloud accepts",
                    r.ty.split('/').next().unwrap_or_default()
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ResourceScope;
    use crate::rules::testing::*;

    #[test]
    fn a_version_that_was_never_published_is_reported() {
        let m = model(edit(good(), "acr", |r| {
            r["apiVersion"] = "2019-12-01".into()
        }));
        let f = check(&UnknownApiVersion, &m);
        assert_eq!(pointers(&f), ["/resources/3/apiVersion"]);
        assert_eq!(
            f[0].message,
            "Microsoft.ContainerRegistry/registries has no API version '2019-12-01' \
             (nearest: 2019-05-01, 2019-12-01-preview)"
        );
        assert!(check(&UnknownApiVersion, &model(good())).is_empty());
    }

    #[test]
    fn other_namespaces_and_resources_outside_the_wiring_are_not_judged() {
        let list = with(
            good(),
            serde_json::json!([
                {"sym": "sa", "type": "Microsoft.Storage/storageAccounts", "apiVersion": "1999-01-01", "name": "sa"},
                {"sym": "kv2", "type": "Microsoft.KeyVault/vaults", "apiVersion": "2019-12-01", "name": "other"}
            ]),
        );
        let m = model(list);
        assert!(check(&UnknownApiVersion, &m).is_empty());
        let f = check_in(&UnknownApiVersion, &m, ResourceScope::All);
        assert_eq!(pointers(&f), ["/resources/5/apiVersion"]);
    }
}
