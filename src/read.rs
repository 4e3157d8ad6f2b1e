//! The one way acr-cmk reads a file.
//!
//! Every file the tool reads comes through here: lint inputs (named on the command line or
//! found by walking), parameter files, `--baseline`, the configuration, specs, the files
//! `build --check` compares, and the files a file refers to: Bicep modules and imports,
//! `.bicepparam` `using` targets, ARM `templateLink.relativePath`, and the parameter files
//! paired with a template by name. What is read:
//!
//! - **regular files only**, checked on the opened handle (`fstat`), never by a `stat` before
//!   the open that a swap in between would defeat. The file is opened non-blocking (a FIFO
//!   with no writer cannot hang the run) and never as a controlling terminal; a device, FIFO
//!   or socket is refused before a byte is read;
//! - **at most [`MAX_FILE_BYTES`]**, also for a file that grows while it is read or that says
//!   it is empty (`/proc`): reading stops one byte past the limit;
//! - **UTF-8**, or an error that gives the position of the first invalid byte.
//!
//! A reference found *inside* a file is read only inside the lint [`Root`]: it must be
//! relative, and the path it resolves to — following `..` and every symbolic link — must be
//! below the root. A reference that would leave the root is refused without being opened, so
//! no report can quote a byte of a file that is neither a lint input nor an in-root file one
//! of them refers to. Errors ([`ReadError`]) name what is wrong, never what the file holds.

use std::fmt;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Larger files are refused rather than read into memory.
/// The resource policy's file size ([`crate::eval::limits`]).
pub use crate::eval::limits::MAX_FILE_BYTES;

/// Why a file was not read. The text never includes the file's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    NotFound,
    PermissionDenied,
    IsDirectory,
    /// A FIFO, device or socket (the kind, in words).
    NotRegular(&'static str),
    TooLarge,
    InvalidUtf8 {
        line: usize,
        column: usize,
        offset: usize,
    },
    /// A reference written as an absolute path.
    Absolute,
    /// A reference that resolves outside the lint root; `through_link` when the path as
    /// written stays inside and a symbolic link leads out.
    OutsideRoot {
        through_link: bool,
    },
    Io(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("no such file or directory"),
            ReadError::PermissionDenied => f.write_str("permission denied"),
            ReadError::IsDirectory => f.write_str("is a directory"),
            ReadError::NotRegular(kind) => write!(f, "is a {kind}, not a regular file"),
            ReadError::TooLarge => write!(
                f,
                "file too large (the limit is {} MiB)",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            ReadError::InvalidUtf8 {
                line,
                column,
                offset,
            } => write!(
                f,
                "invalid UTF-8 at line {line}, byte column {column} (byte offset {offset})"
            ),
            ReadError::Absolute => f.write_str(
                "is an absolute path; acr-cmk follows only relative references that stay inside the lint root",
            ),
            ReadError::OutsideRoot { through_link } => write!(
                f,
                "{} outside the lint root; acr-cmk reads no file there (set the root with --root)",
                if *through_link {
                    "leads through a symbolic link to a file"
                } else {
                    "is a file"
                }
            ),
            ReadError::Io(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for ReadError {}

impl ReadError {
    fn io(e: &std::io::Error) -> ReadError {
        match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound,
            std::io::ErrorKind::PermissionDenied => ReadError::PermissionDenied,
            std::io::ErrorKind::IsADirectory => ReadError::IsDirectory,
            _ => match e.raw_os_error() {
                // ELOOP from O_NOFOLLOW: the last component became a symbolic link.
                #[cfg(unix)]
                Some(libc::ELOOP) => ReadError::OutsideRoot { through_link: true },
                _ => ReadError::Io(e.to_string()),
            },
        }
    }
}

/// Open a file for reading without blocking on a FIFO and without acquiring a terminal.
/// `follow`: whether a symbolic link as the last component is followed.
fn open(path: &Path, follow: bool) -> Result<std::fs::File, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
        if !follow {
            flags |= libc::O_NOFOLLOW;
        }
        options.custom_flags(flags);
    }
    #[cfg(not(unix))]
    let _ = follow;
    options.open(path).map_err(|e| ReadError::io(&e))
}

/// What a file that is not regular is, in words.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "FIFO";
        }
        if t.is_char_device() {
            return "character device";
        }
        if t.is_block_device() {
            return "block device";
        }
        if t.is_socket() {
            return "socket";
        }
    }
    let _ = meta;
    "special file"
}

