//! `lint --baseline` (issue 9 #4) through the real binary: each template is compared with its
//! own previous version, loaded with the template's parameter files, and findings point into the
//! baseline file. Fixtures: `tests/fixtures/lint/baseline/{new,old}/{app,other}/`, templates as
//! `acr-cmk build` writes them (the registry's name is a parameter without default; its value
//! comes from the paired `CMKtemplate.parameters.json`). `old/app` is the registry deployed
//! without CMK; `other` is unchanged.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/baseline")
}

fn lint_in(cwd: &Path, args: &[&str]) -> (i32, Value, String) {
    let config = dir().join("empty.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .args(["lint", "--format", "json", "--config"])
        .arg(&config)
        .args(args)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap(),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (file, code, line, related files) of every finding.
fn findings(doc: &Value) -> Vec<(String, String, u64, Vec<String>)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["related"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| format!("{}:{}", r["file"].as_str().unwrap(), r["line"]))
                    .collect(),
            )
        })
        .collect()
}

fn finding(
    file: &str,
    code: &str,
    line: u64,
    related: &[&str],
) -> (String, String, u64, Vec<String>) {
    (
        file.into(),
        code.into(),
        line,
        related.iter().map(|s| s.to_string()).collect(),
    )
}

#[test]
fn cmk_added_to_a_registry_named_by_a_parameter_is_reported_in_the_baseline_file() {
    // The name is `parameters('registry_name')` on both sides; only the paired parameters file
    // gives it a value. The baseline is loaded with that file too, so the registries match.
    let (exit, doc, _) = lint_in(
        &dir(),
        &[
            "new/app/CMKtemplate.json",
            "--baseline",
            "old/app/CMKtemplate.json",
        ],
    );
    assert_eq!(
        findings(&doc),
        [finding(
            "new/app/CMKtemplate.json",
            "CMK010",
            107,
            &["old/app/CMKtemplate.json:102"]
        )]
    );
    assert!(
        doc["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("registry 'contosoregistry'")
    );
    assert_eq!(exit, 1);
}

#[test]
fn a_baseline_directory_pairs_each_template_with_its_own_previous_version() {
    let (exit, doc, _) = lint_in(&dir(), &["new", "--baseline", "old"]);
    // `other` is unchanged and `app` gains CMK: one finding, on app, pointing into old/app.
    assert_eq!(
        findings(&doc),
        [finding(
            "new/app/CMKtemplate.json",
            "CMK010",
            107,
            &["old/app/CMKtemplate.json:102"]
        )]
    );
    assert_eq!(exit, 1);
    // Compared with its own baseline only: app's previous version says nothing about other.
    let (exit, doc, _) = lint_in(
        &dir(),
        &["new/other/CMKtemplate.json", "--baseline", "old/other"],
    );
    assert_eq!(findings(&doc), []);
    assert_eq!(exit, 0);
}

#[test]
fn a_baseline_file_that_pairs_with_no_template_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let template = std::fs::read_to_string(dir().join("new/app/CMKtemplate.json")).unwrap();
    for name in ["a.json", "b.json", "previous.json"] {
        std::fs::write(tmp.path().join(name), &template).unwrap();
    }
    let (exit, doc, stderr) = lint_in(
        tmp.path(),
        &["a.json", "b.json", "--baseline", "previous.json"],
    );
    let text = format!("{doc}{stderr}");
    assert!(
        text.contains("matches none of the 2 linted templates"),
        "{text}"
    );
    assert_eq!(exit, 2);
}
