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
    /// The Azure CLI and the portal reject the file before anything is deployed, and no other
    /// rule can check it. The exit code is 2: an input could not be parsed.
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
    /// - <https://www.rfc-editor.org/rfc/rfc8259> (JSON; section 4: members are separated by
    ///   commas, with none after the last)
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/templates/syntax#comments>
    ///   (templates may hold `//` and `/* */` comments, which acr-cmk accepts too)
    /// - Azure/azure-quickstart-templates issue 4967 (the portal: "Error parsing template") and
    ///   MicrosoftDocs/mslearn-n-tier-architecture pull request 16 (`az deployment`: "Expecting
    ///   property name enclosed in double quotes") on a trailing comma
    ///   (<https://github.com/Azure/azure-quickstart-templates/issues/4967>,
    ///   <https://github.com/MicrosoftDocs/mslearn-n-tier-architecture/pull/16>)
    /// - acr-cmk policy: the JSON nesting limit (README, "Limits")
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
