//! The rule catalogue stays in step with the README and the CLI.

use std::process::Command;

const START: &str = "<!-- rules:start -->";
const END: &str = "<!-- rules:end -->";

#[test]
fn readme_rule_table_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md exists");
    let start = readme.find(START).expect("README has <!-- rules:start -->") + START.len();
    let end = readme.find(END).expect("README has <!-- rules:end -->");
    let current = readme[start..end].trim();
    let out = acr_cmk(&["rules", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let expected = String::from_utf8(out.stdout).expect("UTF-8 table");
    assert_eq!(
        current,
        expected.trim(),
        "README.md's rule table is stale: replace the text between the markers with the \
         output of `acr-cmk rules --format markdown`"
    );
}

fn acr_cmk(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run acr-cmk")
}

#[test]
fn explain_prints_docs_by_code_or_slug() {
    for arg in ["CMK003", "cmk003", "content-trust-unsupported"] {
        let out = acr_cmk(&["explain", arg]);
        assert_eq!(out.status.code(), Some(0), "{arg}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with("CMK003 content-trust-unsupported (error, enabled by default)"));
        assert!(text.contains("## Why is this bad?"));
        assert!(text.contains("BlockedForEncryptionEnabledRegistry"));
    }
}

#[test]
fn explain_unknown_code_exits_2_with_a_suggestion() {
    let out = acr_cmk(&["explain", "premium-sku"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("did you mean CMK001 (premium-sku-required)?"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn rules_lists_the_catalogue_as_text_and_json() {
    let out = acr_cmk(&["rules"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), acr_cmk::rules::all().len());
    assert!(
        text.lines()
            .any(|l| l.starts_with("CMK017") && l.contains(" off "))
    );

    let out = acr_cmk(&["rules", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), acr_cmk::rules::all().len());
    let cmk012 = list.iter().find(|r| r["code"] == "CMK012").unwrap();
    assert_eq!(cmk012["name"], "vault-firewall-trusted-services");
    assert_eq!(cmk012["level"], "error");
    assert_eq!(cmk012["default_enabled"], true);
    assert!(
        cmk012["summary"]
            .as_str()
            .unwrap()
            .contains("trusted Azure services")
    );
}
