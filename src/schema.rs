//! Validation against the project's own JSON Schemas in `schemas/`.
//!
//! The schemas are written by the project for the resource types it emits and checks (not copied
//! from the official ARM schemas, which are loose in some places and stricter than ARM in others).
//! They are embedded with `include_str!` and compiled once.
//!
//! Templates are full of values the tool cannot know (ARM expressions, parameters without
//! values). Before validation every unknown value is replaced by `null` and its JSON pointer
//! remembered; errors at (or caused by) such a value are dropped, so an unknown never produces an
//! error. Known `null`s are treated the same way: ARM reads a `null` property as "not set".

use crate::model::{Node, Value};
use serde_json::Value as J;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One schema violation.
#[derive(Clone, Debug)]
pub struct SchemaError {
    /// JSON pointer of the offending value, relative to the validated document. For an
    /// unexpected property, the pointer of that property.
    pub pointer: String,
    pub message: String,
}

/// The resource schemas by full type.
const RESOURCE_SCHEMAS: [(&str, &str); 7] = [
    (
        "Microsoft.ContainerRegistry/registries",
        include_str!("../schemas/resources/registries.json"),
    ),
    (
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        include_str!("../schemas/resources/userAssignedIdentities.json"),
    ),
    (
        "Microsoft.KeyVault/vaults",
        include_str!("../schemas/resources/vaults.json"),
    ),
    (
        "Microsoft.KeyVault/vaults/keys",
        include_str!("../schemas/resources/vaults.keys.json"),
    ),
    (
        "Microsoft.KeyVault/vaults/accessPolicies",
        include_str!("../schemas/resources/vaults.accessPolicies.json"),
    ),
    (
        "Microsoft.Authorization/roleAssignments",
        include_str!("../schemas/resources/roleAssignments.json"),
    ),
    (
        "Microsoft.Resources/deployments",
        include_str!("../schemas/resources/deployments.json"),
    ),
];

const TEMPLATE_SCHEMA: &str = include_str!("../schemas/deploymentTemplate.json");
const PARAMETERS_SCHEMA: &str = include_str!("../schemas/deploymentParameters.json");

struct Schema {
    validator: jsonschema::Validator,
    /// Every property name the schema declares, for "did you mean".
    names: Vec<String>,
    /// Lower-cased name → the schema's spelling. ARM property names are case-insensitive, so
    /// instance keys are rewritten to the schema's spelling before validation.
    canon: HashMap<String, String>,
}

struct Compiled {
    resources: Vec<(&'static str, Schema)>,
    template: Schema,
    parameters: Schema,
}

fn compile(text: &str) -> Schema {
    // The schemas are part of the program: a schema that does not compile is a bug, caught by
    // the tests.
    let schema: J = serde_json::from_str(text).expect("embedded schema is JSON");
    let mut names = Vec::new();
    property_names(&schema, &mut names);
    let mut canon = HashMap::new();
    for n in &names {
        canon
            .entry(n.to_ascii_lowercase())
            .or_insert_with(|| n.clone());
    }
    Schema {
        validator: jsonschema::validator_for(&schema).expect("embedded schema compiles"),
        names,
        canon,
    }
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| Compiled {
        resources: RESOURCE_SCHEMAS
            .iter()
            .map(|(ty, text)| (*ty, compile(text)))
            .collect(),
        template: compile(TEMPLATE_SCHEMA),
        parameters: compile(PARAMETERS_SCHEMA),
    })
}

/// The resource types the project has schemas for.
pub fn resource_types() -> impl Iterator<Item = &'static str> {
    RESOURCE_SCHEMAS.iter().map(|(ty, _)| *ty)
}

pub fn has_schema(ty: &str) -> bool {
    resource_types().any(|t| t.eq_ignore_ascii_case(ty))
}

