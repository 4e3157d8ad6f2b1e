//! A model resource against the property tree of its type at its own API version (SCH001,
//! SCH004).
//!
//! The trees ("shapes") are a small subset of JSON Schema — `type`, `enum`, `pattern`,
//! `minimum`/`maximum`, `required`, `properties`, `additionalProperties`, `items`, `readOnly`
//! — so they are checked here directly over the model's [`Node`]s, without converting the body
//! to JSON: property names and enum values compare without case, as Resource Manager compares
//! them; symbolic values and `null`s ("not set") are never judged; a read-only property is
//! accepted whatever its value (CMK015 decides whether setting it matters).
//!
//! A version without a schema of its own in the artefact (the copy of the official schemas
//! holds the versions that matter for CMK) is checked against the nearest versions on both
//! sides, and only what both reject is reported: a property that neither knows is certainly
//! not in between. A version older or newer than every schema is not checked.

use super::artefact;
use crate::model::{Node, Value};
use serde_json::Value as J;
use std::sync::OnceLock;

/// One thing wrong with a resource body.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// Property path from the resource root (object keys as written, array indexes).
    pub path: Vec<String>,
    pub message: String,
    pub kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A property the type does not have: the finding points at its key.
    Unknown,
    /// A value of the wrong JSON type.
    Type,
    /// A string where a boolean or number is expected that Resource Manager converts
    /// (`"true"`, `"30"`): SCH004, a warning.
    Converted,
    Enum,
    Pattern,
    Range,
    Required,
}

/// Which schema a body was checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// The schema of its own API version.
    Exact(String),
    /// No schema is published for its version: the nearest older and newer versions.
    Between(String, String),
}

pub struct Checked {
    pub coverage: Coverage,
    pub violations: Vec<Violation>,
}

/// Check a resource body. `None` when the type has no schemas in the artefact, the API version
/// is not known, or no schema brackets it.
pub fn check(ty: &str, api_version: Option<&str>, body: &Node) -> Option<Checked> {
    let version = api_version?;
    let versions = artefact().resources.get(&ty.to_ascii_lowercase())?;
    let run = |shape: usize| {
        let root = compiled(shape);
        let mut out = Vec::new();
        walk(&root.shape, body, &mut Vec::new(), root, &mut out);
        out
    };
    if let Some((v, i)) = versions
        .iter()
        .find(|(v, _)| v.eq_ignore_ascii_case(version))
    {
        return Some(Checked {
            coverage: Coverage::Exact(v.clone()),
            violations: run(*i),
        });
    }
    let at = versions.partition_point(|(v, _)| v.as_str() < version);
    let (older, newer) = (versions.get(at.checked_sub(1)?)?, versions.get(at)?);
    let newer_says = run(newer.1);
    let older_says = run(older.1);
    let both: Vec<Violation> = newer_says
        .into_iter()
        .filter(|v| {
            older_says
                .iter()
                .any(|o| o.path == v.path && o.kind == v.kind)
        })
        .collect();
    Some(Checked {
        coverage: Coverage::Between(older.0.clone(), newer.0.clone()),
        violations: both,
    })
}

/// The published API versions of `ty` whose schema has a property at `path` (object keys as
/// written, array indexes stepping into items), oldest first: where a property unknown to the
/// resource's own version lives, so SCH001 can say which versions have it.
pub fn versions_having(ty: &str, path: &[String]) -> Vec<&'static str> {
    let Some(versions) = artefact().resources.get(&ty.to_ascii_lowercase()) else {
        return Vec::new();
    };
    versions
        .iter()
        .filter(|(_, i)| has_path(&compiled(*i).shape, path))
        .map(|(v, _)| v.as_str())
        .collect()
}

fn has_path(shape: &Shape, path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    if let (Ok(_), Some(items)) = (first.parse::<usize>(), &shape.items) {
        return has_path(items, rest);
    }
    shape
        .properties
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(first))
        .is_some_and(|(_, s)| has_path(s, rest))
}

/// Does the artefact hold schemas for this type?
pub fn has_schemas(ty: &str) -> bool {
    artefact().resources.contains_key(&ty.to_ascii_lowercase())
}

