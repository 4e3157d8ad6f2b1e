//! Bicep front end: `.bicep` (and `.bicepparam`) → the format-neutral model.
//!
//! - [`syntax`]: the project's own tree-sitter grammar (`grammar/`, a maintained fork of
//!   tree-sitter-bicep that knows today's Bicep), parsing the original text; what does not
//!   parse is a located BICEP000 finding naming what was expected, on the line where the
//!   compiler reports it. `.bicep` and `.bicepparam` share the grammar; a statement of one kind
//!   of file in the other is BICEP000 too. On the corpus, 646 of 647 files parse (the one
//!   rejected is really malformed); every sample the Bicep compiler accepts loads
//!   (`tests/bicep_samples.rs`).
//! - [`eval`], `funcs`, `ops`, `resources`: declarations evaluated on demand into model
//!   resources with the symbolic conventions of `crate::model::value` (ids via
//!   [`crate::model::resource_id`], `Sym::ResourceProp` for runtime properties, `Sym::Param` for
//!   top-level parameters without value, `Sym::Expr` with the canonical text of the compiled
//!   ARM expression for deterministic functions/operators of unknowns, `Sym::Opaque` otherwise;
//!   what expressions mean is the evaluator core's, [`crate::eval`]). Conditions (false ⇒
//!   omitted, unknown ⇒ `Presence::IfDeployed`), loops (expanded up to 1000 items, else one
//!   representative instance), child resources, `existing`, extension scopes, local modules
//!   (a `Microsoft.Resources/deployments` resource that `contains` the module's resources;
//!   registry modules are opaque; the body is the compiled one: `properties.mode`,
//!   `properties.parameters.<p>.value`, `resourceGroup`/`subscriptionId` from `scope`) and the
//!   implicit `dependsOn` of symbol references. `tests/oracle_*.rs` hold the front end to the
//!   compiler's output. A module written as an ARM JSON template is loaded by the ARM front
//!   end as a nested deployment's template ([`crate::arm::load::Loader::load_module`]: the
//!   module's `params` are its parameter values, its resources join the model under the
//!   module's deployment, its outputs come back); one that cannot be read or is not a template
//!   is a BICEP001 note.
//!   As in ARM, a parameter's or variable's value keeps where it is written (the `.bicepparam`
//!   line, the default, the variable's expression) and records the expression that uses it as
//!   `used_at`; a parameter without value is located where it is used.
//! - [`suppress`]: `#disable-next-line CODE… // reason` and `#disable-diagnostics CODE…` /
//!   `#restore-diagnostics CODE…` blocks (text after `//` on the directive line is the reason).
//! - [`params`]: `.bicepparam` files (`using`, `extends`, `param x = …`: values are Bicep
//!   expressions with spans in the parameter file) and ARM parameter JSON files (read with the
//!   ARM front end's lenient, span-aware parser, as ARM reads them).
//!
//! A unit's file 0 is the `.bicep` file; parameter files follow, then module files (each read
//! once per unit). `main.bicep` pairs with `main.bicepparam` beside it ([`paired_bicepparam`]).

pub mod eval;
mod funcs;
mod imports;
mod ops;
pub mod params;
pub mod recover;
mod resources;
pub mod suppress;
pub mod syntax;

use crate::finding::Finding;
use crate::model::{Model, Node, Presence, Scope};
use crate::read::Root;
use crate::source::SourceMap;
use crate::unit::Unit;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// What every file of one unit shares: sources, the model under construction, findings.
#[derive(Default)]
pub struct Shared {
    pub sources: SourceMap,
    pub model: Model,
    pub findings: Vec<Finding>,
    /// Module files being evaluated (cycle guard).
    pub module_stack: Vec<PathBuf>,
    /// Module files already read: a module used by several declarations (or in a loop) is
    /// read, parsed and added to the sources once. `None` when it has syntax errors.
    pub modules: HashMap<PathBuf, Option<LoadedModule>>,
    /// Modules and imports are read only inside it (REF001 otherwise). The default root
    /// contains nothing: a caller that sets none follows no reference.
    pub root: Root,
    /// Where each `import … from '<path>'` is written, by (file, path): a refused import is
    /// reported there, once.
    pub import_sites: HashMap<(crate::source::FileId, String), crate::source::Loc>,
    /// References already reported as refused, by where they are written.
    pub refused: std::collections::HashSet<(crate::source::FileId, u32)>,
    /// A reference was refused (REF001): what it deploys is not known.
    pub incomplete: bool,
    /// The unit's evaluation meter (work, values, calls, limits hit).
    pub meter: Rc<crate::eval::Meter>,
    /// Imported variables already evaluated, by (file, scope, name), with their size: each is
    /// evaluated once per unit however often (and through however many files) it is used.
    pub imported: HashMap<(PathBuf, String, String), (Node, usize)>,
    /// Placeholder patterns for the top-level file's parameter values.
    pub placeholders: crate::placeholders::Placeholders,
    /// Modules written as ARM JSON templates, read once per unit: the file and its parsed
    /// template, or why it is not followed.
    pub json_modules:
        HashMap<PathBuf, Result<(crate::source::FileId, Rc<crate::arm::json::JVal>), String>>,
}

