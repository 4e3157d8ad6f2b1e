use crate::azure;
use crate::azure::types::REGISTRY;
use crate::finding::Finding;
use crate::query::{Prop, deployed, lookup};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that a registry that sets `properties.encryption` uses an API version that knows
    /// it: 2019-12-01-preview or later (2017-03-01, 2017-10-01 and 2019-05-01 have no
    /// `encryption`). Prefer the latest stable version, 2025-11-01.
    ///
    /// ## Why is this bad?
    /// With an older API version Resource Manager rejects the property, or the registry is
    /// created without the customer-managed key, which cannot be added afterwards.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2019-05-01",
    ///   "properties": { "encryption": { "status": "enabled", ... } } }
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2019-05-01' = { properties: { encryption: { ... } } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "apiVersion": "2025-11-01"
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = { ... }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/templates/microsoft.containerregistry/registries>
    ///   (the API versions of the type and their properties)
    /// - <https://github.com/Azure/azure-resource-manager-schemas> (`properties.encryption` first
    ///   appears in `2019-12-01-preview`; the commit read is in `schemas/arm-schemas.derived.json`)
    pub struct ApiVersionWithoutEncryption {
        code: "CMK014",
        name: "api-version-without-encryption",
        level: Error,
        summary: "The registry's API version predates properties.encryption",
    }
}

impl Rule for ApiVersionWithoutEncryption {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        for (i, r) in deployed(ctx.model, REGISTRY) {
            let Some(api) = r.api_version.as_deref() else {
                continue;
            };
            if azure::registry_api_has_encryption(api) {
                continue;
            }
            if matches!(lookup(&r.body, "properties.encryption"), Prop::Absent) {
                continue;
            }
            out.push(
                Finding::on(
                    &Self::META,
                    i,
                    "apiVersion",
                    format!(
                        "registry API version {api} predates customer-managed keys (first in {})",
                        azure::REGISTRY_API_FIRST_ENCRYPTION
                    ),
                )
                .label("too old for customer-managed keys")
                .related(
                    r.loc_of("properties.encryption"),
                    "customer-managed key configured here",
                )
                .help(format!(
                    "use {} {} (latest stable)",
                    ctx.model.spell(i, "apiVersion"),
                    azure::REGISTRY_API_DEFAULT
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    fn api(v: &str) -> crate::model::Model {
        model(edit(good(), "acr", |r| r["apiVersion"] = v.into()))
    }

    #[test]
    fn recent_versions_are_clean() {
        assert!(check(&ApiVersionWithoutEncryption, &api("2025-11-01")).is_empty());
        assert!(check(&ApiVersionWithoutEncryption, &api("2019-12-01-preview")).is_empty());
    }

    #[test]
    fn old_version_with_encryption_is_reported() {
        let f = check(&ApiVersionWithoutEncryption, &api("2019-05-01"));
        assert_eq!(pointers(&f), ["/resources/3/apiVersion"]);
    }

    #[test]
    fn old_version_without_encryption_is_clean() {
        let list = edit(good(), "acr", |r| {
            r["apiVersion"] = "2017-10-01".into();
            r["properties"]
                .as_object_mut()
                .unwrap()
                .remove("encryption");
        });
        assert!(check(&ApiVersionWithoutEncryption, &model(list)).is_empty());
    }
}
