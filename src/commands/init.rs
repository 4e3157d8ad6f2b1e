//! `acr-cmk init [PATH]`: write a commented starter spec; never overwrite.

use crate::exit::Exit;
use std::io::Write;
use std::path::Path;

/// The starter spec: the default scenario, every other key commented with its default.
pub const STARTER: &str = include_str!("../../templates/starter-spec.toml");

pub fn run(path: &Path) -> Exit {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "error: {} already exists; not overwriting it (choose another path)",
                path.display()
            );
            return Exit::Error;
        }
        Err(e) => {
            eprintln!("error: cannot create {}: {e}", path.display());
            return Exit::Error;
        }
    };
    if let Err(e) = file.write_all(STARTER.as_bytes()) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return Exit::Error;
    }
    println!(
        "wrote {}: edit the names and the key, then run acr-cmk build {}",
        path.display(),
        path.display()
    );
    Exit::Ok
}
