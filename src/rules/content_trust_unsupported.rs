use crate::finding::Finding;
use crate::query::registries::cmk_registries;
use crate::query::{Prop, Tri, lookup, str_is};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that a registry with customer-managed-key encryption does not enable content trust
    /// (`policies.trustPolicy.status: enabled`, Docker Content Trust / Notary v1).
    ///
    /// ## Why is this bad?
    /// Content trust is not supported on a CMK registry: the deployment fails with
    /// `BlockedForEncryptionEnabledRegistry`. Content trust is also being retired in Azure
    /// Container Registry, with or without CMK: deprecated since March 31, 2025; since May 31,
    /// 2026 it cannot be enabled on a new registry or on one that has not enabled it before;
    /// it is removed on March 31, 2028. Sign images with Notation (Notary Project) instead.
    ///
    /// ## Example
    /// ```json
    /// "properties": {
    ///   "encryption": { "status": "enabled", "keyVaultProperties": { ... } },
    ///   "policies": { "trustPolicy": { "type": "Notary", "status": "enabled" } }
    /// }
    /// ```
    ///
    /// ```bicep
    /// properties: {
    ///   encryption: { status: 'enabled', keyVaultProperties: { ... } }
    ///   policies: { trustPolicy: { type: 'Notary', status: 'enabled' } }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "policies": { "trustPolicy": { "type": "Notary", "status": "disabled" } }
    /// ```
    ///
    /// ```bicep
    /// policies: { trustPolicy: { type: 'Notary', status: 'disabled' } }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys>
    ///   ("Content trust is currently not supported in a registry that's encrypted with a
    ///   customer-managed key")
    /// - Azure/PSRule.Rules.Azure issue 1810 (the deployment fails with
    ///   `BlockedForEncryptionEnabledRegistry`)
    ///   (<https://github.com/Azure/PSRule.Rules.Azure/issues/1810>)
    /// - <https://learn.microsoft.com/azure/container-registry/container-registry-content-trust>
    ///   (not enabled on new registries since May 31, 2026)
    /// - <https://learn.microsoft.com/azure/container-registry/container-registry-content-trust-deprecation>
    ///   (deprecated since March 31, 2025; removed on March 31, 2028)
    pub struct ContentTrustUnsupported {
        code: "CMK003",
        name: "content-trust-unsupported",
        level: Error,
        summary: "Content trust cannot be enabled on a registry with a customer-managed key",
    }
}

impl Rule for ContentTrustUnsupported {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        for (i, r) in cmk_registries(ctx.model) {
            let path = "properties.policies.trustPolicy.status";
            if let Prop::Known(status) = lookup(&r.body, path)
                && str_is(status, "enabled") == Tri::Yes
            {
                out.push(
                    Finding::on(
                        &Self::META,
                        i,
                        path,
                        format!(
                            "registry '{}' enables content trust; it is not supported with a customer-managed key",
                            r.display_name()
                        ),
                    )
                    .label("content trust enabled")
                    .related(
                        r.loc_of("properties.encryption.status"),
                        "customer-managed key enabled here",
                    )
                    .help("disable content trust: Azure rejects it on a CMK registry (BlockedForEncryptionEnabledRegistry), and since May 31, 2026 no registry that has not used it can enable it (it is removed on March 31, 2028); sign images with Notation instead"),
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

    fn trust(status: &str) -> serde_json::Value {
        edit(good(), "acr", |r| {
            r["properties"]["policies"] =
                json!({"trustPolicy": {"type": "Notary", "status": status}})
        })
    }

    #[test]
    fn disabled_trust_is_clean() {
        assert!(check(&ContentTrustUnsupported, &model(trust("disabled"))).is_empty());
        assert!(check(&ContentTrustUnsupported, &model(trust("${param:trust}"))).is_empty());
    }

    #[test]
    fn enabled_trust_is_reported() {
        let f = check(&ContentTrustUnsupported, &model(trust("Enabled")));
        assert_eq!(
            pointers(&f),
            ["/resources/3/properties/policies/trustPolicy/status"]
        );
    }

    #[test]
    fn trust_without_cmk_is_fine() {
        let m = model(edit(trust("enabled"), "acr", |r| {
            r["properties"]["encryption"]["status"] = "disabled".into()
        }));
        assert!(check(&ContentTrustUnsupported, &m).is_empty());
    }
}
