//! Bicep front end: tree-sitter-bicep → model. Placeholder API until it lands.

use crate::unit::Unit;
use std::path::Path;

/// Load a `.bicep` file (with optional `.bicepparam` / ARM parameter files as (display, text)).
pub fn load(
    _display: &str,
    _path: Option<&Path>,
    _text: &str,
    _parameters: &[(String, String)],
) -> Unit {
    Unit::default()
}
