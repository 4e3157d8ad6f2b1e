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
fn a_json_module_is_checked_with_the_values_bicep_passes() {
    let out = Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .args(["lint", "--format", "json", "json-module/main.bicep"])
        .current_dir(fixtures())
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(&str, &str, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap(),
                f["code"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            // The SKU the module passes (where the value is written)…
            ("json-module/main.bicep", "CMK001", 43),
            // …and content trust in the JSON template itself.
            ("json-module/registry.json", "CMK003", 25),
        ]
    );
    assert_eq!(out.status.code(), Some(1));
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

// Hostile input through the CLI: clear errors, the documented exit codes (0 clean, 1 findings,
// 2 unreadable or unparseable input), never a panic (exit 101) or a hang.

const SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

struct Out {
    exit: i32,
    doc: serde_json::Value,
    stderr: String,
}

/// `acr-cmk lint --format json <args>` in `dir`, killed after 60 s: a hang fails the test.
fn lint_in(dir: &std::path::Path, args: &[&str]) -> Out {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .current_dir(dir)
        .args(["lint", "--format", "json"])
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("report is not JSON ({e}); stderr: {stderr}"));
    Out {
        exit: out.status.code().expect("killed: timed out or crashed"),
        doc,
        stderr,
    }
}

fn codes(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn registry(name: &str, extra: serde_json::Value) -> String {
    let mut r = serde_json::json!({
        "type": "Microsoft.ContainerRegistry/registries",
        "apiVersion": "2023-07-01",
        "name": name,
        "location": "westeurope",
        "sku": {"name": "Premium"}
    });
    r.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    serde_json::json!({"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": [r]})
        .to_string()
}

#[test]
fn empty_files_are_skipped_or_clean() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.json"), "").unwrap();
    std::fs::write(dir.path().join("empty.bicep"), "").unwrap();
    let out = lint_in(dir.path(), &["empty.json", "empty.bicep"]);
    // An empty .json is not a template (nothing says it is one): skipped, listed with a reason.
    assert_eq!(out.doc["skipped"][0]["file"], "empty.json");
    // An empty Bicep file is a valid, empty deployment.
    assert_eq!(out.doc["summary"]["files_checked"], 1);
    assert_eq!(codes(&out.doc), []);
    assert_eq!(out.exit, 0);
}

#[test]
fn invalid_utf8_is_a_located_error_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = registry("acrutf8", serde_json::json!({})).into_bytes();
    let at = bytes.iter().position(|b| *b == b'8').unwrap();
    bytes[at] = 0xff;
    std::fs::write(dir.path().join("main.json"), &bytes).unwrap();
    let out = lint_in(dir.path(), &["main.json"]);
    let error = out.doc["errors"][0]["message"].as_str().unwrap();
    assert!(
        error.contains(&format!("invalid UTF-8 at line 1, byte column {}", at + 1)),
        "{error}"
    );
    assert_eq!(out.exit, 2);
}

#[test]
fn deep_json_nesting_is_arm000_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        "{{\"$schema\": \"{SCHEMA}\", \"resources\": [{}{}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(dir.path().join("main.json"), deep).unwrap();
    let out = lint_in(dir.path(), &["main.json"]);
    assert_eq!(
        codes(&out.doc),
        [(
            "ARM000".to_string(),
            "invalid JSON: nesting deeper than 256 levels".to_string()
        )]
    );
    assert_eq!(out.exit, 2);
}

