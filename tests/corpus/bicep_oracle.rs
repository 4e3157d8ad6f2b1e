//! The Bicep compiler as oracle for the front end: for every Azure Verified Modules pair in the
//! corpus (`main.bicep` and the `main.json` the official compiler produced from it), every
//! resource type (and type@apiVersion) the Bicep front end deploys must appear in the compiled
//! template (which inlines modules as nested deployments). The converse does not hold and is only reported:
//! the model omits resources whose condition is false by default and loops over empty
//! defaults, and treats registry modules (`br/public:`) as opaque while the compiler inlines
//! them.
//!
//! Skips with a note without the corpus; fails when `CI` is set and the corpus is missing.

use crate::corpus_support;
use crate::oracle_support;
use acr_cmk::bicep;
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    corpus_support::corpus("bicep-registry-modules/avm")
}

fn pairs(root: &Path) -> Vec<PathBuf> {
    corpus_support::files(root, |p| {
        p.file_name().is_some_and(|n| n == "main.bicep") && p.with_extension("json").is_file()
    })
}

struct Pair {
    rel: String,
    unit: acr_cmk::unit::Unit,
    json: serde_json::Value,
}

/// Every pair loaded once (both front-end output and compiled JSON), shared by the tests.
fn loaded(root: &Path) -> &'static [Pair] {
    static LOADED: std::sync::OnceLock<Vec<Pair>> = std::sync::OnceLock::new();
    LOADED.get_or_init(|| {
        pairs(root)
            .into_iter()
            .map(|p| {
                let text = corpus_support::text(&p).unwrap();
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                let unit = bicep::load_in(&corpus_support::root(), &rel, Some(&p), &text, &[]);
                let json =
                    serde_json::from_str(&corpus_support::text(p.with_extension("json")).unwrap())
                        .unwrap();
                Pair { rel, unit, json }
            })
            .collect()
    })
}

/// Pairs whose `main.json` is stale upstream: it was compiled before `main.bicep` moved to a
/// newer API version (checked by hand: the `.bicep` text has the newer version, the JSON the
/// older one). Not a front-end disagreement.
const STALE_JSON: &[&str] = &[
    "res/azure-stack-hci/network-interface/main.bicep",
    "res/azure-stack-hci/virtual-hard-disk/main.bicep",
    "res/managed-identity/user-assigned-identity/federated-identity-credential/main.bicep",
];

#[test]
fn deployed_types_are_in_the_compiled_template() {
    let Some(root) = corpus() else { return };
    let pairs = loaded(&root);
    assert!(
        pairs.len() >= 170,
        "expected the AVM main.bicep/main.json pairs, found {}",
        pairs.len()
    );
    let mut invented = Vec::new();
    let mut missing_total = 0;
    let mut resources = 0;
    for Pair { rel, unit: u, json } in pairs {
        assert!(
            !u.unparseable,
            "{rel}: {:?}",
            u.findings.first().map(|f| &f.message)
        );
        let cmp = oracle_support::compare_types(u, json);
        resources += u.model.resources.len();
        for t in cmp.invented {
            let stale = t.contains('@') && STALE_JSON.contains(&rel.replace('\\', "/").as_str());
            if !stale {
                invented.push(format!("{rel}: {t}"));
            }
        }
        missing_total += cmp.only_compiled;
    }
    println!(
        "{} pairs, {resources} model resources; {missing_total} (pair, type) only in main.json (false conditions, empty loops, registry modules)",
        pairs.len()
    );
    assert!(
        invented.is_empty(),
        "types deployed by the Bicep front end but not by the compiler:\n{}",
        invented.join("\n")
    );
}

/// Compiled templates with symbolic names (`languageVersion` 2.0) key their resources by the
/// Bicep symbol: every unconditional, unlooped, non-`existing` top-level resource there must be
/// a top-level model resource with the same symbol and type (nothing dropped).
#[test]
fn unconditional_resources_are_all_modelled() {
    every_pair_agrees(
        "unconditional resources",
        "compiled resources missing from the model",
        oracle_support::unmodelled_resources,
    );
}

/// The compiler's `dependsOn` (symbolic names in `languageVersion` 2.0 templates) are the
/// implicit and explicit dependencies the front end must find: for every compiled edge R → D
/// whose two ends are in the model, each instance of R depends on an instance of D (directly,
/// or through an `existing` resource whose own `dependsOn` the compiler forwards).
#[test]
fn compiled_dependencies_are_found() {
    every_pair_agrees(
        "compiled dependencies",
        "compiled dependencies not found",
        oracle_support::missing_dependencies,
    );
}

/// Run an oracle check (items checked, disagreements) over every loaded pair: more than 100
/// items are checked and none disagrees.
fn every_pair_agrees(
    what: &str,
    failure: &str,
    check: impl Fn(&acr_cmk::unit::Unit, &serde_json::Value) -> (usize, Vec<String>),
) {
    let Some(root) = corpus() else { return };
    let mut checked = 0;
    let mut missing = Vec::new();
    for Pair { rel, unit: u, json } in loaded(&root) {
        let (n, m) = check(u, json);
        checked += n;
        missing.extend(m.into_iter().map(|m| format!("{rel}: {m}")));
    }
    println!("{checked} {what} checked");
    assert!(checked > 100);
    assert!(missing.is_empty(), "{failure}:\n{}", missing.join("\n"));
}

