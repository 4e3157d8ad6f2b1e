//! `acr-cmk lint` end to end, on behaviour owned by the driver (exit codes, configuration
//! errors, --output, the summary line); finding tests live with the rules and front ends.

use std::path::Path;
use std::process::{Command, Output};

fn lint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .arg("lint")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, t) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
    dir
}

const BICEP: &str = "@description('The location')\nparam location string = 'westeurope'\n";

#[test]
fn a_missing_path_exits_2_and_names_it() {
    let dir = tree(&[("main.bicep", BICEP)]);
    let out = lint(dir.path(), &["main.bicep", "nope.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("error: nope.json: no such file or directory"),
        "{stdout}"
    );
    // The other file is still checked.
    assert!(stdout.ends_with("(1 file checked)\n"), "{stdout}");
}

#[test]
fn summary_line_and_clean_exit() {
    let dir = tree(&[("infra/main.bicep", BICEP), ("infra/other.bicep", BICEP)]);
    let out = lint(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "0 errors, 0 warnings, 0 notes in 0 files (2 files checked)\n"
    );
}

#[test]
fn invalid_utf8_is_an_error_for_that_file_only() {
    let dir = tree(&[("main.bicep", BICEP)]);
    std::fs::write(dir.path().join("bad.bicep"), b"param x string = '\xff'\n").unwrap();
    let out = lint(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("error: bad.bicep: invalid UTF-8 at line 1"),
        "{stdout}"
    );
    assert!(stdout.ends_with("(1 file checked)\n"), "{stdout}");
}

#[test]
fn config_errors_are_located_and_exit_2() {
    let dir = tree(&[
        ("main.bicep", BICEP),
        ("acr-cmk.toml", "[rules]\nSUP001 = \"loud\"\n"),
    ]);
    // Found upward from a subdirectory.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let out = lint(&dir.path().join("sub"), &["../main.bicep"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("unknown level `loud`"), "{stderr}");
    assert!(stderr.contains("acr-cmk.toml:2:10"), "{stderr}");
    assert!(out.stdout.is_empty());
    // --config names another file; a good one lets the run go on.
    std::fs::write(dir.path().join("good.toml"), "cmk-required = true\n").unwrap();
    let out = lint(dir.path(), &["--config", "good.toml", "main.bicep"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn output_file_is_written_in_the_chosen_format() {
    let dir = tree(&[("main.bicep", BICEP)]);
    let out = lint(
        dir.path(),
        &["--format", "sarif", "--output", "acr-cmk.sarif", "."],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    // The summary still goes to stderr.
    assert!(text(&out.stderr).contains("(1 file checked)"));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("acr-cmk.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["name"], "acr-cmk");
    #[cfg(unix)]
    {
        // An ordinary file, not one private to the owner like a temporary file.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("acr-cmk.sarif"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    let out = lint(
        dir.path(),
        &["--format", "json", "-o", "report.json", "main.bicep"],
    );
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["summary"]["files_checked"], 1);
}

#[test]
fn with_output_problems_still_show_on_stderr() {
    let dir = tree(&[("main.bicep", BICEP)]);
    let out = lint(
        dir.path(),
        &["-o", "report.txt", "main.bicep", "gone.bicep"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: gone.bicep: no such file or directory\n0 errors, 0 warnings, 0 notes in 0 files (1 file checked)\n"
    );
    let report = std::fs::read_to_string(dir.path().join("report.txt")).unwrap();
    assert!(report.contains("error: gone.bicep: no such file or directory"));
}

#[test]
fn an_unwritable_output_exits_2() {
    let dir = tree(&[("main.bicep", BICEP)]);
    let out = lint(
        dir.path(),
        &["--output", "no/such/dir/report.txt", "main.bicep"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot write no/such/dir/report.txt"));
}

#[test]
fn verbose_lists_skipped_files_and_excludes_apply() {
    let dir = tree(&[
        ("main.bicep", BICEP),
        ("package.json", "{\"name\": \"web\"}"),
        ("gen/x.bicep", BICEP),
    ]);
    let out = lint(dir.path(), &["-v", "--exclude", "gen", "."]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("skipped package.json: "), "{stdout}");
    assert!(stdout.ends_with("(1 file checked)\n"), "{stdout}");
}

#[test]
fn a_bad_exclude_glob_is_a_usage_error() {
    let dir = tree(&[("main.bicep", BICEP)]);
    let out = lint(dir.path(), &["--exclude", "a[", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid --exclude glob `a[`"));
}

#[test]
fn a_closed_stdout_exits_quietly() {
    // Enough skipped files that the verbose listing overflows the pipe buffer.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..1500 {
        std::fs::write(dir.path().join(format!("not-a-template-{i:04}.json")), "{}").unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .args(["lint", "-v", "."])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}
