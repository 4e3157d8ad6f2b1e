//! Facts about the key and its vault that the grant and key rules model (issue 9 #13, #14),
//! through the real binary: `tests/fixtures/lint/key-facts/<case>-{good,bad}.{json,bicep}`.
//! Each bad input reports the expected finding, in ARM and in Bicep alike; each good input (the
//! same deployment with the one fix) lints clean. The bad JSON's human report is a snapshot.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/key-facts")
}

/// (case, code and level the bad variant reports).
const CASES: &[(&str, &str, &str)] = &[
    // A vault created with Key Vault API 2026-02-01 without enableRbacAuthorization is RBAC.
    ("rbac-default", "CMK007", "error"),
];

struct Run {
    exit: i32,
    stdout: String,
}

fn lint(file: &str, format: &str) -> Run {
    let config = dir().join("empty.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .current_dir(dir())
        .env("NO_COLOR", "1")
        .args(["lint", "--format", format, "--config"])
        .arg(&config)
        .arg(file)
        .output()
        .unwrap();
    Run {
        exit: out.status.code().expect("acr-cmk was killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
    }
}

/// (code, level) of every finding.
fn findings(run: &Run) -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["level"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn bad_cases_report_the_fact_in_arm_and_bicep_and_good_cases_are_clean() {
    for &(case, code, level) in CASES {
        let expected = vec![(code.to_string(), level.to_string())];
        for ext in ["json", "bicep"] {
            let bad = lint(&format!("{case}-bad.{ext}"), "json");
            assert_eq!(findings(&bad), expected, "{case}-bad.{ext}");
            assert_eq!(bad.exit, if level == "error" { 1 } else { 0 }, "{case}");
            let good = lint(&format!("{case}-good.{ext}"), "json");
            assert_eq!(findings(&good), [], "{case}-good.{ext}");
            assert_eq!(good.exit, 0, "{case}-good.{ext}");
        }
    }
}

#[test]
fn bad_case_reports_match_the_snapshots() {
    for &(case, _, _) in CASES {
        let text = lint(&format!("{case}-bad.json"), "human").stdout;
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("lint__key_facts__{case}"), text);
        });
    }
}
