//! End to end through the real ARM and Bicep front ends and rules: pairing, suppressions, SUP001,
//! exit codes.

use std::path::PathBuf;
use std::process::Command;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

/// (file, code, suppressed) of every finding, the exit code, and the parsed report.
fn lint(dir: &str, format: &str) -> (Vec<(String, String, bool)>, i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .args(["lint", "--format", format, dir])
        .current_dir(fixtures())
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["file"].as_str().unwrap().to_string(),
                        f["code"].as_str().unwrap().to_string(),
                        f["suppressed"].as_bool().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (findings, out.status.code().unwrap(), doc)
}

fn f(file: &str, code: &str, suppressed: bool) -> (String, String, bool) {
    (file.into(), code.into(), suppressed)
}

#[test]
fn arm_suppressions_with_and_without_reason() {
    let (findings, code, doc) = lint("suppressed", "json");
    assert_eq!(
        findings,
        [
            // Template-level suppression with a reason.
            f("suppressed/main.json", "CMK006", true),
            // The resource-level suppression has no reason: reported where it is written…
            f("suppressed/main.json", "SUP001", false),
            // …and it still applies.
            f("suppressed/main.json", "CMK001", true),
            f("suppressed/main.json", "CMK005", true),
        ]
    );
    assert_eq!(
        doc["findings"][0]["suppression_reason"],
        "encryption is configured by a later deployment"
    );
    // Only a warning is left: exit 0 with the default --fail-on error.
    assert_eq!(code, 0);
    let (_, _, sarif) = lint("suppressed", "sarif");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results[0]["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        results[0]["suppressions"][0]["justification"],
        "encryption is configured by a later deployment"
    );
    assert!(results[1].get("suppressions").is_none());
}

#[test]
fn azuredeploy_is_paired_with_its_parameters_file() {
    let (findings, code, doc) = lint("paired", "json");
    // The default is Premium; the paired parameters file says Basic, so CMK001 is reported
    // where Basic is written.
    assert!(
        findings.contains(&f("paired/azuredeploy.parameters.json", "CMK001", false)),
        "{findings:?}"
    );
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["files_checked"], 2);
}

#[test]
fn bicep_is_paired_with_its_bicepparam_and_disable_next_line_applies() {
    let (findings, code, doc) = lint("bicep", "json");
    assert_eq!(
        findings,
        [
            f("bicep/main.bicep", "CMK006", true),
            // Standard comes from main.bicepparam (the default is Premium).
            f("bicep/main.bicep", "CMK001", false),
            f("bicep/main.bicep", "CMK005", true),
        ]
    );
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["files_checked"], 2);
}

#[test]
fn a_broken_template_is_arm000_and_exits_2() {
    let (findings, code, doc) = lint("broken", "json");
    assert_eq!(findings, [f("broken/main.json", "ARM000", false)]);
    assert_eq!(
        (
            doc["findings"][0]["line"].as_u64(),
            doc["findings"][0]["column"].as_u64()
        ),
        (Some(3), Some(18))
    );
    assert_eq!(code, 2);
}