/// A document with its unknown (neutralised) places.
struct Neutral {
    doc: J,
    unknown: Vec<String>,
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Is this ARM template string an expression (`[...]`, not the `[[` escape)?
pub fn is_expression(s: &str) -> bool {
    let t = s.trim();
    t.starts_with('[') && !t.starts_with("[[") && t.ends_with(']')
}

/// Raw template JSON: expressions and `null`s become unknown; property `copy` loops make the
/// properties they produce unknown.
fn neutral_raw(v: &J, ptr: &str, canon: &Canon, unknown: &mut Vec<String>) -> J {
    match v {
        J::Null => {
            unknown.push(ptr.to_string());
            J::Null
        }
        J::String(s) if is_expression(s) => {
            unknown.push(ptr.to_string());
            J::Null
        }
        J::Array(a) => J::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| neutral_raw(x, &format!("{ptr}/{i}"), canon, unknown))
                .collect(),
        ),
        J::Object(o) => {
            let mut out = serde_json::Map::new();
            for (k, x) in o {
                if k == "copy"
                    && let J::Array(loops) = x
                {
                    for l in loops {
                        if let Some(name) = l.get("name").and_then(J::as_str) {
                            let name = canonical(canon, name);
                            unknown.push(format!("{ptr}/{}", escape(&name)));
                            out.insert(name, J::Null);
                        }
                    }
                    continue;
                }
                let k = canonical(canon, k);
                let child = format!("{ptr}/{}", escape(&k));
                let x = neutral_raw(x, &child, canon, unknown);
                out.insert(k, x);
            }
            J::Object(out)
        }
        other => other.clone(),
    }
}

type Canon = HashMap<String, String>;

fn canonical(canon: &Canon, key: &str) -> String {
    canon
        .get(&key.to_ascii_lowercase())
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

/// A model value as JSON: symbolic values (and `null`s) become `null`, and their pointers are
/// returned.
pub fn node_to_json(node: &Node) -> (J, Vec<String>) {
    let mut unknown = Vec::new();
    let doc = neutral_node(node, "", &Canon::new(), &mut unknown);
    (doc, unknown)
}

fn neutral_node(node: &Node, ptr: &str, canon: &Canon, unknown: &mut Vec<String>) -> J {
    match &node.value {
        Value::Null | Value::Sym(_) => {
            unknown.push(ptr.to_string());
            J::Null
        }
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::Str(s) => J::String(s.clone()),
        Value::Array(a) => J::Array(
            a.iter()
                .enumerate()
                .map(|(i, n)| neutral_node(n, &format!("{ptr}/{i}"), canon, unknown))
                .collect(),
        ),
        Value::Object(o) => {
            let mut out = serde_json::Map::new();
            for (k, v) in o.iter() {
                let k = canonical(canon, &k.name);
                let child = format!("{ptr}/{}", escape(&k));
                let v = neutral_node(v, &child, canon, unknown);
                out.insert(k, v);
            }
            J::Object(out)
        }
    }
}

fn under(ptr: &str, prefix: &str) -> bool {
    ptr == prefix || (ptr.starts_with(prefix) && ptr[prefix.len()..].starts_with('/'))
}

fn run(schema: &Schema, n: &Neutral) -> Vec<SchemaError> {
    use jsonschema::error::ValidationErrorKind as K;
    let mut out = Vec::new();
    for e in schema.validator.iter_errors(&n.doc) {
        let at = e.instance_path().as_str().to_string();
        // An error at an unknown value, or a combinator whose branches an unknown value below
        // it may have decided, is not certain.
        if n.unknown.iter().any(|u| under(&at, u)) {
            continue;
        }
        let combinator = matches!(
            e.kind(),
            K::AnyOf { .. } | K::OneOfNotValid { .. } | K::OneOfMultipleValid { .. }
        );
        if combinator && n.unknown.iter().any(|u| under(u, &at)) {
            continue;
        }
        match e.kind() {
            K::AdditionalProperties { unexpected } => {
                for p in unexpected {
                    out.push(SchemaError {
                        pointer: format!("{at}/{}", escape(p)),
                        message: format!(
                            "unknown property '{}'{}",
                            crate::quote::value(p),
                            did_you_mean(&schema.names, p)
                        ),
                    });
                }
            }
            K::Pattern { pattern } => out.push(SchemaError {
                message: match enum_of_pattern(pattern) {
                    Some(values) => format!(
                        "{} is not one of {}",
                        crate::quote::value(&e.instance().to_string()),
                        values.join(", ")
                    ),
                    None => message_of(&e),
                },
                pointer: at,
            }),
            _ => out.push(SchemaError {
                pointer: at,
                message: message_of(&e),
            }),
        }
    }
    out
}

/// The validator's message with the value it quotes shortened (it repeats the whole value:
/// a 12 MB string would be a 12 MB message).
fn message_of(e: &jsonschema::ValidationError) -> String {
    let message = e.to_string();
    let instance = e.instance().to_string();
    let short = crate::quote::value(&instance);
    if short.len() < instance.len() && message.contains(&instance) {
        message.replacen(&instance, &short, 1)
    } else {
        message
    }
}

/// The values of a case-insensitive enum written as `^(?i:a|b\-c)$` (how the project's schemas
/// spell enums, since ARM compares them without case).
fn enum_of_pattern(pattern: &str) -> Option<Vec<String>> {
    let inner = pattern.strip_prefix("^(?i:")?.strip_suffix(")$")?;
    Some(
        inner
            .split('|')
            .map(|v| {
                if v.is_empty() {
                    "\"\" (not set)".to_string()
                } else {
                    v.replace('\\', "")
                }
            })
            .collect(),
    )
}

/// "; did you mean 'x'?" for a misspelt property: the closest property name the schema knows
/// anywhere (cheap, and misspellings are rarely closer to a name at another level).
fn did_you_mean(names: &[String], p: &str) -> String {
    // A misspelt name is short; comparing a huge key with every name would cost its length
    // times theirs.
    const MAX_MISSPELLING: usize = 100;
    if p.len() > MAX_MISSPELLING || names.iter().any(|n| n.eq_ignore_ascii_case(p)) {
        // The name exists, at another level: a hint would only repeat it.
        return String::new();
    }
    names
        .iter()
        .map(|n| {
            (
                strsim::jaro_winkler(&n.to_ascii_lowercase(), &p.to_ascii_lowercase()),
                n,
            )
        })
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| format!("; did you mean '{n}'?"))
        .unwrap_or_default()
}

