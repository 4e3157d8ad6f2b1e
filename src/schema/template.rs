//! The skeleton of a template or parameters file against the official `deploymentTemplate` /
//! `deploymentParameters` schemas (SCH002): top-level keys, parameter and output definitions,
//! user functions, each resource's envelope (`name`, `type`, `apiVersion`, `condition`,
//! `dependsOn`, `copy`, …). Resource bodies are SCH001's, per type and API version.
//!
//! Validated with the `jsonschema` crate over a neutralised document (the ARM front end builds
//! it, [`crate::arm::skeleton`]): unknown values (expressions, `null`s) are `null`, and an error
//! at or under an unknown value, or a combinator an unknown value below it may have decided, is
//! dropped — an unknown never produces an error.

use super::artefact;
use jsonschema::error::ValidationErrorKind as K;
use serde_json::Value as J;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Which official schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Doc {
    Template,
    Parameters,
}

/// One place where a document breaks its schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkeletonError {
    /// JSON pointer into the validated document (of the unexpected property itself, for
    /// [`Problem::Unknown`]).
    pub pointer: String,
    pub message: String,
    pub problem: Problem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A property the schema does not allow there: point at its key.
    Unknown,
    /// A required property is missing from the object at the pointer.
    Missing,
    Other,
}

struct Compiled {
    validator: jsonschema::Validator,
    /// Lower-cased property name → the schema's spelling. ARM reads template and parameters
    /// files without case, so keys are rewritten to the schema's spelling first.
    canon: HashMap<String, String>,
}

fn compiled(doc: Doc) -> &'static Compiled {
    static TEMPLATE: OnceLock<Compiled> = OnceLock::new();
    static PARAMETERS: OnceLock<Compiled> = OnceLock::new();
    let (cell, schema) = match doc {
        Doc::Template => (&TEMPLATE, &artefact().template),
        Doc::Parameters => (&PARAMETERS, &artefact().parameters),
    };
    cell.get_or_init(|| {
        let mut names = Vec::new();
        property_names(schema, &mut names);
        let canon = names
            .iter()
            .map(|n| (n.to_ascii_lowercase(), n.clone()))
            .collect();
        Compiled {
            // Part of the program (regenerated from the official schemas by a test): a schema
            // that does not compile is a build defect, caught by the tests.
            validator: jsonschema::validator_for(schema).expect("the derived schema compiles"),
            canon,
        }
    })
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
            o.values().for_each(|v| property_names(v, out));
        }
        J::Array(a) => a.iter().for_each(|v| property_names(v, out)),
        _ => {}
    }
}

/// Every name a `required` list mentions (an `anyOf` may require a property nothing declares).
fn required_names(schema: &J, out: &mut Vec<String>) {
    match schema {
        J::Object(o) => {
            for name in o
                .get("required")
                .and_then(J::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(n) = name.as_str().filter(|n| !out.iter().any(|o| o == n)) {
                    out.push(n.to_string());
                }
            }
            o.values().for_each(|v| required_names(v, out));
        }
        J::Array(a) => a.iter().for_each(|v| required_names(v, out)),
        _ => {}
    }
}

/// The schema's spelling of a property name (ARM property names are case-insensitive).
pub fn canonical(doc: Doc, key: &str) -> Option<&'static str> {
    compiled(doc)
        .canon
        .get(&key.to_ascii_lowercase())
        .map(String::as_str)
}

/// The properties the template schema checks on a resource (its envelope): the rest of a
/// resource body need not be converted for SCH002.
pub fn resource_envelope() -> &'static [String] {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let defs = &artefact().template["definitions"];
        let mut out = Vec::new();
        for def in ["ARMResourceBase", "resourceBase"] {
            property_names(&defs[def], &mut out);
            required_names(&defs[def], &mut out);
        }
        out
    })
}

