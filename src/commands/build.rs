use crate::Exit;
use std::path::{Path, PathBuf};

pub fn run(_specs: &[PathBuf], _out_dir: &Path, _check: bool) -> Exit {
    eprintln!("build: not implemented yet");
    Exit::Error
}
