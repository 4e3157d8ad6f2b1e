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

extern "C" {
    fn tree_sitter_bicep_acr_scan_calls() -> u64;
    fn tree_sitter_bicep_acr_scanned_chars() -> u64;
}

/// The work of the external scanner on this thread so far: (calls, characters read). Tests use
/// it to check that parsing stays linear in the size of the input, whatever the damage.
pub fn scanner_work() -> (u64, u64) {
    // SAFETY: both functions only read thread-local counters of scanner.c.
    unsafe {
        (
            tree_sitter_bicep_acr_scan_calls(),
            tree_sitter_bicep_acr_scanned_chars(),
        )
    }
}
