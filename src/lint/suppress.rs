//! In-source suppressions (`metadata."acr-cmk"` in ARM, `#disable-next-line` in Bicep), applied
//! to a unit's findings after the rules ran, and the findings about the suppressions
//! themselves: no reason (SUP001), a code that names no rule (SUP002), a code that hid nothing
//! (SUP003).

use crate::finding::{Finding, RuleMeta};
use crate::model::{Model, SuppressedCode, Suppression, SuppressionScope};
use crate::rules;
use crate::rules::catalog;
use crate::source::Loc;

/// Code of the finding reported for a suppression that gives no reason.
pub const NO_REASON: &str = "SUP001";
/// Code of the finding reported for a suppressed code that names no rule.
pub const UNKNOWN_CODE: &str = "SUP002";
/// Code of the finding reported for a suppressed code that hid no finding.
pub const UNUSED: &str = "SUP003";

/// The findings about suppressions: a suppression never hides them (it cannot silence the
/// warning about itself).
fn about_suppressions(code: &str) -> bool {
    [NO_REASON, UNKNOWN_CODE, UNUSED].contains(&code)
}

/// Does a code of a suppression name this finding's rule (by code or by name)?
fn names(code: &SuppressedCode, f: &Finding) -> bool {
    code.code.eq_ignore_ascii_case(f.code) || code.code.eq_ignore_ascii_case(f.rule)
}

/// Is the finding where the suppression applies?
fn in_scope(s: &Suppression, f: &Finding) -> bool {
    match &s.scope {
        SuppressionScope::All => true,
        SuppressionScope::Resource(i) => f.resource == Some(*i),
        // Where the value is written, or where it is used: a `#disable-next-line` over a
        // resource's property covers a finding on the `.bicepparam` value it uses.
        SuppressionScope::Range { file, start, end } => {
            std::iter::once(f.loc).chain(f.used_at).any(|loc| {
                loc.file == *file && loc.start >= *start && loc.start < (*end).max(start + 1)
            })
        }
    }
}

fn covers(s: &Suppression, f: &Finding) -> bool {
    (s.codes.is_empty() || s.codes.iter().any(|c| names(c, f))) && in_scope(s, f)
}

fn reason(s: &Suppression) -> Option<&str> {
    s.reason.as_deref().map(str::trim).filter(|r| !r.is_empty())
}

/// Mark every finding a suppression covers (the first matching suppression gives the reason).
/// Findings about suppressions (SUP001–SUP003) are never suppressed; nor is LIM001: a file cut
/// short by a limit must never pass as clean.
pub fn apply(model: &Model, findings: &mut [Finding]) {
    let limit = rules::limit_exceeded::LimitExceeded::META.code;
    for f in findings
        .iter_mut()
        .filter(|f| !about_suppressions(f.code) && f.code != limit)
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
                .filter_map(|c| catalog::lookup(&c.code))
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

/// Is this unknown code in acr-cmk's namespace: a catalogue prefix followed by digits
/// (`CMK08`, `SUP1`)? In a syntax shared with Bicep only those are ours to judge; `BCP081` and
/// `no-unused-params` are Bicep's.
fn in_our_code_space(code: &str) -> bool {
    let digits = code.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let prefix = &code[..code.len() - digits.len()];
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && catalog::known().iter().any(|m| {
            m.code.len() > prefix.len()
                && m.code[..prefix.len()].eq_ignore_ascii_case(prefix)
                && m.code[prefix.len()..].chars().all(|c| c.is_ascii_digit())
        })
}

/// A SUP002 finding, at the code, for every suppressed code that names no rule of ours: it
/// suppresses nothing, and the finding it meant to hide is still reported. In a syntax shared
/// with Bicep only codes in acr-cmk's namespace are judged ([`in_our_code_space`]).
pub fn unknown_codes(model: &Model) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &model.suppressions {
        for c in &s.codes {
            let limit = rules::limit_exceeded::LimitExceeded::META;
            if catalog::lookup(&c.code).is_some_and(|m| m.code == limit.code) {
                // Known, but never suppressed: say so where the user wrote it.
                out.push(
                    Finding::new(
                        rules::meta(UNKNOWN_CODE),
                        c.loc,
                        format!(
                            "`{}` cannot be suppressed: a file cut short by a limit was not fully checked",
                            c.code
                        ),
                    )
                    .label("not suppressible")
                    .help(format!(
                        "remove `{}` here; `acr-cmk explain {}` says how to bring the file under the limits",
                        c.code, limit.code
                    )),
                );
                continue;
            }
            if catalog::lookup(&c.code).is_some() || (s.shared && !in_our_code_space(&c.code)) {
                continue;
            }
            let hint = catalog::closest_rule(&c.code)
                .map(|m| format!("did you mean {} ({})? ", m.code, m.name))
                .unwrap_or_default();
            out.push(
                Finding::new(
                    rules::meta(UNKNOWN_CODE),
                    c.loc,
                    format!(
                        "`{}` is not an acr-cmk rule, so this suppresses nothing",
                        c.code
                    ),
                )
                .label("unknown rule")
                .help(format!(
                    "{hint}`acr-cmk rules` lists the rule codes and names"
                )),
            );
        }
    }
    out
}

