//! The Bicep compiler as oracle for *findings*: every Azure Verified Modules pair in the corpus
//! (every `X.bicep` with the `X.json` the official compiler produced beside it: 194 pairs, the
//! top-level modules plus child modules) is linted through both front ends (`bicep::load` /
//! `arm::load` + `rules::run` with every rule enabled, CMK017 included, so every registry gets
//! a finding and resource matching is exercised) and the findings must agree: the same codes
//! at the same level on the same resources (matched by type and name).
//!
//! Three parameter sets: none (top-level parameters stay unknown); definite values for every
//! parameter without a default ([`filled_parameters`], so conditions, names and CMK017 are
//! definite; with them the deployed resources, their presence and API versions are compared
//! too); and for the container-registry module CMK on and off (a `customerManagedKey` object and
//! `managedIdentities`, the same ARM parameters JSON for both), so the cross-resource chain
//! (identity → clientId → key → vault) is compared too. The in-template chain down to the grant
//! is compared on the generated templates (`oracle_generated.rs`).
//!
//! Known differences are listed with their reason ([`KNOWN_DIFFERENT`], [`STALE_API_VERSION`]);
//! a listed pair that starts agreeing fails the test, so the lists stay true.
//!
//! Skips with a note without the corpus; fails when `CI` is set and the corpus is missing.

use crate::corpus_support;
use acr_cmk::model::{Model, Node, Part, Sym, Value};
use acr_cmk::unit::Unit;
use acr_cmk::{arm, bicep, rules};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

fn corpus() -> Option<PathBuf> {
    corpus_support::corpus("bicep-registry-modules")
}

/// Every `X.bicep` with a compiled `X.json` beside it.
fn pairs(root: &Path) -> Vec<PathBuf> {
    corpus_support::files(root, |p| {
        p.extension().is_some_and(|x| x == "bicep") && p.with_extension("json").is_file()
    })
}

/// Codes that depend on the source format itself, not on the deployed model: syntax errors of
/// one format, and suppression comments (the compiler drops comments).
const FORMAT_SPECIFIC: &[&str] = &["ARM000", "BICEP000", "SUP001"];

/// Findings as a multiset of `code type/name` lines (names lower-cased; symbolic parts rendered).
fn findings(model: &Model) -> BTreeMap<String, usize> {
    let ctx = rules::Ctx::new(model);
    let mut out = BTreeMap::new();
    for f in rules::run(&ctx, &|_| true) {
        if FORMAT_SPECIFIC.contains(&f.code) {
            continue;
        }
        let at = match f.resource.and_then(|i| model.resources.get(i)) {
            Some(r) => format!("{}/{}", r.ty.to_ascii_lowercase(), name_key(&r.name)),
            None => "-".to_string(),
        };
        *out.entry(format!("{} {} {at}", f.code, f.level.as_str()))
            .or_default() += 1;
    }
    out
}

/// A resource name for matching: literal and named symbolic parts as rendered, lower-cased;
/// opaque parts (no identity: a loop item, an unmodelled function) become `?`, since each front
/// end words its reason differently.
fn name_key(name: &Node) -> String {
    match &name.value {
        Value::Str(s) => s.to_ascii_lowercase(),
        Value::Sym(s) => s
            .parts
            .iter()
            .map(|p| match p {
                Part::Lit(l) => l.to_ascii_lowercase(),
                Part::Sym(Sym::Opaque(_)) => "?".to_string(),
                Part::Sym(s) => format!("{{{s}}}").to_ascii_lowercase(),
            })
            .collect(),
        other => other.type_name().to_string(),
    }
}

struct Outcome {
    rel: String,
    bicep: BTreeMap<String, usize>,
    arm: BTreeMap<String, usize>,
}

/// A pair loaded through both front ends with one set of parameter files.
struct Loaded {
    rel: String,
    bicep: Unit,
    arm: Unit,
}

