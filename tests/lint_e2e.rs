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
            f("bicep/main.bicep", "CMK005", true),
            // Standard comes from main.bicepparam (the default is Premium): reported there.
            f("bicep/main.bicepparam", "CMK001", false),
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
fn deep_json_nesting_is_lim001_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        "{{\"$schema\": \"{SCHEMA}\", \"resources\": [{}{}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(dir.path().join("main.json"), deep).unwrap();
    let out = lint_in(dir.path(), &["main.json"]);
    // The nesting limit of the resource policy, at the bracket that opens level 257 (the
    // object and `resources` are the first two of the 256 levels allowed).
    let found = codes(&out.doc);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "LIM001");
    assert!(
        found[0]
            .1
            .starts_with("limit `nesting` hit: JSON nested more than 256 deep")
    );
    let f = &out.doc["findings"][0];
    let column = SCHEMA.len() + r#"{"$schema": "", "resources": ["#.len() + 254 + 1;
    assert_eq!((&f["line"], &f["column"]), (&1.into(), &column.into()));
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
    // The 20,000 parentheses pass the expression nesting limit: reported, and the file fails.
    assert!(
        found
            .iter()
            .any(|(c, m)| c == "LIM001" && m.starts_with("limit `nesting` hit")),
        "{found:?}"
    );
    assert_eq!(out.exit, 2);
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
    // A registry without CMK: its name is checked once every resource is in scope.
    std::fs::write(
        dir.path().join("acr-cmk.toml"),
        "check-resources = \"all\"\n",
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
    let basic = serde_json::json!({
        "sku": {"name": "Basic"},
        "properties": {"encryption": {"status": "enabled"}}
    });
    std::fs::write(dir.path().join("small.json"), registry("acrsmall01", basic)).unwrap();
    let out = lint_in(dir.path(), &["huge.json", "small.json"]);
    // LIM001 at 1:1 of the big file, which is not parsed; the other file is still linted.
    let huge: Vec<_> = out.doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == "huge.json")
        .collect();
    assert_eq!(huge.len(), 1, "{:?}", out.doc);
    assert_eq!(huge[0]["code"], "LIM001");
    assert_eq!(
        (&huge[0]["line"], &huge[0]["column"]),
        (&1.into(), &1.into())
    );
    let size = acr_cmk::lint::discover::MAX_FILE_BYTES + 1;
    let message = huge[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("the file is {size} bytes")),
        "{message}"
    );
    assert!(
        out.doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["file"] == "small.json" && f["code"] == "CMK001"),
        "{:?}",
        out.doc
    );
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
    // Registries without CMK: their names are checked once every resource is in scope.
    std::fs::write(
        dir.path().join("acr-cmk.toml"),
        "check-resources = \"all\"\n",
    )
    .unwrap();
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
    assert_eq!(
        out.doc["errors"][0]["message"],
        "is a FIFO, not a regular file"
    );
    assert_eq!(out.exit, 2);
}

fn rule_fixture(path: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    std::fs::read_to_string(dir.join(path)).unwrap()
}

fn codes_only(doc: &serde_json::Value) -> Vec<String> {
    codes(doc).into_iter().map(|(c, _)| c).collect()
}