fn property_names(schema: &J, out: &mut Vec<String>) {
    match schema {
        J::Object(o) => {
            if let Some(J::Object(props)) = o.get("properties") {
                for k in props.keys() {
                    if !out.contains(k) {
                        out.push(k.clone());
                    }
                }
            }
            for v in o.values() {
                property_names(v, out);
            }
        }
        J::Array(a) => a.iter().for_each(|v| property_names(v, out)),
        _ => {}
    }
}

/// Validate one resource object (as written in a template) against the schema of its type.
/// Types without a schema give no errors.
pub fn validate_resource_json(ty: &str, resource: &J) -> Vec<SchemaError> {
    let Some((_, v)) = compiled()
        .resources
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(ty))
    else {
        return Vec::new();
    };
    let mut unknown = Vec::new();
    let doc = neutral_raw(resource, "", &v.canon, &mut unknown);
    run(v, &Neutral { doc, unknown })
}

/// Validate a model resource body (evaluated values; symbols are unknown).
pub fn validate_node(ty: &str, body: &Node) -> Vec<SchemaError> {
    let Some((_, v)) = compiled()
        .resources
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(ty))
    else {
        return Vec::new();
    };
    let mut unknown = Vec::new();
    let doc = neutral_node(body, "", &v.canon, &mut unknown);
    run(v, &Neutral { doc, unknown })
}

/// Validate a whole ARM template: the root structure and every resource of a type the project
/// has a schema for, including child resources and the inline templates of nested deployments.
pub fn validate_template(template: &J) -> Vec<SchemaError> {
    let mut unknown = Vec::new();
    let root = &compiled().template;
    let doc = neutral_raw(template, "", &root.canon, &mut unknown);
    let mut out = run(root, &Neutral { doc, unknown });
    walk_resources(template, "", None, &mut out);
    out
}

fn walk_resources(template: &J, ptr: &str, _parent: Option<&str>, out: &mut Vec<SchemaError>) {
    match template.get("resources") {
        Some(J::Array(list)) => {
            for (i, r) in list.iter().enumerate() {
                check_resource(r, &format!("{ptr}/resources/{i}"), None, out);
            }
        }
        Some(J::Object(map)) => {
            for (k, r) in map {
                check_resource(r, &format!("{ptr}/resources/{}", escape(k)), None, out);
            }
        }
        _ => {}
    }
}

