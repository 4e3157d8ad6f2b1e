use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a mistake in the configuration file `acr-cmk.toml` (found upward from the
    /// working directory, or given with `--config`): TOML that does not parse, an unknown key,
    /// an unknown rule (with "did you mean"), an unknown level, a value of the wrong type, an
    /// invalid exclude glob, a rule configured twice. Every mistake of the file is reported,
    /// each at its line and column; a file that is not TOML at all stops at its syntax error.
    ///
    /// The run stops before linting anything and exits 2: a configuration is never half
    /// applied. This code cannot be configured.
    ///
    /// ## Why is this bad?
    /// A misspelt setting would otherwise be ignored: a rule the team turned off would still
    /// fail builds, or a policy such as `cmk-required` would silently not apply.
    ///
    /// ## Example
    /// ```json
    /// // acr-cmk.toml (TOML, not JSON):
    /// // exlude = ["generated/**"]
    /// // [rules]
    /// // CMK11 = "off"
    /// ```
    ///
    /// ```bicep
    /// // Not applicable: the configuration is TOML.
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// // exclude = ["generated/**"]
    /// // [rules]
    /// // CMK011 = "off"
    /// ```
    ///
    /// ```bicep
    /// // Not applicable.
    /// ```
    ///
    /// ## References
    /// - acr-cmk policy: `acr-cmk.toml` is the tool's own format, described by
    ///   `schemas/config.schema.json` and the README ("Configuration: `acr-cmk.toml`")
    /// - <https://toml.io/en/v1.0.0> (the TOML syntax the file is parsed with)
    pub struct InvalidConfig {
        code: "CFG001",
        name: "invalid-config",
        level: Error,
        summary: "The configuration file acr-cmk.toml has a mistake",
    }
}

impl Rule for InvalidConfig {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Reported by the configuration loader before any file is linted, not by this check.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}
