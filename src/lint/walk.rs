//! Walking the command-line paths and reading files.
//!
//! - Directories are walked recursively honouring `.gitignore`/`.ignore` files (also outside a
//!   git repository) and skipping hidden files, like ripgrep. Only `.json`, `.jsonc`, `.bicep`
//!   and `.bicepparam` files are picked up from directories.
//! - A file named on the command line is linted even when a `.gitignore` would hide it (it was
//!   asked for by name, as pre-commit does), but `--exclude` and the configuration's `exclude`
//!   still apply to it, so that excludes work the same under pre-commit and in CI.
//! - Globs match the path relative to the working directory (`--exclude`) or to the
//!   configuration file's directory (`exclude` in `acr-cmk.toml`), and also the bare file or
//!   directory name, so `node_modules` or `*.generated.json` work at any depth.

use crate::report::{Problem, Skipped};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// Larger inputs are refused rather than read into memory (the resource policy's file size).
pub use crate::eval::limits::MAX_FILE_BYTES;

/// Exclude globs from the command line and from the configuration.
#[derive(Clone, Debug)]
pub struct Excludes {
    cli: GlobSet,
    config: GlobSet,
    config_base: Option<PathBuf>,
    cwd: PathBuf,
}

fn globset(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| format!("invalid --exclude glob `{g}`: {}", e.kind()))?);
    }
    b.build().map_err(|e| e.to_string())
}

impl Excludes {
    pub fn new(
        cli: &[String],
        config: &[String],
        config_base: Option<&Path>,
        cwd: &Path,
    ) -> Result<Excludes, String> {
        Ok(Excludes {
            cli: globset(cli)?,
            config: globset(config)?,
            config_base: config_base.map(normalize),
            cwd: normalize(cwd),
        })
    }

    pub fn none() -> Excludes {
        Excludes {
            cli: GlobSet::empty(),
            config: GlobSet::empty(),
            config_base: None,
            cwd: PathBuf::from("."),
        }
    }

    pub fn is_excluded(&self, path: &Path) -> bool {
        let rel = normalize(path);
        let name = rel.file_name().map(Path::new);
        let matches =
            |set: &GlobSet, p: &Path| set.is_match(p) || name.is_some_and(|n| set.is_match(n));
        let abs = normalize(&self.cwd.join(&rel));
        let relative_to = |base: &Path| abs.strip_prefix(base).map(Path::to_path_buf).ok();
        let from_cwd = relative_to(&self.cwd).unwrap_or_else(|| rel.clone());
        if matches(&self.cli, &from_cwd) {
            return true;
        }
        if self.config.is_empty() {
            return false;
        }
        let from_base = self
            .config_base
            .as_deref()
            .and_then(relative_to)
            .unwrap_or(from_cwd);
        matches(&self.config, &from_base)
    }
}

/// The path without `.` components (so `./a/b.json` and `a/b.json` are one file).
pub fn normalize(path: &Path) -> PathBuf {
    let p: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

/// A display name with `.` and `dir/..` pairs resolved lexically (leading `..` stay).
pub fn clean_display(name: &str) -> String {
    let absolute = name.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// Display name: the normalized path with `/` separators.
pub fn display(path: &Path) -> String {
    let s = normalize(path).to_string_lossy().into_owned();
    if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s
    }
}

pub(super) fn extension(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

fn is_lintable(path: &Path) -> bool {
    matches!(
        extension(path).as_deref(),
        Some("json" | "jsonc" | "bicep" | "bicepparam")
    )
}

/// The result of walking the command-line paths.
#[derive(Debug, Default)]
pub struct Walked {
    /// Normalized, sorted, deduplicated.
    pub files: Vec<PathBuf>,
    pub problems: Vec<Problem>,
    pub skipped: Vec<Skipped>,
}

/// Expand the command-line paths into the files to look at.
pub fn walk(paths: &[PathBuf], excludes: &Excludes) -> Walked {
    let mut out = Walked::default();
    let mut files = BTreeSet::new();
    for root in paths {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                out.problems.push(Problem {
                    file: display(root),
                    message: io_message(&e),
                });
                continue;
            }
        };
        if !meta.is_dir() {
            if excludes.is_excluded(root) {
                out.skipped.push(skip_entry(root, "excluded"));
            } else if is_lintable(root) {
                files.insert(normalize(root));
            } else {
                out.skipped.push(skip_entry(
                    root,
                    "not a .json, .jsonc, .bicep or .bicepparam file",
                ));
            }
            continue;
        }
        walk_dir(root, excludes, &mut files, &mut out.problems);
    }
    out.files = files.into_iter().collect();
    out.files.sort_by_key(|p| display(p));
    out
}

fn walk_dir(
    root: &Path,
    excludes: &Excludes,
    files: &mut BTreeSet<PathBuf>,
    problems: &mut Vec<Problem>,
) {
    let mut builder = ignore::WalkBuilder::new(root);
    builder.require_git(false);
    let excludes = excludes.clone();
    let root_depth_ok =
        move |e: &ignore::DirEntry| e.depth() == 0 || !excludes.is_excluded(e.path());
    // Excludes are checked on directories too, so an excluded directory is not walked at all.
    let walker = builder.filter_entry(root_depth_ok).build();
    for entry in walker {
        match entry {
            Ok(e) => {
                if e.file_type().is_some_and(|t| t.is_file()) && is_lintable(e.path()) {
                    files.insert(normalize(e.path()));
                }
            }
            Err(err) => problems.push(walk_problem(root, &err)),
        }
    }
}

fn walk_problem(root: &Path, err: &ignore::Error) -> Problem {
    fn path_of(err: &ignore::Error) -> Option<&Path> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            _ => None,
        }
    }
    let file = display(path_of(err).unwrap_or(root));
    let message = match err.io_error() {
        Some(io) => io_message(io),
        None => err.to_string(),
    };
    Problem { file, message }
}

pub(super) fn skip_entry(path: &Path, reason: &str) -> Skipped {
    Skipped {
        file: display(path),
        reason: reason.to_string(),
    }
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Why a file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// Over [`MAX_FILE_BYTES`]: a limit of the resource policy (LIM001), not read at all.
    TooLarge { bytes: u64 },
    /// Missing, a directory, a device, unreadable, not UTF-8: the reason, in words.
    Unreadable(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge { bytes } => write!(
                f,
                "file too large ({bytes} bytes; the limit is {MAX_FILE_BYTES})"
            ),
            ReadError::Unreadable(message) => f.write_str(message),
        }
    }
}

/// Read a file as UTF-8 text (through [`crate::read`]), with a clear message for each way it
/// can fail; a file over the size limit is told apart (LIM001).
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    crate::read::text(path).map_err(|e| read_error(path, e))
}

/// [`crate::read`]'s refusal in the lint's terms.
pub fn read_error(path: &Path, e: crate::read::ReadError) -> ReadError {
    match e {
        crate::read::ReadError::TooLarge => ReadError::TooLarge {
            bytes: std::fs::metadata(path).map_or(MAX_FILE_BYTES + 1, |m| m.len()),
        },
        other => ReadError::Unreadable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::clean_display;

    #[test]
    fn display_names_are_cleaned_lexically() {
        assert_eq!(
            clean_display("a/tests/e2e/../../main.bicep"),
            "a/main.bicep"
        );
        assert_eq!(clean_display("./a/./b.json"), "a/b.json");
        assert_eq!(clean_display("../x/../../y.bicep"), "../../y.bicep");
        assert_eq!(clean_display("/abs/dir/../f.json"), "/abs/f.json");
        assert_eq!(clean_display("a/.."), ".");
    }
}
