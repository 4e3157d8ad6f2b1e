//! The rule fixtures (`tests/fixtures/rules/<CODE>/{good,bad}.*`) are well-formed inputs.
//! The lint driver's snapshot tests run the rules over them; these tests keep the fixtures
//! themselves honest: one directory per rule, JSON that parses (except ARM000's bad case),
//! TOML for the spec (SPEC001) and configuration (CFG001) rules,
//! templates that pass the project's own schemas (except SCH001's bad case), Bicep that parses
//! (except the bad cases of BICEP000 and BICEP002; BICEP001's JSON module is a template like
//! the others).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn file(code: &str, name: &str) -> PathBuf {
    root().join(code).join(name)
}

#[test]
fn every_rule_has_a_good_and_a_bad_fixture() {
    for rule in acr_cmk::rules::all() {
        let code = rule.meta().code;
        let ext = match code {
            "BICEP000" | "BICEP001" | "BICEP002" => "bicep",
            // A build spec, and an acr-cmk.toml.
            "SPEC001" | "CFG001" => "toml",
            _ => "json",
        };
        for case in ["good", "bad"] {
            let p = file(code, &format!("{case}.{ext}"));
            assert!(p.is_file(), "missing fixture {}", p.display());
        }
    }
}

fn json(code: &str, name: &str) -> Result<serde_json::Value, serde_json::Error> {
    let text = std::fs::read_to_string(file(code, name)).unwrap();
    serde_json::from_str(&text)
}

/// Every JSON fixture is JSON (except ARM000's, which must not be): what each one lints to is
/// pinned by `lint_fixtures`, which runs them through the binary (SCH001 included).
#[test]
fn json_fixtures_parse() {
    for rule in acr_cmk::rules::all() {
        let code = rule.meta().code;
        if matches!(code, "BICEP000" | "BICEP002" | "SPEC001" | "CFG001") {
            continue;
        }
        for name in [
            "good.json",
            "bad.json",
            "baseline/good.json",
            "baseline/bad.json",
            "diagnostics.json",
        ] {
            if !file(code, name).exists() {
                continue;
            }
            let parsed = json(code, name);
            if (code, name) == ("ARM000", "bad.json") {
                assert!(parsed.is_err(), "ARM000/bad.json must not be JSON");
            } else {
                parsed.unwrap_or_else(|e| panic!("{code}/{name}: {e}"));
            }
        }
    }
}

fn bicep_has_errors(path: &Path) -> bool {
    let text = std::fs::read_to_string(path).unwrap();
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_bicep_acr::LANGUAGE.into())
        .unwrap();
    let tree = parser.parse(&text, None).unwrap();
    tree.root_node().has_error()
}

#[test]
fn bicep_fixtures_parse_only_when_good() {
    for code in ["BICEP000", "BICEP002"] {
        assert!(!bicep_has_errors(&file(code, "good.bicep")), "{code}");
        assert!(bicep_has_errors(&file(code, "bad.bicep")), "{code}");
    }
    for name in ["good.bicep", "bad.bicep"] {
        assert!(
            !bicep_has_errors(&file("BICEP001", name)),
            "BICEP001/{name}"
        );
    }
}

#[test]
fn spec_fixtures_are_toml_and_bad_has_an_unknown_key() {
    // Both are TOML; the bad one misspells `name`, which only the spec loader rejects.
    for name in ["good.toml", "bad.toml"] {
        let text = std::fs::read_to_string(file("SPEC001", name)).unwrap();
        assert!(text.parse::<toml_edit::DocumentMut>().is_ok(), "{name}");
    }
    let bad = std::fs::read_to_string(file("SPEC001", "bad.toml")).unwrap();
    assert!(bad.contains("nmae ="));
}

#[test]
fn config_fixtures_are_toml_and_bad_has_two_mistakes() {
    for name in ["good.toml", "bad.toml"] {
        let text = std::fs::read_to_string(file("CFG001", name)).unwrap();
        assert!(text.parse::<toml_edit::DocumentMut>().is_ok(), "{name}");
    }
    let bad = std::fs::read_to_string(file("CFG001", "bad.toml")).unwrap();
    assert!(bad.contains("exlude =") && bad.contains("CMK11 ="));
}
