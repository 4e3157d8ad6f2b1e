//! Derive `schemas/arm-schemas.derived.json` from the official ARM template schemas.
//!
//! Input: a local copy of github.com/Azure/azure-resource-manager-schemas (`../shared/arm-schemas`:
//! its `resource-index.json` names the upstream commit, every published (type, apiVersion) of the
//! five namespaces and the file that defines it). Output: one compact JSON artefact holding only
//! what the rules need:
//!
//! - `deploymentTemplate` / `deploymentParameters`: the official root schemas (2019-04-01, which
//!   is 2015-01-01 under another id), made self-contained, for SCH002;
//! - `apiVersions`: every published API version of every type of the five namespaces, for SCH003;
//! - `resources`: for the resource types the CMK rules know, per API version whose schema is in
//!   the copy, an index into `shapes`: the property tree (types, enums, required, read-only,
//!   additionalProperties, GUID patterns), deduplicated across versions, for SCH001/SCH004.
//!
//! What the script does to the upstream text, and why (everything else is taken as it is):
//! - `oneOf`/`anyOf` alternatives that are the common ARM `expression` are dropped: the linter
//!   evaluates expressions and never validates an unknown value, so they would only hide errors.
//! - Resource roots: `name`, `type`, `apiVersion` and `resources` are not constrained (names are
//!   CMK013's, the version selects the schema, children are validated as resources of their own)
//!   and the root `required` is dropped (`properties` is not required by Resource Manager for
//!   every type although the schemas say so, e.g. identities); the resource envelope (what a
//!   template may write on any resource) comes from the overrides.
//! - Objects that declare `properties` and say nothing about others are closed
//!   (`additionalProperties: false`): upstream never closes a resource object, so a misspelt
//!   `encryptionn` would pass; Resource Manager silently drops such a property.
//! - Descriptions, defaults, lengths and name patterns are left out (not needed by any rule).
//! - `overrides.json` (beside this file) applies the project's documented corrections, each with
//!   its reason: read-only properties the upstream schemas leave out (accepted, CMK015 judges
//!   them), objects Resource Manager keeps open, enum values and ranges, API versions that
//!   Resource Manager accepts though no schema is published. An override that matches nothing is
//!   an error, so none goes stale silently.
//!
//! Run: `cargo run --example derive-resource-schemas -- ../shared/arm-schemas` (writes the
//! artefact); `tests/derived_schemas.rs` regenerates it and compares byte for byte.
//! Source version: the artefact records the upstream commit given in `resource-index.json`.

use serde_json::{Map, Value as J, json};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Where the artefact lives, relative to the crate root.
pub const ARTEFACT: &str = "schemas/arm-schemas.derived.json";

/// The resource types whose property trees are derived: the types the CMK rules know.
pub const VALIDATED_TYPES: [&str; 7] = [
    "Microsoft.Authorization/roleAssignments",
    "Microsoft.ContainerRegistry/registries",
    "Microsoft.KeyVault/vaults",
    "Microsoft.KeyVault/vaults/accessPolicies",
    "Microsoft.KeyVault/vaults/keys",
    "Microsoft.ManagedIdentity/userAssignedIdentities",
    "Microsoft.Resources/deployments",
];

const HOST: &str = "schema.management.azure.com/schemas/";
const EXPRESSION: &str = "common/definitions.json#/definitions/expression";

/// Derive the artefact text from the schemas folder (`../shared/arm-schemas`) and the overrides.
pub fn derive(arm_schemas: &Path, overrides: &str) -> Result<String, String> {
    let overrides: J =
        serde_json::from_str(overrides).map_err(|e| format!("overrides.json: {e}"))?;
    let index = read_json(&arm_schemas.join("resource-index.json"))?;
    let mut files = Files {
        root: arm_schemas.join("schemas"),
        cache: HashMap::new(),
    };
    let commit = index["upstream_commit"]
        .as_str()
        .ok_or("resource-index.json: no upstream_commit")?;
    let mut out = Map::new();
    out.insert(
        "description".into(),
        J::from(
            "DERIVED FILE, do not edit: written by scripts/derive-resource-schemas from the \
             official ARM template schemas (see `source`) and scripts/derive-resource-schemas/\
             overrides.json. Used by SCH001-SCH004 and by the generator's self-validation.",
        ),
    );
    out.insert(
        "source".into(),
        json!({
            "repository": format!("https://{}", index["upstream"].as_str().unwrap_or("")),
            "commit": commit,
        }),
    );
    out.insert(
        "deploymentTemplate".into(),
        template_schema(&mut files, overrides.get("template"))?,
    );
    out.insert(
        "deploymentParameters".into(),
        parameters_schema(&mut files, overrides.get("parameters"))?,
    );
    out.insert(
        "apiVersions".into(),
        api_versions(&index, overrides.get("apiVersions"))?,
    );
    let (resources, shapes) = resource_shapes(&mut files, &index, &overrides)?;
    out.insert(
        "envelope".into(),
        overrides["envelope"]["properties"].clone(),
    );
    out.insert("resources".into(), resources);
    out.insert("shapes".into(), J::Array(shapes));
    let mut text = String::new();
    write_compact(&J::Object(out), 0, &mut text);
    text.push('\n');
    Ok(text)
}