/// Read a file's bytes: a regular file of at most [`MAX_FILE_BYTES`] (see the module docs).
fn read_bytes(path: &Path, follow: bool) -> Result<Vec<u8>, ReadError> {
    let file = open(path, follow)?;
    let meta = file.metadata().map_err(|e| ReadError::io(&e))?;
    if meta.is_dir() {
        return Err(ReadError::IsDirectory);
    }
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_of(&meta)));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::io(&e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

fn utf8(bytes: Vec<u8>) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = bytes[..offset]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        ReadError::InvalidUtf8 {
            line,
            column: offset - line_start + 1,
            offset,
        }
    })
}

/// Read a file the user named (or that walking their paths found) as UTF-8 text.
pub fn text(path: &Path) -> Result<String, ReadError> {
    utf8(read_bytes(path, true)?)
}

/// Read a file acr-cmk itself writes (a `build` output, for `build --check`): a symbolic
/// link in its place is refused, not followed, so a committed link cannot make the comparison
/// print another file.
pub fn own_output(path: &Path) -> Result<String, ReadError> {
    utf8(read_bytes(path, false)?)
}

/// The directory references are confined to: the repository's top level (the nearest
/// ancestor of the working directory with a `.git` directory or file), else the working
/// directory; `--root DIR` sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    /// Canonical (absolute, no symbolic links).
    dir: PathBuf,
    /// As it was named (absolute, `.` and `..` resolved, links not): a path written below
    /// this spelling is inside as written too (`/work/wt/shared` for a linked `/work/shared`).
    named: PathBuf,
}

/// The default root contains nothing: code that sets none follows no reference.
impl Default for Root {
    fn default() -> Root {
        Root::nothing()
    }
}

impl Root {
    /// A root at `dir` (which must exist).
    pub fn new(dir: &Path) -> Result<Root, ReadError> {
        let named = match std::path::absolute(dir) {
            Ok(p) => lexical(&p),
            Err(e) => return Err(ReadError::io(&e)),
        };
        let dir = dir.canonicalize().map_err(|e| ReadError::io(&e))?;
        if !dir.is_dir() {
            return Err(ReadError::Io("not a directory".into()));
        }
        Ok(Root { dir, named })
    }

    /// The repository's top level above `start` (a `.git` directory, or a `.git` file as in a
    /// worktree or submodule), else `start` itself.
    pub fn discover(start: &Path) -> Result<Root, ReadError> {
        let start = start.canonicalize().map_err(|e| ReadError::io(&e))?;
        let top = start
            .ancestors()
            .find(|dir| dir.join(".git").symlink_metadata().is_ok())
            .unwrap_or(&start);
        Root::new(top)
    }

    /// The root for the current working directory (see [`Root::discover`]). When the working
    /// directory cannot be read, a root nothing is inside of.
    pub fn current() -> Root {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| Root::discover(&cwd).ok())
            .unwrap_or_else(Root::nothing)
    }

    /// The root for a file loaded on its own (a library call without a root): the repository
    /// it is in, else its directory. `nothing` without a path.
    pub fn around(file: Option<&Path>) -> Root {
        file.and_then(|f| f.parent())
            .map(|dir| {
                if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                }
            })
            .and_then(|dir| Root::discover(dir).ok())
            .unwrap_or_else(Root::nothing)
    }

    /// A root that contains no file: every reference is refused.
    pub fn nothing() -> Root {
        Root {
            dir: PathBuf::new(),
            named: PathBuf::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Is this path (existing; symbolic links followed) inside the root? Its canonical form.
    ///
    /// The path as written is checked first, without touching the file system: a path that
    /// climbs out of the root is refused whether or not it exists, so the answer says nothing
    /// about files outside. Only a path that stays inside as written is resolved, and then
    /// refused when a symbolic link on the way leads out.
    pub fn check(&self, path: &Path) -> Result<PathBuf, ReadError> {
        if self.dir.as_os_str().is_empty() {
            return Err(ReadError::OutsideRoot {
                through_link: false,
            });
        }
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            // getcwd gives the working directory with its links resolved, as the root is.
            let cwd = std::env::current_dir().map_err(|e| ReadError::io(&e))?;
            cwd.join(path)
        };
        let as_written = lexical(&absolute);
        if !as_written.starts_with(&self.dir) && !as_written.starts_with(&self.named) {
            return Err(ReadError::OutsideRoot {
                through_link: false,
            });
        }
        let canonical = absolute.canonicalize().map_err(|e| ReadError::io(&e))?;
        if !canonical.starts_with(&self.dir) {
            return Err(ReadError::OutsideRoot { through_link: true });
        }
        Ok(canonical)
    }

    /// Where a reference written in a file in `base_dir` leads, if it stays inside the root:
    /// its canonical path. Nothing is opened.
    pub fn resolve(&self, base_dir: &Path, written: &str) -> Result<PathBuf, ReadError> {
        let path = Path::new(written);
        if path.has_root()
            || path
                .components()
                .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
        {
            return Err(ReadError::Absolute);
        }
        // The referencing file's directory is one the user let in: resolving it tells nothing.
        let base = base_dir
            .canonicalize()
            .unwrap_or_else(|_| base_dir.to_path_buf());
        self.check(&base.join(path))
    }

    /// Read, as UTF-8 text, a file a reference leads to (see [`Root::resolve`]): its
    /// canonical path and text.
    pub fn read_reference(
        &self,
        base_dir: &Path,
        written: &str,
    ) -> Result<(PathBuf, String), ReadError> {
        let canonical = self.resolve(base_dir, written)?;
        let text = self.read_inside(&canonical)?;
        Ok((canonical, text))
    }

    /// Read a file found beside an input (a paired parameters file): only when it is inside
    /// the root.
    pub fn read_beside(&self, path: &Path) -> Result<String, ReadError> {
        let canonical = self.check(path)?;
        self.read_inside(&canonical)
    }

    /// Read a path [`Root::resolve`] gave.
    pub fn read_resolved(&self, canonical: &Path) -> Result<String, ReadError> {
        self.read_inside(canonical)
    }

    /// Read a canonical path inside the root. The last component is not followed if it has
    /// become a symbolic link since it was resolved.
    fn read_inside(&self, canonical: &Path) -> Result<String, ReadError> {
        utf8(read_bytes(canonical, false)?)
    }
}

