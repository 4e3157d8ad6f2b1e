//! Raw command-line arguments (clap). Resolved settings live with the commands that use them.

use crate::report::Format;
use clap::{ArgGroup, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "acr-cmk",
    version,
    about = "Generate, validate and lint Azure Container Registry customer-managed-key deployments",
    long_about = None,
    after_help = "Exit codes: 0 ok · 1 rule violations (or drift with --check) · 2 usage error, unreadable or unparseable input, I/O failure, nothing checked with --fail-on-empty"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a commented starter spec (refuses to overwrite an existing file).
    Init {
        /// Where to write the spec.
        #[arg(default_value = "acr-cmk.spec.toml")]
        path: PathBuf,
    },
    /// Compile TOML specs into CMKtemplate.json, its parameters, Bicep and deploy.sh.
    Build {
        /// Spec files (TOML, one registry each; `acr-cmk init` writes a commented one). Every
        /// spec is checked and its files generated and validated before anything is written.
        #[arg(required = true, value_name = "SPECS")]
        specs: Vec<PathBuf>,
        /// Output directory (several specs build into DIR/<spec stem>/).
        #[arg(long, default_value = "out")]
        out_dir: PathBuf,
        /// Write nothing; exit 1 and print a diff when the files on disk differ.
        #[arg(long)]
        check: bool,
    },
    /// Validate specs and their generated templates without writing anything.
    Validate {
        /// Spec files (TOML, one registry each) to check, with the files they generate.
        #[arg(required = true, value_name = "SPECS")]
        specs: Vec<PathBuf>,
    },
    /// Write rotate.sh: rotate the key or the key-access identity of a deployed registry.
    Rotate(RotateArgs),
    /// Lint ARM JSON templates, parameter files, Bicep and .bicepparam files.
    Lint(LintArgs),
    /// Print the documentation of a rule.
    Explain {
        /// Rule code (CMK003) or name (content-trust-unsupported).
        code: String,
    },
    /// List the rule catalogue.
    Rules {
        #[arg(long, value_enum, default_value_t = CatalogFormat::Text)]
        format: CatalogFormat,
    },
}

/// `acr-cmk rotate`: exactly one change per run.
#[derive(clap::Args, Debug, Clone)]
#[command(
    group(ArgGroup::new("change").required(true).multiple(false)
        .args(["new_version", "key_version", "automatic", "manual", "identity"])),
    after_long_help = ROTATE_HELP
)]
pub struct RotateArgs {
    /// The spec of the deployed registry (as deployed: rotate.sh first checks that the registry
    /// uses the key the spec says).
    pub spec: PathBuf,
    /// Where rotate.sh is written.
    #[arg(long, default_value = "out")]
    pub out_dir: PathBuf,
    /// Create a new version of the key (az keyvault key create). A registry on the versionless
    /// key id (automatic rotation) picks it up within an hour; a registry pinned to a version
    /// (manual rotation) is then rotated to it (az acr encryption rotate-key).
    #[arg(long)]
    pub new_version: bool,
    /// Rotate a registry pinned to a version (manual rotation) to this existing version (32
    /// hexadecimal characters); it must be enabled and not expired.
    #[arg(long, value_name = "VERSION")]
    pub key_version: Option<String>,
    /// Switch to the versionless key id: the registry follows new key versions.
    #[arg(long)]
    pub automatic: bool,
    /// Switch to a versioned key id: pinned to VERSION, or to the key's current version
    /// (read when rotate.sh runs).
    #[arg(long, value_name = "VERSION", num_args = 0..=1, require_equals = true)]
    pub manual: Option<Option<String>>,
    /// Reach the key through another identity: `system` (the registry's system-assigned
    /// identity), or a user-assigned identity by resource id or by name (in the registry's
    /// resource group). rotate.sh assigns it to the registry and grants it on the vault first.
    #[arg(long, value_name = "system|IDENTITY")]
    pub identity: Option<String>,
    /// rotate.sh records the rotation in the spec once the registry confirms it (it runs
    /// `acr-cmk rotate SPEC … --spec-only`; ACR_CMK names another acr-cmk).
    #[arg(long)]
    pub write_spec: bool,
    /// Write no script: record in the spec a rotation that is done (what rotate.sh runs with
    /// --write-spec). Comments and layout are kept; the spec is replaced atomically.
    #[arg(long, conflicts_with_all = ["write_spec", "out_dir"])]
    pub spec_only: bool,
}

const ROTATE_HELP: &str = "\
When the spec is written: never before the registry is rotated. With --write-spec, rotate.sh ends
(after `az acr encryption show` confirms the new key id) by running `acr-cmk rotate SPEC <change>
--spec-only` with the values known only then (the new version, the current version). A replaced
version goes to key.previous_versions. `--identity system` records identity.encryption = \"system\".

Exit codes: 0 ok (also: --spec-only when the spec already says so) · 2 usage error (a change that
does not apply to the spec, located in it), unreadable or invalid spec, I/O failure";

#[derive(clap::Args, Debug, Clone)]
pub struct LintArgs {
    /// Files and directories (directories are walked recursively, honouring .gitignore).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// ARM parameters file to apply (repeatable; later files win).
    #[arg(long = "parameters", short = 'p')]
    pub parameters: Vec<PathBuf>,
    /// Skip paths matching this glob (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Lowest level that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Configuration file (default: acr-cmk.toml found upward from the working directory).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The previously deployed version, for CMK010, CMK026 and CMK027: a FILE (compared with the one
    /// linted template, or with the templates of the same file name) or a DIRECTORY laid out like
    /// the linted one (each template is compared with the file at its relative path). The
    /// baseline is read with its own parameters file beside it (`X.parameters.json`,
    /// `X.bicepparam`), else with the template's.
    #[arg(long, value_name = "FILE|DIR")]
    pub baseline: Option<PathBuf>,
    /// Modules, imports and linked templates are read only inside this directory (default:
    /// the repository's top level, else the working directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Also list skipped files.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Exit 2 when no template, parameters file or Bicep file was checked (a wrong path or
    /// exclude in CI); also `fail-on-empty = true` in acr-cmk.toml.
    #[arg(long)]
    pub fail_on_empty: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Note,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatalogFormat {
    Text,
    Json,
    /// The README's rule table (a test keeps the two equal).
    Markdown,
}