/// Pretty-printed JSON where every value that fits in one line of [`LINE`] characters is on one
/// line: diffs stay readable and the artefact small.
const LINE: usize = 100;

fn write_compact(v: &J, indent: usize, out: &mut String) {
    let flat = serde_json::to_string(v).unwrap_or_default();
    if indent + flat.len() <= LINE || !(v.is_object() || v.is_array()) {
        out.push_str(&flat);
        return;
    }
    let pad = " ".repeat(indent + 2);
    let (open, close, items): (char, char, Vec<(Option<&String>, &J)>) = match v {
        J::Object(o) => ('{', '}', o.iter().map(|(k, v)| (Some(k), v)).collect()),
        J::Array(a) => ('[', ']', a.iter().map(|v| (None, v)).collect()),
        _ => unreachable!("scalars are written flat"),
    };
    out.push(open);
    for (i, (k, v)) in items.iter().enumerate() {
        out.push('\n');
        out.push_str(&pad);
        if let Some(k) = k {
            out.push_str(&serde_json::to_string(k).unwrap_or_default());
            out.push_str(": ");
        }
        write_compact(v, indent + 2, out);
        if i + 1 < items.len() {
            out.push(',');
        }
    }
    out.push('\n');
    out.push_str(&" ".repeat(indent));
    out.push(close);
}

fn read_json(path: &Path) -> Result<J, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The schema files, read once each.
struct Files {
    root: PathBuf,
    cache: HashMap<String, J>,
}

impl Files {
    fn get(&mut self, rel: &str) -> Result<&J, String> {
        if !self.cache.contains_key(rel) {
            let doc = read_json(&self.root.join(rel))?;
            self.cache.insert(rel.to_string(), doc);
        }
        Ok(&self.cache[rel])
    }

    /// The node a `$ref` names, from the file `from`: (file, node).
    fn resolve(&mut self, from: &str, reference: &str) -> Result<(String, J), String> {
        let (file, pointer) = match reference.split_once('#') {
            Some(("", p)) => (from.to_string(), p.to_string()),
            Some((url, p)) => (local_path(url)?, p.to_string()),
            None => (local_path(reference)?, String::new()),
        };
        let doc = self.get(&file)?;
        let node = doc
            .pointer(&pointer)
            .ok_or_else(|| format!("{file}#{pointer}: no such node"))?
            .clone();
        Ok((file, node))
    }
}

fn local_path(url: &str) -> Result<String, String> {
    url.split_once(HOST)
        .map(|(_, rest)| rest.to_string())
        .ok_or_else(|| format!("{url}: not an ARM schema URL"))
}

fn is_expression_ref(node: &J) -> bool {
    node.get("$ref")
        .and_then(J::as_str)
        .is_some_and(|r| r.ends_with(EXPRESSION))
}

// ---------------------------------------------------------------------------------------------
// Resource property trees

