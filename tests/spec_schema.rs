//! `schemas/spec.schema.json` (for editors) accepts every example and the starter spec, and
//! rejects what the spec parser rejects structurally.

mod build_support;
use build_support::*;
use serde_json::Value;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schemas/spec.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .build(&schema)
        .expect("the spec schema compiles")
}

fn toml_to_json(text: &str) -> Value {
    toml_edit::de::from_str::<Value>(text).expect("valid TOML")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path().as_str()))
        .collect()
}

#[test]
fn examples_and_the_starter_spec_validate_against_the_spec_schema() {
    let v = schema();
    let mut specs = examples();
    specs.push((
        "starter".into(),
        acr_cmk::commands::init::STARTER.to_string(),
    ));
    for (stem, text) in specs {
        let e = errors(&v, &toml_to_json(&text));
        assert!(e.is_empty(), "{stem}: {e:?}");
    }
}

#[test]
fn the_spec_schema_rejects_structural_errors() {
    let v = schema();
    for stem in [
        "unknown-key",
        "unknown-section",
        "wrong-types",
        "missing-required",
        "bad-enum",
        "identity-name-and-resource-id",
        "key-id-and-name",
        "missing-table",
        "misspelled-table",
        "rotation-bad-durations",
    ] {
        let text =
            std::fs::read_to_string(root().join(format!("tests/fixtures/specs/{stem}.toml")))
                .unwrap();
        assert!(
            !errors(&v, &toml_to_json(&text)).is_empty(),
            "{stem} passed the schema"
        );
    }
}