/// Issue 9 item 1: AVM's telemetry deployment (`pid-…`, an inline template that declares
/// nothing) no longer switches CMK007 off; only a deployment whose template the tool cannot
/// see does, and then CMK020 says so at note level.
#[test]
fn an_empty_telemetry_deployment_does_not_hide_a_missing_grant() {
    let telemetry = serde_json::json!({
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2024-03-01",
        "name": "pid-47ed15a6-730a-4827-bcb4-0fd963ffbd82-abcdef",
        "properties": {
            "mode": "Incremental",
            "template": {
                "$schema": SCHEMA,
                "contentVersion": "1.0.0.0",
                "resources": [],
                "outputs": {"telemetry": {"type": "String", "value": "For more information, see https://aka.ms/avm/TelemetryInfo"}}
            }
        }
    });
    let remote = serde_json::json!({
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2024-03-01",
        "name": "grants",
        "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.org/grants.json"}}
    });
    // The docs-shaped fixture with its access policy removed.
    let mut good: serde_json::Value =
        serde_json::from_str(&rule_fixture("CMK007/good.json")).unwrap();
    let resources = good["resources"].as_array_mut().unwrap();
    resources.retain(|r| r["type"] != "Microsoft.KeyVault/vaults/accessPolicies");
    let without_grant = good.clone();
    let with = |extra: &serde_json::Value| {
        let mut t = without_grant.clone();
        t["resources"].as_array_mut().unwrap().push(extra.clone());
        t.to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("telemetry.json"), with(&telemetry)).unwrap();
    std::fs::write(dir.path().join("remote.json"), with(&remote)).unwrap();
    let out = lint_in(dir.path(), &["telemetry.json"]);
    assert!(
        codes_only(&out.doc).contains(&"CMK007".into()),
        "{:?}",
        codes(&out.doc)
    );
    assert!(!codes_only(&out.doc).contains(&"CMK020".into()));
    assert_eq!(out.exit, 1, "{}", out.stderr);
    let out = lint_in(dir.path(), &["remote.json"]);
    let found = codes(&out.doc);
    assert!(
        !codes_only(&out.doc).contains(&"CMK007".into()),
        "{found:?}"
    );
    let note: Vec<_> = found.iter().filter(|(c, _)| c == "CMK020").collect();
    assert_eq!(note.len(), 1, "{found:?}");
    assert!(
        note[0].1.contains("deployment 'grants', whose template is remote (templateLink.uri 'https://example.org/grants.json')"),
        "{}",
        note[0].1
    );

    // Bicep: the same telemetry deployment, as AVM writes it, next to an insufficient grant.
    let bicep = format!(
        "{}\n{}",
        rule_fixture("CMK007/bad.bicep"),
        "#disable-next-line no-deployments-resources\nresource avmTelemetry 'Microsoft.Resources/deployments@2024-03-01' = {\n  name: 'pid-47ed15a6-730a-4827-bcb4-0fd963ffbd82-abcdef'\n  properties: {\n    mode: 'Incremental'\n    template: {\n      '$schema': 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#'\n      contentVersion: '1.0.0.0'\n      resources: []\n    }\n  }\n}\n"
    );
    std::fs::write(dir.path().join("main.bicep"), bicep).unwrap();
    let out = lint_in(dir.path(), &["main.bicep"]);
    assert!(
        codes_only(&out.doc).contains(&"CMK007".into()),
        "{:?}",
        codes(&out.doc)
    );
    assert!(!codes_only(&out.doc).contains(&"CMK020".into()));
}

