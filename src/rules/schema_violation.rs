use crate::finding::{Finding, PropPath};
use crate::rules::{Ctx, Rule, RuleMeta};
use crate::schema;

declare_rule! {
    /// ## What it does
    /// Validates every resource the template deploys, of a type the project has a schema for
    /// (registries, user-assigned identities, vaults, keys, access policies, role assignments,
    /// deployments), against the project's own JSON Schemas in `schemas/resources/`. It catches
    /// misspelt properties (`encryptionn`, `keyIdentifer`), values of the wrong JSON type
    /// (`"enablePurgeProtection": "true"`), unknown enum values and missing required properties.
    /// Values the tool cannot evaluate are never reported.
    ///
    /// ## Why is this bad?
    /// Resource Manager silently ignores some unknown properties: a misspelt `encryption` block
    /// deploys a registry without its customer-managed key, which cannot be added afterwards.
    /// Others fail the deployment halfway.
    ///
    /// ## Example
    /// ```json
    /// "properties": { "encryptionn": { "status": "enabled" } }
    /// ```
    ///
    /// ```bicep
    /// properties: { encryption: { status: 'enabled', keyVaultProperties: { keyIdentifer: kekId } } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "properties": { "encryption": { "status": "enabled" } }
    /// ```
    ///
    /// ```bicep
    /// properties: { encryption: { status: 'enabled', keyVaultProperties: { keyIdentifier: kekId } } }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/templates/>
    pub struct SchemaViolation {
        code: "SCH001",
        name: "schema-violation",
        level: Error,
        summary: "A resource does not match the project's schema for its type",
    }
}

impl Rule for SchemaViolation {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        for (i, r) in ctx.model.resources.iter().enumerate() {
            if r.existing || !schema::has_schema(&r.ty) {
                continue;
            }
            for e in schema::validate_node(&r.ty, &r.body) {
                let mut f = Finding::on(
                    &Self::META,
                    i,
                    PropPath::from_pointer(&e.pointer),
                    e.message.clone(),
                );
                // An unexpected property points at its name.
                if let Some((_, Some(key))) = schema::node_at(&r.body, &e.pointer)
                    && e.message.starts_with("unknown property")
                {
                    f = f.at(key.loc);
                }
                out.push(f.help(format!(
                    "fix the value to match the {} API (see `acr-cmk explain SCH001`)",
                    r.ty
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
    fn good_model_is_valid() {
        let f = check(&SchemaViolation, &model(good()));
        assert!(
            f.is_empty(),
            "{:?}",
            f.iter().map(|f| &f.message).collect::<Vec<_>>()
        );
    }

    #[test]
    fn misspelling_points_at_the_key() {
        let m = model(edit(good(), "acr", |r| {
            let enc = r["properties"]["encryption"]["keyVaultProperties"]
                .as_object_mut()
                .unwrap();
            let v = enc.remove("keyIdentifier").unwrap();
            enc.insert("keyIdentifer".into(), v);
        }));
        let f = check(&SchemaViolation, &m);
        assert_eq!(
            pointers(&f),
            ["/resources/3/properties/encryption/keyVaultProperties/keyIdentifer"]
        );
        assert!(
            f[0].message.contains("did you mean 'keyIdentifier'"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn deployments_are_checked_in_their_arm_shape() {
        // Both front ends give a deployment (and a Bicep module) its compiled ARM body, so a
        // Bicep-shaped body (`params`, no `properties`) is a real schema violation.
        let list = with(
            good(),
            serde_json::json!([{"sym": "mod", "type": "Microsoft.Resources/deployments",
                "name": "grant", "params": {"vault": "kvcmk01"}}]),
        );
        assert!(!check(&SchemaViolation, &model(list)).is_empty());
        let list = with(
            good(),
            serde_json::json!([{"sym": "dep", "type": "Microsoft.Resources/deployments",
                "name": "grant", "properties": {"mode": "Incremental", "templatelink": {"uri": "x"}, "paramters": {}}}]),
        );
        assert_eq!(
            pointers(&check(&SchemaViolation, &model(list))),
            ["/resources/4/properties/paramters"]
        );
    }

    #[test]
    fn string_boolean_is_reported_symbol_is_not() {
        let m = model(edit(good(), "kv", |r| {
            r["properties"]["enablePurgeProtection"] = "true".into()
        }));
        assert_eq!(
            pointers(&check(&SchemaViolation, &m)),
            ["/resources/1/properties/enablePurgeProtection"]
        );
        let m = model(edit(good(), "kv", |r| {
            r["properties"]["enablePurgeProtection"] = "${param:p}".into()
        }));
        assert!(check(&SchemaViolation, &m).is_empty());
    }
}
