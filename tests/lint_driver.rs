//! The driver pipeline (front end → suppressions → SUP001 → configured levels → dedup → exit
//! code) with stand-in front ends, so it is tested without the real ARM/Bicep loaders.

use acr_cmk::arm::JsonKind;
use acr_cmk::finding::{Finding, Level};
use acr_cmk::lint::{self, FrontEnds, Settings, config::Config, discover::Excludes};
use acr_cmk::model::{SuppressedCode, Suppression, SuppressionScope};
use acr_cmk::placeholders::Placeholders;
use acr_cmk::read::Root;
use acr_cmk::rules::{self, RuleMeta};
use acr_cmk::source::Loc;
use acr_cmk::unit::Unit;
use std::path::Path;

static KEY: RuleMeta = RuleMeta {
    code: "TST001",
    name: "test-key",
    level: Level::Error,
    default_enabled: true,
    summary: "",
    docs: "",
};
static VAULT: RuleMeta = RuleMeta {
    code: "TST002",
    name: "test-vault",
    level: Level::Warning,
    default_enabled: true,
    summary: "",
    docs: "",
};

fn detect(text: &str) -> JsonKind {
    if text.contains("deploymentParameters") {
        JsonKind::Parameters
    } else {
        JsonKind::Template
    }
}

/// A stand-in ARM loader driven by markers in the text:
/// `BROKEN` → unparseable (ARM000); `KEY` / `VAULT` → a finding on the marker;
/// `IGNORE <code|*> [reason]` → a whole-template suppression (`*`: every code), in a syntax shared
/// with other tools, as Bicep's; in a parameters file, `PKEY` → a
/// finding located in that parameters file.
fn fake_arm(
    _: &Root,
    display: &str,
    _path: Option<&Path>,
    text: &str,
    params: &[(String, String)],
    _: &Placeholders,
) -> Unit {
    let mut unit = Unit::default();
    unit.sources.add(display, text);
    if text.contains("BROKEN") {
        let at = text.find("BROKEN").unwrap();
        unit.findings.push(Finding::new(
            rules::meta("ARM000"),
            Loc::new(0, at, at + 6),
            "expected a value",
        ));
        unit.unparseable = true;
        return unit;
    }
    for (meta, marker) in [(&KEY, "KEY"), (&VAULT, "VAULT")] {
        for (at, _) in text.match_indices(marker) {
            unit.findings.push(Finding::new(
                meta,
                Loc::new(0, at, at + marker.len()),
                marker,
            ));
        }
    }
    for line in text.lines().filter(|l| l.contains("IGNORE")) {
        let start = text.find(line).unwrap();
        let mut words = line
            .split_whitespace()
            .skip_while(|w| *w != "IGNORE")
            .skip(1);
        let code = words.next().unwrap_or_default().to_string();
        let reason: Vec<&str> = words.collect();
        let loc = Loc::new(0, start, start + line.len());
        unit.model.suppressions.push(Suppression {
            codes: if code == "*" {
                vec![]
            } else {
                vec![SuppressedCode { code, loc }]
            },
            reason: Some(reason.join(" ")),
            scope: SuppressionScope::All,
            loc,
            // Like Bicep's directives: codes of other tools may appear (test codes are not ours).
            shared: true,
        });
    }
    for (name, ptext) in params {
        let id = unit.sources.add(name.clone(), ptext.clone());
        if let Some(at) = ptext.find("PKEY") {
            unit.findings.push(Finding::new(
                &KEY,
                Loc::new(id, at, at + 4),
                "from parameters",
            ));
        }
    }
    unit
}

fn fake_bicep(
    _: &Root,
    _: &str,
    _: Option<&Path>,
    _: &str,
    _: &[(String, String)],
    _: &Placeholders,
) -> Unit {
    Unit::default()
}

fn run(
    dir: &Path,
    config: Config,
    params: &[&str],
    baseline: Option<&str>,
) -> acr_cmk::report::Report {
    let settings = Settings {
        paths: vec![dir.to_path_buf()],
        parameters: params.iter().map(|p| dir.join(p)).collect(),
        excludes: Excludes::none(),
        config,
        baseline: baseline.map(|b| dir.join(b)),
        root: Root::new(dir).unwrap(),
    };
    lint::run_with(
        &settings,
        &FrontEnds {
            detect: &detect,
            arm: fake_arm,
            bicep: fake_bicep,
        },
    )
}

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, t) in files {
        std::fs::write(dir.path().join(name), t).unwrap();
    }
    dir
}

/// (code, level, suppressed reason) of every finding, in report order.
fn summary(r: &acr_cmk::report::Report) -> Vec<(String, Level, Option<String>)> {
    r.findings()
        .iter()
        .map(|l| {
            (
                l.finding.code.to_string(),
                l.finding.level,
                l.finding.suppressed.clone(),
            )
        })
        .collect()
}

