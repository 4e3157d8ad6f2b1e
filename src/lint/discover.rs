//! Discovery and pairing: which files to lint, and with which parameter files.
//!
//! Pure with respect to the front ends: the JSON classifier is passed in, so walking, excludes and
//! pairing are tested on temporary directories without the ARM front end. Walking itself (and
//! its decisions about .gitignore, hidden files and excludes) is in [`super::walk`].
//!
//! - `X.json` is paired with `X.parameters.json` beside it (`azuredeploy.json` with
//!   `azuredeploy.parameters.json`); a parameters file named alone lints its template.
//! - `main.bicep` is paired with `main.bicepparam` beside it; every `.bicepparam` lints the
//!   `.bicep` file it `using`s (one unit per parameters file).
//! - `--parameters` files follow the paired file, in order (later wins); a `.bicepparam` given
//!   that way applies to Bicep files only.
//! - JSON that does not parse is linted (the ARM front end reports ARM000) only when it mentions
//!   a deploymentTemplate/deploymentParameters schema; other broken JSON (a `tsconfig.json` with
//!   trailing commas passed by pre-commit) is skipped and listed with `--verbose`.

pub use super::walk::{
    Excludes, MAX_FILE_BYTES, ReadError, Walked, display, normalize, read_text, walk,
};

use super::walk::{extension, read_error, skip_entry};
use crate::arm::JsonKind;
use crate::read::Root;
use crate::report::{Problem, Skipped};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The classifier of JSON text (`arm::detect` in production).
pub type Detect = dyn Fn(&str) -> JsonKind + Sync;

/// Which front end a job goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Arm,
    Bicep,
}

/// One unit to lint: a primary file and the parameter files applied to it, in order.
#[derive(Clone, Debug)]
pub struct Job {
    pub lang: Lang,
    pub path: PathBuf,
    pub display: String,
    /// Shared with discovery's file table: a template is read once and never copied (an
    /// `Arc<String>` rather than `Arc<str>`, whose conversion from the `String` read copies).
    pub text: Arc<String>,
    /// (display name, text), later wins.
    pub params: Vec<(String, String)>,
}

/// What discovery decided.
#[derive(Debug, Default)]
pub struct Plan {
    pub jobs: Vec<Job>,
    pub problems: Vec<Problem>,
    /// Files over [`MAX_FILE_BYTES`], not read: (display name, size). Each is reported as a
    /// unit of its own with a LIM001 finding, so a pull request cannot hide a deployment
    /// from the linter by padding it.
    pub too_large: Vec<(String, u64)>,
    /// `.bicepparam` files whose `using` target does not exist: reported as BICEP000 on the
    /// path, so that the exit code 2 comes with a location.
    pub unresolved: Vec<Unresolved>,
    pub skipped: Vec<Skipped>,
    /// Display names of every file read and checked (primary and parameter files).
    pub checked: BTreeSet<String>,
}

/// A `.bicepparam` file whose `using` target is missing.
#[derive(Debug)]
pub struct Unresolved {
    pub display: String,
    pub text: Arc<String>,
    /// Byte range of the quoted path in `text`.
    pub span: std::ops::Range<usize>,
    pub written: String,
    /// Why the path was refused (outside the lint root, absolute); `None`: it does not exist.
    pub refused: Option<crate::read::ReadError>,
}

/// What a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Template,
    Parameters,
    Other,
    Bicep,
    BicepParam,
    /// Not valid JSON and no ARM schema in it.
    Broken,
}

fn mentions_arm_schema(text: &str) -> bool {
    ["deploymenttemplate", "deploymentparameters"]
        .iter()
        .any(|needle| {
            text.as_bytes()
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
        })
}

fn kind_of(path: &Path, text: &str, detect: &Detect) -> Kind {
    match extension(path).as_deref() {
        Some("bicep") => Kind::Bicep,
        Some("bicepparam") => Kind::BicepParam,
        _ => match detect(text) {
            JsonKind::Template => Kind::Template,
            // A broken template goes to the ARM front end, which reports it (ARM000). Broken JSON
            // that does not even mention an ARM schema (a tsconfig.json with trailing commas
            // handed over by pre-commit) is not ours to judge: it is skipped.
            JsonKind::Unparseable if mentions_arm_schema(text) => Kind::Template,
            JsonKind::Unparseable => Kind::Broken,
            JsonKind::Parameters => Kind::Parameters,
            JsonKind::Other => Kind::Other,
        },
    }
}

