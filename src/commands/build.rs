//! `acr-cmk build SPEC... [--out-dir DIR] [--check]`.
//!
//! Layout: one spec builds into `DIR` itself; several specs build into `DIR/<spec stem>/`
//! (two specs with the same stem are a usage error). Nothing is written unless every file of
//! every spec was generated and validated; then every file is written all or nothing, under a
//! lock on each target directory ([`output`]), so a failed build leaves the output directory
//! as it was and two builds into one directory never mix. `--check` writes nothing, prints a unified diff
//! of every file that differs from what would be generated and exits 1 on drift.

use crate::eval::limits::MAX_SPEC_BYTES;
use crate::exit::Exit;
use crate::generate::validate::{PreviousBuild, compile_against};
use crate::generate::{DEPLOY_FILE, Generated, PARAMETERS_FILE, TEMPLATE_FILE};
use crate::report::human::Style;
use crate::rules::limit_exceeded::file_too_large;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub(crate) mod output;

/// One spec and where its files go.
pub struct Target {
    pub spec: PathBuf,
    pub dir: PathBuf,
}

/// Where each spec's files go (see the module docs), or a usage error.
pub fn targets(specs: &[PathBuf], out_dir: &Path) -> Result<Vec<Target>, String> {
    if specs.len() == 1 {
        return Ok(vec![Target {
            spec: specs[0].clone(),
            dir: out_dir.to_path_buf(),
        }]);
    }
    let mut seen = BTreeSet::new();
    specs
        .iter()
        .map(|spec| {
            let stem = spec.file_stem().and_then(|s| s.to_str()).ok_or_else(|| {
                format!("{}: cannot derive an output directory name", spec.display())
            })?;
            if !seen.insert(stem.to_string()) {
                return Err(format!(
                    "two specs share the stem '{stem}': each builds into {}/{stem}/; rename one",
                    out_dir.display()
                ));
            }
            Ok(Target {
                spec: spec.clone(),
                dir: out_dir.join(stem),
            })
        })
        .collect()
}

/// Read a spec file, printing why it cannot be read to stderr.
pub fn read_spec(spec: &Path, style: Style) -> Result<String, Exit> {
    // The size and the kind of file are checked before reading: `/dev/zero` or a FIFO would
    // never end, a huge file would be read whole.
    match std::fs::metadata(spec) {
        Ok(meta) if !meta.is_file() => {
            eprintln!("error: cannot read {}: not a regular file", spec.display());
            return Err(Exit::Error);
        }
        Ok(meta) if meta.len() > MAX_SPEC_BYTES => {
            let mut sources = crate::source::SourceMap::new();
            let file = sources.add(spec.display().to_string(), "");
            let finding = file_too_large(file, meta.len(), MAX_SPEC_BYTES);
            eprint!(
                "{}",
                crate::report::human::render(&finding, &sources, style)
            );
            return Err(Exit::Error);
        }
        _ => {}
    }
    // The lint's reader: invalid UTF-8 is reported with its line and column.
    crate::lint::walk::read_text(spec).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", spec.display());
        Exit::Error
    })
}

/// Read and compile one spec, printing its diagnostics to stderr.
pub fn compile_file(spec: &Path, dir: &Path, style: Style) -> (Exit, Option<Generated>) {
    let text = match read_spec(spec, style) {
        Ok(t) => t,
        Err(e) => return (e, None),
    };
    let c = compile_against(
        &spec.display().to_string(),
        &text,
        &dir.display().to_string(),
        style,
        previous_build(dir),
    );
    if !c.diagnostics.is_empty() {
        eprint!("{}", c.diagnostics);
    }
    (c.exit, c.generated)
}

/// The template a previous build left in `dir` (presumably what is deployed), for CMK027:
/// `None` on a first build. A previous template that cannot be read or parsed is said in a
/// note (the comparison the build would make does not happen), not an error: the build
/// replaces it.
fn previous_build(dir: &Path) -> Option<PreviousBuild> {
    let read = |name: &str| {
        let path = dir.join(name);
        (path.display().to_string(), crate::read::own_output(&path))
    };
    let cannot = |name: &str, why: String| {
        eprintln!("note: the key version is not compared with the previous build: {name} {why}");
        None
    };
    let (template_name, template) = read(TEMPLATE_FILE);
    let template = match template {
        Ok(text) => text,
        Err(crate::read::ReadError::NotFound) => return None,
        Err(why) => return cannot(&template_name, format!("cannot be read: {why}")),
    };
    let (params_name, params) = read(PARAMETERS_FILE);
    let params = match params {
        Ok(text) => Some(text),
        Err(crate::read::ReadError::NotFound) => None,
        Err(why) => return cannot(&params_name, format!("cannot be read: {why}")),
    };
    PreviousBuild::load(
        (&template_name, &template),
        params.as_deref().map(|p| (params_name.as_str(), p)),
    )
    .map_or_else(|why| cannot(&template_name, why), Some)
}

pub fn run(specs: &[PathBuf], out_dir: &Path, check: bool) -> Exit {
    let style = Style::for_stderr();
    let targets = match targets(specs, out_dir) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Error;
        }
    };
    let mut exit = Exit::Ok;
    let mut built = Vec::new();
    for t in &targets {
        let (e, generated) = compile_file(&t.spec, &t.dir, style);
        exit = exit.max(e);
        if let Some(g) = generated {
            built.push((t, g));
        }
    }
    if exit != Exit::Ok {
        eprintln!("nothing written: fix the errors above and build again");
        return exit;
    }
    if check {
        return check_drift(&built);
    }
    match write_all(&built) {
        Ok(()) => {
            for (t, g) in &built {
                println!(
                    "{} → {} ({} files)",
                    t.spec.display(),
                    t.dir.display(),
                    g.files.len()
                );
            }
            Exit::Ok
        }
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Error
        }
    }
}

/// Print a unified diff per drifted file; `Findings` when anything drifted.
fn check_drift(built: &[(&Target, Generated)]) -> Exit {
    let mut exit = Exit::Ok;
    for (t, g) in built {
        for f in &g.files {
            let path = t.dir.join(f.name);
            let shown = path.display().to_string();
            // A missing file is a diff from /dev/null, as git shows a new file; a file that
            // is not ours to read (a link, a device) is not shown: `build` replaces it.
            let (on_disk, old_name) = match crate::read::own_output(&path) {
                Ok(text) => (text, format!("a/{shown}")),
                Err(crate::read::ReadError::NotFound) => (String::new(), "/dev/null".to_string()),
                Err(why) => {
                    println!("{shown}: differs (cannot be compared: {why})");
                    exit = exit.max(Exit::Findings);
                    continue;
                }
            };
            if on_disk == f.text {
                continue;
            }
            exit = exit.max(Exit::Findings);
            let diff = similar::TextDiff::from_lines(&on_disk, &f.text);
            print!(
                "{}",
                diff.unified_diff()
                    .context_radius(3)
                    .header(&old_name, &format!("b/{shown}"))
            );
        }
    }
    if exit == Exit::Findings {
        eprintln!(
            "drift: the files on disk differ from what the specs generate (run acr-cmk build)"
        );
    }
    exit
}

/// Every file of every spec, written all or nothing ([`output`]).
fn write_all(built: &[(&Target, Generated)]) -> Result<(), String> {
    let planned: Vec<output::Planned<'_>> = built
        .iter()
        .flat_map(|(t, g)| {
            g.files.iter().map(|f| output::Planned {
                dir: &t.dir,
                name: f.name,
                text: &f.text,
                executable: f.name == DEPLOY_FILE,
            })
        })
        .collect();
    output::write_all(&planned)
}
