use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Warns about a rule code in an in-source suppression that hides nothing: no finding of
    /// that rule is where the suppression applies (the resource of an ARM `metadata."acr-cmk"`
    /// block, the template for template-level metadata, the next line or the block of a Bicep
    /// directive). It is reported at the code, one finding per unused code, like ruff's
    /// `unused-noqa` (RUF100) and ESLint's unused disable directives.
    ///
    /// A file linted in several units (a Bicep module linted on its own and through the file
    /// that uses it, a template with two `.bicepparam` files) is judged over all of them: a
    /// suppression that hides a finding in any of them is used. Codes of rules that are off in
    /// `acr-cmk.toml`, and Bicep's own codes, are not judged; neither is a
    /// `#disable-diagnostics` without codes.
    ///
    /// A warning, as ESLint reports unused disable directives by default: it never fails a run
    /// at the default `--fail-on error`, and `SUP003 = "off"` in `acr-cmk.toml` turns it off.
    ///
    /// ## Why is this bad?
    /// A stale suppression outlives the problem it hid (the template was fixed, or the finding
    /// moved to another resource) and will silently hide the next, real finding of that rule
    /// in its place. It also tells reviewers that something was accepted that no longer exists.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.KeyVault/vaults", "name": "kv-acr-cmk",
    ///   "metadata": { "acr-cmk": { "ignore": ["CMK009"], "reason": "purge protection is set by policy" } },
    ///   "properties": { "enablePurgeProtection": true, ... } }
    /// ```
    ///
    /// ```bicep
    /// #disable-next-line CMK009 // purge protection is set by policy
    /// resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = { properties: { enablePurgeProtection: true } }
    /// ```
    ///
    /// ## Use instead
    /// Remove the code (or the whole suppression):
    /// ```json
    /// { "type": "Microsoft.KeyVault/vaults", "name": "kv-acr-cmk",
    ///   "properties": { "enablePurgeProtection": true, ... } }
    /// ```
    ///
    /// ```bicep
    /// resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = { properties: { enablePurgeProtection: true } }
    /// ```
    ///
    /// ## References
    /// - <https://docs.astral.sh/ruff/rules/unused-noqa/> (RUF100)
    /// - <https://eslint.org/docs/latest/use/configure/rules#report-unused-eslint-disable-comments>
    ///   (ESLint warns about unused disable directives by default since v9, eslint/eslint#17879)
    pub struct UnusedSuppression {
        code: "SUP003",
        name: "unused-suppression",
        level: Warning,
        summary: "An in-source suppression names a rule that reports nothing where it applies",
    }
}

impl Rule for UnusedSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Emitted by the lint driver once every unit of the run is linted, not by this check.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}
