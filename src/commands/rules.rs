use crate::Exit;
use crate::cli::CatalogFormat;

pub fn run(_format: CatalogFormat) -> Exit {
    eprintln!("rules: not implemented yet");
    Exit::Error
}
