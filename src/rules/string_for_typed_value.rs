use crate::finding::Finding;
use crate::rules::schema_violation::report;
use crate::rules::{Ctx, Rule, RuleMeta};
use crate::schema::resources::Kind;

declare_rule! {
    /// ## What it does
    /// Reports a boolean or number written as a string (`"enablePurgeProtection": "true"`,
    /// `"softDeleteRetentionInDays": "90"`) where the official schema of the resource's type
    /// and API version expects a boolean, an integer or a number, and the string reads as one.
    /// Any other wrong type is SCH001. Same scope as SCH001: by default the resources of a
    /// registry's CMK wiring.
    ///
    /// ## Why is this bad?
    /// The template states a value of the wrong type and relies on the resource provider
    /// reading the request leniently. Providers commonly convert such strings, so the
    /// deployment usually works (hence a warning, not an error), but that is the provider's
    /// leniency, not the API contract: ARM's own documentation says to write booleans and
    /// integers without quotation marks, and other tools that read the template (what-if,
    /// policy, linters) see a string.
    ///
    /// ## Example
    /// ```json
    /// "properties": { "enablePurgeProtection": "true", "softDeleteRetentionInDays": "90" }
    /// ```
    ///
    /// ```bicep
    /// properties: { enablePurgeProtection: 'true' }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "properties": { "enablePurgeProtection": true, "softDeleteRetentionInDays": 90 }
    /// ```
    ///
    /// ```bicep
    /// properties: { enablePurgeProtection: true }
    /// ```
    ///
    /// ## References
    /// - Data types in ARM templates ("Don't surround the value with quotation marks"):
    ///   <https://learn.microsoft.com/azure/azure-resource-manager/templates/data-types>
    /// - The official schemas: <https://github.com/Azure/azure-resource-manager-schemas>
    pub struct StringForTypedValue {
        code: "SCH004",
        name: "string-for-typed-value",
        level: Warning,
        summary: "A boolean or number is written as a string that Resource Manager converts",
    }
}

impl Rule for StringForTypedValue {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        report(ctx, &Self::META, |k| k == Kind::Converted, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn quoted_booleans_and_integers_are_warnings_and_symbols_are_not() {
        let m = model(edit(good(), "kv", |r| {
            r["properties"]["enablePurgeProtection"] = "true".into();
            r["properties"]["softDeleteRetentionInDays"] = "90".into();
        }));
        let f = check(&StringForTypedValue, &m);
        assert_eq!(
            pointers(&f),
            [
                "/resources/1/properties/softDeleteRetentionInDays",
                "/resources/1/properties/enablePurgeProtection"
            ]
        );
        assert_eq!(
            f[1].message,
            "\"true\" is a string where a boolean is expected; write true"
        );
        assert_eq!(f[0].level, crate::finding::Level::Warning);
        let m = model(edit(good(), "kv", |r| {
            r["properties"]["enablePurgeProtection"] = "${param:p}".into()
        }));
        assert!(check(&StringForTypedValue, &m).is_empty());
    }
}