fn load_pair(root: &Path, p: &Path, params: &[(String, String)]) -> Loaded {
    let rel = p
        .strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    let btext = corpus_support::text(p).unwrap();
    let jpath = p.with_extension("json");
    let jtext = corpus_support::text(&jpath).unwrap();
    let bicep = bicep::load_in(&corpus_support::root(), &rel, Some(p), &btext, params);
    let arm = arm::load_in(&corpus_support::root(), &rel, Some(&jpath), &jtext, params);
    assert!(!bicep.unparseable, "{rel}: bicep unparseable");
    assert!(!arm.unparseable, "{rel}: json unparseable");
    Loaded { rel, bicep, arm }
}

fn outcome(l: &Loaded) -> Outcome {
    Outcome {
        rel: l.rel.clone(),
        bicep: findings(&l.bicep.model),
        arm: findings(&l.arm.model),
    }
}

fn lint_pair(root: &Path, p: &Path, params: &[(String, String)]) -> Outcome {
    outcome(&load_pair(root, p, params))
}

/// Every pair loaded once with definite parameters (see [`filled_parameters`]), shared by the
/// tests that use them.
fn definite(root: &Path) -> &'static [Loaded] {
    static LOADED: OnceLock<Vec<Loaded>> = OnceLock::new();
    LOADED.get_or_init(|| {
        pairs(root)
            .par_iter()
            .map(|p| {
                let jtext = corpus_support::text(p.with_extension("json")).unwrap();
                let compiled: serde_json::Value = serde_json::from_str(&jtext).unwrap();
                let params = vec![(
                    "filled.parameters.json".to_string(),
                    filled_parameters(&compiled),
                )];
                load_pair(root, p, &params)
            })
            .collect()
    })
}

fn diff(o: &Outcome) -> String {
    let mut lines = Vec::new();
    for (k, n) in &o.bicep {
        let m = o.arm.get(k).copied().unwrap_or(0);
        if *n > m {
            lines.push(format!("  bicep only ({}x): {k}", n - m));
        }
    }
    for (k, n) in &o.arm {
        let m = o.bicep.get(k).copied().unwrap_or(0);
        if *n > m {
            lines.push(format!("  arm only ({}x): {k}", n - m));
        }
    }
    lines.join("\n")
}

/// Registry modules (`br/public:…`) are not fetched by the Bicep front end (no network), so a
/// module call is a deployment with unknown contents; the compiler inlined the module into
/// `main.json`, where the ARM front end sees the registry it deploys. Checked by hand: each of
/// these pairs deploys the registry through `br/public:avm/res/container-registry/registry`
/// (container-job-toolkit through its local `modules/deploy_services.bicep`), and the only
/// difference is the ARM side's finding on that inlined registry.
const REGISTRY_MODULE: &str =
    "deploys its registry through a br/public: module, which only the compiled JSON inlines";

/// Pairs known to differ, with the reason. Each entry was checked by hand; only findings the
/// ARM side alone sees (inside inlined registry modules) are allowed for them.
const KNOWN_DIFFERENT: &[(&str, &str)] = &[
    ("avm/ptn/ai-platform/baseline/main.bicep", REGISTRY_MODULE),
    (
        "avm/ptn/app/container-job-toolkit/main.bicep",
        REGISTRY_MODULE,
    ),
    ("avm/ptn/azd/aks/main.bicep", REGISTRY_MODULE),
    (
        "avm/ptn/azd/container-apps-stack/main.bicep",
        REGISTRY_MODULE,
    ),
    (
        "avm/ptn/dev-ops/cicd-agents-and-runners/main.bicep",
        REGISTRY_MODULE,
    ),
];

