//! The Bicep compiler's output as oracle for the Bicep front end: comparisons of a loaded unit
//! with the `main.json` the compiler made of the same file. Shared by `bicep_oracle.rs` (the
//! Azure Verified Modules pairs of the corpus) and `bicep_samples.rs` (the compiler's own
//! sample baselines). Not every test crate uses every function.
#![allow(dead_code)]

use acr_cmk::unit::Unit;
use std::collections::BTreeSet;

/// Every resource type (and `type@apiVersion`) in a compiled template, nested deployments'
/// templates and old-style nested child resources included; lower-cased.
pub fn json_types(t: &serde_json::Value, out: &mut BTreeSet<String>) {
    let resources: Vec<&serde_json::Value> = match t.get("resources") {
        Some(serde_json::Value::Array(a)) => a.iter().collect(),
        Some(serde_json::Value::Object(o)) => o.values().collect(),
        _ => Vec::new(),
    };
    for r in resources {
        if let Some(ty) = r.get("type").and_then(|t| t.as_str()) {
            out.insert(ty.to_ascii_lowercase());
            if let Some(api) = r.get("apiVersion").and_then(|a| a.as_str()) {
                out.insert(format!(
                    "{}@{}",
                    ty.to_ascii_lowercase(),
                    api.to_ascii_lowercase()
                ));
            }
        }
        if let Some(inner) = r.pointer("/properties/template") {
            json_types(inner, out);
        }
        // Old-style nested child resources.
        if let Some(ty) = r.get("type").and_then(|t| t.as_str()) {
            for c in r
                .get("resources")
                .and_then(|c| c.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(cty) = c.get("type").and_then(|t| t.as_str()) {
                    let full =
                        if cty.contains('/') && cty.split('/').count() > 1 && cty.contains('.') {
                            cty.to_string()
                        } else {
                            format!("{ty}/{cty}")
                        };
                    out.insert(full.to_ascii_lowercase());
                }
            }
        }
    }
}

/// The types (and `type@apiVersion`) the unit deploys (not `existing` ones); lower-cased.
pub fn model_types(u: &Unit) -> BTreeSet<String> {
    u.model
        .resources
        .iter()
        .filter(|r| !r.existing)
        .flat_map(|r| {
            let ty = r.ty.to_ascii_lowercase();
            // Types, and types with their API version (modules have none of their own).
            let with_api = r
                .api_version
                .as_ref()
                .map(|a| format!("{ty}@{}", a.to_ascii_lowercase()));
            std::iter::once(ty).chain(with_api)
        })
        .collect()
}

/// What the two sides deploy: types (and `type@apiVersion`) the front end deploys that the
/// compiled template does not (`invented`, a disagreement), and how many the compiled template
/// has that the model does not (`only_compiled`: false conditions, empty loops, registry
/// modules — not a disagreement).
pub struct TypeComparison {
    pub invented: Vec<String>,
    pub only_compiled: usize,
}

pub fn compare_types(u: &Unit, json: &serde_json::Value) -> TypeComparison {
    let mut compiled = BTreeSet::new();
    json_types(json, &mut compiled);
    let model = model_types(u);
    TypeComparison {
        invented: model.difference(&compiled).cloned().collect(),
        only_compiled: compiled.difference(&model).count(),
    }
}

/// Compiled templates with symbolic names (`languageVersion` 2.x) key their resources by the
/// Bicep symbol: every unconditional, unlooped, non-`existing` top-level resource there must be
/// a top-level model resource with the same symbol and type. Returns (checked, missing).
pub fn unmodelled_resources(u: &Unit, json: &serde_json::Value) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut missing = Vec::new();
    let Some(resources) = json.get("resources").and_then(|r| r.as_object()) else {
        return (0, missing);
    };
    for (sym, r) in resources {
        if r.get("condition").is_some() || r.get("copy").is_some() || r.get("existing").is_some() {
            continue;
        }
        let ty = r.get("type").and_then(|t| t.as_str()).unwrap_or_default();
        checked += 1;
        // Nested child resources are keyed `parent::child` in both.
        let found = u.model.resources.iter().any(|m| {
            m.parent_deployment.is_none()
                && m.symbolic_name.as_deref() == Some(sym.as_str())
                && m.is_type(ty)
        });
        if !found {
            missing.push(format!("{sym} ({ty})"));
        }
    }
    (checked, missing)
}

/// The compiler's `dependsOn` (symbolic names in `languageVersion` 2.x templates) are the
/// implicit and explicit dependencies the front end must find: for every compiled edge R → D
/// whose two ends are in the model, each instance of R depends on an instance of D (directly,
/// or through an `existing` resource whose own `dependsOn` the compiler forwards). Returns
/// (checked, missing).
pub fn missing_dependencies(u: &Unit, json: &serde_json::Value) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut missing = Vec::new();
    let Some(resources) = json.get("resources").and_then(|r| r.as_object()) else {
        return (0, missing);
    };
    let m = &u.model;
    let top = |sym: &str| -> Vec<usize> {
        (0..m.resources.len())
            .filter(|&i| {
                m.resources[i].parent_deployment.is_none()
                    && m.resources[i].symbolic_name.as_deref() == Some(sym)
            })
            .collect()
    };
    for (sym, r) in resources {
        for d in r
            .get("dependsOn")
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
        {
            let Some(d) = d.as_str().filter(|d| !d.starts_with('[')) else {
                continue;
            };
            let (from, to) = (top(sym), top(d));
            if from.is_empty() || to.is_empty() {
                continue;
            }
            checked += 1;
            for f in &from {
                if !to.iter().any(|t| m.depends_on(*f, *t)) {
                    missing.push(format!("{sym} -> {d}"));
                    break;
                }
            }
        }
    }
    (checked, missing)
}
