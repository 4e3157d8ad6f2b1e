//! The evaluator's resource policy: every bound on evaluation work, in one place.
//!
//! Templates come from pull requests anyone can open, so evaluation is bounded by the work it
//! does, never by luck: a [`Meter`] per unit (a linted template or Bicep file with everything it
//! pulls in: parameter files, nested and linked templates, modules, imports) counts evaluation
//! steps, values produced and user-function calls against the limits below. When a limit is hit
//! the value being computed is unknown (so it can never become a definite finding) *and* the
//! meter records where ([`LimitHit`]); the front ends hand those records to
//! [`crate::unit::Unit::limits_hit`] so that a file whose evaluation was cut short is reported
//! as such instead of passing as clean.
//!
//! The budgets are far above what real templates use (noted beside each: the largest unit among
//! the 2,100 templates and Bicep files of the reference corpus — Azure Verified Modules,
//! quickstart templates, PSRule and Checkov test cases — loaded with their parameter files where
//! they have them) and low enough that hostile input stays within a second and 200 MB.

use crate::source::{FileId, Loc};
use std::cell::{Cell, RefCell};
use std::fmt;

/// Largest file read as a lint input (template, parameter file, Bicep file, module): a bigger
/// file is not parsed at all and is reported at its first line.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest build spec: specs are hand-written registry descriptions of a few hundred bytes.
pub const MAX_SPEC_BYTES: u64 = 1024 * 1024;
/// Deepest nesting of JSON arrays and objects the ARM parser accepts (deeper would make every
/// recursive walk of the value risk the stack).
pub const MAX_JSON_DEPTH: usize = 256;

/// Evaluation steps per unit (one step per expression node, JSON value or declaration
/// evaluated). Largest corpus unit: 30,003.
pub const MAX_WORK: u64 = 1_000_000;
/// Values produced per unit: every value a function returns and every copy of a variable,
/// parameter or loop item counts its nodes (so memory stays below about 50 MB). Largest corpus
/// unit: 11,112.
pub const MAX_VALUES: u64 = 1_000_000;
/// User-defined function calls per unit. Largest corpus unit: 3.
pub const MAX_CALLS: u64 = 20_000;
/// Nesting of user-function calls, lambdas and variables that refer to variables.
pub const MAX_CALL_DEPTH: usize = 64;
/// Nesting of expressions (calls inside calls, through variables and functions), so that hostile
/// input cannot overflow the stack.
pub const MAX_EXPR_DEPTH: usize = 150;
/// Longest string built, in bytes.
pub const MAX_STRING: usize = 1 << 20;
/// Most parts (literal runs and unknowns) of a partly unknown string: a chain of
/// `concat(x, x)` or `'${x}${x}'` over unknowns would otherwise double them at every step.
pub const MAX_STRING_PARTS: usize = 256;
/// Longest array built (`range()`, copy loops, `split()`, …).
pub const MAX_ITEMS: usize = 10_000;
/// Most nodes of one value: values are copied, so a chain of variables that each double the
/// previous one would otherwise grow exponentially.
pub const MAX_VALUE_NODES: usize = 200_000;
/// Deepest value built by functions (JSON itself is limited by its parser): deep values would
/// make every later clone, comparison and drop recurse deeply.
pub const MAX_VALUE_DEPTH: usize = 300;
/// Longest canonical text of a deterministic unknown ([`crate::model::Sym::Expr`]); longer
/// expressions become opaque.
pub const MAX_CANON: usize = 1024;
/// Most resources one unit may produce (copy loops inside copy loops, modules in loops).
pub const MAX_RESOURCES: usize = 50_000;
/// Deepest nested deployment followed: an ARM deployment's inline or linked template, a Bicep
/// module (the compiler makes each module a nested deployment, so both formats stop at the
/// same level).
pub const MAX_DEPLOYMENT_NESTING: usize = 10;
/// Longest chain of Bicep files importing from each other.
pub const MAX_IMPORT_CHAIN: usize = 16;

/// A limit of the resource policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Limit {
    /// [`MAX_FILE_BYTES`] bytes in one file ([`MAX_SPEC_BYTES`] for a spec).
    FileSize,
    /// [`MAX_WORK`] evaluation steps.
    Work,
    /// [`MAX_VALUES`] values produced.
    Values,
    /// [`MAX_CALLS`] user-function calls.
    Calls,
    /// [`MAX_CALL_DEPTH`] nested calls.
    CallDepth,
    /// [`MAX_JSON_DEPTH`] nested JSON values, [`MAX_EXPR_DEPTH`] nested expressions,
    /// [`MAX_DEPLOYMENT_NESTING`] nested deployments
    /// or [`MAX_IMPORT_CHAIN`] files importing from each other.
    Nesting,
    /// [`MAX_STRING`] bytes or [`MAX_STRING_PARTS`] parts in one string.
    StringSize,
    /// [`MAX_ITEMS`] items, [`MAX_VALUE_NODES`] nodes or [`MAX_VALUE_DEPTH`] levels in one value.
    ValueSize,
    /// [`MAX_RESOURCES`] resources in one unit.
    Resources,
}

impl Limit {
    /// Every limit of the policy (for documentation and tests).
    pub const ALL: [Limit; 9] = [
        Limit::FileSize,
        Limit::Work,
        Limit::Values,
        Limit::Calls,
        Limit::CallDepth,
        Limit::Nesting,
        Limit::StringSize,
        Limit::ValueSize,
        Limit::Resources,
    ];

