//! Run rules in unit tests: the model builders of [`crate::model::testing`], plus running one
//! rule through the engine.

use crate::model::Model;
pub use crate::model::testing::*;

/// Run one rule over a model, through the engine (findings located and lowered as in a run).
pub fn check(rule: &dyn crate::rules::Rule, model: &Model) -> Vec<crate::finding::Finding> {
    check_with_baseline(rule, model, None)
}

pub fn check_with_baseline(
    rule: &dyn crate::rules::Rule,
    model: &Model,
    baseline: Option<&Model>,
) -> Vec<crate::finding::Finding> {
    let ctx = crate::rules::Ctx { model, baseline };
    let mut out = Vec::new();
    crate::rules::check(rule, &ctx, &mut out);
    out
}

/// The pointers of the findings, for compact assertions.
pub fn pointers(findings: &[crate::finding::Finding]) -> Vec<String> {
    findings.iter().map(|f| f.pointer.clone()).collect()
}
