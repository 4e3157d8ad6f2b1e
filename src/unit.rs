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