/// `.` and `dir/..` resolved without touching the file system.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_files_are_refused_without_reading() {
        #[cfg(unix)]
        {
            assert_eq!(
                text(Path::new("/dev/zero")),
                Err(ReadError::NotRegular("character device"))
            );
            let dir = tempfile::tempdir().unwrap();
            let fifo = dir.path().join("fifo");
            // mkfifo(1), not libc: the crate forbids unsafe code.
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            assert!(made.is_ok_and(|s| s.success()), "mkfifo");
            // No writer: a blocking open would hang here.
            assert_eq!(text(&fifo), Err(ReadError::NotRegular("FIFO")));
        }
        assert_eq!(text(Path::new(".")), Err(ReadError::IsDirectory));
    }

    #[test]
    fn invalid_utf8_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, b"ab\ncd\xffe").unwrap();
        assert_eq!(
            text(&p),
            Err(ReadError::InvalidUtf8 {
                line: 2,
                column: 3,
                offset: 5
            })
        );
    }

    #[test]
    fn references_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("infra/modules")).unwrap();
        std::fs::write(root.join("infra/modules/m.bicep"), "x").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s3cret").unwrap();
        let r = Root::new(&root).unwrap();
        let base = root.join("infra");
        assert_eq!(r.read_reference(&base, "./modules/m.bicep").unwrap().1, "x");
        assert_eq!(
            r.read_reference(&base, "modules/../modules/m.bicep")
                .unwrap()
                .1,
            "x"
        );
        assert_eq!(
            r.read_reference(&base, "../../secret.txt"),
            Err(ReadError::OutsideRoot {
                through_link: false
            })
        );
        assert_eq!(
            r.read_reference(&base, "/etc/passwd"),
            Err(ReadError::Absolute)
        );
        assert_eq!(
            r.read_reference(&base, "missing.bicep"),
            Err(ReadError::NotFound)
        );
        // Outside, existing or not, the answer is the same: nothing about the file is told.
        for outside in ["../../secret.txt", "../../no-such-file"] {
            assert_eq!(
                r.read_reference(&base, outside),
                Err(ReadError::OutsideRoot {
                    through_link: false
                })
            );
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.txt"), base.join("link.bicep"))
                .unwrap();
            assert_eq!(
                r.read_reference(&base, "link.bicep"),
                Err(ReadError::OutsideRoot { through_link: true })
            );
            std::os::unix::fs::symlink("/dev/zero", base.join("zero.bicep")).unwrap();
            assert!(matches!(
                r.read_reference(&base, "zero.bicep"),
                Err(ReadError::OutsideRoot { .. })
            ));
        }
        // The error never holds the file's text.
        let e = r.read_reference(&base, "../../secret.txt").unwrap_err();
        assert!(!e.to_string().contains("s3cret"));
    }

    #[test]
    fn the_root_is_the_repository_top() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("a/b")).unwrap();
        std::fs::write(repo.join(".git"), "gitdir: elsewhere").unwrap();
        let found = Root::discover(&repo.join("a/b")).unwrap();
        assert_eq!(found.path(), repo.canonicalize().unwrap());
        let plain = Root::discover(dir.path()).unwrap();
        assert_eq!(plain.path(), dir.path().canonicalize().unwrap());
    }
}
