//! Writing a build's files all or nothing (issue 8, classes 13 and 14).
//!
//! One run writes every file of every spec or none of them:
//!
//! 1. **Checks** before anything is created: each target directory is a directory (or does
//!    not exist yet), not a dangling symbolic link; no output name is taken by a directory.
//! 2. **Directories** that do not exist are created; the ones this run created are removed
//!    again if it fails, so no empty directory is left behind.
//! 3. **Lock:** each target directory gets an exclusive lock on [`LOCK_FILE`]; a second build
//!    into the same directory fails at once ("another acr-cmk build is writing DIR") instead
//!    of mixing its files with ours. Failing rather than waiting keeps a CI job's outcome
//!    independent of timing. The lock file is removed when the run ends.
//! 4. **Staging:** every file is written and synced to a temporary file in its target
//!    directory, so the renames below never cross a file system.
//! 5. **Replacing:** each earlier file is kept under a backup name (a hard link, so the path
//!    never goes missing for a reader) and the staged file is renamed over it. If any rename
//!    fails, the files already replaced are restored from their backups and the new ones are
//!    removed: the directory is byte-for-byte as before. On success the backups are removed.
//!
//! A run killed with SIGKILL can leave a staging file, a backup (`.NAME.acr-cmk-old`) or the
//! lock file behind; the next run into that directory takes over the lock file and, holding
//! it, removes the staging files and backups (no live build can own them).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// The lock file a build holds in each directory it writes (hidden, removed at the end).
pub const LOCK_FILE: &str = ".acr-cmk.lock";
/// How a staging file's name starts (tempfile adds a random part).
const STAGING_PREFIX: &str = ".acr-cmk-new";
/// How a backup's name ends: `.NAME.acr-cmk-old`.
const BACKUP_SUFFIX: &str = ".acr-cmk-old";

/// One file to write.
pub struct Planned<'a> {
    pub dir: &'a Path,
    pub name: &'a str,
    pub text: &'a str,
    /// `deploy.sh`: created 0777 minus the umask instead of 0666.
    pub executable: bool,
}

/// Write every planned file or none (see the module docs); the error says what went wrong.
pub fn write_all(files: &[Planned<'_>]) -> Result<(), String> {
    let dirs = distinct_dirs(files);
    for dir in &dirs {
        check_dir(dir)?;
    }
    for f in files {
        check_target(&f.dir.join(f.name))?;
    }
    let mut run = Run::default();
    match run.write(&dirs, files) {
        Ok(()) => {
            run.finish();
            Ok(())
        }
        Err(e) => Err(run.roll_back(e)),
    }
}

fn distinct_dirs<'a>(files: &[Planned<'a>]) -> Vec<&'a Path> {
    let mut dirs: Vec<&Path> = Vec::new();
    for f in files {
        if !dirs.contains(&f.dir) {
            dirs.push(f.dir);
        }
    }
    dirs
}

/// A target directory must be a directory or not exist, and so must the nearest part of its
/// path that exists (`out` for `out/registry`); a link to nowhere is named as such (creating
/// through it fails with a bare "File exists").
fn check_dir(dir: &Path) -> Result<(), String> {
    let Some((dir, own)) = dir
        .ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find_map(|a| std::fs::symlink_metadata(a).ok().map(|m| (a, m)))
    else {
        return Ok(()); // created later; an error there is reported then
    };
    let shown = dir.display();
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(format!("cannot build into {shown}: it is not a directory")),
        Err(e) if own.file_type().is_symlink() && e.kind() == ErrorKind::NotFound => {
            let to = std::fs::read_link(dir)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            Err(format!(
                "cannot build into {shown}: it is a symbolic link to {to}, which does not exist \
                 (create that directory or remove the link)"
            ))
        }
        Err(e) => Err(format!("cannot build into {shown}: {e}")),
    }
}

/// A directory where an output file goes cannot be replaced by a file.
fn check_target(path: &Path) -> Result<(), String> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Err(format!(
            "cannot write {}: a directory of that name is in the way; nothing was written",
            path.display()
        )),
        _ => Ok(()),
    }
}

/// What one run has done so far, to finish or undo it.
#[derive(Default)]
struct Run {
    /// Directories this run created, parents first.
    created: Vec<PathBuf>,
    locks: Vec<DirLock>,
    replaced: Vec<Replaced>,
}

struct Replaced {
    path: PathBuf,
    /// Where the earlier file is kept; `None` when there was none.
    backup: Option<PathBuf>,
}

