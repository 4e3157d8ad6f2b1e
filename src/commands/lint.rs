use crate::Exit;
use crate::cli::LintArgs;

pub fn run(_args: &LintArgs) -> Exit {
    eprintln!("lint: not implemented yet");
    Exit::Error
}