fn check_resource(r: &J, ptr: &str, parent_ty: Option<&str>, out: &mut Vec<SchemaError>) {
    let Some(ty) = r.get("type").and_then(J::as_str) else {
        return;
    };
    // An `existing` resource is a reference: nothing of it is deployed.
    if is_expression(ty) || r.get("existing").and_then(J::as_bool) == Some(true) {
        return;
    }
    // A child declared inside its parent's `resources` has a short type (`accessPolicies`).
    let full = match parent_ty {
        Some(p) if !ty.contains('/') => format!("{p}/{ty}"),
        _ => ty.to_string(),
    };
    for e in validate_resource_json(&full, r) {
        out.push(SchemaError {
            pointer: format!("{ptr}{}", e.pointer),
            message: e.message,
        });
    }
    if let Some(J::Array(children)) = r.get("resources") {
        for (i, c) in children.iter().enumerate() {
            check_resource(c, &format!("{ptr}/resources/{i}"), Some(&full), out);
        }
    }
    if full.eq_ignore_ascii_case("Microsoft.Resources/deployments")
        && let Some(inner) = r.pointer("/properties/template")
    {
        walk_resources(inner, &format!("{ptr}/properties/template"), None, out);
    }
}

/// Validate a parameters file.
pub fn validate_parameters(parameters: &J) -> Vec<SchemaError> {
    // Parameter values are data, not expressions: only nulls are neutral here.
    let mut unknown = Vec::new();
    let doc = parameters.clone();
    collect_nulls(&doc, "", &mut unknown);
    run(&compiled().parameters, &Neutral { doc, unknown })
}

fn collect_nulls(v: &J, ptr: &str, out: &mut Vec<String>) {
    match v {
        J::Null => out.push(ptr.to_string()),
        J::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_nulls(x, &format!("{ptr}/{i}"), out);
            }
        }
        J::Object(o) => {
            for (k, x) in o {
                collect_nulls(x, &format!("{ptr}/{}", escape(k)), out);
            }
        }
        _ => {}
    }
}