/// Convert an upstream schema node to a shape; `None` for the ARM expression alternative.
/// `stack` holds the refs being expanded (a recursive definition becomes an open `{}`).
fn shape(
    files: &mut Files,
    node: &J,
    file: &str,
    stack: &mut Vec<String>,
) -> Result<Option<J>, String> {
    if is_expression_ref(node) {
        return Ok(None);
    }
    if let Some(r) = node.get("$ref").and_then(J::as_str) {
        let key = format!("{file}|{r}");
        if stack.contains(&key) {
            return Ok(Some(json!({})));
        }
        let (f, target) = files.resolve(file, r)?;
        stack.push(key);
        let s = shape(files, &target, &f, stack);
        stack.pop();
        return s;
    }
    for combinator in ["oneOf", "anyOf"] {
        if let Some(alts) = node.get(combinator).and_then(J::as_array) {
            let mut kept = Vec::new();
            for a in alts {
                if let Some(s) = shape(files, a, file, stack)?
                    && !kept.contains(&s)
                {
                    kept.push(s);
                }
            }
            return match kept.len() {
                0 => Ok(None),
                1 => Ok(kept.pop()),
                _ => Err(format!(
                    "{file}: {combinator} with several shapes is not supported"
                )),
            };
        }
    }
    if node.get("allOf").is_some() {
        return Err(format!(
            "{file}: allOf in a resource schema is not supported"
        ));
    }
    let mut out = Map::new();
    for key in ["type", "enum", "pattern", "minimum", "maximum", "readOnly"] {
        if let Some(v) = node.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if let Some(props) = node.get("properties").and_then(J::as_object) {
        let mut sorted: BTreeMap<&String, Option<J>> = BTreeMap::new();
        for (k, v) in props {
            sorted.insert(k, shape(files, v, file, stack)?);
        }
        let props: Map<String, J> = sorted
            .into_iter()
            .map(|(k, v)| (k.clone(), v.unwrap_or_else(|| json!({}))))
            .collect();
        out.insert("properties".into(), J::Object(props));
    }
    if let Some(req) = node.get("required").and_then(J::as_array) {
        let mut req: Vec<&str> = req.iter().filter_map(J::as_str).collect();
        req.sort_unstable();
        req.dedup();
        out.insert("required".into(), json!(req));
    }
    if out
        .get("properties")
        .and_then(J::as_object)
        .is_some_and(Map::is_empty)
        && node.get("additionalProperties").is_some_and(J::is_object)
    {
        // A map (`tags`): `properties: {}` says nothing.
        out.remove("properties");
    }
    match node.get("additionalProperties") {
        Some(J::Bool(b)) => {
            out.insert("additionalProperties".into(), J::Bool(*b));
        }
        Some(ap @ J::Object(_)) => {
            let s = shape(files, ap, file, stack)?.unwrap_or_else(|| json!({}));
            out.insert("additionalProperties".into(), s);
        }
        _ if out.contains_key("properties") => {
            out.insert("additionalProperties".into(), J::Bool(false));
        }
        _ => {}
    }
    if let Some(items) = node.get("items").filter(|i| i.is_object()) {
        let s = shape(files, items, file, stack)?.unwrap_or_else(|| json!({}));
        out.insert("items".into(), s);
    }
    Ok(Some(J::Object(out)))
}

/// The per-version shapes of [`VALIDATED_TYPES`], deduplicated: (`resources`, `shapes`).
fn resource_shapes(files: &mut Files, index: &J, overrides: &J) -> Result<(J, Vec<J>), String> {
    let envelope = overrides["envelope"]["properties"]
        .as_object()
        .ok_or("overrides.json: envelope.properties missing")?;
    let patches = overrides["properties"]
        .as_array()
        .ok_or("overrides.json: properties missing")?;
    let mut used = vec![false; patches.len()];
    let mut resources = Map::new();
    let mut shapes: Vec<J> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for ty in VALIDATED_TYPES {
        let versions = index["types"][ty]
            .as_object()
            .ok_or_else(|| format!("resource-index.json: no type {ty}"))?;
        let mut by_version = Map::new();
        for (version, entries) in versions {
            // The resource-group definition (roleAssignments are defined at every scope with
            // the same body), and only when its file is in the copy.
            let Some(entry) = entries
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["scope"] == "resourceGroup" && e["local"] == true)
            else {
                continue;
            };
            let file = local_path(&format!(
                "https://{HOST}{}",
                entry["file"]
                    .as_str()
                    .unwrap_or("")
                    .trim_start_matches("schemas/")
            ))?;
            let pointer = entry["pointer"].as_str().unwrap_or("");
            let mut node = files
                .get(&file)?
                .pointer(pointer)
                .ok_or_else(|| format!("{file}#{pointer}: missing"))?
                .clone();
            // Not constrained at the root (see the module docs); children are resources of
            // their own, validated against their own type.
            if let Some(props) = node.get_mut("properties").and_then(J::as_object_mut) {
                for k in ["name", "type", "apiVersion", "resources"] {
                    props.remove(k);
                }
            }
            let mut s = shape(files, &node, &file, &mut Vec::new())?
                .ok_or_else(|| format!("{ty}@{version}: the resource is an expression"))?;
            resource_root(&mut s, envelope)?;
            for (i, patch) in patches.iter().enumerate() {
                if patch_applies(patch, ty) && apply_patch(&mut s, patch)? {
                    used[i] = true;
                }
            }
            let text = serde_json::to_string(&s).map_err(|e| e.to_string())?;
            let at = *seen.entry(text).or_insert_with(|| {
                shapes.push(s);
                shapes.len() - 1
            });
            by_version.insert(version.clone(), J::from(at));
        }
        resources.insert(ty.to_string(), J::Object(by_version));
    }
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(format!(
            "overrides.json: properties[{i}] ({}) matches nothing",
            patches[i]["path"]
        ));
    }
    Ok((J::Object(resources), shapes))
}