#[test]
fn deep_bicep_nesting_is_linted_without_overflow() {
    let dir = tempfile::tempdir().unwrap();
    // 20,000 nested arrays as a key identifier and 20,000 nested parentheses in a variable.
    let bicep = format!(
        "var x = {}1{}\nresource r 'Microsoft.ContainerRegistry/registries@2023-07-01' = {{\n  name: 'acrdeep01'\n  location: 'westeurope'\n  sku: {{\n    name: 'Premium'\n  }}\n  identity: {{\n    type: 'UserAssigned'\n  }}\n  properties: {{\n    encryption: {{\n      status: 'enabled'\n      keyVaultProperties: {{\n        keyIdentifier: {}{}\n      }}\n    }}\n  }}\n}}\n",
        "(".repeat(20_000),
        ")".repeat(20_000),
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    std::fs::write(dir.path().join("main.bicep"), bicep).unwrap();
    let out = lint_in(dir.path(), &["main.bicep"]);
    let found = codes(&out.doc);
    // An array is not a key URI: reported, with a message of bounded size.
    assert!(
        found
            .iter()
            .any(|(c, m)| c == "CMK005" && m.contains("not a key URI")),
        "{found:?}"
    );
    assert!(found.iter().all(|(_, m)| m.len() < 1_000), "{found:?}");
    assert_eq!(out.exit, 1);
}

#[test]
fn quotes_newlines_and_controls_in_names_stay_data() {
    let dir = tempfile::tempdir().unwrap();
    let name = "reg\"ist'ry\nname\u{202e}\u{1b}[31m";
    std::fs::write(
        dir.path().join("main.json"),
        registry(name, serde_json::json!({})),
    )
    .unwrap();
    let out = lint_in(dir.path(), &["main.json"]);
    let found = codes(&out.doc);
    // The name is reported as invalid, and carried through the JSON report unchanged.
    assert!(
        found.iter().any(|(c, m)| c == "CMK013" && m.contains(name)),
        "{found:?}"
    );
    assert_eq!(out.exit, 1);
    // SARIF is JSON too: the same name survives its escaping.
    let sarif = assert_cmd::Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .current_dir(dir.path())
        .args(["lint", "--format", "sarif", "main.json"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["message"]["text"].as_str().unwrap().contains(name)),
        "{results:?}"
    );
    // On a terminal, the escape sequence and the bidi override are shown, never obeyed.
    let human = assert_cmd::Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["lint", "main.json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("CMK013"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("\\u{1b}"), "{text}");
}

#[test]
fn a_file_over_the_size_limit_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    // Sparse: the limit is checked on the file's size before reading.
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(acr_cmk::lint::discover::MAX_FILE_BYTES + 1)
        .unwrap();
    let out = lint_in(dir.path(), &["huge.json"]);
    let error = out.doc["errors"][0]["message"].as_str().unwrap();
    assert!(error.contains("file too large"), "{error}");
    assert_eq!(out.exit, 2);
}

#[test]
fn a_large_template_is_linted() {
    let dir = tempfile::tempdir().unwrap();
    // 5,000 resources (about 1.5 MB): every registry name is checked.
    let resources: Vec<serde_json::Value> = (0..5_000)
        .map(|i| {
            serde_json::json!({
                "type": "Microsoft.ContainerRegistry/registries",
                "apiVersion": "2023-07-01",
                "name": format!("acr-{i}"),
                "location": "westeurope",
                "sku": {"name": "Premium"}
            })
        })
        .collect();
    let t =
        serde_json::json!({"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": resources});
    std::fs::write(dir.path().join("main.json"), t.to_string()).unwrap();
    let out = lint_in(dir.path(), &["main.json"]);
    let cmk013 = codes(&out.doc)
        .iter()
        .filter(|(c, _)| c == "CMK013")
        .count();
    assert_eq!(cmk013, 5_000);
    assert_eq!(out.exit, 1);
}

#[cfg(unix)]
#[test]
fn a_fifo_is_skipped_in_a_directory_and_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.json");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    std::fs::write(
        dir.path().join("main.json"),
        registry("acrfifo01", serde_json::json!({})),
    )
    .unwrap();
    // Walking the directory never opens the FIFO (which would block forever).
    let out = lint_in(dir.path(), &["."]);
    assert_eq!(out.doc["summary"]["files_checked"], 1, "{}", out.stderr);
    assert_eq!(out.exit, 0);
    // Named on the command line it is an error, still without opening it.
    let out = lint_in(dir.path(), &["pipe.json"]);
    assert_eq!(out.doc["errors"][0]["message"], "not a regular file");
    assert_eq!(out.exit, 2);
}
