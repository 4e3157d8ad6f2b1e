use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `.bicep` or `.bicepparam` file with a syntax error, naming what was expected
    /// where. The Bicep front end emits it; the other files of the run are still linted.
    ///
    /// In a `.bicep` file (and in the modules it uses) the front end recovers statement by
    /// statement: each top-level statement with a syntax error gets its BICEP000 (the first
    /// few of a file are reported) and is skipped; every other statement is evaluated and
    /// checked. What depends on a skipped statement is unknown: a resource that uses it gets a
    /// BICEP002 note, and a grant that may hide in a skipped `resource` or `module` makes
    /// CMK007 a CMK020 note. In a `.bicepparam` file a broken `param` is an unknown value and a
    /// broken `var` makes what uses it unknown; any other broken statement (`using`,
    /// `extends`, …) may hide every value, so the file gives none and the rules do not run on
    /// its unit.
    ///
    /// ## Why is this bad?
    /// The Bicep compiler rejects the file, and what the broken statement says is not checked.
    /// The exit code is 2: an input could not be parsed.
    ///
    /// ## Example
    /// ```json
    /// // Not applicable: JSON files are reported as ARM000.
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
    ///   name: registryName
    ///   sku: { name: 'Premium' }
    /// ```
    /// The closing brace is missing.
    ///
    /// ## Use instead
    /// ```json
    /// // Not applicable.
    /// ```
    ///
    /// ```bicep
    /// resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
    ///   name: registryName
    ///   sku: { name: 'Premium' }
    /// }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/file> (the structure and
    ///   syntax of a Bicep file)
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-core-diagnostics>
    ///   (the compiler's own parse errors, BCP001 onwards, which BICEP000 mirrors)
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/parameter-files>
    ///   (`.bicepparam` files)
    pub struct InvalidBicep {
        code: "BICEP000",
        name: "invalid-bicep",
        level: Error,
        summary: "A Bicep or .bicepparam file cannot be parsed",
    }
}

impl Rule for InvalidBicep {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Emitted by the Bicep loader, not computed from the model.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}
