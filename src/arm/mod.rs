//! ARM JSON front end: lenient JSON with spans ([`json`]), the expression language ([`expr`],
//! [`eval`], over the evaluator core [`crate::eval`]) and template → model ([`load`]).
//!
//! Conventions the rules can rely on (beyond those of `crate::model::value`):
//! - Resources are in deployment order (dependencies first, then declaration order); the
//!   resources of a nested deployment follow the deployment resource.
//! - An object key written as an expression (`userAssignedIdentities`) is evaluated; a key that
//!   is not fully known is the `Display` text of its [`crate::model::SymStr`], so compare it with
//!   `id.to_string()` (ignoring ASCII case).
//! - Values that come from a parameters file or a parameter's default keep that location; values
//!   computed by an expression point at the expression string.
//! - `reference('name')` of a resource of the same template is an implicit dependency;
//!   `reference(resourceId(...))` is not (as in ARM).

pub mod eval;
pub mod expr;
pub mod json;
pub mod load;

use crate::finding::Finding;
use crate::source::{Loc, SourceMap};
use crate::unit::Unit;
use std::collections::HashMap;
use std::path::Path;

/// What a JSON file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    /// `$schema` is a deploymentTemplate schema (any scope).
    Template,
    /// `$schema` is a deploymentParameters schema.
    Parameters,
    /// Parses, but is neither.
    Other,
    /// Does not parse.
    Unparseable,
}

/// Classify JSON text by its top-level `$schema`.
pub fn detect(text: &str) -> JsonKind {
    match json::scan_schema(text) {
        Ok(schema) => kind_of_schema(schema.as_deref().unwrap_or("")),
        Err(_) => JsonKind::Unparseable,
    }
}

fn kind_of_schema(schema: &str) -> JsonKind {
    let schema = schema.to_ascii_lowercase();
    if schema.contains("deploymenttemplate") {
        JsonKind::Template
    } else if schema.contains("deploymentparameters") {
        JsonKind::Parameters
    } else {
        JsonKind::Other
    }
}

/// Classify an already parsed document.
pub fn kind_of(j: &json::JVal) -> JsonKind {
    kind_of_schema(j.get("$schema").and_then(json::JVal::as_str).unwrap_or(""))
}

/// ARM000 at the offending character (an empty span at the end of input). A file nested deeper than the policy allows is LIM001 there instead (the file was not read
/// past that point, not found to be wrong).
pub(crate) fn parse_error(file: u32, text: &str, e: &json::ParseError) -> Finding {
    let end = text
        .get(e.offset..)
        .and_then(|rest| rest.chars().next())
        .map_or(e.offset, |c| e.offset + c.len_utf8());
    if e.too_deep {
        return crate::rules::limit_exceeded::finding(
            crate::eval::Limit::Nesting,
            Loc::new(file, e.offset, end),
        );
    }
    Finding::new(
        crate::rules::meta("ARM000"),
        Loc::new(file, e.offset, end),
        format!("invalid JSON: {}", e.message),
    )
    .help("ARM accepts JSON with comments; fix the syntax error at the marked position")
}

/// Load a template and build its model. `display` is the name used in output; `path` is used to
/// resolve `templateLink.relativePath`; `parameters` are (display name, text) of parameter files
/// applied in order (later wins).
pub fn load(
    display: &str,
    path: Option<&Path>,
    text: &str,
    parameters: &[(String, String)],
) -> Unit {
    load_parsed(display, path, text, json::parse(text), parameters)
}

/// Parse once, classify, and load only templates (what a lint driver wants per file, without
/// the separate [`detect`] pass). `Err(kind)` for parameter files and other JSON; a file that
/// does not parse gives its ARM000 unit (`unparseable` set).
pub fn load_if_template(
    display: &str,
    path: Option<&Path>,
    text: &str,
    parameters: &[(String, String)],
) -> Result<Unit, JsonKind> {
    let parsed = json::parse(text);
    match parsed.as_ref().map(kind_of) {
        Ok(JsonKind::Template) | Err(_) => Ok(load_parsed(display, path, text, parsed, parameters)),
        Ok(kind) => Err(kind),
    }
}

fn load_parsed(
    display: &str,
    path: Option<&Path>,
    text: &str,
    parsed: Result<json::JVal, json::ParseError>,
    parameters: &[(String, String)],
) -> Unit {
    let mut sources = SourceMap::new();
    sources.add(display, text);
    let mut findings = Vec::new();
    let mut given: HashMap<String, crate::model::Node> = HashMap::new();
    for (name, ptext) in parameters {
        let file = sources.add(name.as_str(), ptext.as_str());
        match json::parse(ptext) {
            Ok(j) => given.extend(load::parameter_values(file, &j)),
            Err(e) => findings.push(parse_error(file, ptext, &e)),
        }
    }
    let template = match parsed {
        Ok(j) => j,
        Err(e) => {
            findings.insert(0, parse_error(0, text, &e));
            return Unit {
                sources,
                findings,
                unparseable: true,
                ..Unit::default()
            };
        }
    };
    let mut loader = load::Loader::new(sources);
    loader.findings = findings;
    loader.load_root(&template, path, given);
    Unit {
        limits_hit: loader.meter.hits(),
        work: loader.meter.work(),
        sources: loader.sources,
        model: loader.model,
        findings: loader.findings,
        unparseable: false,
    }
}
