//! A unit of work: the sources, the model built from them and the findings met while loading.

use crate::eval::{LimitHit, Work};
use crate::finding::Finding;
use crate::model::Model;
use crate::source::SourceMap;

#[derive(Debug, Default)]
pub struct Unit {
    /// The primary file is `FileId` 0; parameter files and linked templates follow.
    pub sources: SourceMap,
    pub model: Model,
    /// Load-time findings (ARM000/BICEP000 parse errors, bad parameter files, …).
    pub findings: Vec<Finding>,
    /// The primary file could not be parsed: no model, and the run exits 2.
    pub unparseable: bool,
    /// Part of what the unit deploys could not be read (a refused reference, REF001): the
    /// rules ran on the rest, and the run exits 2, so the unit is never taken for clean.
    pub incomplete: bool,
    /// Where evaluation hit a limit of the resource policy ([`crate::eval::limits`]): the first
    /// place per limit and file, in the order they were hit. The values cut short are unknown
    /// (so they give no definite finding), but the unit was not fully checked: a non-empty list
    /// must not pass as clean.
    pub limits_hit: Vec<LimitHit>,
    /// The evaluation work the unit took (steps, values produced, function calls).
    pub work: Work,
}

/// The two convenience entry points every front end has, written once: `load` (references read
/// only inside [`crate::read::Root::around`] the file, built-in placeholder patterns) and
/// `load_in` (a given lint root), both over the front end's own
/// `load_with(root, display, path, text, parameters, placeholders)`.
#[macro_export]
#[doc(hidden)]
macro_rules! front_end_entry_points {
    ($what:literal) => {
        #[doc = concat!("Load ", $what, " and build its model. `display` is the name used in output; `path` locates what the file refers to; `parameters` are (display name, text) of parameter files, applied in order (later wins). References are read only inside [`crate::read::Root::around`] the file (its repository, else its directory); the lint driver passes its root to [`load_in`].")]
        pub fn load(
            display: &str,
            path: Option<&std::path::Path>,
            text: &str,
            parameters: &[(String, String)],
        ) -> $crate::unit::Unit {
            load_in(
                &$crate::read::Root::around(path),
                display,
                path,
                text,
                parameters,
            )
        }

        /// [`load`] with references read only inside `root` (see [`crate::read`]).
        pub fn load_in(
            root: &$crate::read::Root,
            display: &str,
            path: Option<&std::path::Path>,
            text: &str,
            parameters: &[(String, String)],
        ) -> $crate::unit::Unit {
            load_with(
                root,
                display,
                path,
                text,
                parameters,
                &$crate::placeholders::Placeholders::builtin(),
            )
        }
    };
}
