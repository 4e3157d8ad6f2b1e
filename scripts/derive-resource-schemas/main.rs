//! `cargo run --example derive-resource-schemas -- [ARM_SCHEMAS_DIR]`: regenerate
//! `schemas/arm-schemas.derived.json` from the official ARM schemas (default directory:
//! `../shared/arm-schemas` beside the checkout). See `derive.rs` for what it does and why.

mod derive;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let crate_root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_root.join("../shared/arm-schemas"));
    let overrides = match std::fs::read_to_string(
        crate_root.join("scripts/derive-resource-schemas/overrides.json"),
    ) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: overrides.json: {e}");
            return ExitCode::from(2);
        }
    };
    match derive::derive(&source, &overrides) {
        Ok(text) => {
            let out = crate_root.join(derive::ARTEFACT);
            if let Err(e) = std::fs::write(&out, text) {
                eprintln!("error: {}: {e}", out.display());
                return ExitCode::from(2);
            }
            eprintln!("wrote {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
