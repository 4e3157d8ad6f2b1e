//! `acr-cmk lint`: resolve settings → `lint::run` → write the report → exit code.

use crate::cli::{FailOn, LintArgs};
use crate::exit::Exit;
use crate::finding::Level;
use crate::lint::{self, Settings, config, discover::Excludes};
use crate::read::Root;
use crate::report::{self, human::Style};
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
    let exit = report.exit(fail_on(args.fail_on));
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