fn check(outcomes: &[Outcome]) {
    let mut bad = Vec::new();
    let mut stale_ok = Vec::new();
    for o in outcomes {
        let d = diff(o);
        let known = KNOWN_DIFFERENT.iter().find(|(r, _)| *r == o.rel);
        let arm_only = d.lines().all(|l| l.starts_with("  arm only"));
        match (d.is_empty(), known) {
            (false, None) => bad.push(format!("{}:\n{d}", o.rel)),
            (false, Some((_, why))) if !arm_only => bad.push(format!(
                "{} (known: {why}, but the Bicep side differs):\n{d}",
                o.rel
            )),
            (true, Some(_)) => stale_ok.push(o.rel.clone()),
            _ => {}
        }
    }
    assert!(
        stale_ok.is_empty(),
        "pairs listed in KNOWN_DIFFERENT now agree; remove them: {stale_ok:?}"
    );
    assert!(
        bad.is_empty(),
        "{} of {} pairs disagree:\n{}",
        bad.len(),
        outcomes.len(),
        bad.join("\n")
    );
}

/// An ARM parameters JSON giving every parameter of the compiled template a definite value:
/// nullable parameters and those without a default get `null` / a placeholder of their type
/// (so conditions and names evaluate and rules give definite findings), the rest keep their
/// default. Built from `main.json`'s declarations, given to both front ends.
fn filled_parameters(compiled: &serde_json::Value) -> String {
    let mut values = serde_json::Map::new();
    let declared = compiled.get("parameters").and_then(|p| p.as_object());
    for (name, decl) in declared.into_iter().flatten() {
        if decl.get("defaultValue").is_some() {
            continue;
        }
        let nullable = decl.get("nullable").and_then(|n| n.as_bool()) == Some(true);
        let ty = decl.get("type").and_then(|t| t.as_str()).unwrap_or("");
        let value = match ty.to_ascii_lowercase().as_str() {
            _ if nullable => serde_json::Value::Null,
            "string" | "securestring" => serde_json::Value::from(placeholder(name)),
            "int" => serde_json::Value::from(1),
            "bool" => serde_json::Value::from(false),
            "array" => serde_json::Value::Array(Vec::new()),
            _ => continue,
        };
        values.insert(name.clone(), serde_json::json!({ "value": value }));
    }
    serde_json::json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": values,
    })
    .to_string()
}

/// A string valid as most Azure resource names (lower-case letters and digits, 5–24 chars),
/// distinct per parameter so names stay tellable apart.
fn placeholder(name: &str) -> String {
    let alnum: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(20)
        .collect();
    format!("p{alnum}001")
}

#[test]
fn avm_pairs_lint_the_same_in_both_formats() {
    let Some(root) = corpus() else { return };
    let all = pairs(&root);
    assert!(
        all.len() >= 190,
        "expected the AVM pairs, found {}",
        all.len()
    );
    let outcomes: Vec<Outcome> = all.par_iter().map(|p| lint_pair(&root, p, &[])).collect();
    check(&outcomes);
}

/// The same pairs with every parameter given a definite value (see [`filled_parameters`]).
#[test]
fn avm_pairs_with_definite_parameters_lint_the_same() {
    let Some(root) = corpus() else { return };
    let outcomes: Vec<Outcome> = definite(&root).par_iter().map(outcome).collect();
    let total: usize = outcomes
        .iter()
        .map(|o| o.bicep.values().sum::<usize>())
        .sum();
    println!("{} pairs, {total} findings (bicep side)", outcomes.len());
    // CMK017 fires on every registry: the container-registry module must be among the matched.
    assert!(
        outcomes.iter().any(
            |o| o.rel.ends_with("container-registry/registry/main.bicep")
                && o.bicep.keys().any(|k| k.starts_with("CMK017"))
        ),
        "the registry module must give CMK017 findings"
    );
    check(&outcomes);
}

const SUB: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-keys/providers";

