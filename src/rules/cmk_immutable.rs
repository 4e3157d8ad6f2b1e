use crate::azure::types::REGISTRY;
use crate::finding::Finding;
use crate::query::registries::{encryption_enabled, previous_registry};
use crate::query::{Tri, deployed};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Compares a template with its previous version (`acr-cmk lint --baseline FILE`) and reports
    /// a registry whose customer-managed-key encryption is disabled or removed, or added to a
    /// registry that the previous version deployed without it. Each template is compared with
    /// its own baseline (see `acr-cmk lint --help`), loaded with the template's parameter files,
    /// and registries are matched by canonical resource id (type and name, however the name is
    /// computed), or by name. Without `--baseline` the rule does nothing.
    ///
    /// ## Why is this bad?
    /// CMK can be enabled only when a registry is created, and never disabled. Redeploying the
    /// new version fails (or, for a new `encryption` block, is rejected for an existing
    /// registry); the only way through is a new registry and a migration of its images.
    ///
    /// ## Example
    /// Previous version: `"encryption": { "status": "enabled", ... }`; new version:
    /// ```json
    /// "properties": { "encryption": { "status": "disabled" } }
    /// ```
    ///
    /// ```bicep
    /// properties: { encryption: { status: 'disabled' } }
    /// ```
    ///
    /// ## Use instead
    /// Keep the encryption block (rotating the key is allowed: change `keyIdentifier`), or
    /// deploy a new registry under a new name.
    /// ```json
    /// "properties": { "encryption": { "status": "enabled", "keyVaultProperties": { ... } } }
    /// ```
    ///
    /// ```bicep
    /// properties: { encryption: { status: 'enabled', keyVaultProperties: { ... } } }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys>
    ///   ("enable a customer-managed key only while creating a registry"; "You can't disable the
    ///   encryption")
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-rotate-revoke-customer-managed-keys>
    ///   (changing the key is a rotation)
    pub struct CmkImmutable {
        code: "CMK010",
        name: "cmk-immutable",
        level: Error,
        summary: "Customer-managed-key encryption cannot be added to an existing registry, disabled or removed",
    }
}

impl Rule for CmkImmutable {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let Some(base) = ctx.baseline else { return };
        for (i, r) in deployed(ctx.model, REGISTRY) {
            let Some(old) = previous_registry(base, r) else {
                continue;
            };
            let (before, after) = (encryption_enabled(old), encryption_enabled(r));
            let message = match (before, after) {
                (Tri::Yes, Tri::No) => {
                    if r.get("properties.encryption").is_some() {
                        "customer-managed-key encryption was enabled and is now disabled; it cannot be disabled"
                    } else {
                        "customer-managed-key encryption was enabled and its block is now removed; it cannot be disabled"
                    }
                }
                (Tri::No, Tri::Yes) => {
                    "customer-managed-key encryption is added to a registry that exists without it; it can only be enabled at creation"
                }
                _ => continue,
            };
            let path = if r.get("properties.encryption.status").is_some() {
                "properties.encryption.status"
            } else {
                "properties.encryption"
            };
            out.push(
                Finding::on(
                    &Self::META,
                    i,
                    path,
                    format!("registry '{}': {message}", r.display_name()),
                )
                .label(if after == Tri::Yes { "added" } else { "disabled" })
                .related(
                    old.loc_of("properties.encryption"),
                    if after == Tri::Yes {
                        "the registry in the baseline, without encryption"
                    } else {
                        "encryption in the baseline"
                    },
                )
                .help("keep the encryption setting of the existing registry, or create a new registry (new name) and move the images"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    fn without_cmk() -> serde_json::Value {
        edit(good(), "acr", |r| {
            r["properties"]
                .as_object_mut()
                .unwrap()
                .remove("encryption");
        })
    }

    #[test]
    fn unchanged_or_no_baseline_is_clean() {
        let m = model(good());
        assert!(check_with_baseline(&CmkImmutable, &m, Some(&model(good()))).is_empty());
        assert!(check(&CmkImmutable, &model(without_cmk())).is_empty());
    }

    #[test]
    fn removed_encryption_is_reported() {
        let f = check_with_baseline(&CmkImmutable, &model(without_cmk()), Some(&model(good())));
        assert_eq!(pointers(&f), ["/resources/3/properties/encryption"]);
        assert!(f[0].message.contains("removed"));
    }

    #[test]
    fn added_encryption_is_reported() {
        let f = check_with_baseline(&CmkImmutable, &model(good()), Some(&model(without_cmk())));
        assert_eq!(pointers(&f), ["/resources/3/properties/encryption/status"]);
        assert!(f[0].message.contains("added"));
    }

    #[test]
    fn unknown_status_is_not_reported() {
        let now = model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["status"] = "${param:enc}".into()
        }));
        assert!(check_with_baseline(&CmkImmutable, &now, Some(&model(without_cmk()))).is_empty());
    }
}
