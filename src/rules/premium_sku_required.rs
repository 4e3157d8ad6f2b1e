use crate::finding::Finding;
use crate::query::registries::cmk_registries;
use crate::query::{Prop, lookup};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that a registry with customer-managed-key encryption enabled uses the `Premium`
    /// SKU.
    ///
    /// ## Why is this bad?
    /// Customer-managed keys are a Premium feature. Deploying a Basic, Standard or Classic
    /// registry with `encryption.status: enabled` fails, and since CMK can only be enabled when a
    /// registry is created, fixing it later means recreating the registry.
    ///
    /// ## Example
    /// ```json
    /// {
    ///   "type": "Microsoft.ContainerRegistry/registries",
    ///   "apiVersion": "2025-11-01",
    ///   "sku": { "name": "Standard" },
    ///   "properties": { "encryption": { "status": "enabled", "keyVaultProperties": { ... } } }
    /// }
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
    ///   sku: { name: 'Standard' }
    ///   properties: { encryption: { status: 'enabled', keyVaultProperties: { ... } } }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "sku": { "name": "Premium" }
    /// ```
    ///
    /// ```bicep
    /// sku: { name: 'Premium' }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys>
    ///   ("available in the Premium service tier"; "enable a customer-managed key only while
    ///   creating a registry")
    /// - <https://learn.microsoft.com/azure/container-registry/container-registry-skus>
    ///   (service tiers and their features)
    pub struct PremiumSkuRequired {
        code: "CMK001",
        name: "premium-sku-required",
        level: Error,
        summary: "A registry with a customer-managed key must use the Premium SKU",
    }
}

impl Rule for PremiumSkuRequired {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        for (i, r) in cmk_registries(ctx.model) {
            let finding = match lookup(&r.body, "sku.name") {
                Prop::Unknown => None,
                Prop::Absent => Some(Finding::on(
                    &Self::META,
                    i,
                    "sku",
                    format!(
                        "registry '{}' has no sku; customer-managed keys need Premium",
                        r.display_name()
                    ),
                )),
                Prop::Known(n) => match n.as_str() {
                    Some(s) if s.eq_ignore_ascii_case("Premium") => None,
                    other => Some(
                        Finding::on(
                            &Self::META,
                            i,
                            "sku.name",
                            format!(
                                "sku is '{}'; customer-managed keys need Premium",
                                other.unwrap_or(n.value.type_name())
                            ),
                        )
                        .label("not Premium"),
                    ),
                },
            };
            if let Some(f) = finding {
                out.push(f.help(format!(
                    "set {} to 'Premium' (CMK can only be enabled when the registry is created)",
                    ctx.model.spell(i, "sku.name")
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn premium_is_clean() {
        assert!(check(&PremiumSkuRequired, &model(good())).is_empty());
    }

    #[test]
    fn standard_is_reported_at_the_sku() {
        let m = model(edit(good(), "acr", |r| {
            r["sku"]["name"] = "Standard".into()
        }));
        let f = check(&PremiumSkuRequired, &m);
        assert_eq!(pointers(&f), ["/resources/3/sku/name"]);
        assert!(f[0].message.contains("'Standard'"), "{}", f[0].message);
        assert_eq!(f[0].resource, Some(3));
    }

    #[test]
    fn unknown_sku_or_encryption_is_not_reported() {
        let m = model(edit(good(), "acr", |r| {
            r["sku"]["name"] = "${param:sku}".into()
        }));
        assert!(check(&PremiumSkuRequired, &m).is_empty());
        let m = model(edit(good(), "acr", |r| {
            r["sku"]["name"] = "Basic".into();
            r["properties"]["encryption"]["status"] = "${param:enc}".into();
        }));
        assert!(check(&PremiumSkuRequired, &m).is_empty());
    }

    #[test]
    fn no_encryption_no_finding() {
        let m = model(edit(good(), "acr", |r| {
            r["sku"]["name"] = "Basic".into();
            r["properties"]
                .as_object_mut()
                .unwrap()
                .remove("encryption");
        }));
        assert!(check(&PremiumSkuRequired, &m).is_empty());
    }
}
