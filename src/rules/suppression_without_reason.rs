use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports an in-source suppression that gives no reason: ARM
    /// `metadata: { "acr-cmk": { "ignore": [...] } }` without `reason`. The lint driver emits it
    /// where the suppression is written; the suppression still applies.
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
