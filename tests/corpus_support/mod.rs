//! Shared by the tests that read the reference corpus: where it is, and walking it.
//! Not every test crate uses every function.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// A file's text, read from disk once per test binary whichever test asks first (the corpus
/// tests share one binary, so the 34 MB corpus is read once for all of them).
pub fn text(path: impl AsRef<Path>) -> std::io::Result<String> {
    static TEXTS: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    let path = path.as_ref();
    let texts = TEXTS.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(t) = texts.lock().unwrap_or_else(|e| e.into_inner()).get(path) {
        return Ok(t.clone());
    }
    let t = std::fs::read_to_string(path)?;
    texts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(path.to_path_buf(), t.clone());
    Ok(t)
}

/// `../shared/corpus/<sub>` beside the checkout. Missing: a test failure when `CI` is set (the
/// data is part of the CI contract), a note and a skip otherwise.
pub fn corpus(sub: &str) -> Option<PathBuf> {
    shared(&Path::new("corpus").join(sub).to_string_lossy())
}

/// `../shared/<rel>` beside the checkout, with the same CI contract as [`corpus`].
pub fn shared(rel: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    present_or_skip(&dir, std::env::var_os("CI").is_some())
}

/// `dir` when it exists; when it does not, a panic (a test failure) under CI, a note and `None`
/// (the caller skips) otherwise.
pub fn present_or_skip(dir: &Path, ci: bool) -> Option<PathBuf> {
    if dir.exists() {
        return Some(dir.to_path_buf());
    }
    assert!(!ci, "{} missing (required when CI is set)", dir.display());
    eprintln!("note: {} missing; test skipped", dir.display());
    None
}

/// Every file below `root` that `keep` accepts, sorted (deterministic test order).
pub fn files(root: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if keep(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The lint root for corpus files: the corpus directory (it is outside the checkout, and the
/// front ends follow references only inside the root).
pub fn root() -> acr_cmk::read::Root {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    acr_cmk::read::Root::new(&dir).unwrap_or_else(|_| acr_cmk::read::Root::nothing())
}
