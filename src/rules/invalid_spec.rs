use crate::finding::Finding;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a TOML spec for `acr-cmk build` / `validate` that cannot be used: malformed TOML,
    /// an unknown key (with a "did you mean"), a value of the wrong type, a missing required key,
    /// or two keys that exclude each other (`identity.name` and `identity.resource_id`).
    ///
    /// ## Why is this bad?
    /// Nothing can be generated from a spec the tool does not understand; guessing would produce
    /// a template that deploys something else than what was asked.
    ///
    /// ## Example
    /// ```json
    /// // Not applicable: the spec is TOML.
    /// ```
    ///
    /// ```bicep
    /// // Not applicable: the spec is TOML, e.g.
    /// // [registry]
    /// // nmae = "myregistry"
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// // Not applicable.
    /// ```
    ///
    /// ```bicep
    /// // [registry]
    /// // name = "myregistry"
    /// ```
    ///
    /// ## References
    /// - acr-cmk policy: the build spec is the tool's own format, described by
    ///   `schemas/spec.schema.json` and the README
    /// - <https://toml.io/en/v1.0.0> (the TOML syntax the spec is parsed with)
    pub struct InvalidSpec {
        code: "SPEC001",
        name: "invalid-spec",
        level: Error,
        summary: "A build spec is malformed, has an unknown key or a value of the wrong type",
    }
}

impl Rule for InvalidSpec {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    /// Emitted by the spec loader, not computed from the model.
    fn check(&self, _ctx: &Ctx, _out: &mut Vec<Finding>) {}
}