/// A compiled shape: one node of a property tree.
#[derive(Debug, Default)]
struct Shape {
    /// Allowed JSON types; empty = any.
    types: Vec<Ty>,
    enumeration: Option<Vec<J>>,
    pattern: Option<regex::Regex>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    read_only: bool,
    properties: Vec<(String, Shape)>,
    required: Vec<String>,
    additional: Additional,
    items: Option<Box<Shape>>,
}

#[derive(Debug, Default)]
enum Additional {
    #[default]
    Any,
    Closed,
    Shape(Box<Shape>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    String,
    Boolean,
    Integer,
    Number,
    Object,
    Array,
}

impl Ty {
    fn parse(s: &str) -> Option<Ty> {
        Some(match s {
            "string" => Ty::String,
            "boolean" => Ty::Boolean,
            "integer" => Ty::Integer,
            "number" => Ty::Number,
            "object" => Ty::Object,
            "array" => Ty::Array,
            _ => return None,
        })
    }
    fn article(self) -> &'static str {
        match self {
            Ty::String => "a string",
            Ty::Boolean => "a boolean",
            Ty::Integer => "an integer",
            Ty::Number => "a number",
            Ty::Object => "an object",
            Ty::Array => "an array",
        }
    }
}

/// A resource root: its shape and every property name it knows, with where (for the hint
/// on a property written at the wrong level).
#[derive(Debug)]
struct Root {
    shape: Shape,
    names: Vec<(String, String)>,
}

fn compiled(index: usize) -> &'static Root {
    static ROOTS: OnceLock<Vec<OnceLock<Root>>> = OnceLock::new();
    let a = artefact();
    let roots = ROOTS.get_or_init(|| (0..a.shapes.len()).map(|_| OnceLock::new()).collect());
    roots[index].get_or_init(|| {
        let mut shape = compile(&a.shapes[index]);
        for (k, v) in &a.envelope {
            if !shape
                .properties
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(k))
            {
                shape.properties.push((k.clone(), compile(v)));
            }
        }
        let mut names = Vec::new();
        collect_names(&shape, "", &mut names);
        Root { shape, names }
    })
}

fn compile(j: &J) -> Shape {
    let types = match j.get("type") {
        Some(J::String(s)) => Ty::parse(s).into_iter().collect(),
        Some(J::Array(a)) => a
            .iter()
            .filter_map(J::as_str)
            .filter_map(Ty::parse)
            .collect(),
        _ => Vec::new(),
    };
    let additional = match j.get("additionalProperties") {
        Some(J::Bool(false)) => Additional::Closed,
        Some(s @ J::Object(_)) => Additional::Shape(Box::new(compile(s))),
        _ => Additional::Any,
    };
    Shape {
        types,
        enumeration: j.get("enum").and_then(J::as_array).cloned(),
        // The derivation keeps only patterns that compile (GUIDs); one that does not is
        // dropped rather than failing every lint.
        pattern: j
            .get("pattern")
            .and_then(J::as_str)
            .and_then(|p| regex::Regex::new(p).ok()),
        minimum: j.get("minimum").and_then(J::as_f64),
        maximum: j.get("maximum").and_then(J::as_f64),
        read_only: j.get("readOnly") == Some(&J::Bool(true)),
        properties: j
            .get("properties")
            .and_then(J::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), compile(v)))
            .collect(),
        required: j
            .get("required")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter_map(J::as_str)
            .map(String::from)
            .collect(),
        additional,
        items: j.get("items").map(|i| Box::new(compile(i))),
    }
}

fn collect_names(shape: &Shape, at: &str, out: &mut Vec<(String, String)>) {
    for (name, sub) in &shape.properties {
        out.push((name.clone(), at.to_string()));
        let below = if at.is_empty() {
            name.clone()
        } else {
            format!("{at}.{name}")
        };
        collect_names(sub, &below, out);
    }
    if let Some(items) = &shape.items {
        collect_names(items, &format!("{at}[]"), out);
    }
    if let Additional::Shape(s) = &shape.additional {
        collect_names(s, &format!("{at}.*"), out);
    }
}

/// How a value is described in a message.
fn described(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => format!("the string \"{}\"", crate::quote::value(s)),
        Value::Int(i) => format!("the number {i}"),
        Value::Float(f) => format!("the number {f}"),
        Value::Bool(b) => b.to_string(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
        Value::Null | Value::Sym(_) => "an unknown value".into(),
    }
}

