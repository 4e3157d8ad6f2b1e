//! ARM JSON front end: lenient JSON with spans, expression evaluator, template → model.
//! Placeholder API until it lands.

use crate::unit::Unit;
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

/// Classify JSON text (cheap: looks at `$schema`).
pub fn detect(_text: &str) -> JsonKind {
    JsonKind::Other
}

/// Load a template and build its model. `display` is the name used in output; `path` is used to
/// resolve `templateLink.relativePath`; `parameters` are (display name, text) of parameter files
/// applied in order (later wins).
pub fn load(
    _display: &str,
    _path: Option<&Path>,
    _text: &str,
    _parameters: &[(String, String)],
) -> Unit {
    Unit::default()
}
