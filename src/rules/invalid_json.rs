use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a JSON template or parameters file that cannot be read: a syntax error, invalid
    /// UTF-8, nesting too deep, or a structure that is not a deployment template (for example
    /// `resources` that is neither an array nor an object). The ARM front end emits it; the
    /// other files of the run are still linted.
    ///
    /// ## Why is this bad?
    /// Azure Resource Manager rejects the file before deploying anything, and no other rule can
    /// check it. The exit code is 2: an input could not be parsed.
    ///
    /// ## Example
    /// ```json
    /// { "resources": [ { "type": "Microsoft.ContainerRegistry/registries", } ] }
    /// ```
    /// A trailing comma after the last property is not JSON (ARM accepts comments, not this).
    ///
    /// ```bicep
    /// // Not applicable: Bicep files are reported as BICEP000.
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "resources": [ { "type": "Microsoft.ContainerRegistry/registries" } ] }
    /// ```
    ///
    /// ```bicep
    /// // Not applicable.
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/templates/syntax>
    pub struct InvalidJson {
        code: "ARM000",
        name: "invalid-json",
        level: Error,
        summary: "A JSON template or parameters file cannot be parsed",
    }
}

impl Rule for InvalidJson {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Emitted by the ARM loader, not computed from the model.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}
