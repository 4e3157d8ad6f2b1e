//! Parameter values: `.bicepparam` files and ARM parameter JSON files.
//!
//! tree-sitter-bicep 1.1 parses `using` but not `param x = value`. A `.bicepparam` file is
//! therefore parsed after a length-preserving rewrite: each statement-level `param` keyword
//! becomes `var  `, so `param x = <expr>` parses as a variable whose value is an ordinary Bicep
//! expression, with every span still pointing into the original file.

use super::eval::{DeclKind, Eval, first_named};
use super::{Shared, syntax};
use crate::model::{Key, Node, Object, Value};
use crate::source::{FileId, Loc};
use crate::unit::Unit;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A JSON value as a model node (every part located at `loc`).
pub fn from_json(v: &serde_json::Value, loc: Loc) -> Node {
    let value = match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(|x| from_json(x, loc)).collect()),
        serde_json::Value::Object(o) => {
            let mut obj = Object::default();
            for (k, x) in o {
                obj.insert(
                    Key {
                        name: k.clone(),
                        loc,
                    },
                    from_json(x, loc),
                );
            }
            Value::Object(obj)
        }
    };
    Node::new(value, loc)
}

/// Read a parameter file (`.bicepparam` or ARM JSON) into parameter values; the file joins the
/// unit's sources.
pub fn read_parameter_file(
    shared: &mut Shared,
    display: &str,
    text: &str,
) -> HashMap<String, Node> {
    let file = shared.sources.add(display, text);
    if text
        .trim_start()
        .trim_start_matches('\u{feff}')
        .starts_with('{')
    {
        read_json_parameters(shared, file, text)
    } else {
        read_bicepparam(shared, file, text).0
    }
}

/// ARM parameter JSON, read with the ARM front end's lenient, span-aware parser (comments and
/// trailing commas are accepted as ARM accepts them; values keep their locations), and with the
/// same meaning as in [`crate::arm::load::parameter_values`] (a Key Vault reference is the
/// parameter itself, unknown), so both front ends see identical parameter values.
fn read_json_parameters(shared: &mut Shared, file: FileId, text: &str) -> HashMap<String, Node> {
    let json = match crate::arm::json::parse(text) {
        Ok(j) => j,
        Err(e) => {
            shared
                .findings
                .push(crate::arm::parse_error(file, text, &e));
            return HashMap::new();
        }
    };
    // `parameter_values` keys by lower-cased name; Bicep looks parameters up as declared.
    let mut by_lower = crate::arm::load::parameter_values(file, &json);
    let declared = json
        .get("parameters")
        .and_then(|p| p.as_obj())
        .unwrap_or_default();
    declared
        .iter()
        .filter_map(|(k, _)| {
            let v = by_lower.remove(&k.name.to_ascii_lowercase())?;
            Some((k.name.clone(), v))
        })
        .collect()
}