/// One rule code of one suppression, and whether it hid a finding of this unit.
#[derive(Clone, Debug)]
pub struct CodeUse {
    /// Where the code is written.
    pub loc: Loc,
    pub rule: &'static RuleMeta,
    pub used: bool,
}

/// Every code of our rules that the suppressions name, and whether each hid one of `findings`.
/// Rules that did not run (`enabled` says no: turned off in the configuration) are left out:
/// a suppression of a rule that is off is not known to be useless.
pub fn code_uses(
    model: &Model,
    findings: &[Finding],
    enabled: &dyn Fn(&RuleMeta) -> bool,
) -> Vec<CodeUse> {
    let mut out = Vec::new();
    for s in &model.suppressions {
        for c in &s.codes {
            let Some(rule) = catalog::lookup(&c.code) else {
                continue;
            };
            // LIM001 is never suppressed: SUP002 reports such a code, not SUP003.
            let limit = rules::limit_exceeded::LimitExceeded::META.code;
            if !enabled(rule) || about_suppressions(rule.code) || rule.code == limit {
                continue;
            }
            let used = findings
                .iter()
                .any(|f| f.code == rule.code && in_scope(s, f));
            out.push(CodeUse {
                loc: c.loc,
                rule,
                used,
            });
        }
    }
    out
}

/// SUP003 at a suppressed code that hid nothing (the lint driver decides: a suppression in a
/// file linted in several units is unused only if it hid nothing in any of them).
pub fn unused(code: &CodeUse) -> Finding {
    Finding::new(
        rules::meta(UNUSED),
        code.loc,
        format!(
            "suppression of {} ({}) is unused: there is no {} finding here to hide",
            code.rule.code, code.rule.name, code.rule.code
        ),
    )
    .label("suppresses nothing")
    .help(format!(
        "remove {} from the suppression; if the finding is reported elsewhere now, suppress it there",
        code.rule.code
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(code: &'static str, start: usize, resource: Option<usize>) -> Finding {
        let mut f = Finding::new(rules::meta(code), Loc::new(0, start, start + 2), "m");
        f.resource = resource;
        f
    }

    fn sup(codes: &[&str], reason: Option<&str>, scope: SuppressionScope) -> Suppression {
        Suppression {
            codes: codes
                .iter()
                .enumerate()
                .map(|(i, c)| SuppressedCode {
                    code: c.to_ascii_uppercase(),
                    loc: Loc::new(0, 200 + 10 * i, 205 + 10 * i),
                })
                .collect(),
            reason: reason.map(str::to_string),
            scope,
            loc: Loc::new(0, 100, 110),
            shared: false,
        }
    }

    #[test]
    fn scopes_and_codes_select_findings() {
        let mut model = Model::default();
        model.suppressions.extend([
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
        ]);
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
        let mut model = Model::default();
        model.suppressions.extend([
            sup(&[], Some("  "), SuppressionScope::All),
            sup(&["SUP001"], Some("why"), SuppressionScope::All),
        ]);
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
        let mut model = Model::default();
        model.suppressions.extend([
            sup(&["no-unused-params"], None, SuppressionScope::All),
            sup(
                &["BCP081", "suppression-without-reason"],
                None,
                SuppressionScope::All,
            ),
        ]);
        let fs = without_reason(&model, &[]);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].message, "suppression of SUP001 gives no reason");
    }
}

