use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Notes a Bicep module (or compile-time import) whose contents the Bicep front end cannot
    /// read: a module from a registry (`br:`, `br/alias:`, `ts:`), which would need the network,
    /// or a local JSON module that is not a readable ARM template (unreadable, invalid JSON —
    /// then also ARM000 at the error —, or without a deploymentTemplate `$schema`). The module's
    /// deployment is modelled (its name, scope, parameters), but not the resources inside it, so
    /// no rule checks them, and its outputs are unknown.
    ///
    /// Local Bicep modules are followed, and so are local modules written as ARM JSON templates:
    /// the ARM front end evaluates them like a nested deployment (the module's `params` are the
    /// template's parameter values, its resources are checked in the module's scope, its outputs
    /// come back to `m.outputs.x`).
    ///
    /// ## Why is this bad?
    /// It is not wrong: the Bicep compiler deploys registry modules. But a verdict on the file
    /// would silently leave those resources out; this note says they were not checked.
    ///
    /// ## Example
    /// ```json
    /// // Not applicable: ARM templates link templates with `templateLink`.
    /// ```
    ///
    /// ```bicep
    /// module registry 'br:contoso.azurecr.io/bicep/modules/registry:1.0.0' = {
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
    /// Lint the module's source where it is maintained, or use a local copy of the module
    /// (Bicep or ARM JSON), which is followed:
    ///
    /// ```bicep
    /// module registry './registry.json' = {
    ///   name: 'registry'
    ///   params: { registryName: 'contoso' }
    /// }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/modules> (local modules,
    ///   registry modules `br:`/`br/public:` and template specs `ts:`; a local module may be an ARM
    ///   JSON template)
    /// - acr-cmk policy: the tool never uses the network, so a remote module is not read
    pub struct ModuleNotFollowed {
        code: "BICEP001",
        name: "bicep-module-not-followed",
        level: Note,
        summary: "A Bicep module is not followed (from a registry, or not a valid template): its resources are not checked",
    }
}

impl Rule for ModuleNotFollowed {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Emitted by the Bicep loader, not computed from the model.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}