/// ARM parameters JSON for the container-registry module: CMK on (`cmk`) or explicitly off.
/// The key and identity are existing resources passed by id, as a user of the module would.
fn registry_parameters(cmk: bool) -> String {
    let identity = format!("{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/id-acr");
    let vault = format!("{SUB}/Microsoft.KeyVault/vaults/kv-acr");
    let cmk_value = if cmk {
        format!(
            r#"{{ "keyVaultResourceId": "{vault}", "keyName": "kek", "userAssignedIdentityResourceId": "{identity}" }}"#
        )
    } else {
        "null".to_string()
    };
    format!(
        r#"{{
  // Comments are allowed in ARM parameter files (both front ends read them leniently).
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {{
    "name": {{ "value": "acrcmk{cmk}" }},
    "acrSku": {{ "value": "Premium" }},
    "managedIdentities": {{ "value": {{ "userAssignedResourceIds": ["{identity}"] }} }},
    "customerManagedKey": {{ "value": {cmk_value} }}
  }}
}}"#
    )
}

/// The registry module with CMK on and off: the chain identity → clientId → key → vault is built
/// from the same parameter values in both formats and must give the same findings. CMK017 fires
/// when CMK is off (so matching is exercised on a definite finding) and not when it is on.
#[test]
fn registry_module_with_cmk_parameters_lints_the_same() {
    let Some(root) = corpus() else { return };
    let p = root.join("avm/res/container-registry/registry/main.bicep");
    let outcomes: Vec<(bool, Outcome)> = [true, false]
        .into_par_iter()
        .map(|cmk| {
            let params = vec![("cmk.parameters.json".to_string(), registry_parameters(cmk))];
            (cmk, lint_pair(&root, &p, &params))
        })
        .collect();
    for (cmk, o) in &outcomes {
        let cmk017 = o.bicep.keys().any(|k| k.starts_with("CMK017"));
        assert_eq!(cmk017, !cmk, "cmk={cmk}: CMK017 {:?}", o.bicep);
    }
    check(&outcomes.into_iter().map(|(_, o)| o).collect::<Vec<_>>());
}

/// `type/name` of every deployed resource whose name has some identity (a fully opaque name,
/// e.g. `guid()` of a loop item, matches nothing by construction).
fn resource_keys(model: &Model) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in model.resources.iter().filter(|r| !r.existing) {
        let name = name_key(&r.name);
        if name != "?" {
            *out.entry(format!("{}/{name}", r.ty.to_ascii_lowercase()))
                .or_default() += 1;
        }
    }
    out
}

