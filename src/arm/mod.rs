//! ARM JSON front end: lenient JSON with spans ([`json`]), the expression language ([`expr`],
//! [`eval`], over the evaluator core [`crate::eval`]) and template → model ([`load`]).
//!
//! Conventions the rules can rely on (beyond those of `crate::model::value`):
//! - Resources are in deployment order (dependencies first, then declaration order); the
//!   resources of a nested deployment follow the deployment resource.
//! - An object key written as an expression (`userAssignedIdentities`) is evaluated; a key that
//!   is not fully known is the `Display` text of its [`crate::model::SymStr`], so compare it with
//!   `id.to_string()` (ignoring ASCII case).
//! - Values that come from a parameters file, a parameter's default or a variable keep that
//!   location, and record the expression string that uses them as `used_at` (a finding's
//!   second label); values computed by an expression point at the expression string.
//! - `reference('name')` of a resource of the same template is an implicit dependency;
//!   `reference(resourceId(...))` is not (as in ARM).

pub mod eval;
pub mod expr;
pub mod json;
pub mod load;
pub mod skeleton;

use crate::finding::Finding;
use crate::placeholders::Placeholders;
use crate::read::Root;
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

/// Classify JSON text by its top-level `$schema`; JSON without a template or parameters schema
/// that is shaped like a template ([`shaped_like_template`]) is a template too (its missing
/// schema is an ARM001 finding).
pub fn detect(text: &str) -> JsonKind {
    match json::scan_schema(text) {
        Ok(schema) => match kind_of_schema(schema.as_deref().unwrap_or("")) {
            JsonKind::Other if json::parse(text).is_ok_and(|j| shaped_like_template(&j)) => {
                JsonKind::Template
            }
            kind => kind,
        },
        Err(_) => JsonKind::Unparseable,
    }
}

/// A hand-written template that forgot its `$schema`: a top-level `resources` array whose
/// items are all objects with a `type`, or `contentVersion` together with `resources` (an array,
/// or the object of a `languageVersion` 2.0 template). Other JSON (package.json, tsconfig,
/// policy definitions) has neither.
pub fn shaped_like_template(j: &json::JVal) -> bool {
    let Some(resources) = j.get("resources") else {
        return false;
    };
    if j.get("contentVersion")
        .is_some_and(|v| v.as_str().is_some())
    {
        return resources.as_arr().is_some() || resources.as_obj().is_some();
    }
    resources.as_arr().is_some_and(|items| {
        !items.is_empty()
            && items
                .iter()
                .all(|r| r.get("type").is_some_and(|t| t.as_str().is_some()))
    })
}

/// ARM001 for a template without a deploymentTemplate `$schema`: at the `$schema` value when
/// there is one, else at the document's opening brace.
fn schema_finding(file: u32, template: &json::JVal) -> Option<Finding> {
    let meta = crate::rules::meta("ARM001");
    let schema_help = "start the template with \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\" (or the subscription, management-group or tenant deployment schema)";
    match template.get("$schema") {
        Some(v) if kind_of_schema(v.as_str().unwrap_or("")) == JsonKind::Template => None,
        Some(v) => Some(
            Finding::new(
                meta,
                Loc::new(file, v.span.start as usize, v.span.end as usize),
                "`$schema` is not a deployment template schema; the file is linted as a template because of its shape",
            )
            .label("not a deploymentTemplate schema")
            .help(schema_help),
        ),
        None => {
            let start = template.span.start as usize;
            Some(
                Finding::new(
                    meta,
                    Loc::new(file, start, start + 1),
                    "no `$schema`: the file is linted as an ARM template because of its shape, but other tools will not recognise it",
                )
                .label("template without $schema")
                .help(schema_help),
            )
        }
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

/// ARM000 at the offending character. At the end of input there is no character to mark: the
/// last one that is not white space is marked instead ("the file ends after this"), so that a
/// renderer has a character to put its caret under. A file nested deeper than the policy
/// allows is LIM001 there instead (the file was not read past that point, not found wrong).
pub(crate) fn parse_error(file: u32, text: &str, e: &json::ParseError) -> Finding {
    let at_end = text
        .get(e.offset..)
        .is_none_or(|rest| rest.trim_end().is_empty());
    let last = text[..e.offset.min(text.len())]
        .trim_end()
        .char_indices()
        .next_back();
    let (start, end, label) = match (at_end, last) {
        (true, Some((i, c))) => (i, i + c.len_utf8(), "the file ends after this"),
        _ => {
            let end = text
                .get(e.offset..)
                .and_then(|rest| rest.chars().next())
                .map_or(e.offset, |c| e.offset + c.len_utf8());
            (e.offset, end, "here")
        }
    };
    if e.too_deep {
        return crate::rules::limit_exceeded::finding(
            crate::eval::Limit::Nesting,
            Loc::new(file, start, end),
        );
    }
    Finding::new(
        crate::rules::meta("ARM000"),
        Loc::new(file, start, end),
        format!("invalid JSON: {}", e.message),
    )
    .label(label)
    .help("ARM accepts JSON with comments; fix the syntax error at the marked position")
}

crate::front_end_entry_points!("a template");

/// [`load_in`] with the placeholder patterns of the run (`placeholders` in `acr-cmk.toml`).
pub fn load_with(
    root: &Root,
    display: &str,
    path: Option<&Path>,
    text: &str,
    parameters: &[(String, String)],
    placeholders: &Placeholders,
) -> Unit {
    load_parsed(
        root,
        display,
        path,
        text,
        json::parse(text),
        parameters,
        placeholders,
    )
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
        Ok(JsonKind::Template) | Err(_) => Ok(load_parsed(
            &Root::around(path),
            display,
            path,
            text,
            parsed,
            parameters,
            &Placeholders::builtin(),
        )),
        Ok(kind) => Err(kind),
    }
}

fn load_parsed(
    root: &Root,
    display: &str,
    path: Option<&Path>,
    text: &str,
    parsed: Result<json::JVal, json::ParseError>,
    parameters: &[(String, String)],
    placeholders: &Placeholders,
) -> Unit {
    let mut sources = SourceMap::new();
    sources.add(display, text);
    let mut findings = Vec::new();
    let mut given: HashMap<String, crate::model::Node> = HashMap::new();
    let mut skeleton = Vec::new();
    for (name, ptext) in parameters {
        let file = sources.add(name.as_str(), ptext.as_str());
        match json::parse(ptext) {
            Ok(j) => {
                skeleton.extend(skeleton::parameters_errors(file, &j, placeholders));
                let values = load::parameter_values(file, &j);
                given.extend(values.into_iter().map(|(k, v)| (k, placeholders.apply(v))));
            }
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
    skeleton.splice(0..0, skeleton::template_errors(0, &template, placeholders));
    findings.extend(schema_finding(0, &template));
    let mut loader = load::Loader::new(sources);
    loader.findings = findings;
    loader.root = root.clone();
    loader.load_root(&template, path, given, placeholders);
    loader.model.skeleton = skeleton;
    Unit {
        limits_hit: loader.meter.hits(),
        work: loader.meter.work(),
        sources: loader.sources,
        model: loader.model,
        findings: loader.findings,
        unparseable: false,
        incomplete: loader.incomplete,
    }
}