impl Run {
    fn write(&mut self, dirs: &[&Path], files: &[Planned<'_>]) -> Result<(), String> {
        for dir in dirs {
            self.create_dir(dir)?;
        }
        for dir in dirs {
            self.locks.push(DirLock::acquire(dir)?);
            remove_leftovers(dir);
        }
        let staged = files
            .iter()
            .map(|f| Ok((stage(f)?, f.dir.join(f.name))))
            .collect::<Result<Vec<_>, String>>()?;
        for (tmp, path) in staged {
            let backup = back_up(&path)?;
            if let Err(e) = tmp.persist(&path) {
                // The rename did not happen: the earlier file is still in place.
                if let Some(b) = backup {
                    let _ = std::fs::remove_file(b);
                }
                return Err(format!(
                    "cannot write {}: {}",
                    path.display(),
                    io_reason(&e.error)
                ));
            }
            self.replaced.push(Replaced { path, backup });
        }
        Ok(())
    }

    /// `create_dir_all` that remembers which directories it created.
    fn create_dir(&mut self, dir: &Path) -> Result<(), String> {
        let missing: Vec<&Path> = dir
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .take_while(|a| std::fs::symlink_metadata(a).is_err())
            .collect();
        for d in missing.into_iter().rev() {
            match std::fs::create_dir(d) {
                Ok(()) => self.created.push(d.to_path_buf()),
                // Another process made it meanwhile: not ours to remove.
                Err(e) if e.kind() == ErrorKind::AlreadyExists && d.is_dir() => {}
                Err(e) => return Err(format!("cannot create {}: {e}", d.display())),
            }
        }
        Ok(())
    }

    fn finish(self) {
        for r in &self.replaced {
            if let Some(b) = &r.backup {
                let _ = std::fs::remove_file(b);
            }
        }
        for lock in self.locks {
            lock.release();
        }
    }

    /// Undo everything; the error gains a line for anything that could not be undone.
    fn roll_back(self, error: String) -> String {
        let mut error = error;
        let mut all_undone = true;
        for r in self.replaced.iter().rev() {
            let undone = match &r.backup {
                // Renaming a hard link over the other name of the same file does nothing,
                // so the backup name is removed after.
                Some(b) => std::fs::rename(b, &r.path).map(|()| {
                    let _ = std::fs::remove_file(b);
                }),
                None => std::fs::remove_file(&r.path),
            };
            if let Err(e) = undone {
                all_undone = false;
                error.push_str(&match &r.backup {
                    Some(b) => format!(
                        "\nerror: could not restore {} ({e}); its earlier content is in {}",
                        r.path.display(),
                        b.display()
                    ),
                    None => format!("\nerror: could not remove {} ({e})", r.path.display()),
                });
            }
        }
        for lock in self.locks {
            lock.release();
        }
        for d in self.created.iter().rev() {
            // Only if empty: another build may have put its lock file there since.
            let _ = std::fs::remove_dir(d);
        }
        if all_undone {
            error.push_str("\nnothing written: the output directory is as it was");
        }
        error
    }
}

/// The staging files and backups of an earlier run that was killed. Only a build holding the
/// directory's lock makes such files, and we hold it now: these are nobody's.
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name.starts_with(STAGING_PREFIX)
            || (name.starts_with('.') && name.ends_with(BACKUP_SUFFIX));
        if ours && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Write one file to a temporary file in its directory.
fn stage(f: &Planned<'_>) -> Result<tempfile::NamedTempFile, String> {
    // The mode goes to open(2), which applies the umask: 0644 (0755 for deploy.sh) under
    // 022, as for any file a user creates. tempfile's own default (0600) made the outputs
    // unreadable to a web server or a container user (issue 8, class 15).
    let mut builder = tempfile::Builder::new();
    builder.prefix(STAGING_PREFIX);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(
        if f.executable { 0o777 } else { 0o666 },
    ));
    #[cfg(not(unix))]
    let _ = f.executable;
    let failed =
        |e: std::io::Error| format!("cannot write in {}: {}", f.dir.display(), io_reason(&e));
    let mut tmp = builder.tempfile_in(f.dir).map_err(failed)?;
    tmp.write_all(f.text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(failed)?;
    Ok(tmp)
}

/// Keep the file at `path` (if any) under a backup name beside it. A hard link keeps the
/// path in place for readers; where links are not supported the file is moved instead.
fn back_up(path: &Path) -> Result<Option<PathBuf>, String> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    // Checked before the run too; a directory made since must not be moved aside.
    check_target(path)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let backup = path.with_file_name(format!(".{name}{BACKUP_SUFFIX}"));
    // A leftover of a killed run that was not a regular file (see `remove_leftovers`).
    let _ = std::fs::remove_file(&backup);
    std::fs::hard_link(path, &backup)
        .or_else(|_| std::fs::rename(path, &backup))
        .map_err(|e| format!("cannot keep a backup of {}: {e}", path.display()))?;
    Ok(Some(backup))
}

/// An exclusive lock on a directory's [`LOCK_FILE`], held until released.
struct DirLock {
    path: PathBuf,
    file: File,
}