#[test]
fn suppressions_reasons_and_levels() {
    let dir = tree(&[(
        "main.json",
        "KEY\nVAULT\n// IGNORE TST001 the key is managed by the platform team\n// IGNORE *\n// IGNORE no-unused-params\n",
    )]);
    let r = run(dir.path(), Config::default(), &[], None);
    assert_eq!(
        summary(&r),
        [
            (
                "TST001".into(),
                Level::Error,
                Some("the key is managed by the platform team".into())
            ),
            ("TST002".into(), Level::Warning, Some(String::new())),
            // The suppression without a reason is itself reported, and not suppressed; the
            // one that names only a Bicep linter rule is none of ours.
            ("SUP001".into(), Level::Warning, None),
        ]
    );
    assert_eq!(r.exit(Level::Error) as u8, 0);
    assert_eq!(r.exit(Level::Warning) as u8, 1);

    // Configured levels: SUP001 raised to error, TST001 off (dropped even though suppressed).
    let mut config = Config::default();
    config.levels.insert("SUP001", Some(Level::Error));
    config.levels.insert("TST001", None);
    let r = run(dir.path(), config, &[], None);
    assert_eq!(
        summary(&r),
        [
            ("TST002".into(), Level::Warning, Some(String::new())),
            ("SUP001".into(), Level::Error, None),
        ]
    );
    assert_eq!(r.exit(Level::Error) as u8, 1);
}

#[test]
fn an_unparseable_file_exits_2_and_the_others_are_linted() {
    let dir = tree(&[("a.json", "{ BROKEN"), ("b.json", "VAULT")]);
    let r = run(dir.path(), Config::default(), &[], None);
    assert_eq!(
        summary(&r),
        [
            ("ARM000".into(), Level::Error, None),
            ("TST002".into(), Level::Warning, None)
        ]
    );
    assert_eq!(r.exit(Level::Error) as u8, 2);
    assert_eq!(r.files_checked, 2);
}

#[test]
fn a_finding_in_a_shared_parameters_file_is_reported_once() {
    let dir = tree(&[
        ("a.json", "{}"),
        ("b.json", "{}"),
        ("shared.params", "deploymentParameters PKEY"),
    ]);
    let r = run(dir.path(), Config::default(), &["shared.params"], None);
    let findings = r.findings();
    assert_eq!(findings.len(), 1);
    assert!(findings[0].file().ends_with("shared.params"));
    assert_eq!(
        r.summary().line(),
        "3 files checked, 1 with findings: 1 error, 0 warnings, 0 notes"
    );
}

#[test]
fn a_baseline_that_cannot_be_read_or_parsed_exits_2() {
    let dir = tree(&[("main.json", "{}"), ("old.txt", "BROKEN")]);
    let r = run(dir.path(), Config::default(), &[], Some("missing.json"));
    assert_eq!(r.problems.len(), 1);
    assert!(
        r.problems[0].message.starts_with("baseline: no such file"),
        "{:?}",
        r.problems
    );
    assert_eq!(r.exit(Level::Error) as u8, 2);
    let r = run(dir.path(), Config::default(), &[], Some("old.txt"));
    assert_eq!(summary(&r), [("ARM000".into(), Level::Error, None)]);
    assert_eq!(r.exit(Level::Error) as u8, 2);
}

fn panicking_arm(
    root: &Root,
    display: &str,
    path: Option<&Path>,
    text: &str,
    params: &[(String, String)],
    placeholders: &Placeholders,
) -> Unit {
    if text.contains("PANIC") {
        panic!("boom in {display}");
    }
    fake_arm(root, display, path, text, params, placeholders)
}

#[test]
fn a_panic_in_one_unit_is_a_problem_and_the_others_are_linted() {
    let dir = tree(&[("a.json", "PANIC"), ("b.json", "VAULT")]);
    let settings = Settings {
        paths: vec![dir.path().to_path_buf()],
        parameters: Vec::new(),
        excludes: Excludes::none(),
        config: Config::default(),
        baseline: None,
        root: Root::new(dir.path()).unwrap(),
    };
    let r = lint::run_with(
        &settings,
        &FrontEnds {
            detect: &detect,
            arm: panicking_arm,
            bicep: fake_bicep,
        },
    );
    assert_eq!(summary(&r), [("TST002".into(), Level::Warning, None)]);
    assert_eq!(r.problems.len(), 1);
    assert!(r.problems[0].file.ends_with("a.json"));
    assert!(
        r.problems[0]
            .message
            .contains("internal error while linting")
    );
    assert!(r.problems[0].message.contains("boom in"));
    assert_eq!(r.exit(Level::Error) as u8, 2);
}

fn module_arm(
    _: &Root,
    _: &str,
    _: Option<&Path>,
    text: &str,
    _: &[(String, String)],
    _: &Placeholders,
) -> Unit {
    // As a front end following a module path names the module file.
    let mut unit = Unit::default();
    unit.sources.add("tests/e2e/../../main.json", text);
    unit.findings
        .push(Finding::new(&KEY, Loc::new(0, 0, 3), "in a module"));
    unit
}

#[test]
fn files_reached_through_module_paths_are_named_cleanly() {
    let dir = tree(&[("main.json", "KEY")]);
    let settings = Settings {
        paths: vec![dir.path().join("main.json")],
        parameters: Vec::new(),
        excludes: Excludes::none(),
        config: Config::default(),
        baseline: None,
        root: Root::new(dir.path()).unwrap(),
    };
    let fe = FrontEnds {
        detect: &detect,
        arm: module_arm,
        bicep: fake_bicep,
    };
    let r = lint::run_with(&settings, &fe);
    assert_eq!(r.findings()[0].file(), "main.json");
}