/// `param` at the start of a statement → `var  ` (same length).
fn rewrite_bicepparam(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("param ") || t.starts_with("param\t") {
            let lead = line.len() - t.len();
            out.push_str(&line[..lead]);
            out.push_str("var  ");
            out.push_str(&t[5..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The values of a `.bicepparam` file and its `using` target. Syntax errors become BICEP000
/// findings.
fn read_bicepparam(
    shared: &mut Shared,
    file: FileId,
    text: &str,
) -> (HashMap<String, Node>, Option<String>) {
    let rewritten = rewrite_bicepparam(text);
    let Some(parsed) = syntax::parse(&rewritten) else {
        return (HashMap::new(), None);
    };
    let errors = syntax::syntax_errors(&parsed.tree, text, file);
    if !errors.is_empty() {
        shared.findings.extend(errors);
        return (HashMap::new(), None);
    }
    shared
        .model
        .suppressions
        .extend(super::suppress::collect(text, file));
    let spreads: HashSet<usize> = parsed.spreads.clone();
    let root = parsed.tree.root_node();
    let setup = super::FileSetup {
        inputs: HashMap::new(),
        scope: crate::model::Scope::resource_group_deployment(),
        parent_deployment: None,
        presence: crate::model::Presence::Always,
        pointer_prefix: String::new(),
    };
    let mut ev = Eval::new(shared, file, text, &spreads, None, setup);
    ev.collect(root);
    let mut using = None;
    let mut c = root.walk();
    for st in root.named_children(&mut c) {
        if st.kind() == "using_statement"
            && let Some(s) = first_named(st, "string")
        {
            using = ev.eval(s).as_str().map(String::from);
        }
    }
    let mut out = HashMap::new();
    // Statement-level `param`s were rewritten to `var`s; original `var`s stay helpers.
    let names: Vec<(String, tree_sitter::Node)> = ev
        .order
        .iter()
        .filter(|(_, d)| d.kind == DeclKind::Var)
        .map(|(n, d)| (n.clone(), d.node))
        .collect();
    for (name, node) in names {
        let is_param = text[node.start_byte()..].starts_with("param");
        if !is_param {
            continue;
        }
        if let Some(id) = first_named(node, "identifier") {
            let v = ev.eval_identifier(id);
            out.insert(name, super::eval::relocate(v, ev.loc(node)));
        }
    }
    (out, using)
}

pub fn load_bicepparam(
    root: &crate::read::Root,
    display: &str,
    path: Option<&Path>,
    text: &str,
) -> Unit {
    // Read the parameters into a scratch unit first to learn the `using` target; the target
    // must be file 0 of the real unit.
    let mut probe = Shared::default();
    let pfile = probe.sources.add(display, text);
    let (_, using) = read_bicepparam(&mut probe, pfile, text);
    let target = using
        .filter(|u| !u.starts_with("br:") && !u.starts_with("br/") && !u.starts_with("ts:"))
        .and_then(|u| Some(path?.parent()?.join(u)));
    let Some(target) = target else {
        return Unit {
            unparseable: !probe.findings.is_empty(),
            sources: probe.sources,
            model: probe.model,
            findings: probe.findings,
            incomplete: false,
        };
    };
    let base = target.parent().unwrap_or(Path::new(""));
    let written = target.file_name().map(|f| f.to_string_lossy().into_owned());
    let read = written
        .as_deref()
        .map(|w| root.read_reference(base, w).map(|(_, text)| text));
    let Some(Ok(bicep_text)) = read else {
        return Unit {
            unparseable: !probe.findings.is_empty(),
            sources: probe.sources,
            model: probe.model,
            findings: probe.findings,
            incomplete: read.is_some(),
        };
    };
    let bicep_display = match display.rfind(['/', '\\']) {
        Some(i) => format!(
            "{}/{}",
            &display[..i],
            target
                .file_name()
                .map(|f| f.to_string_lossy())
                .unwrap_or_default()
        ),
        None => target
            .file_name()
            .map(|f| f.to_string_lossy().to_string())
            .unwrap_or_default(),
    };
    super::load_in(
        root,
        &bicep_display,
        Some(&target),
        &bicep_text,
        &[(display.to_string(), text.to_string())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bicepparam_values_keep_their_spans() {
        let text = "using './main.bicep'\n\nparam name = 'reg${1}'\nparam tags = {\n  a: 'b'\n}\nvar helper = 2\n";
        let mut s = Shared::default();
        let f = s.sources.add("main.bicepparam", text);
        let (vals, using) = read_bicepparam(&mut s, f, text);
        assert_eq!(using.as_deref(), Some("./main.bicep"));
        assert_eq!(vals["name"].as_str(), Some("reg1"));
        assert_eq!(vals["tags"].get("a").and_then(|n| n.as_str()), Some("b"));
        assert!(!vals.contains_key("helper"));
        let at = vals["name"].loc.start as usize;
        assert!(text[at..].starts_with("param name"));
    }

    #[test]
    fn json_parameters() {
        let mut s = Shared::default();
        let v = read_parameter_file(
            &mut s,
            "p.json",
            r#"{"parameters":{"sku":{"value":"Basic"},"n":{"value":3}}}"#,
        );
        assert_eq!(v["sku"].as_str(), Some("Basic"));
        assert_eq!(v["n"].as_i64(), Some(3));
    }
}