/// Names: where the compiled name is a literal, or exactly one parameter, the model's name of
/// the same (unlooped, top-level) resource is that literal, or that parameter's literal default,
/// or the parameter symbol when it has no default.
#[test]
fn simple_compiled_names_agree() {
    use acr_cmk::model::{Sym, Value};
    let Some(root) = corpus() else { return };
    let mut checked = 0;
    let mut wrong = Vec::new();
    for Pair { rel, unit: u, json } in loaded(&root) {
        let Some(resources) = json.get("resources").and_then(|r| r.as_object()) else {
            continue;
        };
        for (sym, r) in resources {
            if r.get("copy").is_some() || sym.contains("::") {
                continue;
            }
            let Some(name) = r.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            let Some(model) = u.model.resources.iter().find(|m| {
                m.parent_deployment.is_none() && m.symbolic_name.as_deref() == Some(sym.as_str())
            }) else {
                continue;
            };
            let expected: Option<Value> = if !name.starts_with('[') {
                Some(Value::Str(name.to_string()))
            } else if let Some(param) = name
                .strip_prefix("[parameters('")
                .and_then(|n| n.strip_suffix("')]"))
            {
                match json.pointer(&format!("/parameters/{param}/defaultValue")) {
                    Some(serde_json::Value::String(d)) if !d.starts_with('[') => {
                        Some(Value::Str(d.clone()))
                    }
                    Some(_) => None,
                    None => Some(Value::sym(Sym::Param(param.to_string()))),
                }
            } else {
                None
            };
            let Some(expected) = expected else { continue };
            checked += 1;
            let ok = match (&expected, &model.name.value) {
                (Value::Str(a), Value::Str(b)) => a == b,
                (Value::Sym(a), Value::Sym(b)) => a.same(b),
                _ => false,
            };
            if !ok {
                wrong.push(format!(
                    "{rel}: {sym}: compiled {name}, model {}",
                    model.display_name()
                ));
            }
        }
    }
    println!("{checked} names checked");
    assert!(checked > 100);
    assert!(wrong.is_empty(), "names differ:\n{}", wrong.join("\n"));
}

/// Conditions: a compiled `condition` that is exactly one boolean parameter with a default
/// decides whether the model deploys that (top-level, unlooped) resource.
#[test]
fn parameter_conditions_agree() {
    let Some(root) = corpus() else { return };
    let mut checked = 0;
    let mut wrong = Vec::new();
    for Pair { rel, unit: u, json } in loaded(&root) {
        let Some(resources) = json.get("resources").and_then(|r| r.as_object()) else {
            continue;
        };
        for (sym, r) in resources {
            if r.get("copy").is_some() || r.get("existing").is_some() {
                continue;
            }
            let Some(param) = r
                .get("condition")
                .and_then(|c| c.as_str())
                .and_then(|c| c.strip_prefix("[parameters('"))
                .and_then(|c| c.strip_suffix("')]"))
            else {
                continue;
            };
            let Some(default) = json
                .pointer(&format!("/parameters/{param}/defaultValue"))
                .and_then(|d| d.as_bool())
            else {
                continue;
            };
            checked += 1;
            let deployed = u.model.resources.iter().any(|m| {
                m.parent_deployment.is_none() && m.symbolic_name.as_deref() == Some(sym.as_str())
            });
            if deployed != default {
                wrong.push(format!(
                    "{rel}: {sym} if {param} (default {default}): deployed {deployed}"
                ));
            }
        }
    }
    println!("{checked} conditions checked");
    assert!(checked > 100);
    assert!(wrong.is_empty(), "conditions differ:\n{}", wrong.join("\n"));
}

/// Loops: a compiled `copy.count` of `length(parameters('x'))` (or with `coalesce(…,
/// createArray())`) is the default array's length, or unknown without default: then the model
/// has one representative instance, deployed only "if".
#[test]
fn parameter_loops_agree() {
    use acr_cmk::model::Presence;
    let Some(root) = corpus() else { return };
    let mut checked = 0;
    let mut wrong = Vec::new();
    for Pair { rel, unit: u, json } in loaded(&root) {
        let Some(resources) = json.get("resources").and_then(|r| r.as_object()) else {
            continue;
        };
        for (sym, r) in resources {
            if r.get("condition").is_some() || r.get("existing").is_some() {
                continue;
            }
            let Some(count) = r.pointer("/copy/count").and_then(|c| c.as_str()) else {
                continue;
            };
            let inner = count
                .strip_prefix("[length(coalesce(parameters('")
                .and_then(|c| c.strip_suffix("'), createArray()))]"))
                .or_else(|| {
                    count
                        .strip_prefix("[length(parameters('")
                        .and_then(|c| c.strip_suffix("'))]"))
                });
            let Some(param) = inner else { continue };
            let instances: Vec<_> = u
                .model
                .resources
                .iter()
                .filter(|m| {
                    m.parent_deployment.is_none()
                        && m.symbolic_name.as_deref() == Some(sym.as_str())
                })
                .collect();
            let ok = match json.pointer(&format!("/parameters/{param}/defaultValue")) {
                Some(serde_json::Value::Array(a)) => instances.len() == a.len(),
                Some(serde_json::Value::Null) => instances.is_empty(),
                Some(_) => continue,
                None => instances.len() == 1 && instances[0].presence == Presence::IfDeployed,
            };
            checked += 1;
            if !ok {
                wrong.push(format!(
                    "{rel}: {sym} over {param}: {} instances",
                    instances.len()
                ));
            }
        }
    }
    println!("{checked} loops checked");
    assert!(checked > 100);
    assert!(wrong.is_empty(), "loops differ:\n{}", wrong.join("\n"));
}
