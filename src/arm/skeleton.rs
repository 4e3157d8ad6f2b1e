//! SCH002's input: the skeleton of a template (and of every inline nested template) and of a
//! parameters file, neutralised for [`crate::schema::template`] and its errors located in the
//! source.
//!
//! Neutralised: an expression, a `null` or a string holding a placeholder
//! ([`crate::placeholders`]) becomes `null` and its pointer is remembered (an unknown never
//! produces an error); keys take the schema's spelling (ARM reads them without
//! case); of each resource only the envelope the template schema checks is kept (the body is
//! SCH001's), and `variables` only as an object (its content is free-form).

use super::json::{JKey, JKind, JVal};
use crate::model::SkeletonError;
use crate::placeholders::Placeholders;
use crate::schema::template::{self, Doc, Problem};
use crate::source::{FileId, Loc};
use serde_json::{Map, Value as J};

const DEPLOYMENTS: &str = "Microsoft.Resources/deployments";

/// The skeleton errors of a template file and of the inline templates of its nested
/// deployments.
pub fn template_errors(
    file: FileId,
    doc: &JVal,
    placeholders: &Placeholders,
) -> Vec<SkeletonError> {
    let mut out = Vec::new();
    let cx = Cx {
        file,
        whole: doc,
        placeholders,
    };
    check_template(&cx, doc, "", &mut out);
    out
}

/// What every step of one file's check needs.
struct Cx<'a> {
    file: FileId,
    whole: &'a JVal,
    placeholders: &'a Placeholders,
}

/// The skeleton errors of a parameters file.
pub fn parameters_errors(
    file: FileId,
    doc: &JVal,
    placeholders: &Placeholders,
) -> Vec<SkeletonError> {
    let mut unknown = Vec::new();
    let cx = Cx {
        file,
        whole: doc,
        placeholders,
    };
    let neutral = convert(&cx, Doc::Parameters, doc, "", &mut unknown);
    template::check(Doc::Parameters, &neutral, &unknown)
        .into_iter()
        .map(|e| located(file, doc, e, false))
        .collect()
}

fn check_template(cx: &Cx, t: &JVal, at: &str, out: &mut Vec<SkeletonError>) {
    let mut unknown = Vec::new();
    let neutral = template_root(cx, t, &mut unknown);
    for e in template::check(Doc::Template, &neutral, &unknown) {
        // A deployed template without readable `resources`: the tool sees nothing it deploys.
        // (A nested template without any deploys nothing.)
        let hides = at.is_empty()
            && ((e.problem == Problem::Missing
                && e.pointer.is_empty()
                && e.message.contains("'resources'"))
                || (e.problem == Problem::Other && e.pointer == "/resources"));
        let e = template::SkeletonError {
            pointer: format!("{at}{}", e.pointer),
            ..e
        };
        out.push(located(cx.file, cx.whole, e, hides));
    }
    for (ptr, r) in resources(t, at) {
        let is_deployment = r
            .get("type")
            .and_then(JVal::as_str)
            .is_some_and(|ty| ty.eq_ignore_ascii_case(DEPLOYMENTS));
        if let Some(inner) = r.get("properties").and_then(|p| p.get("template"))
            && is_deployment
            && inner.as_obj().is_some()
        {
            check_template(cx, inner, &format!("{ptr}/properties/template"), out);
        }
    }
}

/// The resources of a template (an array, or an object of symbolic names), with pointers.
fn resources<'a>(t: &'a JVal, at: &str) -> Vec<(String, &'a JVal)> {
    match t.get("resources").map(|r| &r.kind) {
        Some(JKind::Arr(list)) => list
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("{at}/resources/{i}"), r))
            .collect(),
        Some(JKind::Obj(map)) => map
            .iter()
            .map(|(k, r)| (format!("{at}/resources/{}", escape(&k.name)), r))
            .collect(),
        _ => Vec::new(),
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn key_of(doc: Doc, key: &str) -> String {
    template::canonical(doc, key).map_or_else(|| key.to_string(), String::from)
}

fn template_root(cx: &Cx, t: &JVal, unknown: &mut Vec<String>) -> J {
    let JKind::Obj(entries) = &t.kind else {
        return convert(cx, Doc::Template, t, "", unknown);
    };
    let mut out = Map::new();
    for (k, v) in entries {
        let name = key_of(Doc::Template, &k.name);
        let ptr = format!("/{}", escape(&name));
        let value = match (name.as_str(), &v.kind) {
            ("variables", JKind::Obj(_)) => J::Object(Map::new()),
            ("resources", JKind::Arr(list)) => J::Array(
                list.iter()
                    .enumerate()
                    .map(|(i, r)| resource(cx, r, &format!("{ptr}/{i}"), unknown))
                    .collect(),
            ),
            ("resources", JKind::Obj(map)) => J::Object(
                map.iter()
                    .map(|(s, r)| {
                        let at = format!("{ptr}/{}", escape(&s.name));
                        (s.name.clone(), resource(cx, r, &at, unknown))
                    })
                    .collect(),
            ),
            _ => convert(cx, Doc::Template, v, &ptr, unknown),
        };
        out.insert(name, value);
    }
    J::Object(out)
}

