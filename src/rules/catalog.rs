//! Rule metadata lookups that never panic: configuration names rules, SARIF describes them.

use crate::rules::{self, RuleMeta};

/// Every rule the configuration may name, by code: the whole catalogue, including the codes
/// the front ends and the engine report themselves (ARM000, BICEP000, SPEC001, SUP001).
pub fn known() -> Vec<&'static RuleMeta> {
    let mut all: Vec<&'static RuleMeta> = rules::all().iter().map(|r| r.meta()).collect();
    all.sort_by_key(|m| m.code);
    all
}

/// A rule by code (any case) or slug name.
pub fn lookup(name: &str) -> Option<&'static RuleMeta> {
    rules::find(name).map(|r| r.meta())
}