/// (line, column, message) of every LIM001 finding of `file`.
fn limit_findings(doc: &serde_json::Value, file: &str) -> Vec<(u64, u64, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == file && f["code"] == "LIM001")
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn hostile_files_hit_located_limits_and_the_other_files_are_still_linted() {
    let dir = tempfile::tempdir().unwrap();
    let registry_bicep = "resource r 'Microsoft.ContainerRegistry/registries@2023-07-01' = {\n  name: 'acr${length(string(x))}'\n  location: 'westeurope'\n  sku: { name: 'Premium' }\n}\n";
    // 10^8 values asked for (issue 8, class 6), and a function that calls itself twice (class 10).
    let values = format!("var x = map(range(0, 10000), i => range(0, 10000))\n{registry_bicep}");
    let calls = format!("func f() string => '${{f()}}${{f()}}'\nvar x = f()\n{registry_bicep}");
    std::fs::write(dir.path().join("values.bicep"), values).unwrap();
    std::fs::write(dir.path().join("calls.bicep"), calls).unwrap();
    // An ARM array of 100,000 items, used by the registry's name.
    let arm = registry(
        "[concat('acr', string(length(variables('all'))))]",
        serde_json::json!({}),
    )
    .replacen(
        "\"resources\"",
        "\"variables\": {\"all\": \"[range(0, 100000)]\"}, \"resources\"",
        1,
    );
    std::fs::write(dir.path().join("items.json"), arm).unwrap();
    let basic = serde_json::json!({
        "sku": {"name": "Basic"},
        "properties": {"encryption": {"status": "enabled"}}
    });
    std::fs::write(dir.path().join("basic.json"), registry("acrbasic01", basic)).unwrap();
    std::fs::write(
        dir.path().join("clean.json"),
        registry("acrclean01", serde_json::json!({})),
    )
    .unwrap();
    let out = lint_in(dir.path(), &["."]);
    assert_eq!(out.exit, 2, "{:?}", out.doc);
    let lim = |file| limit_findings(&out.doc, file);
    let values = lim("values.bicep");
    assert_eq!(values.len(), 1, "{values:?}");
    assert_eq!((values[0].0, values[0].1), (1, 9), "at `map(`: {values:?}");
    assert!(
        values[0].2.starts_with("limit `value-size` hit"),
        "{values:?}"
    );
    // Both limits the recursion reaches, once each, on the function's body.
    let calls: Vec<_> = lim("calls.bicep")
        .into_iter()
        .map(|(l, _, m)| (l, m))
        .collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.iter().all(|(line, _)| *line == 1), "{calls:?}");
    assert!(
        calls
            .iter()
            .any(|(_, m)| m.starts_with("limit `call-depth` hit"))
    );
    assert!(
        calls
            .iter()
            .any(|(_, m)| m.starts_with("limit `calls` hit"))
    );
    let items = lim("items.json");
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(
        items[0].2.starts_with("limit `value-size` hit"),
        "{items:?}"
    );
    // The other files were linted as usual.
    let basic: Vec<_> = out.doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == "basic.json")
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(basic.contains(&"CMK001"), "{basic:?}");
    assert_eq!(out.doc["summary"]["files_checked"], 5);
    assert!(
        out.doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["file"] != "clean.json")
    );
}

#[test]
fn neither_the_configuration_nor_a_suppression_silences_a_limit() {
    let dir = tempfile::tempdir().unwrap();
    let arm = registry("[concat('acr', string(length(variables('all'))))]", serde_json::json!({}))
        .replacen(
            "\"resources\"",
            "\"metadata\": {\"acr-cmk\": {\"ignore\": [\"LIM001\"], \"reason\": \"big\"}}, \"variables\": {\"all\": \"[range(0, 100000)]\"}, \"resources\"",
            1,
        );
    std::fs::write(dir.path().join("items.json"), arm).unwrap();
    let out = lint_in(dir.path(), &["items.json"]);
    assert_eq!(out.exit, 2);
    let of = |code: &str| {
        out.doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == code)
            .cloned()
            .collect::<Vec<_>>()
    };
    let limit = of("LIM001");
    assert_eq!(limit.len(), 1, "{}", out.doc);
    assert_eq!(limit[0]["suppressed"], false);
    // The suppression that tried is reported where it is written.
    let tried = of("SUP002");
    assert_eq!(tried.len(), 1, "{}", out.doc);
    assert!(
        tried[0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be suppressed")
    );
    std::fs::write(
        dir.path().join("acr-cmk.toml"),
        "[rules]\nLIM001 = \"off\"\n",
    )
    .unwrap();
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .current_dir(dir.path())
        .args(["lint", "items.json"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`LIM001` cannot be turned off or lowered"),
        "{stderr}"
    );
    assert!(stderr.contains("acr-cmk.toml:2:10"), "{stderr}");
}

/// A file, a line and a code or a message.
type Place = (String, u64, String);

/// (file, line, code) of a finding and (file, line, message) of its first related label.
fn located(f: &serde_json::Value) -> (Place, Option<Place>) {
    let at = |v: &serde_json::Value| {
        (
            v["file"].as_str().unwrap().to_string(),
            v["line"].as_u64().unwrap(),
            v["message"].as_str().unwrap_or_default().to_string(),
        )
    };
    let (file, line, _) = at(f);
    (
        (file, line, f["code"].as_str().unwrap().to_string()),
        f["related"].as_array().unwrap().first().map(at),
    )
}

#[test]
fn a_value_set_elsewhere_is_reported_where_it_is_written_and_its_use_is_the_second_label() {
    let (_, code, doc) = lint("param-origin", "json");
    let (suppressed, found): (Vec<_>, Vec<_>) = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .partition(|f| f["suppressed"] == true);
    let found: Vec<_> = found.into_iter().map(located).collect();
    let suppressed: Vec<_> = suppressed.into_iter().map(located).collect();
    let used = |file: &str, line| Some((file.to_string(), line, "the value is used here".into()));
    let cmk001 = |file: &str, line| (file.to_string(), line, "CMK001".to_string());
    assert_eq!(
        found,
        [
            // The parameter's default, in Bicep and in ARM alike: the default, then its use.
            (
                cmk001("param-origin/default.bicep", 2),
                used("param-origin/default.bicep", 72)
            ),
            (
                cmk001("param-origin/default.json", 7),
                used("param-origin/default.json", 123)
            ),
            // Set in a .bicepparam / a parameters file: that line, then the use in the template.
            (
                cmk001("param-origin/set.bicepparam", 4),
                used("param-origin/set.bicep", 72)
            ),
            (
                cmk001("param-origin/set.parameters.json", 5),
                used("param-origin/set.json", 122)
            ),
        ]
    );
    assert_eq!(code, 1);
    // `#disable-next-line CMK001` over the use in suppressed.bicep covers the finding on the
    // value in suppressed.bicepparam.
    assert_eq!(
        suppressed,
        [(
            cmk001("param-origin/suppressed.bicepparam", 3),
            used("param-origin/suppressed.bicep", 73)
        )]
    );
}

/// The three reports of a finding on a `.bicepparam` value: the primary location in the
/// parameters file, the use in the template as a related location (human: a note with its
/// position, JSON: `related`, SARIF: `relatedLocations`).
#[test]
fn reports_of_a_bicepparam_finding_match_the_snapshots() {
    for format in ["human", "json", "sarif"] {
        let out = Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
            .args(["lint", "--format", format, "param-origin/set.bicepparam"])
            .current_dir(fixtures())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("lint__bicepparam_origin__{format}"), text);
        });
    }
}

