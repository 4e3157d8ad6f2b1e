//! `acr-cmk build SPEC... [--out-dir DIR] [--check]`.
//!
//! Layout: one spec builds into `DIR` itself; several specs build into `DIR/<spec stem>/`
//! (two specs with the same stem are a usage error). Nothing is written unless every file of
//! every spec was generated and validated; each file is written to a temporary file in its
//! target directory and renamed into place only after all of them were written, so a failed
//! build leaves the output directory as it was. `--check` writes nothing, prints a unified diff
//! of every file that differs from what would be generated and exits 1 on drift.

use crate::eval::limits::MAX_SPEC_BYTES;
use crate::exit::Exit;
use crate::generate::validate::compile;
use crate::generate::{DEPLOY_FILE, Generated};
use crate::report::human::Style;
use crate::rules::limit_exceeded::file_too_large;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

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

/// Read and compile one spec, printing its diagnostics to stderr.
pub fn compile_file(spec: &Path, dir: &Path, style: Style) -> (Exit, Option<Generated>) {
    // The size and the kind of file are checked before reading: `/dev/zero` or a FIFO would
    // never end, a huge file would be read whole.
    match std::fs::metadata(spec) {
        Ok(meta) if !meta.is_file() => {
            eprintln!("error: cannot read {}: not a regular file", spec.display());
            return (Exit::Error, None);
        }
        Ok(meta) if meta.len() > MAX_SPEC_BYTES => {
            let mut sources = crate::source::SourceMap::new();
            let file = sources.add(spec.display().to_string(), "");
            let finding = file_too_large(file, meta.len(), MAX_SPEC_BYTES);
            eprint!(
                "{}",
                crate::report::human::render(&finding, &sources, style)
            );
            return (Exit::Error, None);
        }
        _ => {}
    }
    // The lint's reader: invalid UTF-8 is reported with its line and column.
    let text = match crate::lint::walk::read_text(spec) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", spec.display());
            return (Exit::Error, None);
        }
    };
    let c = compile(
        &spec.display().to_string(),
        &text,
        &dir.display().to_string(),
        style,
    );
    if !c.diagnostics.is_empty() {
        eprint!("{}", c.diagnostics);
    }
    (c.exit, c.generated)
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

/// Write every file to a temporary file beside its target, then rename them all into place.
fn write_all(built: &[(&Target, Generated)]) -> Result<(), String> {
    let mut staged = Vec::new();
    for (t, g) in built {
        std::fs::create_dir_all(&t.dir)
            .map_err(|e| format!("cannot create {}: {e}", t.dir.display()))?;
        for f in &g.files {
            // The mode goes to open(2), which applies the umask: 0644 (0755 for deploy.sh)
            // under 022, as for any file a user creates. tempfile's own default (0600) made
            // the outputs unreadable to a web server or a container user (issue 8, class 15).
            let mut builder = tempfile::Builder::new();
            #[cfg(unix)]
            builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(
                if f.name == DEPLOY_FILE { 0o777 } else { 0o666 },
            ));
            #[cfg(not(unix))]
            let _ = DEPLOY_FILE;
            let mut tmp = builder
                .tempfile_in(&t.dir)
                .map_err(|e| format!("cannot write in {}: {}", t.dir.display(), io_reason(&e)))?;
            tmp.write_all(f.text.as_bytes())
                .and_then(|_| tmp.as_file().sync_all())
                .map_err(|e| format!("cannot write in {}: {}", t.dir.display(), io_reason(&e)))?;
            staged.push((tmp, t.dir.join(f.name)));
        }
    }
    for (tmp, path) in staged {
        tmp.persist(&path)
            .map_err(|e| format!("cannot write {}: {}", path.display(), io_reason(&e.error)))?;
    }
    Ok(())
}

/// The reason of an I/O error without the path `tempfile` attaches to it: that path is a
/// staging file (`.tmpBchDoA`) the user never asked for and that no longer exists; the caller
/// names the real target.
fn io_reason(e: &std::io::Error) -> String {
    // tempfile wraps the OS error in its own `PathError`, shown as `<os error> at path "<tmp>"`
    // and without the OS error as a source: its text up to the path is the reason.
    let shown = e.to_string();
    match shown.find(" at path \"") {
        Some(at) => shown[..at].to_string(),
        None => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::io_reason;

    #[test]
    fn io_reason_drops_the_staging_file_tempfile_names() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let e = tempfile::NamedTempFile::new_in(&missing).unwrap_err();
        // tempfile names its own staging file in the error: the very text users saw.
        let shown = e.to_string().replace(&dir.path().display().to_string(), "");
        assert!(shown.contains(".tmp"), "{shown}");
        assert_eq!(io_reason(&e), "No such file or directory (os error 2)");
    }
}
