use crate::Exit;

pub fn run(_code: &str) -> Exit {
    eprintln!("explain: not implemented yet");
    Exit::Error
}
