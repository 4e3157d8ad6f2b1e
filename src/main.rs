//! Thin binary: parse arguments, run, map to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = acr_cmk::cli::Cli::parse();
    acr_cmk::run(cli).into()
}