impl Shared {
    /// The finished unit: sources, model, findings and what evaluation met. A statement
    /// skipped for a syntax error makes the unit incomplete: the rules check the rest, and
    /// the run exits 2.
    pub fn into_unit(self, unparseable: bool) -> Unit {
        Unit {
            incomplete: self.incomplete || !self.model.broken.is_empty(),
            limits_hit: self.meter.hits(),
            work: self.meter.work(),
            sources: self.sources,
            model: self.model,
            findings: self.findings,
            unparseable,
        }
    }
}

/// Whether the parameter files read into `shared` so far give no usable values: a finding
/// other than a refused reference (REF001) or the syntax error of a statement recovered from.
pub(crate) fn unusable_parameters(shared: &Shared) -> bool {
    shared.findings.iter().any(|f| {
        !refused_reference(f)
            && !shared
                .model
                .broken
                .iter()
                .any(|b| b.error == f.loc && f.code == "BICEP000")
    })
}

/// A REF001 finding: a reference that was not followed (it makes a unit incomplete, not
/// unparseable).
pub(crate) fn refused_reference(f: &Finding) -> bool {
    f.code == crate::rules::unreadable_reference::UnreadableReference::META.code
}

pub struct LoadedModule {
    pub file: crate::source::FileId,
    pub text: Rc<str>,
    pub parsed: Rc<recover::Checked>,
}

/// How a file is evaluated: as the top-level file or as a module.
pub struct FileSetup {
    pub inputs: HashMap<String, Node>,
    pub scope: Scope,
    pub parent_deployment: Option<usize>,
    pub presence: Presence,
    pub pointer_prefix: String,
}

impl FileSetup {
    fn top(inputs: HashMap<String, Node>) -> Self {
        FileSetup {
            inputs,
            scope: Scope::resource_group_deployment(),
            parent_deployment: None,
            presence: Presence::Always,
            pointer_prefix: String::new(),
        }
    }
}

/// Parse and evaluate one file into `shared`. Returns its outputs, or `None` if tree-sitter
/// gave up. Statements with syntax errors are reported (BICEP000) and skipped
/// ([`recover`]); the others are evaluated.
pub(crate) fn evaluate_file(
    shared: &mut Shared,
    file: crate::source::FileId,
    text: &str,
    dir: Option<PathBuf>,
    setup: FileSetup,
) -> Option<Vec<(String, Node)>> {
    let parsed = check_file(shared, file, text)?;
    evaluate_parsed(shared, file, text, &parsed, dir, setup)
}

/// Parse a `.bicep` file, report its syntax errors and broken statements, and collect its
/// suppressions.
pub(crate) fn check_file(
    shared: &mut Shared,
    file: crate::source::FileId,
    text: &str,
) -> Option<recover::Checked> {
    let checked = recover::check(text, file, syntax::FileKind::Bicep)?;
    report_broken(shared, file, &checked);
    shared
        .model
        .suppressions
        .extend(suppress::collect(text, file));
    Some(checked)
}

/// A file's syntax errors become findings, and its broken statements join the model.
pub(crate) fn report_broken(
    shared: &mut Shared,
    file: crate::source::FileId,
    checked: &recover::Checked,
) {
    shared.findings.extend(checked.errors());
    for b in &checked.broken {
        let source = shared.sources.get(file);
        let (line, column) = source.line_col(b.error.loc.start as usize);
        // A module's statement is named with its file; the top-level file's by line alone.
        let at = match file {
            0 => format!("{line}:{column}"),
            _ => format!("{}:{line}:{column}", source.name),
        };
        shared.model.broken.push(crate::model::BrokenStatement {
            symbol: b.name.clone(),
            what: b.describe(),
            error: b.error.loc,
            at,
            may_declare_resources: b.may_declare_resources(),
            used_by: Vec::new(),
        });
    }
}

/// Evaluate a parsed file into `shared` and return its outputs.
pub(crate) fn evaluate_parsed(
    shared: &mut Shared,
    file: crate::source::FileId,
    text: &str,
    parsed: &recover::Checked,
    dir: Option<PathBuf>,
    setup: FileSetup,
) -> Option<Vec<(String, Node)>> {
    let mut ev = eval::Eval::new(shared, file, text, dir, setup);
    let statements = parsed.statements();
    ev.collect(&statements);
    if let Some(scope) = target_scope(&ev, &statements) {
        ev.scope = scope;
    }
    ev.build_resources();
    ev.resolve_dependencies();
    Some(ev.outputs())
}

