//! The rule catalogue and the engine that runs it.
//!
//! One rule per file. Each file declares its rule with [`declare_rule!`], whose doc comment
//! (headings: What it does / Why is this bad? / Example / Use instead) is the text
//! `acr-cmk explain CODE` prints. Rules are pure functions over the format-neutral
//! [`crate::model::Model`]; a rule that also applies to the TOML spec implements `check_spec`.

use crate::finding::{Finding, Level};
use crate::model::{Model, Presence};

/// Static description of a rule.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub level: Level,
    /// Off unless enabled in configuration (CMK017 cmk-required).
    pub default_enabled: bool,
    /// One-line summary (first line of the docs).
    pub summary: &'static str,
    /// Markdown docs from the rule's doc comment.
    pub docs: &'static str,
}

/// What a rule gets to look at.
pub struct Ctx<'a> {
    pub model: &'a Model,
    /// The previous version of the template (`lint --baseline`), for CMK010.
    pub baseline: Option<&'a Model>,
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>);
    /// Checks on the TOML spec (before generation), located in the TOML.
    fn check_spec(&self, _spec: &crate::spec::Spec, _out: &mut Vec<Finding>) {}
}

/// Declare a rule: a unit struct, its [`RuleMeta`] (docs taken from the doc comment) and
/// `impl` of `meta()`. The file then implements `check` in an `impl Rule for X` block via
/// [`impl_rule!`]-free plain Rust.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        pub struct $name:ident {
            code: $code:literal,
            name: $slug:literal,
            level: $level:ident,
            summary: $summary:literal $(,)?
            $(default_enabled: $enabled:literal $(,)?)?
        }
    ) => {
        $(#[doc = $doc])+
        pub struct $name;

        impl $name {
            pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                code: $code,
                name: $slug,
                level: $crate::finding::Level::$level,
                default_enabled: $crate::declare_rule!(@enabled $($enabled)?),
                summary: $summary,
                docs: concat!($($doc, "\n"),+),
            };
        }
    };
    (@enabled) => { true };
    (@enabled $e:literal) => { $e };
}

/// Every rule, sorted by code.
pub fn all() -> &'static [&'static dyn Rule] {
    &[]
}

/// Metadata by code. Placeholder table until the rule files land; the rules work replaces it
/// with a lookup over [`all`]. Panics on an unknown code (a programming error).
pub fn meta(code: &str) -> &'static RuleMeta {
    PLACEHOLDER_META
        .iter()
        .find(|m| m.code == code)
        .unwrap_or_else(|| panic!("no rule {code}"))
}

macro_rules! placeholder {
    ($($code:literal $name:literal $level:ident;)*) => {
        &[$(RuleMeta { code: $code, name: $name, level: Level::$level, default_enabled: true, summary: "", docs: "" }),*]
    };
}

static PLACEHOLDER_META: &[RuleMeta] = placeholder! {
    "ARM000" "invalid-json" Error;
    "BICEP000" "invalid-bicep" Error;
    "CMK001" "premium-sku-required" Error;
    "CMK002" "rsa-key-required" Error;
    "CMK003" "content-trust-unsupported" Error;
    "CMK004" "rotation-mode-mismatch" Error;
    "CMK005" "invalid-key-identifier" Error;
    "CMK006" "user-assigned-identity-required" Error;
    "CMK007" "key-access-missing" Error;
    "CMK008" "registry-before-key-access" Error;
    "CMK009" "vault-purge-protection" Error;
    "CMK010" "cmk-immutable" Error;
    "CMK011" "tasks-log-retention" Note;
    "CMK012" "vault-firewall-trusted-services" Warning;
    "CMK013" "invalid-resource-name" Error;
    "CMK014" "api-version-without-encryption" Error;
    "CMK015" "read-only-property-set" Error;
    "CMK016" "key-vault-mismatch" Error;
    "CMK017" "cmk-required" Error;
    "CMK018" "over-privileged-key-access" Warning;
    "CMK019" "rbac-propagation-race" Warning;
    "SCH001" "schema-violation" Error;
    "SPEC001" "invalid-spec" Error;
    "SUP001" "suppression-without-reason" Warning;
};

pub fn find(code: &str) -> Option<&'static dyn Rule> {
    all()
        .iter()
        .copied()
        .find(|r| r.meta().code.eq_ignore_ascii_case(code) || r.meta().name == code)
}

/// Run every enabled rule over a model. Findings on resources deployed only under an unknown
/// condition are lowered one level and say so.
pub fn run(ctx: &Ctx, enabled: &dyn Fn(&RuleMeta) -> bool) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in all() {
        if !enabled(rule.meta()) {
            continue;
        }
        let start = out.len();
        rule.check(ctx, &mut out);
        for f in &mut out[start..] {
            if let Some(r) = f.resource
                && ctx.model.resources.get(r).map(|r| r.presence) == Some(Presence::IfDeployed)
            {
                f.level = f.level.lower();
                f.message = format!("if deployed: {}", f.message);
            }
        }
    }
    out
}
