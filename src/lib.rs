//! acr-cmk: generate, validate and lint Azure Container Registry customer-managed-key deployments.

pub mod arm;
pub(crate) mod azure;
pub mod bicep;
pub mod cli;
pub mod commands;
pub mod eval;
pub mod exit;
pub mod finding;
pub mod generate;
pub mod lint;
pub mod model;
pub mod placeholders;
pub(crate) mod query;
pub mod quote;
pub mod read;
pub mod report;
pub mod rules;
pub mod schema;
pub mod source;
pub mod spec;
pub mod unit;

pub use exit::Exit;

/// Run a parsed command line.
pub fn run(cli: cli::Cli) -> Exit {
    use cli::Command;
    match cli.command {
        Command::Init { path } => commands::init::run(&path),
        Command::Build {
            specs,
            out_dir,
            check,
        } => commands::build::run(&specs, &out_dir, check),
        Command::Validate { specs } => commands::validate::run(&specs),
        Command::Rotate(args) => commands::rotate::run(&args),
        Command::Lint(args) => commands::lint::run(&args),
        Command::Explain { code } => commands::explain::run(&code),
        Command::Rules { format } => commands::rules::run(format),
    }
}
