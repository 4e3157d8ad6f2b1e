use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports an in-source suppression of acr-cmk's rules that gives no reason: ARM
    /// `metadata: { "acr-cmk": { "ignore": [...] } }` without `reason`, or a Bicep
    /// `#disable-next-line` / `#disable-diagnostics` naming acr-cmk codes with no `// reason`
    /// after them (a directive without codes counts when it hides an acr-cmk finding). The
    /// lint driver emits it where the suppression is written; the suppression still applies.
    ///
    /// ## Why is this bad?
    /// A silenced CMK finding can mean a registry whose data becomes unreadable when a key is
    /// rotated or deleted. Reviewers need to know why it was accepted.
    ///
    /// ## Example
    /// ```json
    /// "metadata": { "acr-cmk": { "ignore": ["CMK011"] } }
    /// ```
    ///
    /// ```bicep
    /// #disable-next-line CMK011
    /// resource task 'Microsoft.ContainerRegistry/registries/tasks@2019-06-01-preview' = { ... }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "metadata": { "acr-cmk": { "ignore": ["CMK011"], "reason": "task logs are exported to Log Analytics" } }
    /// ```
    ///
    /// ```bicep
    /// #disable-next-line CMK011 // task logs are exported to Log Analytics
    /// resource task 'Microsoft.ContainerRegistry/registries/tasks@2019-06-01-preview' = { ... }
    /// ```
    ///
    /// ## References
    /// - acr-cmk policy: a suppression is a reviewed decision, so its reason is part of it
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/linter> (the Bicep
    ///   linter's `#disable-next-line`, the directive acr-cmk's Bicep suppressions share)
    pub struct SuppressionWithoutReason {
        code: "SUP001",
        name: "suppression-without-reason",
        level: Warning,
        summary: "An in-source suppression gives no reason",
    }
}

impl Rule for SuppressionWithoutReason {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Emitted by the lint driver from `Model::suppressions`, not by this check.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}
