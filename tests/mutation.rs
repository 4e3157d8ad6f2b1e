//! A bounded mutation test on stable (issue 8): the examples and fixtures, mutated by a seeded
//! and therefore reproducible generator (byte flips, truncation, duplication, deep nesting,
//! quote injection, invalid UTF-8), pushed through the release pipeline as users run it — the
//! built binary, `lint` in every output format, `validate` for specs, `--config` for the
//! configuration. Asserted: no panic, an exit code in {0, 1, 2}, and whenever the code is 2 an
//! error located as file:line:col. The long, coverage-guided fuzz lives in `fuzz/`.
//!
//! Mutants are linted in batches (one process per batch and format): a debug binary costs
//! about 0.1 s to start, and a batch shows the same per-file results.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Mutations per seed file.
const MUTANTS_PER_SEED: usize = 2;

/// xorshift64*: deterministic, no dependency; the same seed gives the same mutants forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of `bytes`, chosen by `rng`; `name` says which, for failure messages.
fn mutate(bytes: &[u8], rng: &mut Rng) -> (&'static str, Vec<u8>) {
    let mut out = bytes.to_vec();
    let at = rng.below(out.len() + 1);
    let kind = rng.below(7);
    let name = match kind {
        0 => {
            for _ in 0..1 + rng.below(8) {
                if !out.is_empty() {
                    let i = rng.below(out.len());
                    out[i] ^= 1 << rng.below(8);
                }
            }
            "byte flips"
        }
        1 => {
            out.truncate(at);
            "truncation"
        }
        2 => {
            let len = rng.below(200).min(out.len() - at.min(out.len()));
            let slice = out[at..at + len].to_vec();
            for _ in 0..1 + rng.below(20) {
                out.splice(at..at, slice.iter().copied());
            }
            "duplication"
        }
        3 => {
            let (open, close) =
                [("[", "]"), ("{", "}"), ("(", ")"), ("{\"a\":", "}")][rng.below(4)];
            let depth = 100 + rng.below(3_000);
            let nested = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            out.splice(at..at, nested.into_bytes());
            "deep nesting"
        }
        4 => {
            let quote = ["\"", "'", "\\", "${", "[", "'''", "\"\"\"", "*/", "/*"][rng.below(9)];
            out.splice(at..at, quote.bytes());
            "quote injection"
        }
        5 => {
            let bad: &[u8] =
                [&[0xff][..], &[0xc3], &[0xe2, 0x82], &[0xed, 0xa0, 0x80]][rng.below(4)];
            out.splice(at..at, bad.iter().copied());
            "invalid UTF-8"
        }
        _ => {
            // Controls and other characters the terminal-safe report escapes.
            let s = ["\u{0}", "\u{1b}[31m", "\u{202e}", "\r", "\t", "é"][rng.below(6)];
            out.splice(at..at, s.bytes());
            "control characters"
        }
    };
    (name, out)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The seed files of one kind, by extension, under `dirs`.
fn seeds(dirs: &[&str], ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| root().join(d)).collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Write `MUTANTS_PER_SEED` mutants of every seed into `dir` as `m<N>.<ext>`; returns
/// (file name, description) pairs.
fn write_mutants(dir: &Path, seeds: &[PathBuf], ext: &str, rng: &mut Rng) -> Vec<(String, String)> {
    let mut written = Vec::new();
    for seed in seeds {
        let bytes = std::fs::read(seed).unwrap();
        for _ in 0..MUTANTS_PER_SEED {
            let (how, mutant) = mutate(&bytes, rng);
            let name = format!("m{}.{ext}", written.len());
            std::fs::write(dir.join(&name), mutant).unwrap();
            let seed = seed.strip_prefix(root()).unwrap_or(seed).display();
            written.push((name, format!("{how} of {seed}")));
        }
    }
    written
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn acr_cmk(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().expect("acr-cmk was killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// No panic, exit 0/1/2; `what` names the mutants for the failure message.
fn check_run(run: &Run, what: &str) {
    assert!(
        !run.stderr.contains("panicked") && !run.stdout.contains("internal error"),
        "{what}: a panic\n{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        matches!(run.code, 0..=2),
        "{what}: exit {}\n{}",
        run.code,
        run.stderr
    );
}

/// A miette location `[NAME:LINE:COL]` or a `NAME:LINE:COL` in text, for a file of `ext`.
fn has_location(text: &str, ext: &str) -> bool {
    text.split(&format!(".{ext}:")).skip(1).any(|rest| {
        let mut parts = rest.splitn(3, ':');
        let line = parts.next().unwrap_or("");
        let col: String = parts
            .next()
            .unwrap_or("")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        !line.is_empty() && line.chars().all(|c| c.is_ascii_digit()) && !col.is_empty()
    })
}

/// Lint the mutants in every format; exit 2 needs, per file that caused it, a located error:
/// an error finding with line and column, or a read problem that names its line and column
/// (invalid UTF-8).
fn lint_mutants(dir: &Path, mutants: &[(String, String)], ext: &str) {
    let what = |names: &[&str]| {
        mutants
            .iter()
            .filter(|(n, _)| names.contains(&n.as_str()))
            .map(|(n, how)| format!("{n}: {how}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    for batch in mutants.chunks(12) {
        let names: Vec<&str> = batch.iter().map(|(n, _)| n.as_str()).collect();
        let mut args = vec!["lint", "--config", "empty.toml", "--format", "json"];
        args.extend(&names);
        let run = acr_cmk(dir, &args);
        check_run(&run, &what(&names));
        let doc: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{}: report is not JSON: {e}", what(&names)));
        for problem in doc["errors"].as_array().unwrap() {
            let message = problem["message"].as_str().unwrap();
            assert!(
                message.contains(" line ") && message.contains(" column "),
                "{}: an unlocated error: {problem}",
                what(&names)
            );
        }
        if run.code == 2 {
            let located_error = doc["findings"].as_array().unwrap().iter().any(|f| {
                f["level"] == "error"
                    && f["line"].as_u64() >= Some(1)
                    && f["column"].as_u64() >= Some(1)
            });
            assert!(
                located_error || !doc["errors"].as_array().unwrap().is_empty(),
                "{}: exit 2 without a located error: {doc}",
                what(&names)
            );
        }
        {
            let format = "human";
            let mut args = vec!["lint", "--config", "empty.toml", "--format", format];
            args.extend(&names);
            let other = acr_cmk(dir, &args);
            check_run(&other, &format!("{format}: {}", what(&names)));
            assert_eq!(other.code, run.code, "{format}: {}", what(&names));
            if format == "human" && run.code == 2 && doc["errors"].as_array().unwrap().is_empty() {
                assert!(has_location(&other.stdout, ext), "{}", other.stdout);
            }
        }
    }
}

#[test]
fn mutated_templates_and_bicep_files_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.toml"), "").unwrap();
    let mut rng = Rng(0x5eed_acc0_c0de_0008);
    let json = seeds(&["tests/fixtures/arm", "tests/fixtures/lint"], "json");
    let mutants = write_mutants(dir.path(), &json, "json", &mut rng);
    lint_mutants(dir.path(), &mutants, "json");
    let bicep = seeds(&["tests/fixtures/bicep", "tests/fixtures/lint"], "bicep");
    let bicep_dir = dir.path().join("bicep");
    std::fs::create_dir(&bicep_dir).unwrap();
    std::fs::write(bicep_dir.join("empty.toml"), "").unwrap();
    let mutants = write_mutants(&bicep_dir, &bicep, "bicep", &mut rng);
    lint_mutants(&bicep_dir, &mutants, "bicep");
    let params = seeds(&["tests/fixtures/bicep"], "bicepparam");
    let mutants = write_mutants(&bicep_dir, &params, "bicepparam", &mut rng);
    lint_mutants(&bicep_dir, &mutants, "bicepparam");
}

#[test]
fn mutated_specs_fail_cleanly_in_validate() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_5bec_0000_0008);
    let specs = seeds(&["examples"], "toml");
    let mutants = write_mutants(dir.path(), &specs, "toml", &mut rng);
    // One spec per run: the exit code is per spec.
    for (name, how) in &mutants {
        let run = acr_cmk(dir.path(), &["validate", name]);
        check_run(&run, how);
        if run.code == 2 {
            assert!(
                has_location(&run.stderr, "toml") || run.stderr.contains("invalid UTF-8 at line "),
                "{how}: exit 2 without a location:\n{}",
                run.stderr
            );
        }
    }
}

#[test]
fn mutated_configurations_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let config = "cmk-required = true\nexclude = [\"generated/**\", \"*.test.json\"]\n\n[rules]\nCMK011 = \"off\"\nCMK012 = \"error\"\nSUP001 = \"note\"\n";
    let seed = dir.path().join("seed.toml");
    std::fs::write(&seed, config).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/rules/CMK001/good.json"),
        dir.path().join("main.json"),
    )
    .unwrap();
    let mut rng = Rng(0x5eed_c0f1_0000_0008);
    let mutants = write_mutants(dir.path(), &[seed], "toml", &mut rng);
    for (name, how) in &mutants {
        let run = acr_cmk(dir.path(), &["lint", "--config", name, "main.json"]);
        check_run(&run, how);
        if run.code == 2 {
            assert!(
                has_location(&run.stderr, "toml") || run.stderr.contains("invalid UTF-8 at line "),
                "{how}: exit 2 without a location:\n{}",
                run.stderr
            );
        }
    }
}
