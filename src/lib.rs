//! acr-cmk: generate, validate and lint Azure Container Registry customer-managed-key deployments.

pub mod arm;
pub mod azure;
pub mod bicep;
pub mod cli;
pub mod commands;
pub mod finding;
pub mod generate;
pub mod lint;
pub mod model;
pub mod quote;
pub mod read;
pub mod report;
pub mod rules;
pub mod schema;
pub mod source;
pub mod spec;
pub mod unit;

/// Process exit status, documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Nothing to report.
    Ok = 0,
    /// Rule violations at or above the threshold, or drift with `build --check`.
    Findings = 1,
    /// Usage error, unreadable or unparseable input, I/O failure.
    Error = 2,
}

impl Exit {
    /// Combine two statuses: the worse wins.
    pub fn max(self, other: Exit) -> Exit {
        if (other as u8) > (self as u8) {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

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
        Command::Lint(args) => commands::lint::run(&args),
        Command::Explain { code } => commands::explain::run(&code),
        Command::Rules { format } => commands::rules::run(format),
    }
}
