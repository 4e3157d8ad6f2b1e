//! Parameter values: `.bicepparam` files and ARM parameter JSON files.
//!
//! A `.bicepparam` file is parsed with the Bicep grammar (its statements are part of it):
//! `using` (a path, `none`, `… with {…}`), `extends 'base.bicepparam'` (the base file's values
//! first, this file's override them), `param x = …`, `var`, `import`, `type` and
//! `extensionConfig`. Values are ordinary Bicep expressions with spans in the parameter file.

use super::eval::{DeclKind, Eval, first_named};
use super::{Shared, syntax};
use crate::model::{Key, Node, Object, Value};
use crate::source::{FileId, Loc};
use crate::unit::Unit;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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
/// unit's sources. `path` locates a `.bicepparam` file's `extends` target.
pub fn read_parameter_file(
    shared: &mut Shared,
    display: &str,
    path: Option<&Path>,
    text: &str,
) -> HashMap<String, Node> {
    if text
        .trim_start()
        .trim_start_matches('\u{feff}')
        .starts_with('{')
    {
        let file = shared.sources.add(display, text);
        read_json_parameters(shared, file, text)
    } else {
        read_bicepparam_file(shared, display, path, text)
    }
}

/// The parameter values of a `.bicepparam` file (its `extends` base first), which joins the
/// unit's sources. Syntax errors become BICEP000 findings (and no values).
pub fn read_bicepparam_file(
    shared: &mut Shared,
    display: &str,
    path: Option<&Path>,
    text: &str,
) -> HashMap<String, Node> {
    read_with_base(shared, display, path, text).values
}

/// [`read_bicepparam`] of a file that joins the unit's sources, with the values of its
/// `extends` base (and the base's base) under its own.
fn read_with_base(
    shared: &mut Shared,
    display: &str,
    path: Option<&Path>,
    text: &str,
) -> ParamFile {
    let file = shared.sources.add(display, text);
    let mut read = read_bicepparam(shared, file, text);
    if let (Some(base), Some(path), Some(at)) = (&read.extends, path, read.extends_at) {
        let mut values = read_base(shared, display, path, base, at, 0);
        values.extend(std::mem::take(&mut read.values));
        read.values = values;
    }
    read
}

/// `extends` chains longer than this are cut (a cycle, or hostile input).
const MAX_EXTENDS: usize = 8;

/// The values of the base file `written` (relative to `from`, at `at` there), its own base
/// first. The base is read only inside the lint root: a refused one is a REF001 at `at`.
fn read_base(
    shared: &mut Shared,
    from_display: &str,
    from: &Path,
    written: &str,
    at: Loc,
    depth: usize,
) -> HashMap<String, Node> {
    if depth >= MAX_EXTENDS {
        return HashMap::new();
    }
    let dir = from.parent().unwrap_or(Path::new(""));
    let (path, text) = match shared.root.read_reference(dir, written) {
        Ok(read) => read,
        Err(why) => {
            super::resources::refuse(shared, written, at, "", &why);
            return HashMap::new();
        }
    };
    let display = sibling_display(from_display, &path);
    let file = shared.sources.add(&display, text.as_str());
    let read = read_bicepparam(shared, file, &text);
    let mut values = match (&read.extends, read.extends_at) {
        (Some(base), Some(at)) => read_base(shared, &display, &path, base, at, depth + 1),
        _ => HashMap::new(),
    };
    values.extend(read.values);
    values
}

