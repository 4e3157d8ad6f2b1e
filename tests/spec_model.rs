//! The spec front end and the generator describe the same deployment: for every example spec
//! and every negative spec fixture that parses, the model of the spec and the model of the
//! generated `CMKtemplate.json` (read back by the ARM front end) have the same resource types,
//! API versions and dependency edges, and the rule catalogue finds the same codes in both.
//!
//! What only the spec knows is left out of the comparison on the spec side: the vault and key
//! it uses without creating them (`existing` resources, e.g. the key type it states) and its
//! intents (rotation mode, target cloud), which no template property carries.

mod build_support;

use acr_cmk::model::{Intents, Model};
use acr_cmk::rules::{self, Ctx};
use build_support::*;
use std::collections::BTreeMap;

/// `(stem, text)` of every example and every negative spec fixture that parses into a spec.
fn specs() -> Vec<(String, String)> {
    let mut out = examples();
    let dir = root().join("tests/fixtures/specs");
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&p).unwrap();
            if acr_cmk::spec::load("s.toml", &text).spec.is_some() {
                out.push((p.file_stem().unwrap().to_string_lossy().into_owned(), text));
            }
        }
    }
    out.sort();
    out
}

/// The deployed resources of a model: type → (API version, types it depends on, types its
/// template declares). Each type appears once in what `acr-cmk build` generates.
type Shape = BTreeMap<String, (Option<String>, Vec<String>, Vec<String>)>;

fn shape(m: &Model) -> Shape {
    let ty = |i: usize| m.resources[i].ty.to_ascii_lowercase();
    let mut out = Shape::new();
    for r in m.resources.iter().filter(|r| !r.existing) {
        let mut deps: Vec<String> = r.depends_on.iter().map(|&d| ty(d)).collect();
        deps.sort();
        let mut contains: Vec<String> = r.contains.iter().map(|&c| ty(c)).collect();
        contains.sort();
        let old = out.insert(
            r.ty.to_ascii_lowercase(),
            (r.api_version.clone(), deps, contains),
        );
        assert!(old.is_none(), "two resources of type {}", r.ty);
    }
    out
}

/// The spec model without what only the spec knows (see the module docs). The front end puts
/// the `existing` references last, so dropping them keeps every index.
fn deployed_part(m: &Model) -> Model {
    let mut m = m.clone();
    let keep = m.resources.iter().take_while(|r| !r.existing).count();
    assert!(
        m.resources[keep..].iter().all(|r| r.existing),
        "existing references come last"
    );
    m.resources.truncate(keep);
    m.spelling.retain(|s| s.resource < keep);
    m.intents = Intents::default();
    m
}

fn codes(m: &Model) -> Vec<&'static str> {
    let ctx = Ctx {
        model: m,
        baseline: None,
    };
    let mut codes: Vec<_> = rules::run(&ctx, &|meta| meta.default_enabled)
        .iter()
        .map(|f| f.code)
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

#[test]
fn the_spec_model_and_the_generated_template_agree() {
    let all = specs();
    assert!(all.len() >= 20, "examples or fixtures missing");
    for (stem, text) in all {
        let spec = acr_cmk::spec::load("s.toml", &text).spec.unwrap();
        let from_spec = acr_cmk::spec::model::model(&spec);
        let generated = acr_cmk::generate::generate(&spec).unwrap();
        let unit = acr_cmk::arm::load(
            "CMKtemplate.json",
            None,
            generated.get(acr_cmk::generate::TEMPLATE_FILE).unwrap(),
            &[(
                "CMKtemplate.parameters.json".into(),
                generated
                    .get(acr_cmk::generate::PARAMETERS_FILE)
                    .unwrap()
                    .into(),
            )],
        );
        assert!(unit.findings.is_empty(), "{stem}: {:?}", unit.findings);
        assert_eq!(shape(&from_spec), shape(&unit.model), "{stem}: resources");
        assert_eq!(
            codes(&deployed_part(&from_spec)),
            codes(&unit.model),
            "{stem}: finding codes"
        );
    }
}

#[test]
fn every_spec_rule_violation_is_found_on_the_spec_model() {
    // The file name says the code; the spec model alone (intents and references included)
    // finds it, located in the spec.
    for (stem, text) in specs() {
        let Some(code) = stem.strip_prefix("cmk").and_then(|s| s.get(..3)) else {
            continue;
        };
        let spec = acr_cmk::spec::load("s.toml", &text).spec.unwrap();
        let m = acr_cmk::spec::model::model(&spec);
        let ctx = Ctx {
            model: &m,
            baseline: None,
        };
        let findings = rules::run(&ctx, &|meta| meta.default_enabled);
        let code = format!("CMK{code}");
        let f = findings
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("{stem}: no {code} in {findings:?}"));
        assert_eq!(f.loc.file, 0, "{stem}");
        assert!(
            f.loc.end as usize <= text.len() && !f.loc.is_empty(),
            "{stem}"
        );
    }
}