enum Fit {
    Yes,
    /// A string Resource Manager converts to this type.
    Converted(Ty),
    No,
}

fn fit(types: &[Ty], node: &Node) -> Fit {
    let is = |t: Ty| types.contains(&t);
    let yes = match &node.value {
        Value::Str(_) => is(Ty::String),
        Value::Bool(_) => is(Ty::Boolean),
        Value::Int(_) => is(Ty::Integer) || is(Ty::Number),
        Value::Float(f) => is(Ty::Number) || (is(Ty::Integer) && f.fract() == 0.0),
        Value::Array(_) => is(Ty::Array),
        Value::Object(_) => is(Ty::Object),
        Value::Null | Value::Sym(_) => true,
    };
    if yes {
        return Fit::Yes;
    }
    if let Value::Str(s) = &node.value {
        if is(Ty::Boolean) && (s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")) {
            return Fit::Converted(Ty::Boolean);
        }
        if is(Ty::Integer) && s.parse::<i64>().is_ok() {
            return Fit::Converted(Ty::Integer);
        }
        if is(Ty::Number) && s.parse::<f64>().is_ok_and(f64::is_finite) {
            return Fit::Converted(Ty::Number);
        }
    }
    Fit::No
}

/// A key written as an expression the tool could not evaluate (its text holds `{…}`): not a
/// property name anyone misspelt.
fn computed(key: &str) -> bool {
    key.contains('{')
}