    /// Stable lower-case name (for machine output and tests).
    pub fn name(self) -> &'static str {
        match self {
            Limit::FileSize => "file-size",
            Limit::Work => "work",
            Limit::Values => "values",
            Limit::Calls => "calls",
            Limit::CallDepth => "call-depth",
            Limit::Nesting => "nesting",
            Limit::StringSize => "string-size",
            Limit::ValueSize => "value-size",
            Limit::Resources => "resources",
        }
    }

    /// What was exceeded, for a message: "more than 1000000 evaluation steps".
    pub fn describe(self) -> String {
        match self {
            Limit::FileSize => format!(
                "a file of more than {MAX_FILE_BYTES} bytes (a spec: {MAX_SPEC_BYTES} bytes)"
            ),
            Limit::Work => format!("more than {MAX_WORK} evaluation steps"),
            Limit::Values => format!("more than {MAX_VALUES} values built"),
            Limit::Calls => format!("more than {MAX_CALLS} user-defined function calls"),
            Limit::CallDepth => format!("calls nested more than {MAX_CALL_DEPTH} deep"),
            Limit::Nesting => format!(
                "JSON nested more than {MAX_JSON_DEPTH} deep, expressions more than \
                 {MAX_EXPR_DEPTH}, deployments more than {MAX_DEPLOYMENT_NESTING} or imports \
                 more than {MAX_IMPORT_CHAIN}"
            ),
            Limit::StringSize => {
                format!("a string of more than {MAX_STRING} bytes or {MAX_STRING_PARTS} parts")
            }
            Limit::ValueSize => format!(
                "a value of more than {MAX_ITEMS} items, {MAX_VALUE_NODES} nodes or \
                 {MAX_VALUE_DEPTH} levels"
            ),
            Limit::Resources => format!("more than {MAX_RESOURCES} resources"),
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where evaluation hit a limit: the expression (or declaration) being evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitHit {
    pub limit: Limit,
    pub loc: Loc,
}

/// The work one unit's evaluation did (see [`Meter`]); kept on the unit for tests and benches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Evaluation steps.
    pub steps: u64,
    /// Value nodes produced.
    pub values: u64,
    /// User-defined function calls.
    pub calls: u64,
}

/// Counts one unit's evaluation work against the limits and remembers where limits were hit
/// (the first place per limit and file). Shared by every file of the unit; interior mutability
/// so that evaluators holding `&self` can charge it.
#[derive(Debug, Default)]
pub struct Meter {
    work: Cell<Work>,
    hits: RefCell<Vec<LimitHit>>,
}

impl Meter {
    pub fn new() -> Meter {
        Meter::default()
    }

    /// One evaluation step at `loc`; false once [`MAX_WORK`] is spent (recorded) or the budget
    /// of values has run out: from then on everything evaluated is unknown at once.
    pub fn step(&self, loc: Loc) -> bool {
        let mut w = self.work.get();
        if w.steps >= MAX_WORK {
            self.hit(Limit::Work, loc);
            return false;
        }
        if self.exhausted() {
            return false;
        }
        w.steps += 1;
        self.work.set(w);
        true
    }

    /// `nodes` values produced at `loc`; false once [`MAX_VALUES`] is spent (recorded).
    pub fn produced(&self, nodes: usize, loc: Loc) -> bool {
        let mut w = self.work.get();
        w.values = w.values.saturating_add(nodes as u64);
        self.work.set(w);
        if w.values > MAX_VALUES {
            self.hit(Limit::Values, loc);
            return false;
        }
        true
    }

    /// One user-defined function call at `loc`; false once [`MAX_CALLS`] is spent (recorded).
    pub fn call(&self, loc: Loc) -> bool {
        let mut w = self.work.get();
        if w.calls >= MAX_CALLS {
            self.hit(Limit::Calls, loc);
            return false;
        }
        w.calls += 1;
        self.work.set(w);
        true
    }

    /// Has a unit-wide budget (steps, values, calls) run out? Everything evaluated after that is
    /// unknown.
    pub fn exhausted(&self) -> bool {
        let w = self.work.get();
        w.steps >= MAX_WORK || w.values > MAX_VALUES
    }

    /// Record that `limit` was hit at `loc`; only the first place per limit and file is kept.
    pub fn hit(&self, limit: Limit, loc: Loc) {
        let mut hits = self.hits.borrow_mut();
        if !hits
            .iter()
            .any(|h| h.limit == limit && h.loc.file == loc.file)
        {
            hits.push(LimitHit { limit, loc });
        }
    }

    /// The work done so far.
    pub fn work(&self) -> Work {
        self.work.get()
    }

    /// The limits hit so far, in the order they were first hit.
    pub fn hits(&self) -> Vec<LimitHit> {
        self.hits.borrow().clone()
    }

    /// Has `limit` been hit in `file`?
    pub fn was_hit(&self, limit: Limit, file: FileId) -> bool {
        self.hits
            .borrow()
            .iter()
            .any(|h| h.limit == limit && h.loc.file == file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_recorded_once_per_file_at_its_first_place() {
        let m = Meter::new();
        m.hit(Limit::Calls, Loc::new(0, 5, 6));
        m.hit(Limit::Calls, Loc::new(0, 9, 10));
        m.hit(Limit::Calls, Loc::new(1, 1, 2));
        m.hit(Limit::Work, Loc::new(0, 1, 2));
        let hits = m.hits();
        assert_eq!(hits.len(), 3);
        assert_eq!(hits[0].loc, Loc::new(0, 5, 6));
        assert!(m.was_hit(Limit::Calls, 1) && !m.was_hit(Limit::Work, 1));
    }

    #[test]
    fn budgets_run_out_and_stay_out() {
        let m = Meter::new();
        assert!(m.produced(MAX_VALUES as usize, Loc::default()));
        assert!(!m.exhausted());
        assert!(!m.produced(1, Loc::default()));
        assert!(m.exhausted());
        assert!(m.was_hit(Limit::Values, 0));
    }
}
