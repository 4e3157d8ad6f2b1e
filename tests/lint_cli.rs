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
    assert!(
        stdout.ends_with("1 file checked: no findings\n"),
        "{stdout}"
    );
}

#[test]
fn summary_line_and_clean_exit() {
    let dir = tree(&[("infra/main.bicep", BICEP), ("infra/other.bicep", BICEP)]);
    let out = lint(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "2 files checked: no findings\n");
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
    assert!(
        stdout.ends_with("1 file checked: no findings\n"),
        "{stdout}"
    );
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
    assert!(stderr.contains("CFG001(invalid-config)"), "{stderr}");
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
    assert!(text(&out.stderr).contains("1 file checked: no findings"));
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
        "error: gone.bicep: no such file or directory\n1 file checked: no findings\n"
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
    assert!(
        stdout.ends_with("1 file checked: no findings\n"),
        "{stdout}"
    );
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
    // No complaint about the pipe; only that nothing was checked.
    assert_eq!(
        text(&out.stderr),
        "warning: no ARM template or Bicep file was checked (1500 files skipped)\n"
    );
    assert_eq!(out.status.code(), Some(0));
}

const NOT_CHECKED: &str = "warning: no ARM template or Bicep file was checked";

/// Issue 9 item 2: a run that checks nothing says so, whatever was given.
#[test]
fn a_run_that_checks_nothing_says_so_and_can_fail() {
    let dir = tree(&[
        ("notes.txt", "remember the key\n"),
        ("web/package.json", "{\"name\": \"web\"}"),
        ("web/tsconfig.json", "{\"compilerOptions\": {},}"),
    ]);
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    // A file named on the command line that is not linted says why, on stderr, without -v.
    let out = lint(dir.path(), &["notes.txt"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stderr),
        format!(
            "note: notes.txt was not checked: not a .json, .jsonc, .bicep or .bicepparam file\n\
             {NOT_CHECKED} (1 file skipped; -v lists them)\n"
        )
    );
    assert_eq!(text(&out.stdout), "0 files checked: no findings\n");
    // An empty directory, a directory of JSON that is not a template.
    for path in ["empty", "web"] {
        let out = lint(dir.path(), &[path]);
        assert_eq!(out.status.code(), Some(0), "{path}");
        assert!(
            text(&out.stderr).starts_with(NOT_CHECKED),
            "{path}: {}",
            text(&out.stderr)
        );
    }
    // Pre-commit with only a package.json staged: passes, and says why nothing was checked.
    let out = lint(dir.path(), &["web/package.json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).starts_with(
            "note: web/package.json was not checked: not an ARM template or parameters file\n"
        ),
        "{}",
        text(&out.stderr)
    );
    // --fail-on-empty, or the configuration, makes it a failure for CI (exit 2).
    let out = lint(dir.path(), &["--fail-on-empty", "web"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with(
            "error: no ARM template or Bicep file was checked (2 files skipped; -v lists them); failing as --fail-on-empty asks\n"
        ),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(dir.path().join("acr-cmk.toml"), "fail-on-empty = true\n").unwrap();
    assert_eq!(lint(dir.path(), &["empty"]).status.code(), Some(2));
    // A run that checks something is not affected.
    std::fs::write(dir.path().join("main.bicep"), BICEP).unwrap();
    let out = lint(dir.path(), &["main.bicep", "notes.txt"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains(NOT_CHECKED));
}

/// Issue 9 items 2 and 12: a hand-written template without `$schema` is linted and told; a
/// parameters file without its template is not silently counted as checked.
#[test]
fn a_template_without_schema_is_linted_and_an_orphan_parameters_file_is_named() {
    let template = r#"{
  "contentVersion": "1.0.0.0",
  "resources": [
    { "type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2025-11-01",
      "name": "acrcmk01", "location": "westeurope", "sku": { "name": "Basic" },
      "properties": { "encryption": { "status": "enabled" } } }
  ]
}
"#;
    let params = r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "contentVersion": "1.0.0.0", "parameters": {}}"#;
    let dir = tree(&[("x.json", template), ("prod.parameters.json", params)]);
    let out = lint(dir.path(), &["--format", "json", "x.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<(&str, u64, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    // The missing schema at the opening brace, and the template's own mistakes (CMK on Basic).
    assert!(codes.contains(&("ARM001", 1, 1)), "{codes:?}");
    assert!(codes.iter().any(|(c, _, _)| *c == "CMK001"), "{codes:?}");

    let out = lint(dir.path(), &["prod.parameters.json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stderr),
        format!(
            "note: prod.parameters.json was not checked: no template prod.json or prod.jsonc beside this parameters file; lint its template with `--parameters prod.parameters.json`\n\
             {NOT_CHECKED} (1 file skipped; -v lists them)\n"
        )
    );
    assert_eq!(text(&out.stdout), "0 files checked: no findings\n");
}
