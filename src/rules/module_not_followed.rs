use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Notes a local Bicep module that the Bicep front end does not follow: today a module
    /// written as an ARM JSON template (`module m './template.json' = …`). The module's
    /// deployment is modelled (its name, scope, parameters), but not the resources inside it,
    /// so no rule checks them there.
    ///
    /// ## Why is this bad?
    /// It is not wrong: the Bicep compiler deploys JSON modules. But a verdict on the file would
    /// silently leave those resources out; this note says they were not checked.
    ///
    /// ## Example
    /// ```json
    /// // Not applicable: ARM templates link templates with `templateLink`.
    /// ```
    ///
    /// ```bicep
    /// module registry './registry.json' = {
    ///   name: 'registry'
    ///   params: { registryName: 'contoso' }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// // Not applicable.
    /// ```
    ///
    /// Lint the JSON template itself (`acr-cmk lint registry.json`), or write the module in
    /// Bicep:
    ///
    /// ```bicep
    /// module registry './registry.bicep' = {
    ///   name: 'registry'
    ///   params: { registryName: 'contoso' }
    /// }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/modules>
    pub struct ModuleNotFollowed {
        code: "BICEP001",
        name: "bicep-module-not-followed",
        level: Note,
        summary: "A local Bicep module is not followed: its resources are not checked",
    }
}

impl Rule for ModuleNotFollowed {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Emitted by the Bicep loader, not computed from the model.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}
