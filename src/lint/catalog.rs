//! Rule metadata lookups that never panic: configuration names rules, SARIF describes them.

use crate::rules::{self, RuleMeta};

/// Codes that are reported by the engine and the front ends rather than by a [`rules::Rule`].
const ENGINE_CODES: &[&str] = &["ARM000", "BICEP000", "REF001", "SUP001"];

/// Every rule the configuration may name: the catalogue plus the engine's own codes, by code.
pub fn known() -> Vec<&'static RuleMeta> {
    let mut all: Vec<&'static RuleMeta> = rules::all().iter().map(|r| r.meta()).collect();
    for code in ENGINE_CODES {
        if !all.iter().any(|m| m.code == *code) {
            all.push(rules::meta(code));
        }
    }
    all.sort_by_key(|m| m.code);
    all
}

/// A rule by code (any case) or slug name.
pub fn lookup(name: &str) -> Option<&'static RuleMeta> {
    known()
        .into_iter()
        .find(|m| m.code.eq_ignore_ascii_case(name) || m.name.eq_ignore_ascii_case(name))
}