impl DirLock {
    fn acquire(dir: &Path) -> Result<DirLock, String> {
        let path = dir.join(LOCK_FILE);
        // Each retry means another build finished meanwhile; a path that never matches the
        // file opened from it (a file system without stable inode numbers) must not spin.
        for _ in 0..100 {
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Err(format!(
                        "another acr-cmk build is writing {}; run one build at a time per output directory",
                        dir.display()
                    ));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(format!("cannot lock {}: {e}", path.display()));
                }
            }
            // The build before us removes its lock file when it ends; if ours was that one,
            // lock the file now at the path (or a new one) instead.
            if is_same_file(&file, &path) {
                return Ok(DirLock { path, file });
            }
        }
        Err(format!(
            "cannot lock {}: the file keeps changing under acr-cmk",
            path.display()
        ))
    }

    /// Remove the lock file while still holding the lock: whoever opened it meanwhile sees
    /// it gone (above) and starts over.
    fn release(self) {
        let _ = std::fs::remove_file(&self.path);
        drop(self.file);
    }
}

#[cfg(unix)]
fn is_same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

/// The reason of an I/O error without the path `tempfile` attaches to it: that path is a
/// staging file (`.tmpBchDoA`) the user never asked for and that no longer exists; the caller
/// names the real target.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
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
    use super::*;

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

    fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let bytes = if p.is_dir() {
                    b"<dir>".to_vec()
                } else {
                    std::fs::read(&p).unwrap()
                };
                (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
            })
            .collect();
        out.sort();
        out
    }

    /// The checks catch a directory in the way before anything is replaced; this is the
    /// case they cannot see: the third file fails after two were replaced (here a directory
    /// appeared between the checks and the renames). Both are restored, the new one removed.
    #[test]
    fn a_rename_that_fails_midway_restores_every_file_already_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("a"), "old a").unwrap();
        std::fs::write(dir.join("b"), "old b").unwrap();
        std::fs::create_dir_all(dir.join("c/inner")).unwrap();
        let before = listing(dir);
        let files: Vec<Planned<'_>> = ["a", "new", "c", "d"]
            .into_iter()
            .map(|name| Planned {
                dir,
                name,
                text: "new text",
                executable: false,
            })
            .collect();
        let mut run = Run::default();
        let error = run.write(&[dir], &files).unwrap_err();
        assert_eq!(run.replaced.len(), 2, "a and new were replaced first");
        let error = run.roll_back(error);
        assert!(
            error.starts_with(&format!("cannot write {}: ", dir.join("c").display())),
            "{error}"
        );
        assert!(
            error.ends_with("the output directory is as it was"),
            "{error}"
        );
        assert_eq!(listing(dir), before);
    }

    /// Staging comes before any rename: a file that cannot be staged (here its directory is
    /// missing) fails the run with every earlier file untouched and no staging file left.
    #[test]
    fn a_file_that_cannot_be_staged_fails_before_anything_is_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("a"), "old a").unwrap();
        let before = listing(dir);
        let missing = dir.join("missing");
        let files = [(dir, "a"), (missing.as_path(), "b")].map(|(dir, name)| Planned {
            dir,
            name,
            text: "new",
            executable: false,
        });
        let mut run = Run::default();
        let error = run.write(&[dir], &files).unwrap_err();
        assert!(run.replaced.is_empty());
        let error = run.roll_back(error);
        assert!(
            error.starts_with(&format!("cannot write in {}: ", missing.display())),
            "{error}"
        );
        assert_eq!(listing(dir), before);
    }

    #[test]
    fn a_run_that_succeeds_leaves_no_backup_staging_or_lock_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("x/y");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a"), "old").unwrap();
        let files = [Planned {
            dir: &dir,
            name: "a",
            text: "new",
            executable: false,
        }];
        write_all(&files).unwrap();
        assert_eq!(listing(&dir), [("a".to_string(), b"new".to_vec())]);
    }

    #[test]
    fn the_leftovers_of_a_killed_run_are_removed_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for name in [".acr-cmk-newAbC123", ".deploy.sh.acr-cmk-old", LOCK_FILE] {
            std::fs::write(dir.join(name), "left over").unwrap();
        }
        for name in ["keep.acr-cmk-old", "notes.txt"] {
            std::fs::write(dir.join(name), "mine").unwrap();
        }
        let files = [Planned {
            dir,
            name: "a",
            text: "new",
            executable: false,
        }];
        write_all(&files).unwrap();
        let names: Vec<String> = listing(dir).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "keep.acr-cmk-old", "notes.txt"]);
    }

    #[test]
    fn a_failed_run_removes_the_directories_it_created() {
        let tmp = tempfile::tempdir().unwrap();
        let held = tmp.path().join("held");
        std::fs::create_dir(&held).unwrap();
        let lock = DirLock::acquire(&held).unwrap();
        let fresh = tmp.path().join("new/deeper");
        let files = [&fresh, &held].map(|dir| Planned {
            dir,
            name: "a",
            text: "new",
            executable: false,
        });
        let error = write_all(&files).unwrap_err();
        assert!(
            error.starts_with(&format!(
                "another acr-cmk build is writing {}",
                held.display()
            )),
            "{error}"
        );
        assert!(!tmp.path().join("new").exists());
        assert_eq!(listing(&held), [(LOCK_FILE.to_string(), Vec::new())]);
        lock.release();
        assert_eq!(listing(&held), []);
    }
}
