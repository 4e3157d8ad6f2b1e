//! `acr-cmk validate SPEC...`: the build pipeline without writing anything.

use crate::exit::Exit;
use crate::report::human::Style;
use std::path::{Path, PathBuf};

pub fn run(specs: &[PathBuf]) -> Exit {
    let style = Style::for_stderr();
    let mut exit = Exit::Ok;
    for spec in specs {
        let (e, _) = super::build::compile_file(spec, Path::new("out"), style);
        if e == Exit::Ok {
            println!("{}: ok", spec.display());
        }
        exit = exit.max(e);
    }
    exit
}
