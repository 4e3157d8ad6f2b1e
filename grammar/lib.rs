//! acr-cmk's fork of the tree-sitter grammar for Bicep (see README.md): `LANGUAGE` for
//! `tree_sitter::Parser::set_language`. The parser is tested through acr-cmk's Bicep front end.

use tree_sitter_language::LanguageFn;

extern "C" {
    fn tree_sitter_bicep() -> *const ();
}

/// The tree-sitter language of this grammar.
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_bicep) };

/// `src/node-types.json`: every node kind, its fields and children.
pub const NODE_TYPES: &str = include_str!("src/node-types.json");