struct FileText {
    kind: Kind,
    text: Arc<String>,
}

/// The `using` target of a `.bicepparam` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Using {
    /// A local file path, as written.
    Path(String),
    /// `using none`, or a registry / template-spec reference: nothing local to lint.
    Opaque,
    /// No `using` statement found.
    Missing,
}

/// Find the `using` statement: the first line outside comments that starts with `using`.
pub fn bicepparam_using(text: &str) -> Using {
    let mut in_block_comment = false;
    for line in text.trim_start_matches('\u{feff}').lines() {
        let mut line = line.trim_start();
        if in_block_comment {
            match line.split_once("*/") {
                Some((_, after)) => {
                    in_block_comment = false;
                    line = after.trim_start();
                }
                None => continue,
            }
        }
        if let Some(after) = line.strip_prefix("/*") {
            match after.split_once("*/") {
                Some((_, rest)) => line = rest.trim_start(),
                None => {
                    in_block_comment = true;
                    continue;
                }
            }
        }
        let Some(after) = line.strip_prefix("using") else {
            continue;
        };
        if !after.starts_with(char::is_whitespace) {
            continue;
        }
        return using_target(after.trim_start());
    }
    Using::Missing
}

fn using_target(after: &str) -> Using {
    if let Some(quoted) = after.strip_prefix('\'') {
        let target = quoted.split('\'').next().unwrap_or_default();
        let opaque = ["br:", "br/", "ts:", "ts/"]
            .iter()
            .any(|p| target.starts_with(p));
        if opaque {
            Using::Opaque
        } else {
            Using::Path(target.to_string())
        }
    } else if after.starts_with("none") {
        Using::Opaque
    } else {
        Using::Missing
    }
}

/// Files read so far, by normalized path, with the problems met reading them.
struct Files<'a> {
    /// Looked up, never iterated: a hash map (path comparisons showed in the profile).
    by_path: HashMap<PathBuf, FileText>,
    detect: &'a Detect,
    /// Files found beside the inputs are read only inside it.
    root: &'a Root,
    problems: Vec<Problem>,
    too_large: Vec<(String, u64)>,
    unresolved: Vec<Unresolved>,
    checked: BTreeSet<String>,
}

impl Files<'_> {
    /// Record why `path` could not be read.
    fn failed(&mut self, path: &Path, error: ReadError) {
        match error {
            ReadError::TooLarge { bytes } => self.too_large.push((display(path), bytes)),
            ReadError::Unreadable(message) => self.problems.push(Problem {
                file: display(path),
                message,
            }),
        }
    }

    /// A file beside the inputs (a paired parameters file, a `using` target), read on first
    /// use and only inside the lint root. `None` when it does not exist; a read failure or a
    /// refusal is a problem.
    fn get(&mut self, path: &Path) -> Option<&FileText> {
        let path = normalize(path);
        if !self.by_path.contains_key(&path) {
            if !path.is_file() {
                return None;
            }
            match self
                .root
                .read_beside(&path)
                .map_err(|e| read_error(&path, e))
            {
                Ok(text) => {
                    let kind = kind_of(&path, &text, self.detect);
                    let text = Arc::new(text);
                    self.by_path.insert(path.clone(), FileText { kind, text });
                }
                Err(error) => {
                    self.failed(&path, error);
                    return None;
                }
            }
        }
        self.by_path.get(&path)
    }

    fn param(&mut self, path: &Path) -> Option<(String, String)> {
        let text = self.get(path)?.text.as_ref().clone();
        let name = display(path);
        self.checked.insert(name.clone());
        Some((name, text))
    }
}

/// `X.parameters.json` / `X.parameters.jsonc` beside template `X.json` / `X.jsonc`.
pub(super) fn arm_param_siblings(template: &Path) -> Vec<PathBuf> {
    let Some(stem) = template
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
    else {
        return Vec::new();
    };
    ["json", "jsonc"]
        .iter()
        .map(|ext| template.with_file_name(format!("{stem}.parameters.{ext}")))
        .collect()
}

