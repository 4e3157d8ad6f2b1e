use crate::finding::Finding;
use crate::query::vaults::deployed_key_vaults;
use crate::query::{Prop, Tri, lookup, shown, str_is};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that a vault holding a registry's customer-managed key, if its firewall denies by
    /// default (`networkAcls.defaultAction: Deny`), lets trusted Azure services through
    /// (`networkAcls.bypass: AzureServices`, the default when `bypass` is not written).
    ///
    /// ## Why is this bad?
    /// Container Registry reaches the vault as a trusted Azure service. With `bypass: None`,
    /// image import and automatic key rotation fail with 403 errors.
    ///
    /// ## Example
    /// ```json
    /// "networkAcls": { "defaultAction": "Deny", "bypass": "None" }
    /// ```
    ///
    /// ```bicep
    /// networkAcls: { defaultAction: 'Deny', bypass: 'None' }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "networkAcls": { "defaultAction": "Deny", "bypass": "AzureServices" }
    /// ```
    ///
    /// ```bicep
    /// networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys>
    /// - <https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints>
    pub struct VaultFirewallTrustedServices {
        code: "CMK012",
        name: "vault-firewall-trusted-services",
        level: Warning,
        summary: "A firewalled vault holding a registry's key should let trusted Azure services through",
    }
}

impl Rule for VaultFirewallTrustedServices {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        for (v, vault, reg) in deployed_key_vaults(m) {
            let Prop::Known(action) = lookup(&vault.body, "properties.networkAcls.defaultAction")
            else {
                continue;
            };
            if str_is(action, "Deny") != Tri::Yes {
                continue;
            }
            let path = "properties.networkAcls.bypass";
            let Prop::Known(bypass) = lookup(&vault.body, path) else {
                continue;
            };
            if str_is(bypass, "AzureServices") != Tri::No {
                continue;
            }
            out.push(
                Finding::on(
                    &Self::META,
                    v,
                    path,
                    format!(
                        "vault '{}' denies network access by default and does not let trusted Azure services through (bypass {})",
                        vault.display_name(),
                        shown(bypass)
                    ),
                )
                .label("trusted services blocked")
                .assuming(reg)
                .related(m.resources[reg].loc, "the registry whose key is in this vault")
                .help("set networkAcls.bypass to 'AzureServices'"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    fn acls(acls: serde_json::Value) -> crate::model::Model {
        model(edit(good(), "kv", |r| {
            r["properties"]["networkAcls"] = acls
        }))
    }

    #[test]
    fn trusted_services_allowed_is_clean() {
        assert!(
            check(
                &VaultFirewallTrustedServices,
                &acls(json!({"defaultAction": "Deny", "bypass": "AzureServices"}))
            )
            .is_empty()
        );
        assert!(
            check(
                &VaultFirewallTrustedServices,
                &acls(json!({"defaultAction": "Deny"}))
            )
            .is_empty()
        );
        assert!(
            check(
                &VaultFirewallTrustedServices,
                &acls(json!({"defaultAction": "Allow", "bypass": "None"}))
            )
            .is_empty()
        );
    }

    #[test]
    fn bypass_none_is_reported() {
        let f = check(
            &VaultFirewallTrustedServices,
            &acls(json!({"defaultAction": "deny", "bypass": "None"})),
        );
        assert_eq!(pointers(&f), ["/resources/1/properties/networkAcls/bypass"]);
        assert_eq!(f[0].level, crate::finding::Level::Warning);
    }
}
