use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `.bicep` or `.bicepparam` file with a syntax error, naming what was expected
    /// where. The Bicep front end emits it; the other files of the run are still linted.
    ///
    /// ## Why is this bad?
    /// The Bicep compiler rejects the file, and no other rule can check it. The exit code is 2:
    /// an input could not be parsed.
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
