use crate::eval::{Limit, LimitHit};
use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};
use crate::source::{FileId, Loc};

declare_rule! {
    /// ## What it does
    /// Reports a file that hit a limit of acr-cmk's resource policy (listed under "Limits" in
    /// the README): a file too large to read, JSON nested too deep, or an evaluation that
    /// took too many steps, built too many or too large values, made too many function calls
    /// or nested calls, deployments or imports too deeply. It is reported once per limit, where
    /// the limit was first hit; the other files of the run are still linted.
    ///
    /// ## Why is this bad?
    /// The limits keep a crafted pull request from hanging or exhausting the CI runner; they
    /// are far above what real templates need. Past a limit the values being computed are
    /// unknown, so rules that need them could not check the file: it must not pass as clean.
    /// The level is always error and the exit code is 2, as for a file that does not parse;
    /// neither the configuration nor an in-source suppression can silence it.
    ///
    /// ## Example
    /// ```json
    /// { "variables": { "all": "[range(0, 100000)]" } }
    /// ```
    ///
    /// ```bicep
    /// var all = map(range(0, 10000), x => range(0, 10000))
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "variables": { "some": "[range(0, 100)]" } }
    /// ```
    ///
    /// ```bicep
    /// var some = map(range(0, 10), x => range(0, 10))
    /// ```
    ///
    /// ## References
    /// - acr-cmk policy: the limits are the tool's own resource policy (README, "Limits";
    ///   `src/eval/limits.rs`), chosen far above what real templates need; Resource Manager's
    ///   own template limits are different and not what this rule checks
    pub struct LimitExceeded {
        code: "LIM001",
        name: "limit-exceeded",
        level: Error,
        summary: "A file hit a limit of the resource policy and was not fully checked",
    }
}

impl Rule for LimitExceeded {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Emitted by the lint driver and the front ends from the limits they hit.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}

const SEE_LIMITS: &str = "the limits are listed under \"Limits\" in the README";

/// One finding per distinct limit in `hits` (they come first-hit first), where it was hit.
pub fn findings(hits: &[LimitHit]) -> Vec<Finding> {
    let mut seen: Vec<Limit> = Vec::new();
    hits.iter()
        .filter(|h| {
            let new = !seen.contains(&h.limit);
            seen.push(h.limit);
            new
        })
        .map(|h| finding(h.limit, h.loc))
        .collect()
}

/// `limit` was hit at `loc`: evaluation went on with unknown values from there.
pub fn finding(limit: Limit, loc: Loc) -> Finding {
    Finding::new(
        &LimitExceeded::META,
        loc,
        format!(
            "limit `{}` hit: {}; this file was not fully checked",
            limit.name(),
            limit.describe()
        ),
    )
    .label("checking stopped here")
    .help(format!(
        "values that depend on this were not evaluated, so no rule checked them; simplify or \
         split the template if it is genuine ({SEE_LIMITS})"
    ))
}

/// A file of `bytes` bytes over the size limit `max`: not parsed at all, reported at 1:1.
pub fn file_too_large(file: FileId, bytes: u64, max: u64) -> Finding {
    Finding::new(
        &LimitExceeded::META,
        Loc::new(file, 0, 0),
        format!(
            "limit `{}` hit: the file is {bytes} bytes, more than {max}; it was not parsed",
            Limit::FileSize.name()
        ),
    )
    .label("not read past here")
    .help(format!(
        "nothing in this file was checked; split it, or exclude it (`--exclude`, `exclude` in \
         acr-cmk.toml) if it is not a deployment ({SEE_LIMITS})"
    ))
}
