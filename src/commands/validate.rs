use crate::Exit;
use std::path::PathBuf;

pub fn run(_specs: &[PathBuf]) -> Exit {
    eprintln!("validate: not implemented yet");
    Exit::Error
}