/// The templates a parameters file `X.parameters.json` belongs to: `X.json` / `X.jsonc`.
fn arm_template_siblings(params: &Path) -> Vec<PathBuf> {
    let name = params
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let stem_len = [".parameters.json", ".parameters.jsonc"]
        .iter()
        .find(|suffix| name.ends_with(*suffix))
        .map(|suffix| name.len() - suffix.len());
    let Some(stem_len) = stem_len else {
        return Vec::new();
    };
    let original = params.file_name().unwrap_or_default().to_string_lossy();
    let stem = &original[..stem_len.min(original.len())];
    ["json", "jsonc"]
        .iter()
        .map(|ext| params.with_file_name(format!("{stem}.{ext}")))
        .collect()
}

/// Why a parameters file is not checked: no template it belongs to beside it.
fn orphan_reason(params: &Path) -> String {
    let names: Vec<String> = arm_template_siblings(params)
        .iter()
        .filter_map(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let why = if names.is_empty() {
        "a parameters file whose name pairs it with no template (X.parameters.json goes with X.json)"
            .to_string()
    } else {
        format!(
            "no template {} beside this parameters file",
            names.join(" or ")
        )
    };
    format!(
        "{why}; lint its template with `--parameters {}`",
        display(params)
    )
}

/// Walk, read (in parallel), classify and pair.
pub fn discover(
    paths: &[PathBuf],
    excludes: &Excludes,
    parameters: &[PathBuf],
    detect: &Detect,
    root: &Root,
) -> Plan {
    let walked = walk(paths, excludes);
    let read: Vec<(PathBuf, Result<FileText, ReadError>)> = walked
        .files
        .par_iter()
        .map(|p| {
            let r = read_text(p).map(|text| FileText {
                kind: kind_of(p, &text, detect),
                text: Arc::new(text),
            });
            (p.clone(), r)
        })
        .collect();
    let mut files = Files {
        by_path: HashMap::new(),
        detect,
        root,
        problems: walked.problems,
        too_large: Vec::new(),
        unresolved: Vec::new(),
        checked: BTreeSet::new(),
    };
    let mut skipped = walked.skipped;
    let mut inputs = Vec::new();
    for (path, r) in read {
        match r {
            Ok(ft) => {
                inputs.push((path.clone(), ft.kind));
                files.by_path.insert(path, ft);
            }
            Err(error) => files.failed(&path, error),
        }
    }
    let extra: Vec<(String, String)> = parameters
        .iter()
        .filter_map(|p| match read_text(p) {
            Ok(text) => {
                files.checked.insert(display(p));
                Some((display(p), text))
            }
            Err(error) => {
                files.failed(p, error);
                None
            }
        })
        .collect();

    let mut jobs = Vec::new();
    pair_arm(&inputs, &mut files, &extra, &mut jobs, &mut skipped);
    pair_bicep(&inputs, &mut files, &extra, &mut jobs, &mut skipped);
    jobs.sort_by(|a, b| a.display.cmp(&b.display));
    skipped.sort_by(|a, b| a.file.cmp(&b.file));
    files.too_large.sort();
    files.too_large.dedup();
    Plan {
        jobs,
        problems: files.problems,
        too_large: files.too_large,
        unresolved: files.unresolved,
        skipped,
        checked: files.checked,
    }
}

fn pair_arm(
    inputs: &[(PathBuf, Kind)],
    files: &mut Files,
    extra: &[(String, String)],
    jobs: &mut Vec<Job>,
    skipped: &mut Vec<Skipped>,
) {
    let mut templates: BTreeSet<PathBuf> = BTreeSet::new();
    for (path, kind) in inputs {
        match kind {
            Kind::Template => {
                templates.insert(path.clone());
            }
            Kind::Parameters => {
                // Only the parameters changed (pre-commit passes just that file): lint the
                // template it belongs to, which reads this file (it is checked there). Without
                // a template beside it, nothing checks it: say so instead of counting it.
                let template = arm_template_siblings(path)
                    .into_iter()
                    .find(|t| files.get(t).is_some_and(|f| f.kind == Kind::Template));
                match template {
                    Some(t) => {
                        templates.insert(normalize(&t));
                    }
                    None => skipped.push(skip_entry(path, &orphan_reason(path))),
                }
            }
            Kind::Other => skipped.push(skip_entry(path, "not an ARM template or parameters file")),
            Kind::Broken => skipped.push(skip_entry(
                path,
                "not valid JSON, and no ARM template or parameters $schema in it",
            )),
            Kind::Bicep | Kind::BicepParam => {}
        }
    }
    for t in templates {
        let Some(text) = files.get(&t).map(|f| f.text.clone()) else {
            continue;
        };
        let mut params: Vec<(String, String)> = arm_param_siblings(&t)
            .iter()
            .find_map(|p| files.param(p))
            .into_iter()
            .collect();
        // A `.bicepparam` given with --parameters is for the Bicep files only.
        params.extend(
            extra
                .iter()
                .filter(|(name, _)| !name.to_ascii_lowercase().ends_with(".bicepparam"))
                .cloned(),
        );
        files.checked.insert(display(&t));
        jobs.push(Job {
            lang: Lang::Arm,
            display: display(&t),
            path: t,
            text,
            params,
        });
    }
}

fn pair_bicep(
    inputs: &[(PathBuf, Kind)],
    files: &mut Files,
    extra: &[(String, String)],
    jobs: &mut Vec<Job>,
    skipped: &mut Vec<Skipped>,
) {
    // Bicep file → the .bicepparam files that `using` it.
    let mut targets: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut bicepparams: BTreeSet<PathBuf> = BTreeSet::new();
    for (path, kind) in inputs {
        match kind {
            Kind::Bicep => {
                targets.entry(path.clone()).or_default();
                let sibling = path.with_extension("bicepparam");
                if files.get(&sibling).is_some() {
                    bicepparams.insert(normalize(&sibling));
                }
            }
            Kind::BicepParam => {
                bicepparams.insert(path.clone());
            }
            _ => {}
        }
    }
    for p in bicepparams {
        files.checked.insert(display(&p));
        let Some(text) = files.get(&p).map(|f| f.text.clone()) else {
            continue;
        };
        match bicepparam_using(&text) {
            Using::Path(written) => {
                let dir = p.parent().unwrap_or(Path::new(""));
                let target = normalize(&dir.join(&written));
                if extension(&target).as_deref() != Some("bicep") {
                    skipped.push(skip_entry(&p, "its `using` target is not a .bicep file"));
                } else {
                    let refused = match files.root.resolve(dir, &written) {
                        // Missing: BICEP000 on the path (nothing to lint the values with).
                        Err(crate::read::ReadError::NotFound) => None,
                        // Absolute, outside the root: REF001, nothing of the target read.
                        Err(why) => Some(why),
                        Ok(_) if files.get(&target).is_some() => {
                            targets.entry(target).or_default().push(p);
                            continue;
                        }
                        Ok(_) => None,
                    };
                    // The first quoted occurrence of the path is the `using` statement's (the
                    // statement is the first line outside comments that mentions it).
                    let quoted = format!("'{written}'");
                    let start = text.find(&quoted).unwrap_or(0);
                    let end = if start == 0 && !text.starts_with(&quoted) {
                        0
                    } else {
                        start + quoted.len()
                    };
                    files.unresolved.push(Unresolved {
                        display: display(&p),
                        text: text.clone(),
                        span: start..end,
                        written,
                        refused,
                    });
                }
            }
            Using::Opaque => skipped.push(skip_entry(&p, "its `using` target is not a local file")),
            Using::Missing => files.problems.push(Problem {
                file: display(&p),
                // Located like every read error (the mutation test holds them to it): the
                // file as a whole, from its start.
                message: "no `using` statement at line 1, column 1: a .bicepparam file names its template with `using './main.bicep'`".into(),
            }),
        }
    }
    for (target, mut params) in targets {
        let Some(text) = files.get(&target).map(|f| f.text.clone()) else {
            continue;
        };
        files.checked.insert(display(&target));
        // The same-stem file first: it is the one `main.bicep` is linted with.
        let same_stem = target.with_extension("bicepparam");
        params.sort_by_key(|p| (normalize(p) != normalize(&same_stem), display(p)));
        let param_sets: Vec<Option<PathBuf>> = if params.is_empty() {
            vec![None]
        } else {
            params.into_iter().map(Some).collect()
        };
        for p in param_sets {
            let mut list: Vec<(String, String)> = p.iter().filter_map(|p| files.param(p)).collect();
            list.extend(extra.iter().cloned());
            jobs.push(Job {
                lang: Lang::Bicep,
                path: target.clone(),
                display: display(&target),
                text: text.clone(),
                params: list,
            });
        }
    }
}