fn walk(shape: &Shape, node: &Node, path: &mut Vec<String>, root: &Root, out: &mut Vec<Violation>) {
    if matches!(node.value, Value::Null | Value::Sym(_)) || shape.read_only {
        return;
    }
    let mut push = |kind: Kind, message: String, path: &[String]| {
        out.push(Violation {
            path: path.to_vec(),
            message,
            kind,
        })
    };
    if !shape.types.is_empty() {
        match fit(&shape.types, node) {
            Fit::Yes => {}
            Fit::Converted(t) => {
                let Value::Str(s) = &node.value else {
                    unreachable!("only strings convert")
                };
                let literal = if t == Ty::Boolean {
                    s.to_ascii_lowercase()
                } else {
                    s.clone()
                };
                push(
                    Kind::Converted,
                    format!(
                        "\"{s}\" is a string where {} is expected; write {literal}",
                        t.article()
                    ),
                    path,
                );
                return;
            }
            Fit::No => {
                let expected: Vec<&str> = shape.types.iter().map(|t| t.article()).collect();
                push(
                    Kind::Type,
                    format!(
                        "expected {}, found {}",
                        expected.join(" or "),
                        described(node)
                    ),
                    path,
                );
                return;
            }
        }
    }
    if let Some(allowed) = &shape.enumeration {
        let ok = allowed.iter().any(|a| match (&node.value, a) {
            (Value::Str(s), J::String(x)) => s.eq_ignore_ascii_case(x),
            (Value::Int(i), J::Number(n)) => n.as_i64() == Some(*i),
            (Value::Bool(b), J::Bool(x)) => b == x,
            _ => false,
        });
        if !ok {
            let shown: Vec<String> = allowed
                .iter()
                .map(|a| a.as_str().map_or_else(|| a.to_string(), String::from))
                .collect();
            push(
                Kind::Enum,
                format!("{} is not one of {}", described(node), shown.join(", ")),
                path,
            );
        }
    }
    if let (Some(p), Value::Str(s)) = (&shape.pattern, &node.value)
        && !p.is_match(s)
    {
        let what = if p.as_str().contains("[0-9a-fA-F]{8}") {
            "a GUID".to_string()
        } else {
            format!("a match of {}", p.as_str())
        };
        push(Kind::Pattern, format!("\"{s}\" is not {what}"), path);
    }
    if let Some(n) = match node.value {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) => Some(f),
        _ => None,
    } {
        let low = shape.minimum.is_some_and(|m| n < m);
        let high = shape.maximum.is_some_and(|m| n > m);
        if low || high {
            let range = match (shape.minimum, shape.maximum) {
                (Some(a), Some(b)) => format!("between {a} and {b}"),
                (Some(a), None) => format!("at least {a}"),
                (None, Some(b)) => format!("at most {b}"),
                (None, None) => unreachable!("a bound was broken"),
            };
            push(Kind::Range, format!("{n} is not {range}"), path);
        }
    }
    match &node.value {
        Value::Object(o) => {
            let has_computed = o.iter().any(|(k, _)| computed(&k.name));
            for (k, v) in o.iter() {
                path.push(k.name.clone());
                match shape
                    .properties
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&k.name))
                {
                    Some((_, sub)) => walk(sub, v, path, root, out),
                    None => match &shape.additional {
                        Additional::Any => {}
                        Additional::Shape(sub) => walk(sub, v, path, root, out),
                        Additional::Closed if computed(&k.name) => {}
                        Additional::Closed => out.push(Violation {
                            message: unknown_property(shape, root, &k.name),
                            path: path.clone(),
                            kind: Kind::Unknown,
                        }),
                    },
                }
                path.pop();
            }
            if !has_computed {
                for r in &shape.required {
                    if o.get(r).is_none() {
                        out.push(Violation {
                            path: path.clone(),
                            message: format!("required property '{r}' is missing"),
                            kind: Kind::Required,
                        });
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = &shape.items {
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    walk(item, v, path, root, out);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

/// "unknown property 'x'", with the likely intended name at this level, or where a property of
/// that name belongs.
fn unknown_property(shape: &Shape, root: &Root, name: &str) -> String {
    if let Some(near) = super::closest(shape.properties.iter().map(|(n, _)| n.as_str()), name) {
        return format!("unknown property '{name}'; did you mean '{near}'?");
    }
    if let Some((_, at)) = root
        .names
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        let at = if at.is_empty() {
            "the resource itself"
        } else {
            at
        };
        return format!("unknown property '{name}' here; it belongs in {at}");
    }
    format!("unknown property '{name}'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::model;
    use serde_json::json;

    const REGISTRY: &str = "Microsoft.ContainerRegistry/registries";

    fn registry(api: &str, props: J) -> crate::model::Model {
        model(json!([{"type": REGISTRY, "apiVersion": api, "name": "acr1",
            "location": "westeurope", "sku": {"name": "Premium"}, "properties": props}]))
    }

    fn violations(m: &crate::model::Model) -> Vec<(String, Kind)> {
        let r = &m.resources[0];
        check(&r.ty, r.api_version.as_deref(), &r.body)
            .unwrap()
            .violations
            .into_iter()
            .map(|v| (v.path.join("."), v.kind))
            .collect()
    }

    #[test]
    fn every_shape_of_the_artefact_compiles() {
        for i in 0..artefact().shapes.len() {
            assert!(!compiled(i).shape.properties.is_empty(), "shape {i}");
        }
    }

    #[test]
    fn the_versions_that_have_a_property_are_known() {
        let path = |p: &str| p.split('.').map(String::from).collect::<Vec<_>>();
        // softDeletePolicy: preview API versions only.
        let soft_delete = versions_having(REGISTRY, &path("properties.policies.softDeletePolicy"));
        assert!(!soft_delete.is_empty());
        assert!(
            soft_delete.iter().all(|v| v.ends_with("-preview")),
            "{soft_delete:?}"
        );
        let encryption = versions_having(REGISTRY, &path("properties.encryption.status"));
        assert!(encryption.contains(&"2025-11-01") && !encryption.contains(&"2017-10-01"));
        assert!(versions_having(REGISTRY, &path("properties.encryptionn")).is_empty());
        assert!(
            versions_having("Microsoft.Storage/storageAccounts", &path("properties")).is_empty()
        );
    }

    #[test]
    fn a_property_is_judged_by_the_schema_of_its_own_api_version() {
        // softDeletePolicy exists in the preview API versions only.
        let m = registry(
            "2025-11-01",
            json!({"policies": {"softDeletePolicy": {"status": "enabled"}}}),
        );
        assert_eq!(
            violations(&m),
            [("properties.policies.softDeletePolicy".into(), Kind::Unknown)]
        );
        let m = registry(
            "2025-06-01-preview",
            json!({"policies": {"softDeletePolicy": {"status": "enabled"}}}),
        );
        assert_eq!(violations(&m), []);
    }

    #[test]
    fn a_version_without_its_own_schema_is_checked_between_its_neighbours() {
        // Key Vault 2023-02-01 is published but not in the copy: 2022-07-01 and 2023-07-01.
        let vault = |props: J| {
            model(
                json!([{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-02-01",
                "name": "kv", "location": "westeurope", "properties": props}]),
            )
        };
        let base = json!({"tenantId": "00000000-0000-0000-0000-000000000000",
                          "sku": {"family": "A", "name": "standard"}});
        let m = vault(base.clone());
        let r = &m.resources[0];
        let c = check(&r.ty, r.api_version.as_deref(), &r.body).unwrap();
        assert_eq!(
            c.coverage,
            Coverage::Between("2022-07-01".into(), "2023-07-01".into())
        );
        assert!(c.violations.is_empty(), "{:?}", c.violations);
        let mut typo = base;
        typo["enablePurgeProtectionn"] = true.into();
        assert_eq!(
            violations(&vault(typo)),
            [("properties.enablePurgeProtectionn".into(), Kind::Unknown)]
        );
        // Older than every schema of the copy: not checked at all.
        let m = registry(
            "2016-06-27-preview",
            json!({"storageAccount": {"name": "sa"}}),
        );
        let r = &m.resources[0];
        assert!(check(&r.ty, r.api_version.as_deref(), &r.body).is_none());
    }

    #[test]
    fn converted_strings_are_their_own_kind_and_unknowns_are_never_judged() {
        let m = registry(
            "2025-11-01",
            json!({"adminUserEnabled": "TRUE", "zoneRedundancy": "${param:z}",
                   "policies": {"retentionPolicy": {"days": "30", "status": "on"}},
                   "anonymousPullEnabled": "yes"}),
        );
        let mut got = violations(&m);
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            [
                ("properties.adminUserEnabled".into(), Kind::Converted),
                ("properties.anonymousPullEnabled".into(), Kind::Type),
                (
                    "properties.policies.retentionPolicy.days".into(),
                    Kind::Converted
                ),
                (
                    "properties.policies.retentionPolicy.status".into(),
                    Kind::Enum
                ),
            ]
        );
    }

    #[test]
    fn messages_say_what_is_wrong_and_what_was_meant() {
        let m = registry(
            "2025-11-01",
            json!({"encryption": {"status": "On", "keyVaultProperties": {"keyIdentifer": "x"}},
                   "adminUserEnabled": "true"}),
        );
        let r = &m.resources[0];
        let mut msgs: Vec<String> = check(&r.ty, r.api_version.as_deref(), &r.body)
            .unwrap()
            .violations
            .into_iter()
            .map(|v| v.message)
            .collect();
        msgs.sort();
        assert_eq!(
            msgs,
            [
                "\"true\" is a string where a boolean is expected; write true",
                "the string \"On\" is not one of enabled, disabled",
                "unknown property 'keyIdentifer'; did you mean 'keyIdentifier'?",
            ]
        );
        let m = registry("2025-11-01", json!({"sku": {"name": "Premium"}}));
        let r = &m.resources[0];
        let v = &check(&r.ty, r.api_version.as_deref(), &r.body)
            .unwrap()
            .violations;
        assert_eq!(
            v[0].message,
            "unknown property 'sku' here; it belongs in the resource itself"
        );
    }

    #[test]
    fn read_only_properties_required_ones_and_ranges() {
        let m = registry(
            "2025-11-01",
            json!({"loginServer": "x.azurecr.io", "networkRuleSet": {"ipRules": []}}),
        );
        assert_eq!(
            violations(&m),
            [("properties.networkRuleSet".into(), Kind::Required)]
        );
        let m = model(
            json!([{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01",
            "name": "kv", "properties": {"tenantId": "contoso", "softDeleteRetentionInDays": 120,
            "sku": {"family": "A", "name": "Standard"}}}]),
        );
        let mut got = violations(&m);
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            [
                ("properties.softDeleteRetentionInDays".into(), Kind::Range),
                ("properties.tenantId".into(), Kind::Pattern),
            ]
        );
    }
}
