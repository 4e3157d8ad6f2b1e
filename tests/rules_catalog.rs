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

/// Every rule's `explain` names the sources its claims rest on (issue 9): a `## References`
/// section, last, each entry of which links a page, names a file of this repository, or says
/// plainly that the rule is acr-cmk's own policy (and why). A new rule without sources fails
/// here, and so does a reference to a repository file that was moved or removed.
#[test]
fn every_rule_names_its_sources() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for rule in acr_cmk::rules::all() {
        let meta = rule.meta();
        let code = meta.code;
        let docs = acr_cmk::rules::docs(meta);
        let (_, refs) = docs
            .split_once("\n## References\n")
            .unwrap_or_else(|| panic!("{code}'s docs have no `## References` section"));
        assert!(
            !refs.contains("\n## "),
            "{code}: `## References` must be the last section"
        );
        // Entries start with "- "; their continuation lines are indented.
        let mut entries: Vec<String> = Vec::new();
        for line in refs.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(entry) = line.strip_prefix("- ") {
                entries.push(entry.to_string());
            } else if line.starts_with("  ") && !entries.is_empty() {
                let last = entries.last_mut().expect("an entry");
                last.push(' ');
                last.push_str(line.trim());
            } else {
                panic!("{code}: not a list entry or its continuation: {line:?}");
            }
        }
        assert!(!entries.is_empty(), "{code}: `## References` lists nothing");
        for entry in &entries {
            let links: Vec<&str> = entry
                .split('<')
                .skip(1)
                .filter_map(|s| s.split_once('>').map(|(url, _)| url))
                .filter(|url| url.starts_with("http"))
                .collect();
            for url in &links {
                assert!(
                    url.starts_with("https://") && !url.contains(char::is_whitespace),
                    "{code}: malformed link <{url}>"
                );
            }
            // Repository files named in backticks must exist.
            let files: Vec<&str> = entry
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|t| {
                    ["schemas/", "scripts/", "src/"]
                        .iter()
                        .any(|p| t.starts_with(p))
                })
                .collect();
            for file in &files {
                assert!(root.join(file).exists(), "{code}: `{file}` does not exist");
            }
            assert!(
                !links.is_empty() || !files.is_empty() || entry.starts_with("acr-cmk policy: "),
                "{code}: a reference names no source (a link, a repository file, or \
                 \"acr-cmk policy: \" and why): {entry:?}"
            );
        }
    }
}
