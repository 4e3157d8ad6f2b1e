use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports an in-source suppression that cannot do what it was written for, at the place
    /// it is written:
    /// - a code that is not one of acr-cmk's rules (`"ignore": ["CMK08"]`), with the rule it
    ///   most likely means ("did you mean CMK008?"), as `acr-cmk.toml` does for a mistyped rule;
    /// - in ARM `metadata."acr-cmk"`: no `ignore` list, an empty one, an entry that is not a
    ///   string, or a key other than `ignore` and `reason` (`"ignroe"`).
    ///
    /// Bicep's `#disable-next-line` and `#disable-diagnostics` are shared with the Bicep
    /// compiler and linter, so there only codes in acr-cmk's namespace (a catalogue prefix such
    /// as `CMK`, `SUP`, `ARM` followed by digits) are judged: `BCP081` and `no-unused-params`
    /// are Bicep's. The lint driver emits this rule; the mistaken code suppresses nothing.
    ///
    /// ## Why is this bad?
    /// A mistyped code suppresses nothing, so the finding it was meant to hide is still
    /// reported, and a reader believes it was reviewed. Worse, a `metadata."acr-cmk"` block
    /// without a valid `ignore` list looks like a suppression and is not one.
    ///
    /// ## Example
    /// ```json
    /// "metadata": { "acr-cmk": { "ignore": ["CMK08"], "reason": "the grant is made by the platform team" } }
    /// ```
    ///
    /// ```bicep
    /// #disable-next-line CMK08 // the grant is made by the platform team
    /// resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' = { ... }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "metadata": { "acr-cmk": { "ignore": ["CMK008"], "reason": "the grant is made by the platform team" } }
    /// ```
    ///
    /// ```bicep
    /// #disable-next-line CMK008 // the grant is made by the platform team
    /// resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' = { ... }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/linter> (the Bicep linter;
    ///   `#disable-next-line` and `#disable-diagnostics` are its suppression syntax)
    /// - <https://docs.astral.sh/ruff/linter/#error-suppression> (ruff warns about `noqa`
    ///   codes it does not know)
    pub struct InvalidSuppression {
        code: "SUP002",
        name: "invalid-suppression",
        level: Warning,
        summary: "An in-source suppression names an unknown rule or is malformed, so it suppresses nothing",
    }
}

impl Rule for InvalidSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Emitted by the ARM loader (malformed metadata) and the lint driver (unknown codes),
    /// from `Model::suppressions`, not by this check.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}
