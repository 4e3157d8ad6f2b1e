//! In-source suppressions (`metadata."acr-cmk"` in ARM, `#disable-next-line` in Bicep), applied
//! to a unit's findings after the rules ran.

use crate::finding::Finding;
use crate::model::{Model, Suppression, SuppressionScope};
use crate::rules;
use crate::rules::catalog;

/// Code of the finding reported for a suppression that gives no reason.
pub const NO_REASON: &str = "SUP001";

fn covers(s: &Suppression, f: &Finding) -> bool {
    let code_matches = s.codes.is_empty()
        || s.codes
            .iter()
            .any(|c| c.eq_ignore_ascii_case(f.code) || c.eq_ignore_ascii_case(f.rule));
    code_matches
        && match &s.scope {
            SuppressionScope::All => true,
            SuppressionScope::Resource(i) => f.resource == Some(*i),
            SuppressionScope::Range { file, start, end } => {
                f.loc.file == *file && f.loc.start >= *start && f.loc.start < (*end).max(start + 1)
            }
        }
}

fn reason(s: &Suppression) -> Option<&str> {
    s.reason.as_deref().map(str::trim).filter(|r| !r.is_empty())
}

/// Mark every finding a suppression covers (the first matching suppression gives the reason).
/// SUP001 findings are never suppressed: a suppression cannot silence the warning about itself.
/// Nor is LIM001: a file cut short by a limit must never pass as clean.
pub fn apply(model: &Model, findings: &mut [Finding]) {
    let unsilenceable = [NO_REASON, rules::limit_exceeded::LimitExceeded::META.code];
    for f in findings
        .iter_mut()
        .filter(|f| !unsilenceable.contains(&f.code))
    {
        if let Some(s) = model.suppressions.iter().find(|s| covers(s, f)) {
            f.suppressed = Some(reason(s).unwrap_or_default().to_string());
        }
    }
}

/// A SUP001 finding for every suppression of ours without a reason, at the suppression.
///
/// Bicep files are full of `#disable-next-line no-unused-params` and `BCP081` for the Bicep
/// linter and compiler: those are none of ours. A suppression is ours when it names one of our
/// rules, or names none (`#disable-diagnostics`) and hides at least one of `findings`.
pub fn without_reason(model: &Model, findings: &[Finding]) -> Vec<Finding> {
    model
        .suppressions
        .iter()
        .filter(|s| reason(s).is_none())
        .filter_map(|s| {
            let ours: Vec<&str> = s
                .codes
                .iter()
                .filter_map(|c| catalog::lookup(c))
                .map(|m| m.code)
                .collect();
            let what = if !ours.is_empty() {
                ours.join(", ")
            } else if s.codes.is_empty() && findings.iter().any(|f| covers(s, f)) {
                "every rule".to_string()
            } else {
                return None;
            };
            Some(
                Finding::new(
                    rules::meta(NO_REASON),
                    s.loc,
                    format!("suppression of {what} gives no reason"),
                )
                .label("suppressed without a reason")
                .help("say why the finding does not apply: add a \"reason\" (ARM metadata) or a comment after the codes (Bicep)"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Loc;

    fn finding(code: &'static str, start: usize, resource: Option<usize>) -> Finding {
        let mut f = Finding::new(rules::meta(code), Loc::new(0, start, start + 2), "m");
        f.resource = resource;
        f
    }

    fn sup(codes: &[&str], reason: Option<&str>, scope: SuppressionScope) -> Suppression {
        Suppression {
            codes: codes.iter().map(|c| c.to_string()).collect(),
            reason: reason.map(str::to_string),
            scope,
            loc: Loc::new(0, 100, 110),
        }
    }

    #[test]
    fn scopes_and_codes_select_findings() {
        let model = Model {
            resources: Vec::new(),
            suppressions: vec![
                sup(
                    &["cmk011"],
                    Some("tasks logs are fine"),
                    SuppressionScope::All,
                ),
                sup(
                    &["CMK012"],
                    Some("vault is public by design"),
                    SuppressionScope::Resource(1),
                ),
                sup(
                    &[],
                    Some("legacy block"),
                    SuppressionScope::Range {
                        file: 0,
                        start: 50,
                        end: 60,
                    },
                ),
            ],
            ..Default::default()
        };
        let mut fs = vec![
            finding("CMK011", 10, None),
            finding("CMK012", 20, Some(1)),
            finding("CMK012", 20, Some(2)),
            finding("CMK001", 55, None),
            finding("CMK001", 60, None),
        ];
        apply(&model, &mut fs);
        let got: Vec<Option<&str>> = fs.iter().map(|f| f.suppressed.as_deref()).collect();
        assert_eq!(
            got,
            [
                Some("tasks logs are fine"),
                Some("vault is public by design"),
                None,
                Some("legacy block"),
                None
            ]
        );
    }

    #[test]
    fn a_suppression_without_reason_is_reported_and_does_not_hide_itself() {
        let model = Model {
            resources: Vec::new(),
            suppressions: vec![
                sup(&[], Some("  "), SuppressionScope::All),
                sup(&["SUP001"], Some("why"), SuppressionScope::All),
            ],
            ..Default::default()
        };
        // A code-less suppression is ours only when it hides one of our findings.
        assert!(without_reason(&model, &[]).is_empty());
        let hidden = [finding("SUP001", 0, None)];
        let mut fs = without_reason(&model, &hidden);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].code, "SUP001");
        assert_eq!(fs[0].loc, Loc::new(0, 100, 110));
        assert_eq!(fs[0].message, "suppression of every rule gives no reason");
        apply(&model, &mut fs);
        assert_eq!(fs[0].suppressed, None);
    }

    #[test]
    fn bicep_linter_suppressions_are_not_ours() {
        let model = Model {
            resources: Vec::new(),
            suppressions: vec![
                sup(&["no-unused-params"], None, SuppressionScope::All),
                sup(
                    &["BCP081", "suppression-without-reason"],
                    None,
                    SuppressionScope::All,
                ),
            ],
            ..Default::default()
        };
        let fs = without_reason(&model, &[]);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].message, "suppression of SUP001 gives no reason");
    }
}