/// With definite parameters, every resource the Bicep front end deploys (type and name) is
/// deployed by the compiled template too, as often. (The converse does not hold: the compiled
/// JSON inlines `br/public:` modules, which the Bicep front end does not fetch.)
#[test]
fn bicep_resources_are_in_the_compiled_model() {
    let Some(root) = corpus() else { return };
    let extra: Vec<String> = definite(&root)
        .iter()
        .flat_map(|l| {
            let (kb, ka) = (resource_keys(&l.bicep.model), resource_keys(&l.arm.model));
            kb.into_iter()
                .filter(|(k, c)| ka.get(k).copied().unwrap_or(0) < *c)
                .map(|(k, _)| format!("{}: {k}", l.rel))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        extra.is_empty(),
        "deployed by the Bicep side only:\n{}",
        extra.join("\n")
    );
}

/// Pairs whose `main.json` is stale upstream: compiled before `main.bicep` moved to a newer API
/// version (checked by hand: the `.bicep` text has the newer version, the JSON the older one).
const STALE_API_VERSION: &[&str] = &[
    "avm/res/azure-stack-hci/network-interface/main.bicep",
    "avm/res/azure-stack-hci/virtual-hard-disk/main.bicep",
];

/// With definite parameters, every resource deployed once under the same type and name in both
/// formats has the same presence (deployed / if deployed) and API version.
#[test]
fn matched_resources_have_the_same_presence_and_api_version() {
    let Some(root) = corpus() else { return };
    let differ: Vec<String> = definite(&root)
        .iter()
        .flat_map(|l| {
            let (rel, bu, au) = (&l.rel, &l.bicep, &l.arm);
            let info = |m: &Model| {
                let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for r in m.resources.iter().filter(|r| !r.existing) {
                    let k = format!("{}/{}", r.ty.to_ascii_lowercase(), name_key(&r.name));
                    out.entry(k).or_default().push(format!(
                        "{:?} api={:?}",
                        r.presence,
                        r.api_version.as_deref().map(str::to_ascii_lowercase)
                    ));
                }
                out
            };
            let (ib, ia) = (info(&bu.model), info(&au.model));
            ib.into_iter()
                // Module deployments carry no API version of their own in Bicep.
                .filter(|(k, _)| !k.starts_with("microsoft.resources/deployments"))
                .filter_map(|(k, vb)| {
                    let va = ia.get(&k)?;
                    (vb.len() == 1 && va.len() == 1 && &vb != va)
                        .then(|| format!("{rel}: {k}: bicep {vb:?} arm {va:?}"))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let (stale, differ): (Vec<String>, Vec<String>) = differ.into_iter().partition(|d| {
        STALE_API_VERSION
            .iter()
            .any(|s| d.starts_with(&format!("{s}:")))
    });
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    for s in STALE_API_VERSION {
        assert!(
            stale.iter().any(|d| d.starts_with(&format!("{s}:"))),
            "{s} agrees now: remove it from STALE_API_VERSION"
        );
    }
}

/// With definite parameters, every resource deployed once under the same type and name in both
/// formats (re)depends on the same deployed resources: the transitive `dependsOn` closure,
/// which is what the rules ask (`Model::depends_on`). Transitive, because the compiler folds an
/// `existing` resource's dependencies into its dependents and drops the resource.
#[test]
fn matched_resources_have_the_same_dependencies() {
    let Some(root) = corpus() else { return };
    let compared = AtomicUsize::new(0);
    let differ: Vec<String> = definite(&root)
        .par_iter()
        .flat_map(|l| {
            let (db, da) = (dependencies(&l.bicep.model), dependencies(&l.arm.model));
            // Only resources both sides model: the ARM side also sees inside inlined
            // `br/public:` modules.
            let common: BTreeSet<&String> = db.keys().filter(|k| da.contains_key(*k)).collect();
            let only_common = |v: &BTreeSet<String>| -> BTreeSet<String> {
                v.iter().filter(|k| common.contains(k)).cloned().collect()
            };
            db.iter()
                .filter_map(|(k, vb)| {
                    let va = da.get(k)?;
                    let [vb] = vb.as_slice() else { return None };
                    let [va] = va.as_slice() else { return None };
                    let (vb, va) = (only_common(vb), only_common(va));
                    if !vb.is_empty() {
                        compared.fetch_add(1, Ordering::Relaxed);
                    }
                    (vb != va).then(|| format!("{}: {k}: bicep {vb:?} arm {va:?}", l.rel))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    let compared = compared.into_inner();
    println!("{compared} resources with dependencies compared");
    assert!(
        compared >= 40,
        "only {compared} resources with dependencies compared"
    );
}

/// Per deployed resource key: the keys of the deployed resources it transitively depends on.
fn dependencies(m: &Model) -> BTreeMap<String, Vec<BTreeSet<String>>> {
    let key = |i: usize| {
        let r = &m.resources[i];
        format!("{}/{}", r.ty.to_ascii_lowercase(), name_key(&r.name))
    };
    let deployed: Vec<usize> = (0..m.resources.len())
        .filter(|&i| !m.resources[i].existing)
        .collect();
    let mut out: BTreeMap<String, Vec<BTreeSet<String>>> = BTreeMap::new();
    for &i in &deployed {
        let targets = deployed
            .iter()
            .filter(|&&t| t != i && m.depends_on(i, t))
            .map(|&t| key(t))
            .collect();
        out.entry(key(i)).or_default().push(targets);
    }
    out
}