/// Issue 11 item 3: a statement with a syntax error is reported and skipped; the registry
/// declared after it is still checked, and its three mistakes are reported. The run still
/// exits 2: the file does not compile.
#[test]
fn a_syntax_error_hides_nothing_else_in_the_file() {
    let (findings, exit, doc) = lint("recovery", "json");
    let found: Vec<&str> = findings.iter().map(|(_, c, _)| c.as_str()).collect();
    assert_eq!(found, ["BICEP000", "CMK001", "CMK007", "CMK005"], "{doc:#}");
    assert_eq!(doc["findings"][0]["line"], 5, "the broken `var` line");
    assert_eq!(doc["findings"][1]["line"], 16, "sku.name");
    let cmk005 = &codes(&doc)[3].1;
    assert!(cmk005.contains("/secrets/"), "{cmk005}");
    assert_eq!(exit, 2);
}

/// A module whose grant statement has a syntax error: the grant may be there, so the
/// registry's key access is a CMK020 note naming the statement, not a CMK007 error.
#[test]
fn a_broken_grant_in_a_module_makes_key_access_unverifiable() {
    let (findings, exit, doc) = lint("recovery-module", "json");
    assert_eq!(
        findings,
        [
            f("recovery-module/grants.bicep", "BICEP000", false),
            f("recovery-module/main.bicep", "CMK020", false),
        ],
        "{doc:#}"
    );
    let cmk020 = &codes(&doc)[1].1;
    assert!(
        cmk020.ends_with(
            "but the grant may be in resource `grant`, which has a syntax error at recovery-module/grants.bicep:13:36"
        ),
        "{cmk020}"
    );
    // The advice fits the hiding place: a statement to fix, not a template to lint.
    let help = doc["findings"][1]["help"].as_str().unwrap();
    assert!(help.starts_with("fix the syntax error"), "{help}");
    assert_eq!(exit, 2);
}