/// The resource root: the root `required` out, closed. The envelope is stored once in the
/// artefact (`envelope`) and merged at run time; a type that defines an envelope property
/// itself (a registry's `identity`, a vault's `tags`) keeps its own shape.
fn resource_root(s: &mut J, envelope: &Map<String, J>) -> Result<(), String> {
    let obj = s
        .as_object_mut()
        .ok_or("a resource shape is not an object")?;
    obj.remove("required");
    let props = obj
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("a resource's properties are not an object")?;
    // The type's own shape where it is as open as the envelope's: drop the duplicate.
    props.retain(|k, v| envelope.get(k) != Some(v));
    obj.insert("additionalProperties".into(), J::Bool(false));
    Ok(())
}

fn patch_applies(patch: &J, ty: &str) -> bool {
    patch["types"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| t.as_str() == Some(ty))
}

/// Apply one override to a resource shape. Paths are dotted property names; `[]` steps into
/// array items, `*` into additionalProperties. Operations: `add` (a property where it is
/// missing; merged where it exists), `set` (keys replaced), `default` (keys set where the shape
/// has none), `open`, `enumAdd`. Returns whether it applied (its parent exists).
fn apply_patch(s: &mut J, patch: &J) -> Result<bool, String> {
    let path = patch["path"].as_str().ok_or("override without path")?;
    if patch["reason"].as_str().is_none_or(str::is_empty) {
        return Err(format!("override {path}: a reason is required"));
    }
    let mut steps: Vec<&str> = Vec::new();
    for seg in path.split('.') {
        match seg.strip_suffix("[]") {
            Some(name) => {
                steps.push(name);
                steps.push("[]");
            }
            None => steps.push(seg),
        }
    }
    let (last, parents) = steps.split_last().ok_or("empty override path")?;
    let mut cur = s;
    for step in parents {
        let next = match *step {
            "[]" => cur.get_mut("items"),
            "*" => cur
                .get_mut("additionalProperties")
                .filter(|a| a.is_object()),
            name => cur.get_mut("properties").and_then(|p| p.get_mut(name)),
        };
        match next {
            Some(n) => cur = n,
            None => return Ok(false),
        }
    }
    let target = match *last {
        "[]" => cur.get_mut("items"),
        "*" => cur
            .get_mut("additionalProperties")
            .filter(|a| a.is_object()),
        name => {
            let Some(props) = cur.get_mut("properties").and_then(J::as_object_mut) else {
                return Ok(false);
            };
            if let Some(add) = patch.get("add")
                && !props.contains_key(name)
            {
                props.insert(name.to_string(), add.clone());
                let sorted: BTreeMap<String, J> = std::mem::take(props).into_iter().collect();
                *props = sorted.into_iter().collect();
                return Ok(true);
            }
            props.get_mut(name)
        }
    };
    let Some(target) = target else {
        return Ok(false);
    };
    let t = target
        .as_object_mut()
        .ok_or("override target is not a shape")?;
    if let Some(J::Object(set)) = patch.get("set").or_else(|| patch.get("add")) {
        for (k, v) in set {
            t.insert(k.clone(), v.clone());
        }
    }
    if let Some(J::Object(defaults)) = patch.get("default") {
        for (k, v) in defaults {
            t.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if patch["open"] == true {
        t.insert("additionalProperties".into(), J::Bool(true));
    }
    if let Some(extra) = patch["enumAdd"].as_array() {
        let list = t
            .get_mut("enum")
            .and_then(J::as_array_mut)
            .ok_or_else(|| format!("override {path}: no enum to extend"))?;
        for v in extra {
            if !list.contains(v) {
                list.push(v.clone());
            }
        }
    }
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// API versions

/// Every published API version per type of the index's namespaces (types that differ only in
/// case are one type), plus the documented extras.
fn api_versions(index: &J, extras: Option<&J>) -> Result<J, String> {
    let mut by_type: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (ty, versions) in index["types"].as_object().ok_or("index without types")? {
        let entry = by_type
            .entry(ty.to_ascii_lowercase())
            .or_insert_with(|| (ty.clone(), Vec::new()));
        entry.1.extend(
            versions
                .as_object()
                .into_iter()
                .flatten()
                .map(|(v, _)| v.clone()),
        );
    }
    for extra in extras.and_then(J::as_array).into_iter().flatten() {
        let ty = extra["type"]
            .as_str()
            .ok_or("apiVersions override without type")?;
        if extra["reason"].as_str().is_none_or(str::is_empty) {
            return Err(format!("apiVersions override {ty}: a reason is required"));
        }
        let entry = by_type
            .get_mut(&ty.to_ascii_lowercase())
            .ok_or_else(|| format!("apiVersions override: unknown type {ty}"))?;
        for v in extra["versions"].as_array().into_iter().flatten() {
            let v = v
                .as_str()
                .ok_or("apiVersions override: a version is a string")?;
            if entry.1.iter().any(|x| x == v) {
                return Err(format!(
                    "apiVersions override: {ty}@{v} is already published"
                ));
            }
            entry.1.push(v.to_string());
        }
    }
    let mut out = Map::new();
    for (_, (ty, mut versions)) in by_type {
        versions.sort();
        versions.dedup();
        out.insert(ty, json!(versions));
    }
    Ok(J::Object(out))
}

// ---------------------------------------------------------------------------------------------
// Template and parameters files (SCH002)

/// Inline every `$ref` to another file, drop expression alternatives, make string enums
/// case-insensitive patterns.
fn self_contained(
    files: &mut Files,
    node: &J,
    file: &str,
    defs: &mut Map<String, J>,
) -> Result<Option<J>, String> {
    if is_expression_ref(node) {
        return Ok(None);
    }
    match node {
        J::Object(o) => {
            if let Some(r) = o.get("$ref").and_then(J::as_str)
                && !r.starts_with('#')
            {
                // Another file's definition: copied into this schema's definitions.
                let (f, target) = files.resolve(file, r)?;
                let name = r.rsplit('/').next().unwrap_or(r).to_string();
                if !defs.contains_key(&name) {
                    defs.insert(name.clone(), json!({}));
                    let inlined =
                        self_contained(files, &target, &f, defs)?.unwrap_or_else(|| json!({}));
                    defs.insert(name.clone(), inlined);
                }
                return Ok(Some(json!({ "$ref": format!("#/definitions/{name}") })));
            }
            let mut out = Map::new();
            for (k, v) in o {
                match k.as_str() {
                    "description" | "id" | "$schema" | "title" => continue,
                    // Maps of names to schemas: the names are kept whatever they are.
                    "properties" | "definitions" => {
                        let mut named = Map::new();
                        for (name, sub) in v.as_object().into_iter().flatten() {
                            let sub = self_contained(files, sub, file, defs)?
                                .unwrap_or_else(|| json!({}));
                            named.insert(name.clone(), sub);
                        }
                        out.insert(k.clone(), J::Object(named));
                    }
                    "oneOf" | "anyOf" => {
                        let mut kept = Vec::new();
                        for a in v.as_array().into_iter().flatten() {
                            if let Some(s) = self_contained(files, a, file, defs)? {
                                kept.push(s);
                            }
                        }
                        if kept.len() == 1 && !o.contains_key("type") {
                            for (k2, v2) in kept
                                .pop()
                                .and_then(|k| k.as_object().cloned())
                                .unwrap_or_default()
                            {
                                out.insert(k2, v2);
                            }
                        } else if !kept.is_empty() {
                            out.insert(k.clone(), J::Array(kept));
                        }
                    }
                    "enum" if v.as_array().is_some_and(|a| a.iter().all(J::is_string)) => {
                        let alts: Vec<String> = v
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(J::as_str)
                            .map(regex_escape)
                            .collect();
                        out.insert("type".into(), J::from("string"));
                        out.insert(
                            "pattern".into(),
                            J::from(format!("^(?i:{})$", alts.join("|"))),
                        );
                    }
                    _ => {
                        let inner =
                            self_contained(files, v, file, defs)?.unwrap_or_else(|| json!({}));
                        out.insert(k.clone(), inner);
                    }
                }
            }
            Ok(Some(J::Object(out)))
        }
        J::Array(a) => {
            let mut out = Vec::new();
            for x in a {
                out.push(self_contained(files, x, file, defs)?.unwrap_or_else(|| json!({})));
            }
            Ok(Some(J::Array(out)))
        }
        other => Ok(Some(other.clone())),
    }
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$-".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The root schema with its own `definitions` and those inlined from other files.
fn with_definitions(files: &mut Files, doc: &J, file: &str, id: &str) -> Result<J, String> {
    let mut defs = Map::new();
    let mut root = self_contained(files, doc, file, &mut defs)?.ok_or("root is an expression")?;
    let obj = root.as_object_mut().ok_or("root is not an object")?;
    let own = obj
        .remove("definitions")
        .and_then(|d| d.as_object().cloned())
        .unwrap_or_default();
    let mut all: BTreeMap<String, J> = own.into_iter().collect();
    for (k, v) in defs {
        all.entry(k).or_insert(v);
    }
    let mut out = Map::new();
    out.insert(
        "$schema".into(),
        J::from("http://json-schema.org/draft-04/schema#"),
    );
    out.insert("id".into(), J::from(id));
    for (k, v) in std::mem::take(obj) {
        out.insert(k, v);
    }
    out.insert("definitions".into(), J::Object(all.into_iter().collect()));
    Ok(J::Object(out))
}

/// The deploymentTemplate root schema: the 2019-04-01 file (2015-01-01 is the same apart from
/// its id, checked here), with the template overrides.
fn template_schema(files: &mut Files, overrides: Option<&J>) -> Result<J, String> {
    let new = files.get("2019-04-01/deploymentTemplate.json")?.clone();
    let old = files.get("2015-01-01/deploymentTemplate.json")?.clone();
    let strip_id = |mut j: J| {
        j.as_object_mut().map(|o| o.remove("id"));
        j
    };
    if strip_id(new.clone()) != strip_id(old) {
        return Err("the 2015-01-01 and 2019-04-01 deploymentTemplate schemas differ".into());
    }
    let mut doc = new;
    // The per-type resource schemas are SCH001's: the template schema checks the envelope
    // every resource shares (`resourceBase`), not the list of ~23,700 resource schemas.
    doc["definitions"]["resource"] = json!({ "$ref": "#/definitions/resourceBase" });
    let mut schema = with_definitions(
        files,
        &doc,
        "2019-04-01/deploymentTemplate.json",
        "https://acr-cmk.schemas.local/deploymentTemplate.json",
    )?;
    patch_schema(&mut schema, overrides, "template")?;
    Ok(schema)
}

/// Apply the overrides of a root schema (`template` or `parameters` in overrides.json): each
/// sets (or, with a null value, removes) the node at a JSON pointer whose parent exists.
fn patch_schema(schema: &mut J, overrides: Option<&J>, what: &str) -> Result<(), String> {
    let patches = overrides
        .and_then(J::as_array)
        .ok_or_else(|| format!("overrides.json: {what} missing"))?;
    for patch in patches {
        let at = patch["pointer"]
            .as_str()
            .ok_or_else(|| format!("{what} override without pointer"))?;
        if patch["reason"].as_str().is_none_or(str::is_empty) {
            return Err(format!("{what} override {at}: a reason is required"));
        }
        // The parent must exist; the last segment is set (added or replaced), or removed when
        // the value is null.
        let (parent, key) = at
            .rsplit_once('/')
            .ok_or_else(|| format!("{what} override {at}: not a pointer"))?;
        let target = schema
            .pointer_mut(parent)
            .and_then(J::as_object_mut)
            .ok_or_else(|| format!("{what} override {at}: {parent} not found"))?;
        let key = key.replace("~1", "/").replace("~0", "~");
        match &patch["value"] {
            J::Null => {
                target
                    .remove(&key)
                    .ok_or_else(|| format!("{what} override {at}: nothing to remove"))?;
            }
            value => {
                target.insert(key, value.clone());
            }
        }
    }
    Ok(())
}

/// The deploymentParameters schema: the 2019-04-01 file (a superset of 2015-01-01), with the
/// two definitions it borrows from deploymentTemplate.json inlined.
fn parameters_schema(files: &mut Files, overrides: Option<&J>) -> Result<J, String> {
    let doc = files.get("2019-04-01/deploymentParameters.json")?.clone();
    let mut schema = with_definitions(
        files,
        &doc,
        "2019-04-01/deploymentParameters.json",
        "https://acr-cmk.schemas.local/deploymentParameters.json",
    )?;
    patch_schema(&mut schema, overrides, "parameters")?;
    Ok(schema)
}