/// The scope a `targetScope = '…'` statement sets for a top-level file (a module's scope is
/// the one its caller gives, which already reflects this).
fn target_scope(ev: &eval::Eval, statements: &[tree_sitter::Node]) -> Option<Scope> {
    if ev.parent_deployment.is_some() {
        return None;
    }
    let st = *statements
        .iter()
        .find(|n| n.kind() == "target_scope_assignment")?;
    let value = eval::first_named(st, "string")?;
    let sub = || Some(eval::expr("subscription().subscriptionId"));
    match ev.src(value).trim_matches('\'') {
        "subscription" => Some(Scope {
            subscription: sub(),
            resource_group: None,
        }),
        "managementGroup" | "tenant" => Some(Scope {
            subscription: None,
            resource_group: None,
        }),
        _ => None,
    }
}

crate::front_end_entry_points!(
    "a `.bicep` file (local modules are followed relative to `path`; parameter files join the sources after the `.bicep` file, file 0)"
);

/// [`load_in`] with the placeholder patterns of the run (`placeholders` in `acr-cmk.toml`).
pub fn load_with(
    root: &Root,
    display: &str,
    path: Option<&Path>,
    text: &str,
    parameters: &[(String, String)],
    placeholders: &crate::placeholders::Placeholders,
) -> Unit {
    // The lint driver names a file by its path (relative to the working directory): that is
    // where a `.bicepparam` file's `extends` target is found from.
    let files: Vec<ParameterFile> = parameters
        .iter()
        .map(|(display, text)| ParameterFile {
            display: display.clone(),
            path: Some(PathBuf::from(display)),
            text: text.clone(),
        })
        .collect();
    load_with_parameter_files_in(root, display, path, text, &files, placeholders)
}

/// A parameter file for [`load_with_parameter_files`].
pub struct ParameterFile {
    pub display: String,
    pub path: Option<PathBuf>,
    pub text: String,
}

/// [`load_with`] with parameter files whose paths are known.
pub fn load_with_parameter_files(
    display: &str,
    path: Option<&Path>,
    text: &str,
    parameters: &[ParameterFile],
    placeholders: &crate::placeholders::Placeholders,
) -> Unit {
    load_with_parameter_files_in(
        &Root::around(path),
        display,
        path,
        text,
        parameters,
        placeholders,
    )
}

/// [`load_with_parameter_files`] with modules, imports and `extends` bases read only inside
/// `root`.
pub fn load_with_parameter_files_in(
    root: &Root,
    display: &str,
    path: Option<&Path>,
    text: &str,
    parameters: &[ParameterFile],
    placeholders: &crate::placeholders::Placeholders,
) -> Unit {
    let mut shared = Shared {
        root: root.clone(),
        placeholders: placeholders.clone(),
        ..Shared::default()
    };
    let file = shared.sources.add(display, text);
    let mut inputs = HashMap::new();
    for p in parameters {
        inputs.extend(params::read_parameter_file(
            &mut shared,
            &p.display,
            p.path.as_deref(),
            &p.text,
        ));
    }
    // A parameter file that does not parse makes the unit unparseable too (exit 2). A refused
    // `extends` base (REF001) does not: the unit is incomplete, and the rest is checked; nor
    // does a `.bicepparam` file recovered statement by statement (its broken `param`s are
    // unknown values, [`params`]).
    let bad_parameters = unusable_parameters(&shared);
    let mut unit = finish(shared, file, path, text, inputs);
    unit.unparseable |= bad_parameters;
    unit
}

/// Evaluate file `file` (already in `shared.sources`) as the top-level file.
fn finish(
    mut shared: Shared,
    file: crate::source::FileId,
    path: Option<&Path>,
    text: &str,
    inputs: HashMap<String, Node>,
) -> Unit {
    let dir = path.and_then(|p| p.parent()).map(|p| p.to_path_buf());
    if let Some(p) = path {
        shared
            .module_stack
            .push(p.canonicalize().unwrap_or_else(|_| p.to_path_buf()));
    }
    let unparseable = evaluate_file(&mut shared, file, text, dir, FileSetup::top(inputs)).is_none();
    shared.into_unit(unparseable)
}

/// Load a `.bicepparam` file: finds its `using` target (relative to `path`) and loads that
/// `.bicep` file with these values. Without a readable local target, the unit holds just the
/// parameter file (and a finding when its syntax is wrong).
pub fn load_bicepparam(display: &str, path: Option<&Path>, text: &str) -> Unit {
    params::load_bicepparam(&Root::around(path), display, path, text)
}

/// [`load_bicepparam`] with the `using` target and modules read only inside `root`.
pub fn load_bicepparam_in(root: &Root, display: &str, path: Option<&Path>, text: &str) -> Unit {
    params::load_bicepparam(root, display, path, text)
}

/// The `.bicepparam` paired with a `.bicep` file: `main.bicep` → `main.bicepparam` beside it.
pub fn paired_bicepparam(bicep: &Path) -> Option<PathBuf> {
    let p = bicep.with_extension("bicepparam");
    p.is_file().then_some(p)
}
