use crate::finding::Finding;
use crate::rules::{Ctx, ResourceScope, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Validates the skeleton of every ARM template and parameters file against the official
    /// `deploymentTemplate` and `deploymentParameters` schemas: the top-level keys (a template
    /// has `$schema`, `contentVersion` and `resources`, nothing unknown), parameter and output
    /// definitions (`type` one of string, securestring, int, bool, object, secureObject, array —
    /// without case — or a user-defined `$ref`), user functions, and on each resource the
    /// envelope (`name` and `type` present, `dependsOn` a list of strings, `copy` with a
    /// `count` and a `mode` of Parallel or Serial, `condition` a boolean); in a parameters file
    /// every entry `{ "value": … }` or `{ "reference": … }`. Inline templates of nested
    /// deployments are checked the same way. Resource bodies are SCH001's; values given by
    /// expressions are never reported.
    ///
    /// Scope: by default the files of a deployment that has resources in a registry's CMK
    /// wiring (see SCH001), plus any template whose `resources` the tool cannot read at all —
    /// then it cannot know whether a registry is among them, and a clean result would be a
    /// silent pass. With `check-resources = "all"`, every file.
    ///
    /// ## Why is this bad?
    /// Resource Manager rejects a template that does not have this shape
    /// (`InvalidTemplate`). A `resources` array written inside `parameters` deploys nothing the
    /// author meant and hides every resource from review and from this tool.
    ///
    /// ## Example
    /// ```json
    /// { "$schema": "…/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
    ///   "parameters": { "name": { "type": "string" }, "resources": [ … ] } }
    /// ```
    ///
    /// ```bicep
    /// // Bicep files are checked by the Bicep compiler; their JSON parameters files by SCH002.
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "$schema": "…/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
    ///   "parameters": { "name": { "type": "string" } }, "resources": [ … ] }
    /// ```
    ///
    /// ```bicep
    /// param name string
    /// ```
    ///
    /// ## References
    /// - Template structure and syntax: <https://learn.microsoft.com/azure/azure-resource-manager/templates/syntax>
    /// - Parameter files: <https://learn.microsoft.com/azure/azure-resource-manager/templates/parameter-files>
    /// - The official schemas: <https://github.com/Azure/azure-resource-manager-schemas>
    ///   (`deploymentTemplate.json`, `deploymentParameters.json`; derived into
    ///   `schemas/arm-schemas.derived.json`)
    pub struct InvalidTemplateStructure {
        code: "SCH002",
        name: "invalid-template-structure",
        level: Error,
        summary: "A template or parameters file does not have the structure Resource Manager requires",
    }
}

impl Rule for InvalidTemplateStructure {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        if ctx.model.skeleton.is_empty() {
            return;
        }
        let whole_file = ctx.scope == ResourceScope::All || ctx.any_in_scope();
        for e in &ctx.model.skeleton {
            if !(whole_file || e.hides_resources) {
                continue;
            }
            let help = if e.hides_resources {
                "a template needs a top-level `resources` array (or, with languageVersion 2.0, object); \
                 until it has one, nothing it deploys can be checked"
            } else {
                "match the official deploymentTemplate / deploymentParameters schema (see `acr-cmk explain SCH002`)"
            };
            out.push(
                Finding::new(&Self::META, e.loc, e.message.clone())
                    .pointer(e.pointer.clone())
                    .help(help),
            );
        }
    }
}