fn under(ptr: &str, prefix: &str) -> bool {
    ptr == prefix || (ptr.starts_with(prefix) && ptr[prefix.len()..].starts_with('/'))
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Validate a neutralised document; `unknown` lists the pointers of its unknown values.
pub fn check(doc: Doc, neutral: &J, unknown: &[String]) -> Vec<SkeletonError> {
    let c = compiled(doc);
    let schema = match doc {
        Doc::Template => &artefact().template,
        Doc::Parameters => &artefact().parameters,
    };
    let mut out = Vec::new();
    for e in c.validator.iter_errors(neutral) {
        explain(schema, &e, unknown, &mut out);
    }
    out
}

/// Turn one validation error into what a user reads: a combinator is explained by the branch
/// the value's JSON type selects (`resources` is an array *or* an object), so the message
/// names the property at fault instead of "not valid under any of the schemas".
fn explain(
    schema: &J,
    e: &jsonschema::ValidationError,
    unknown: &[String],
    out: &mut Vec<SkeletonError>,
) {
    let at = e.instance_path().as_str().to_string();
    if unknown.iter().any(|u| under(&at, u)) {
        return;
    }
    let keyword_path = e.schema_path().as_str();
    match e.kind() {
        K::OneOfNotValid { context } | K::AnyOf { context } => {
            if unknown.iter().any(|u| under(u, &at)) {
                return;
            }
            if let Some(names) = one_of_required(schema, keyword_path) {
                return out.push(SkeletonError {
                    pointer: at,
                    message: format!("needs {}", one_of(&names)),
                    problem: Problem::Other,
                });
            }
            // The branches whose type the value has; one of them: its errors are the story.
            let typed: Vec<&Vec<jsonschema::ValidationError>> = context
                .iter()
                .filter(|errors| {
                    !errors.iter().any(|x| {
                        matches!(x.kind(), K::Type { .. }) && x.instance_path().as_str() == at
                    })
                })
                .collect();
            match typed.as_slice() {
                [branch] => {
                    for x in branch.iter() {
                        explain(schema, x, unknown, out);
                    }
                }
                [] => {
                    let types = branch_types(schema, keyword_path);
                    out.push(SkeletonError {
                        pointer: at,
                        message: format!(
                            "expected {}, found {}",
                            types.join(" or "),
                            described(e.instance())
                        ),
                        problem: Problem::Other,
                    });
                }
                _ => out.push(SkeletonError {
                    pointer: at,
                    message: message_of(e),
                    problem: Problem::Other,
                }),
            }
        }
        K::OneOfMultipleValid { .. } => {
            if unknown.iter().any(|u| under(u, &at)) {
                return;
            }
            let message = match one_of_required(schema, keyword_path) {
                Some(names) => {
                    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
                    format!(
                        "has more than one of {}; give exactly one",
                        quoted.join(", ")
                    )
                }
                None => message_of(e),
            };
            out.push(SkeletonError {
                pointer: at,
                message,
                problem: Problem::Other,
            });
        }
        K::AdditionalProperties { unexpected } => {
            let siblings = sibling_names(schema, keyword_path);
            for p in unexpected {
                let hint = super::closest(siblings.iter().copied(), p)
                    .filter(|n| !n.eq_ignore_ascii_case(p))
                    .map(|n| format!("; did you mean '{n}'?"))
                    .unwrap_or_default();
                out.push(SkeletonError {
                    pointer: format!("{at}/{}", escape(p)),
                    message: format!("unknown property '{}'{hint}", crate::quote::value(p)),
                    problem: Problem::Unknown,
                });
            }
        }
        // A template without `$schema` is ARM001's (it says why the file is linted anyway):
        // one fault, one finding.
        K::Required { property } if at.is_empty() && property.as_str() == Some("$schema") => {}
        K::Required { property } => out.push(SkeletonError {
            message: format!(
                "required property {} is missing",
                property
                    .as_str()
                    .map_or_else(|| property.to_string(), |p| format!("'{p}'"))
            ),
            pointer: at,
            problem: Problem::Missing,
        }),
        K::Pattern { pattern } => out.push(SkeletonError {
            message: match enum_of_pattern(pattern) {
                Some(values) => format!(
                    "{} is not one of {}",
                    crate::quote::value(&e.instance().to_string()),
                    values.join(", ")
                ),
                None => format!(
                    "{} does not match {pattern}",
                    crate::quote::value(&e.instance().to_string())
                ),
            },
            pointer: at,
            problem: Problem::Other,
        }),
        K::Type { .. } => {
            let types = type_of(schema_at(
                schema,
                keyword_path.rsplit_once('/').map_or("", |(p, _)| p),
            ));
            out.push(SkeletonError {
                message: format!(
                    "expected {}, found {}",
                    types.join(" or "),
                    described(e.instance())
                ),
                pointer: at,
                problem: Problem::Other,
            });
        }
        _ => out.push(SkeletonError {
            pointer: at,
            message: message_of(e),
            problem: Problem::Other,
        }),
    }
}

/// `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// A value as a message shows it: a short literal, or its JSON type.
fn described(v: &J) -> String {
    match v {
        J::Array(_) => "an array".into(),
        J::Object(_) => "an object".into(),
        J::String(s) => format!("the string \"{s}\""),
        other => other.to_string(),
    }
}

/// `type` of a schema node, as "an array", "a string", …
fn type_of(node: Option<&J>) -> Vec<String> {
    let article = |t: &str| match t {
        "array" | "object" | "integer" => format!("an {t}"),
        other => format!("a {other}"),
    };
    match node.and_then(|n| n.get("type")) {
        Some(J::String(t)) => vec![article(t)],
        Some(J::Array(ts)) => ts.iter().filter_map(J::as_str).map(article).collect(),
        _ => vec!["another type".into()],
    }
}

/// The types of the branches of a combinator (following their `$ref`s).
fn branch_types(schema: &J, keyword_path: &str) -> Vec<String> {
    let branches = schema_at(schema, keyword_path).and_then(J::as_array);
    let mut out = Vec::new();
    for b in branches.into_iter().flatten() {
        let b = match b.get("$ref").and_then(J::as_str) {
            Some(r) => schema.pointer(r.trim_start_matches('#')),
            None => Some(b),
        };
        for t in type_of(b) {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// The schema node at a keyword path (following the local `$ref`s on it).
fn schema_at<'s>(schema: &'s J, keyword_path: &str) -> Option<&'s J> {
    let mut node = schema;
    for seg in keyword_path.split('/').skip(1) {
        node = if seg == "$ref" {
            schema.pointer(node.get("$ref")?.as_str()?.trim_start_matches('#'))?
        } else {
            match node {
                J::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => node.get(seg.replace("~1", "/").replace("~0", "~"))?,
            }
        };
    }
    Some(node)
}

/// The names allowed beside an unexpected property: the `properties` of the schema object whose
/// `additionalProperties` rejected it.
fn sibling_names<'s>(schema: &'s J, keyword_path: &str) -> Vec<&'s str> {
    let parent = keyword_path.rsplit_once('/').map_or("", |(p, _)| p);
    schema_at(schema, parent)
        .and_then(|n| n.get("properties"))
        .and_then(J::as_object)
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// For a `oneOf` whose branches each only require one property (a parameter entry's `value`
/// or `reference`): those properties.
fn one_of_required<'s>(schema: &'s J, keyword_path: &str) -> Option<Vec<&'s str>> {
    schema_at(schema, keyword_path)?
        .as_array()?
        .iter()
        .map(|branch| {
            let o = branch.as_object()?;
            let req = o.get("required")?.as_array()?;
            (o.len() == 1 && req.len() == 1).then(|| req[0].as_str())?
        })
        .collect()
}