/// The display name of `target` for a file displayed as `from`: the same directory prefix.
fn sibling_display(from: &str, target: &Path) -> String {
    let name = target
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    match from.rfind(['/', '\\']) {
        Some(i) => format!("{}/{name}", &from[..i]),
        None => name,
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
    let skeleton =
        crate::arm::skeleton::parameters_errors(file, &json, &shared.placeholders.clone());
    shared.model.skeleton.extend(skeleton);
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

/// What a `.bicepparam` file says.
struct ParamFile {
    values: HashMap<String, Node>,
    /// The `using` target as written (`None` for `using none` or no `using`).
    using: Option<String>,
    /// The `extends` target as written.
    extends: Option<String>,
    /// Where the `using` and `extends` strings are (a refused target is reported there).
    using_at: Option<Loc>,
    extends_at: Option<Loc>,
}

/// The values of a `.bicepparam` file, its `using` and `extends` targets. Syntax errors become
/// BICEP000 findings.
fn read_bicepparam(shared: &mut Shared, file: FileId, text: &str) -> ParamFile {
    let mut out = ParamFile {
        values: HashMap::new(),
        using: None,
        extends: None,
        using_at: None,
        extends_at: None,
    };
    let Some(checked) = super::recover::check(text, file, syntax::FileKind::BicepParam) else {
        return out;
    };
    // Recovery per statement where a broken statement's loss is known: a `param` (its value
    // is unknown) or a `var` (what uses it is). A broken `using`, `extends` or statement of
    // unknown kind may hide any value: the file gives none (the unit is unparseable).
    let recoverable = checked
        .broken
        .iter()
        .all(|b| matches!(b.keyword, Some("param" | "var")) && b.name.is_some());
    if !recoverable {
        shared.findings.extend(checked.errors());
        return out;
    }
    super::report_broken(shared, file, &checked);
    shared
        .model
        .suppressions
        .extend(super::suppress::collect(text, file));
    for b in &checked.broken {
        if let (Some("param"), Some(name)) = (b.keyword, &b.name) {
            let why = crate::model::BrokenStatement::unknown_reason(name);
            out.values
                .insert(name.clone(), super::eval::opaque(why, b.error.loc));
        }
    }
    let setup = super::FileSetup {
        inputs: HashMap::new(),
        scope: crate::model::Scope::resource_group_deployment(),
        parent_deployment: None,
        presence: crate::model::Presence::Always,
        pointer_prefix: String::new(),
    };
    let mut ev = Eval::new(shared, file, text, None, setup);
    let statements = checked.statements();
    ev.collect(&statements);
    for &st in &statements {
        let string = first_named(st, "string");
        let target = string
            .map(|s| ev.src(s).trim_matches('\'').to_string())
            .filter(|s| !s.is_empty());
        let at = string.map(|s| ev.loc(s));
        match st.kind() {
            "using_statement" => (out.using, out.using_at) = (target, at),
            "extends_statement" => (out.extends, out.extends_at) = (target, at),
            _ => {}
        }
    }
    // `param x = …` statements are declarations of kind Var (so that one may use another);
    // a file's own `var`s stay helpers.
    let params: Vec<(String, tree_sitter::Node)> = ev
        .order
        .iter()
        .filter(|(_, d)| d.kind == DeclKind::Var && d.node.kind() == "parameter_assignment")
        .map(|(n, d)| (n.clone(), d.node))
        .collect();
    for (name, node) in params {
        if let Some(id) = first_named(node, "identifier") {
            // The value stays where the `.bicepparam` writes it; its uses are in the template.
            let mut v = ev.eval_identifier(id);
            v.used_at = None;
            out.values.insert(name, v);
        }
    }
    out
}

/// Load a `.bicepparam` file with its `using` target (file 0), both read only inside `root`.
/// A refused target is a REF001 on the `using` string; the unit then holds the parameter file
/// alone and is incomplete.
pub fn load_bicepparam(
    root: &crate::read::Root,
    display: &str,
    path: Option<&Path>,
    text: &str,
) -> Unit {
    // Read the parameters into a scratch unit first to learn the `using` target; the target
    // must be file 0 of the real unit.
    let mut probe = Shared {
        root: root.clone(),
        ..Shared::default()
    };
    let read = read_with_base(&mut probe, display, path, text);
    let unparseable = super::unusable_parameters(&probe);
    let using = read
        .using
        .filter(|u| !u.starts_with("br:") && !u.starts_with("br/") && !u.starts_with("ts:"));
    let (Some(using), Some(dir)) = (using, path.and_then(|p| p.parent())) else {
        return probe.into_unit(unparseable);
    };
    let (target, bicep_text) = match root.read_reference(dir, &using) {
        Ok(read) => read,
        Err(why) => {
            if let Some(at) = read.using_at {
                super::resources::refuse(&mut probe, &using, at, "", &why);
            }
            probe.incomplete = true;
            return probe.into_unit(unparseable);
        }
    };
    super::load_with_parameter_files_in(
        root,
        &sibling_display(display, &target),
        Some(&target),
        &bicep_text,
        &[super::ParameterFile {
            display: display.to_string(),
            path: path.map(PathBuf::from),
            text: text.to_string(),
        }],
        &crate::placeholders::Placeholders::builtin(),
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
        let read = read_bicepparam(&mut s, f, text);
        let vals = read.values;
        assert_eq!(read.using.as_deref(), Some("./main.bicep"));
        assert_eq!(vals["name"].as_str(), Some("reg1"));
        assert_eq!(vals["tags"].get("a").and_then(|n| n.as_str()), Some("b"));
        assert!(!vals.contains_key("helper"));
        // Located at the value the file writes (not at the statement), and not yet used.
        let loc = vals["name"].loc;
        assert_eq!(&text[loc.range()], "'reg${1}'");
        assert_eq!(vals["name"].used_at, None);
        assert_eq!(&text[vals["tags"].get("a").unwrap().loc.range()], "'b'");
    }

    #[test]
    fn a_broken_param_is_unknown_and_the_others_are_read() {
        let text = "using './main.bicep'\nparam a = 'x' +\nparam b = 'y'\nparam c = a\n";
        let mut s = Shared::default();
        let f = s.sources.add("main.bicepparam", text);
        let vals = read_bicepparam(&mut s, f, text).values;
        assert_eq!(vals["b"].as_str(), Some("y"));
        for unknown in ["a", "c"] {
            assert!(
                crate::eval::value::is_opaque(&vals[unknown].value),
                "{unknown}: {:?}",
                vals[unknown]
            );
        }
        assert_eq!(s.findings.len(), 1);
        assert_eq!(s.findings[0].code, "BICEP000");
        assert_eq!(s.model.broken.len(), 1);
        assert_eq!(s.model.broken[0].symbol.as_deref(), Some("a"));
        // A broken `extends` may hide any value: the file gives none.
        let text = "using './main.bicep'\nextends 'base.bicepparam' +\nparam b = 'y'\n";
        let mut s = Shared::default();
        let f = s.sources.add("main.bicepparam", text);
        assert!(read_bicepparam(&mut s, f, text).values.is_empty());
        assert!(s.model.broken.is_empty() && !s.findings.is_empty());
    }

    #[test]
    fn json_parameters() {
        let mut s = Shared::default();
        let v = read_parameter_file(
            &mut s,
            "p.json",
            None,
            r#"{"parameters":{"sku":{"value":"Basic"},"n":{"value":3}}}"#,
        );
        assert_eq!(v["sku"].as_str(), Some("Basic"));
        assert_eq!(v["n"].as_i64(), Some(3));
    }

    #[test]
    fn extends_reads_the_base_file_first() {
        let dir = tempfile::tempdir().unwrap();
        let base = "using none\nparam a = 'base'\nparam b = 'base'\n";
        std::fs::write(dir.path().join("base.bicepparam"), base).unwrap();
        let text = "using 'main.bicep'\nextends 'base.bicepparam'\nparam b = 'own'\n";
        let path = dir.path().join("main.bicepparam");
        let mut s = Shared {
            root: crate::read::Root::new(dir.path()).unwrap(),
            ..Shared::default()
        };
        let vals = read_bicepparam_file(&mut s, "p/main.bicepparam", Some(&path), text);
        assert!(s.findings.is_empty(), "{:?}", s.findings);
        assert_eq!(vals["a"].as_str(), Some("base"));
        assert_eq!(vals["b"].as_str(), Some("own"), "this file's values win");
        // The base file joins the sources, displayed beside the file that extends it.
        assert_eq!(s.sources.get(vals["a"].loc.file).name, "p/base.bicepparam");
    }

    #[test]
    fn an_extends_base_outside_the_root_is_refused_at_the_extends_string() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        // Not Bicep: read, its syntax error would quote it.
        std::fs::write(dir.path().join("base.bicepparam"), "outside-secret = = =\n").unwrap();
        let text = "using 'main.bicep'\nextends '../base.bicepparam'\nparam b = 'own'\n";
        let mut s = Shared {
            root: crate::read::Root::new(&repo).unwrap(),
            ..Shared::default()
        };
        let path = repo.join("main.bicepparam");
        let vals = read_bicepparam_file(&mut s, "main.bicepparam", Some(&path), text);
        assert_eq!(vals["b"].as_str(), Some("own"));
        assert!(s.incomplete);
        assert_eq!(s.findings.len(), 1, "{:?}", s.findings);
        let f = &s.findings[0];
        assert_eq!(f.code, "REF001");
        assert!(f.message.contains("'../base.bicepparam'"), "{}", f.message);
        // Located on the string after `extends` (line 2, column 9).
        assert_eq!(
            &text[f.loc.start as usize..f.loc.end as usize],
            "'../base.bicepparam'"
        );
        assert_eq!(s.sources.len(), 1, "the base never joins the sources");
    }
}