/// A resource's envelope (the properties the template schema checks).
fn resource(cx: &Cx, r: &JVal, ptr: &str, unknown: &mut Vec<String>) -> J {
    let JKind::Obj(entries) = &r.kind else {
        return convert(cx, Doc::Template, r, ptr, unknown);
    };
    let envelope = template::resource_envelope();
    let mut out = Map::new();
    for (k, v) in entries {
        let name = key_of(Doc::Template, &k.name);
        if envelope.contains(&name) {
            let child = format!("{ptr}/{}", escape(&name));
            out.insert(name, convert(cx, Doc::Template, v, &child, unknown));
        }
    }
    J::Object(out)
}

fn convert(cx: &Cx, doc: Doc, v: &JVal, ptr: &str, unknown: &mut Vec<String>) -> J {
    match &v.kind {
        JKind::Null => {
            unknown.push(ptr.to_string());
            J::Null
        }
        JKind::Str(s) if super::expr::is_expression(s) || cx.placeholders.matches(s) => {
            unknown.push(ptr.to_string());
            J::Null
        }
        JKind::Str(s) => J::String(s.clone()),
        JKind::Bool(b) => J::Bool(*b),
        JKind::Int(i) => J::from(*i),
        JKind::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        JKind::Arr(a) => J::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| convert(cx, doc, x, &format!("{ptr}/{i}"), unknown))
                .collect(),
        ),
        JKind::Obj(entries) => {
            let mut out = Map::new();
            for (k, x) in entries {
                let name = key_of(doc, &k.name);
                let child = format!("{ptr}/{}", escape(&name));
                out.insert(name, convert(cx, doc, x, &child, unknown));
            }
            J::Object(out)
        }
    }
}

/// The value (and, for an object member, its key) at a JSON pointer; keys match without case.
fn at_pointer<'a>(doc: &'a JVal, pointer: &str) -> Option<(Option<&'a JKey>, &'a JVal)> {
    let mut cur = doc;
    let mut key = None;
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        match &cur.kind {
            JKind::Obj(_) => {
                let (k, v) = cur.entry(&seg)?;
                key = Some(k);
                cur = v;
            }
            JKind::Arr(a) => {
                cur = a.get(seg.parse::<usize>().ok()?)?;
                key = None;
            }
            _ => return None,
        }
    }
    Some((key, cur))
}

/// Where an error is shown: an unexpected property's key; the opening brace or bracket of an
/// object or array (a whole template is no label); a scalar itself.
fn located(file: FileId, doc: &JVal, e: template::SkeletonError, hides: bool) -> SkeletonError {
    let found = at_pointer(doc, &e.pointer).or_else(|| {
        // The pointer names a property that is not there (a missing one): its object.
        let parent = e.pointer.rsplit_once('/').map_or("", |(p, _)| p);
        at_pointer(doc, parent)
    });
    let loc = match found {
        Some((Some(k), _)) if e.problem == Problem::Unknown => {
            Loc::new(file, k.span.start as usize, k.span.end as usize)
        }
        Some((_, v)) if matches!(v.kind, JKind::Obj(_) | JKind::Arr(_)) => {
            Loc::new(file, v.span.start as usize, v.span.start as usize + 1)
        }
        Some((_, v)) => Loc::new(file, v.span.start as usize, v.span.end as usize),
        None => Loc::new(file, doc.span.start as usize, doc.span.start as usize + 1),
    };
    SkeletonError {
        loc,
        pointer: e.pointer,
        message: e.message,
        hides_resources: hides,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<SkeletonError> {
        template_errors(
            0,
            &super::super::json::parse(text).unwrap(),
            &Placeholders::builtin(),
        )
    }

    #[test]
    fn resources_inside_parameters_hide_what_the_template_deploys() {
        let text = r#"{"$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {"vmName": {"type": "string"},
                           "resources": [{"type": "Microsoft.Compute/virtualMachines", "name": "[parameters('vmName')]"}]}}"#;
        let e = errors(text);
        let root = e
            .iter()
            .find(|e| e.pointer.is_empty())
            .expect("resources missing");
        assert!(root.hides_resources);
        assert_eq!(root.loc.range(), 0..1);
        let misplaced = e
            .iter()
            .find(|e| e.pointer == "/parameters/resources")
            .unwrap();
        assert!(!misplaced.hides_resources);
        assert_eq!(&text[misplaced.loc.range()], "[");
    }

    #[test]
    fn nested_templates_are_checked_and_expressions_are_unknown() {
        let text = r#"{"$schema": "x", "contentVersion": "1.0.0.0",
            "resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
              "name": "inner", "condition": "[parameters('deploy')]",
              "properties": {"mode": "Incremental", "template": {
                 "$schema": "x", "contentVersion": "1.0.0.0", "resourcez": [],
                 "resources": [{"type": "a/b", "name": "n", "dependsOn": "[variables('d')]"}]}}}]}"#;
        let e = errors(text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].pointer, "/resources/0/properties/template/resourcez");
        assert_eq!(&text[e[0].loc.range()], "\"resourcez\"");
    }
}