#[cfg(test)]
mod code_tests {
    use super::*;

    fn sup(codes: &[&str], shared: bool, scope: SuppressionScope) -> Suppression {
        Suppression {
            codes: codes
                .iter()
                .enumerate()
                .map(|(i, c)| SuppressedCode {
                    code: c.to_ascii_uppercase(),
                    loc: Loc::new(0, 200 + 10 * i, 205 + 10 * i),
                })
                .collect(),
            reason: Some("why".into()),
            scope,
            loc: Loc::new(0, 100, 110),
            shared,
        }
    }

    fn model(suppressions: Vec<Suppression>) -> Model {
        let mut m = Model::default();
        m.suppressions = suppressions;
        m
    }

    #[test]
    fn unknown_codes_are_located_with_a_suggestion() {
        let m = model(vec![sup(
            &["CMK08", "CMK011", "tasks-log-retention"],
            false,
            SuppressionScope::All,
        )]);
        let f = unknown_codes(&m);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, UNKNOWN_CODE);
        assert_eq!(f[0].loc, Loc::new(0, 200, 205));
        assert_eq!(
            f[0].message,
            "`CMK08` is not an acr-cmk rule, so this suppresses nothing"
        );
        assert!(
            f[0].help
                .as_deref()
                .unwrap()
                .starts_with("did you mean CMK008 (registry-before-key-access)?"),
            "{:?}",
            f[0].help
        );
    }

    #[test]
    fn bicep_codes_are_bicep_s_own_but_our_namespace_is_judged() {
        let m = model(vec![sup(
            &["BCP081", "no-unused-params", "CMK08", "SUP1", "CMK011"],
            true,
            SuppressionScope::All,
        )]);
        let flagged: Vec<Loc> = unknown_codes(&m).iter().map(|f| f.loc).collect();
        assert_eq!(flagged, [Loc::new(0, 220, 225), Loc::new(0, 230, 235)]);
    }

    #[test]
    fn a_code_is_used_when_it_hid_a_finding_of_its_rule_in_scope() {
        let finding = |code: &str, resource: Option<usize>| {
            let mut f = Finding::new(rules::meta(code), Loc::new(0, 10, 12), "m");
            f.resource = resource;
            f
        };
        let m = model(vec![
            sup(&["CMK011", "cmk012"], false, SuppressionScope::Resource(1)),
            sup(&["CMK017"], false, SuppressionScope::All),
        ]);
        let findings = [finding("CMK011", Some(1)), finding("CMK012", Some(2))];
        let all_on = |_: &RuleMeta| true;
        let uses = code_uses(&m, &findings, &all_on);
        let got: Vec<(&str, bool)> = uses.iter().map(|u| (u.rule.code, u.used)).collect();
        assert_eq!(
            got,
            [("CMK011", true), ("CMK012", false), ("CMK017", false)]
        );
        // A rule that did not run is not judged.
        let default_on = |m: &RuleMeta| m.default_enabled;
        let uses = code_uses(&m, &findings, &default_on);
        assert!(uses.iter().all(|u| u.rule.code != "CMK017"));
        let f = unused(&uses[1]);
        assert_eq!(f.code, UNUSED);
        assert_eq!(f.loc, Loc::new(0, 210, 215));
    }
}
