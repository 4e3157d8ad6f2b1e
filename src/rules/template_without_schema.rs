use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Warns about a JSON file that is shaped like an ARM template but has no deploymentTemplate
    /// `$schema`. acr-cmk recognises templates by their `$schema`; a JSON file without one is
    /// still linted as a template when it has a top-level `resources` array whose items are all
    /// objects with a `type`, or `contentVersion` together with `resources`. This warning says
    /// so, at the document's opening brace (or at a `$schema` that names another schema). The
    /// ARM front end emits it; every other rule still runs on the file.
    ///
    /// ## Why is this bad?
    /// `$schema` is a required element of a template (Template syntax, "Template format").
    /// Tools that find templates by it skip the file: editors give no completion or validation,
    /// ARM-TTK fails its "DeploymentTemplate Schema Is Correct" test, PSRule's
    /// `Azure.Template.TemplateFile` fails, and linters that select templates by schema (as
    /// acr-cmk did before) pass the file without checking it. It also decides the deployment
    /// scope (resource group, subscription, management group, tenant) the template is read for.
    ///
    /// ## Example
    /// ```json
    /// { "contentVersion": "1.0.0.0",
    ///   "resources": [ { "type": "Microsoft.ContainerRegistry/registries", ... } ] }
    /// ```
    ///
    /// ```bicep
    /// // Not applicable: Bicep files have no $schema.
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    ///   "contentVersion": "1.0.0.0",
    ///   "resources": [ { "type": "Microsoft.ContainerRegistry/registries", ... } ] }
    /// ```
    ///
    /// ```bicep
    /// // Not applicable.
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/templates/syntax#template-format>
    ///   ($schema is required)
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/templates/template-test-cases#use-correct-schema>
    ///   (ARM-TTK: DeploymentTemplate Schema Is Correct)
    /// - <https://azure.github.io/PSRule.Rules.Azure/en/rules/Azure.Template.TemplateFile/>
    pub struct TemplateWithoutSchema {
        code: "ARM001",
        name: "template-without-schema",
        level: Warning,
        summary: "A JSON file shaped like an ARM template has no deploymentTemplate $schema",
    }
}

impl Rule for TemplateWithoutSchema {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Emitted by the ARM loader, which sees the document; the model does not keep `$schema`.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}
