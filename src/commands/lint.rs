//! `acr-cmk lint`: resolve settings → `lint::run` → write the report → exit code.

use crate::cli::{FailOn, LintArgs};
use crate::exit::Exit;
use crate::finding::Level;
use crate::lint::discover::{self, Excludes};
use crate::lint::{self, Settings, config};
use crate::read::Root;
use crate::report::{self, Format, human::Style};
use std::io::Write;

pub fn run(args: &LintArgs) -> Exit {
    let settings = match settings(args) {
        Ok(s) => s,
        Err(message) => {
            eprint!("{message}");
            return Exit::Error;
        }
    };
    let report = lint::run(&settings);
    let mut exit = report.exit(fail_on(args.fail_on));
    let listed_on_stdout = args.verbose && args.format == Format::Human && args.output.is_none();
    if !listed_on_stdout {
        for s in named_and_skipped(args, &report) {
            eprintln!("note: {} was not checked: {}", s.file, s.reason);
        }
    }
    if report.templates_checked == 0 {
        let fail = args.fail_on_empty || settings.config.fail_on_empty;
        let skipped = match report.skipped.len() {
            0 => String::new(),
            n => format!(
                " ({n} file{} skipped{})",
                if n == 1 { "" } else { "s" },
                if args.verbose { "" } else { "; -v lists them" }
            ),
        };
        if fail {
            eprintln!(
                "error: no ARM template or Bicep file was checked{skipped}; failing as --fail-on-empty asks"
            );
            exit = exit.max(Exit::Error);
        } else {
            eprintln!("warning: no ARM template or Bicep file was checked{skipped}");
        }
    }
    match &args.output {
        Some(path) => {
            let text = report::render(&report, args.format, Style::plain(), args.verbose);
            if let Err(e) = lint::write_atomic(path, &text) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return Exit::Error;
            }
            // The report went to a file: still say what could not be linted, and how it went.
            for p in &report.problems {
                eprintln!("error: {}: {}", p.file, p.message);
            }
            eprintln!("{}", report.summary().line());
        }
        None => {
            let text = report::render(&report, args.format, Style::for_stdout(), args.verbose);
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                // `acr-cmk lint . | head`: the reader went away; that is not an error to report.
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    eprintln!("error: cannot write the report: {e}");
                    return Exit::Error;
                }
            }
        }
    }
    exit
}

/// The files named on the command line that were not linted: pre-commit names every staged
/// file, and a user who names a file expects to hear why nothing was said about it.
fn named_and_skipped<'r>(
    args: &LintArgs,
    report: &'r report::Report,
) -> impl Iterator<Item = &'r report::Skipped> {
    let named: std::collections::HashSet<String> =
        args.paths.iter().map(|p| discover::display(p)).collect();
    report
        .skipped
        .iter()
        .filter(move |s| named.contains(&s.file))
}

fn fail_on(f: FailOn) -> Level {
    match f {
        FailOn::Error => Level::Error,
        FailOn::Warning => Level::Warning,
        FailOn::Note => Level::Note,
    }
}

/// Command line + configuration file → settings, or the error text to print.
fn settings(args: &LintArgs) -> Result<Settings, String> {
    let cwd = std::env::current_dir()
        .map_err(|e| format!("error: cannot read the working directory: {e}\n"))?;
    let root = match &args.root {
        Some(dir) => {
            Root::new(dir).map_err(|e| format!("error: --root {}: {e}\n", dir.display()))?
        }
        None => {
            Root::discover(&cwd).map_err(|e| format!("error: cannot find the lint root: {e}\n"))?
        }
    };
    let config = config::load_in(args.config.as_deref(), &cwd, &root)
        .map_err(|e| e.render(Style::for_stderr().color))?;
    let excludes = Excludes::new(&args.exclude, &config.exclude, config.base_dir(), &cwd)
        .map_err(|e| format!("error: {e}\n"))?;
    Ok(Settings {
        paths: args.paths.clone(),
        parameters: args.parameters.clone(),
        excludes,
        config,
        baseline: args.baseline.clone(),
        root,
    })
}
