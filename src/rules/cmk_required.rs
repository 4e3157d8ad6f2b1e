use crate::azure::types::REGISTRY;
use crate::finding::Finding;
use crate::query::registries::encryption_enabled;
use crate::query::{Tri, deployed};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// A policy switch, off by default (enable it with `cmk-required = true` or a level for
    /// `CMK017` in `acr-cmk.toml`): every registry the template deploys must use a
    /// customer-managed key (`encryption.status: enabled`). Registries whose encryption depends
    /// on a parameter without a value are not reported.
    ///
    /// ## Why is this bad?
    /// Where policy requires customer-managed keys, a registry without one has to be deleted
    /// and recreated: CMK can only be enabled at creation. Catching it in review is the only
    /// cheap moment.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.ContainerRegistry/registries", "sku": { "name": "Premium" }, "properties": {} }
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = { sku: { name: 'Premium' }, properties: {} }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "properties": { "encryption": { "status": "enabled", "keyVaultProperties": {
    ///   "identity": "[reference(variables('identityId')).clientId]", "keyIdentifier": "[parameters('kek_id')]" } } }
    /// ```
    ///
    /// ```bicep
    /// properties: { encryption: { status: 'enabled', keyVaultProperties: {
    ///   identity: uai.properties.clientId, keyIdentifier: kekId } } }
    /// ```
    ///
    /// ## References
    /// - acr-cmk policy: a switch for teams whose policy requires customer-managed keys; Azure
    ///   does not require them
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys>
    ///   ("enable a customer-managed key only while creating a registry")
    pub struct CmkRequired {
        code: "CMK017",
        name: "cmk-required",
        level: Error,
        summary: "Every registry must use a customer-managed key (policy switch, off by default)",
        default_enabled: false,
    }
}

impl Rule for CmkRequired {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        for (i, r) in deployed(ctx.model, REGISTRY) {
            if encryption_enabled(r) != Tri::No {
                continue;
            }
            let path = if r.get("properties.encryption").is_some() {
                "properties.encryption"
            } else {
                "properties"
            };
            out.push(
                Finding::on(
                    &Self::META,
                    i,
                    path,
                    format!(
                        "registry '{}' does not use a customer-managed key",
                        r.display_name()
                    ),
                )
                .label("no customer-managed key")
                .help("enable encryption with a customer-managed key (it can only be done when the registry is created)"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn cmk_registry_is_clean() {
        assert!(check(&CmkRequired, &model(good())).is_empty());
        // A policy switch: off unless the configuration turns it on.
        assert!(!crate::rules::meta("CMK017").default_enabled);
    }

    #[test]
    fn plain_registry_is_reported() {
        let list = edit(good(), "acr", |r| {
            r["properties"]
                .as_object_mut()
                .unwrap()
                .remove("encryption");
        });
        assert_eq!(
            pointers(&check(&CmkRequired, &model(list))),
            ["/resources/3/properties"]
        );
    }

    #[test]
    fn unknown_encryption_is_not_reported() {
        let list = edit(good(), "acr", |r| {
            r["properties"]["encryption"] = "${param:enc}".into()
        });
        assert!(check(&CmkRequired, &model(list)).is_empty());
    }
}