/// The values of a case-insensitive enum written as `^(?i:a|b\-c)$` (how the derivation
/// writes enums, since ARM compares them without case).
fn enum_of_pattern(pattern: &str) -> Option<Vec<String>> {
    let inner = pattern.strip_prefix("^(?i:")?.strip_suffix(")$")?;
    Some(inner.split('|').map(|v| v.replace('\\', "")).collect())
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(extra: J) -> J {
        let mut t = json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {"name": {"type": "String"}},
            "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01",
                           "name": "kv", "dependsOn": [], "copy": {"name": "c", "count": 2, "mode": "serial"}}]
        });
        for (k, v) in extra.as_object().unwrap() {
            t[k] = v.clone();
        }
        t
    }

    #[test]
    fn a_good_template_is_valid_and_enums_ignore_case() {
        let e = check(Doc::Template, &template(json!({})), &[]);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn misplaced_resources_and_unknown_root_keys_are_errors() {
        let mut t = template(json!({"outputz": {}}));
        let r = t.as_object_mut().unwrap().remove("resources").unwrap();
        t["parameters"]["resources"] = r;
        let e = check(Doc::Template, &t, &[]);
        let got: Vec<_> = e.iter().map(|e| (e.pointer.as_str(), e.problem)).collect();
        assert!(got.contains(&("", Problem::Missing)), "{e:?}");
        assert!(got.contains(&("/outputz", Problem::Unknown)), "{e:?}");
        assert!(
            e.iter()
                .any(|e| e.pointer == "/outputz" && e.message.contains("did you mean 'outputs'")),
            "{e:?}"
        );
        assert!(
            got.iter()
                .any(|(p, _)| p.starts_with("/parameters/resources")),
            "{e:?}"
        );
        let t = template(
            json!({"parameters": {"p": {"type": "string", "defaultValu": 1}},
                                "resources": [{"type": "a/b", "name": "n", "dependsOn": [], "copy": {"name": "c", "count": 1}}]}),
        );
        // Parameter definitions are open upstream: only the root and closed objects complain.
        assert_eq!(check(Doc::Template, &t, &[]), []);
    }

    #[test]
    fn unknown_values_never_produce_errors() {
        // `count` and `condition` given by expressions the tool could not evaluate.
        let mut t = template(json!({}));
        t["resources"][0]["copy"]["count"] = J::Null;
        t["resources"][0]["condition"] = J::Null;
        let unknown = vec![
            "/resources/0/copy/count".to_string(),
            "/resources/0/condition".to_string(),
        ];
        assert_eq!(check(Doc::Template, &t, &unknown), []);
        assert!(!check(Doc::Template, &t, &[]).is_empty());
    }

    #[test]
    fn parameters_files_are_closed() {
        let p = json!({"$schema": "x", "contentVersion": "1.0.0.0",
                       "parameters": {"a": {"value": 1}, "b": {"values": 2}}});
        let e = check(Doc::Parameters, &p, &[]);
        let got: Vec<_> = e
            .iter()
            .map(|e| (e.pointer.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "/parameters/b/values",
                    "unknown property 'values'; did you mean 'value'?"
                ),
                ("/parameters/b", "needs 'value' or 'reference'"),
            ]
        );
    }
}
