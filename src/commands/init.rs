use crate::Exit;
use std::path::Path;

pub fn run(_path: &Path) -> Exit {
    eprintln!("init: not implemented yet");
    Exit::Error
}
