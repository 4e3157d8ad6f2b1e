//! `schemas/arm-schemas.derived.json` is exactly what `scripts/derive-resource-schemas` writes
//! from the official ARM schemas in `../shared/arm-schemas` (fails, never skips, under CI when
//! they are missing), and the script refuses overrides that say nothing or match nothing.

#[path = "../scripts/derive-resource-schemas/derive.rs"]
mod derive;

mod corpus_support;

use std::path::Path;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn overrides() -> serde_json::Value {
    serde_json::from_str(&read("scripts/derive-resource-schemas/overrides.json")).unwrap()
}

#[test]
fn the_committed_artefact_is_what_the_script_derives() {
    let Some(dir) = corpus_support::shared("arm-schemas") else {
        return;
    };
    let overrides = read("scripts/derive-resource-schemas/overrides.json");
    let derived = derive::derive(&dir, &overrides).unwrap();
    let committed = read(derive::ARTEFACT);
    if derived != committed {
        let line = derived
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "(length)".to_string(), |i| format!("line {}", i + 1));
        panic!(
            "{} differs from what the script derives (first difference: {line}); \
             run `cargo run --example derive-resource-schemas` and review the diff",
            derive::ARTEFACT
        );
    }
    assert!(committed.contains(r#""commit": "a1454431151fd3e9c1b254b1a11d00c2d8474611""#));
}

#[test]
fn an_override_that_matches_nothing_or_gives_no_reason_is_refused() {
    let Some(dir) = corpus_support::shared("arm-schemas") else {
        return;
    };
    let mut stale = overrides();
    stale["properties"][0]["path"] = "properties.noSuchParent.loginServer".into();
    let err = derive::derive(&dir, &stale.to_string()).unwrap_err();
    assert!(err.contains("matches nothing"), "{err}");
    let mut silent = overrides();
    silent["properties"][0]["reason"] = "".into();
    let err = derive::derive(&dir, &silent.to_string()).unwrap_err();
    assert!(err.contains("a reason is required"), "{err}");
    let mut published = overrides();
    published["apiVersions"][0]["versions"] = serde_json::json!(["2022-04-01"]);
    let err = derive::derive(&dir, &published.to_string()).unwrap_err();
    assert!(err.contains("already published"), "{err}");
}