/// The node (and, for an object member, its key) at a JSON pointer below `node`.
pub fn node_at<'a>(
    node: &'a Node,
    pointer: &str,
) -> Option<(&'a Node, Option<&'a crate::model::Key>)> {
    let mut cur = node;
    let mut key = None;
    if pointer.is_empty() {
        return Some((cur, None));
    }
    for raw in pointer.strip_prefix('/')?.split('/') {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        match &cur.value {
            Value::Object(o) => {
                let (k, v) = o.iter().find(|(k, _)| k.name.eq_ignore_ascii_case(&seg))?;
                key = Some(k);
                cur = v;
            }
            Value::Array(a) => {
                cur = a.get(seg.parse::<usize>().ok()?)?;
                key = None;
            }
            _ => return None,
        }
    }
    Some((cur, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn registry(props: J) -> J {
        json!({"type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2025-11-01",
               "name": "[parameters('registry_name')]", "location": "[resourceGroup().location]",
               "sku": {"name": "Premium"}, "properties": props})
    }

    #[test]
    fn every_schema_compiles() {
        assert_eq!(compiled().resources.len(), RESOURCE_SCHEMAS.len());
    }

    #[test]
    fn a_good_registry_is_valid_and_expressions_are_neutral() {
        let r = registry(json!({"encryption": {"status": "[parameters('s')]",
            "keyVaultProperties": {"identity": "[reference(variables('id')).clientId]",
                                   "keyIdentifier": "[parameters('kek_id')]"}},
            "adminUserEnabled": "[parameters('admin')]", "zoneRedundancy": "enabled"}));
        let e = validate_resource_json("Microsoft.ContainerRegistry/registries", &r);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn misspelt_properties_are_errors() {
        let r = registry(json!({"encryptionn": {"status": "enabled"}}));
        let e = validate_resource_json("Microsoft.ContainerRegistry/registries", &r);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].pointer, "/properties/encryptionn");
        let r = registry(json!({"encryption": {"status": "enabled",
            "keyVaultProperties": {"keyIdentifer": "https://v.vault.azure.net/keys/k"}}}));
        let e = validate_resource_json("Microsoft.ContainerRegistry/registries", &r);
        assert_eq!(
            e[0].pointer,
            "/properties/encryption/keyVaultProperties/keyIdentifer"
        );
    }

    #[test]
    fn wrong_json_types_and_enums_are_errors() {
        let v = json!({"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv",
            "properties": {"tenantId": "[subscription().tenantId]", "sku": {"family": "A", "name": "standard"},
                           "enablePurgeProtection": "true"}});
        let e = validate_resource_json("Microsoft.KeyVault/vaults", &v);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].pointer, "/properties/enablePurgeProtection");
        let r = registry(json!({"encryption": {"status": "on"}}));
        let e = validate_resource_json("Microsoft.ContainerRegistry/registries", &r);
        assert_eq!(e[0].pointer, "/properties/encryption/status");
        assert_eq!(e[0].message, "\"on\" is not one of enabled, disabled");
        // Resource Manager compares enum values without case.
        let r = registry(json!({"encryption": {"status": "Enabled"}}));
        assert!(validate_resource_json("Microsoft.ContainerRegistry/registries", &r).is_empty());
    }

    #[test]
    fn property_names_are_case_insensitive() {
        let r = registry(json!({"Encryption": {"STATUS": "enabled", "keyvaultproperties": {}}}));
        let e = validate_resource_json("Microsoft.ContainerRegistry/registries", &r);
        assert!(e.is_empty(), "{e:?}");
        let r = registry(json!({"Encryption": {"status": true}}));
        let e = validate_resource_json("Microsoft.ContainerRegistry/registries", &r);
        assert_eq!(e[0].pointer, "/properties/encryption/status");
    }

    #[test]
    fn a_property_at_the_wrong_level_gets_no_self_suggestion() {
        let v = json!({"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
                       "name": "d", "mode": "Incremental", "properties": {"mode": "Incremental"}});
        let e = validate_resource_json("Microsoft.Resources/deployments", &v);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].message, "unknown property 'mode'");
    }

    #[test]
    fn templates_walk_children_and_nested_deployments() {
        let t = json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": [
                {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv",
                 "properties": {"tenantId": "t", "sku": {"family": "A", "name": "standard"}},
                 "resources": [{"type": "keys", "apiVersion": "2023-07-01", "name": "k",
                                "properties": {"kty": "RSA", "keySizee": 2048}}]},
                {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "d",
                 "properties": {"mode": "Incremental", "template": {"resources": [
                    {"type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2025-11-01",
                     "name": "r", "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": "no"}}]}}}
            ]
        });
        let e = validate_template(&t);
        let ptrs: Vec<_> = e.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            ptrs,
            [
                "/resources/0/resources/0/properties/keySizee",
                "/resources/1/properties/template/resources/0/properties/adminUserEnabled"
            ]
        );
    }

    #[test]
    fn template_root_and_parameters() {
        let e = validate_template(
            &json!({"contentVersion": "1.0.0.0", "resources": [], "outputz": {}}),
        );
        assert_eq!(e.len(), 2, "{e:?}");
        let p = json!({"$schema": "x", "contentVersion": "1.0.0.0",
                       "parameters": {"kek_id": {"value": "https://v.vault.azure.net/keys/k"}}});
        assert!(validate_parameters(&p).is_empty());
        let p =
            json!({"$schema": "x", "contentVersion": "1.0.0.0", "parameters": {"kek_id": "bare"}});
        assert_eq!(validate_parameters(&p).len(), 1);
    }

    #[test]
    fn property_copy_loops_are_unknown() {
        let v = json!({"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv",
            "properties": {"tenantId": "t", "sku": {"family": "A", "name": "standard"},
                           "copy": [{"name": "accessPolicies", "count": 2, "input": {}}]}});
        assert!(validate_resource_json("Microsoft.KeyVault/vaults", &v).is_empty());
    }
}
