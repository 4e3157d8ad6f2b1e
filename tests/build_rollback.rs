//! `build` and `build --check` warn when the key version the spec pins may roll the registry's
//! key back (CMK027): against the template a previous build left in the output directory, and
//! against the spec's own `key.previous_versions`. Warnings do not change the exit code. Last,
//! `lint --baseline` over two builds' outputs makes the same comparison.

use assert_cmd::Command;
use std::path::Path;

const OLD: &str = "0123456789abcdef0123456789abcdef";
const NEW: &str = "5c0f4b1e9a2d4c7f8e3b6a1d0c9f8e7d";

/// A spec pinning `version` (none: versionless), with `extra` lines in `[key]`. The version
/// is on line 9.
fn spec(version: Option<&str>, extra: &str) -> String {
    let version = version.map_or(String::new(), |v| format!("version = \"{v}\"\n"));
    format!(
        "[registry]\nname = \"contosorollback\"\n[identity]\nname = \"id-rollback\"\n[vault]\nname = \"kv-rollback\"\n[key]\nname = \"acr-cmk\"\n{version}{extra}"
    )
}

struct Run {
    code: Option<i32>,
    stderr: String,
}

/// `acr-cmk build spec.toml --out-dir out [--check]` in `dir`, after writing the spec.
fn build(dir: &Path, spec_text: &str, check: bool) -> Run {
    std::fs::write(dir.join("spec.toml"), spec_text).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_acr-cmk"));
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .args(["build", "spec.toml", "--out-dir", "out"]);
    if check {
        c.arg("--check");
    }
    let out = c.output().unwrap();
    Run {
        code: out.status.code(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn warnings(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("warning[CMK027]"))
        .collect()
}

#[test]
fn a_first_build_and_an_unchanged_rebuild_say_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let first = build(tmp.path(), &spec(Some(OLD), ""), false);
    assert_eq!((first.code, first.stderr.as_str()), (Some(0), ""));
    let again = build(tmp.path(), &spec(Some(OLD), ""), false);
    assert_eq!((again.code, again.stderr.as_str()), (Some(0), ""));
    // Moving to a versionless id follows the newest version: nothing rolls back.
    let automatic = build(tmp.path(), &spec(None, ""), false);
    assert_eq!((automatic.code, automatic.stderr.as_str()), (Some(0), ""));
}

#[test]
fn another_version_than_the_previous_build_is_a_warning_in_build_and_check() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(build(tmp.path(), &spec(Some(NEW), ""), false).code, Some(0));
    // --check compares with the same previous build: the same warning, and the drift.
    let check = build(tmp.path(), &spec(Some(OLD), ""), true);
    assert_eq!(check.code, Some(1), "{}", check.stderr);
    assert_eq!(warnings(&check).len(), 1, "{}", check.stderr);
    let run = build(tmp.path(), &spec(Some(OLD), ""), false);
    assert_eq!(run.code, Some(0), "a warning does not fail the build");
    assert_eq!(
        warnings(&run),
        [format!(
            "warning[CMK027]: registry 'contosorollback': the key id moves from version {NEW} to {OLD} of key 'acr-cmk': if {OLD} is older than the version in use (after `az acr encryption rotate-key` or `acr-cmk rotate`), deploying rolls the registry's key back to it"
        )]
    );
    // Located at the spec's version.
    assert!(run.stderr.contains("--> spec.toml:9:11"), "{}", run.stderr);
    assert_eq!(warnings(&check), warnings(&run));
    // The build was written: the next one compares with it and is quiet.
    let after = build(tmp.path(), &spec(Some(OLD), ""), false);
    assert_eq!(after.stderr, "");
}

#[test]
fn pinning_a_version_where_the_previous_build_was_versionless_is_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    build(tmp.path(), &spec(None, ""), false);
    let run = build(tmp.path(), &spec(Some(OLD), ""), false);
    assert_eq!(run.code, Some(0));
    let w = warnings(&run);
    assert_eq!(w.len(), 1, "{}", run.stderr);
    assert!(
        w[0].contains("the previous version of the template is versionless"),
        "{}",
        w[0]
    );
}

#[test]
fn a_version_listed_as_used_before_is_a_warning_even_on_a_first_build() {
    let tmp = tempfile::tempdir().unwrap();
    let listed = spec(Some(OLD), &format!("previous_versions = [\"{OLD}\"]\n"));
    let run = build(tmp.path(), &listed, false);
    assert_eq!(run.code, Some(0));
    assert_eq!(
        warnings(&run),
        [format!(
            "warning[CMK027]: registry 'contosorollback': key version {OLD} of key 'acr-cmk' is one this registry used before (key.previous_versions lists it): deploying rolls the registry's key back to an older version"
        )]
    );
    // Said once, also when the previous build pins another version.
    let tmp = tempfile::tempdir().unwrap();
    build(tmp.path(), &spec(Some(NEW), ""), false);
    assert_eq!(warnings(&build(tmp.path(), &listed, false)).len(), 1);
}

#[test]
fn a_previous_build_of_another_registry_is_not_compared() {
    let tmp = tempfile::tempdir().unwrap();
    build(tmp.path(), &spec(Some(NEW), ""), false);
    let other = spec(Some(OLD), "").replace("contosorollback", "contosoother");
    let run = build(tmp.path(), &other, false);
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
}

#[test]
fn a_rotation_the_spec_records_is_not_a_rollback() {
    // What `acr-cmk rotate --write-spec` leaves: the new version pinned, the old one listed.
    let tmp = tempfile::tempdir().unwrap();
    build(tmp.path(), &spec(Some(OLD), ""), false);
    let rotated = spec(Some(NEW), &format!("previous_versions = [\"{OLD}\"]\n"));
    let run = build(tmp.path(), &rotated, false);
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
}

#[test]
fn a_previous_build_that_cannot_be_read_is_said_not_silently_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("out")).unwrap();
    std::fs::write(tmp.path().join("out/CMKtemplate.json"), "{ not json").unwrap();
    let run = build(tmp.path(), &spec(Some(OLD), ""), false);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "note: the key version is not compared with the previous build: out/CMKtemplate.json does not parse as a template\n"
    );
}

/// The generated outputs of two builds through `lint --baseline`: the key id lives only in the
/// parameter files, so each side is read with its own (`CMKtemplate.parameters.json`,
/// `CMKtemplate.bicepparam`); ARM and Bicep both report the move, into the baseline's files.
#[test]
fn lint_baseline_compares_two_generated_outputs_by_their_own_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let (deployed, next) = (tmp.path().join("deployed"), tmp.path().join("next"));
    std::fs::create_dir(&deployed).unwrap();
    std::fs::create_dir(&next).unwrap();
    build(&deployed, &spec(Some(NEW), ""), false);
    build(&next, &spec(Some(OLD), ""), false);
    let lint = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
            .current_dir(tmp.path())
            .env("NO_COLOR", "1")
            .args([
                "lint",
                "next/out",
                "--baseline",
                "deployed/out",
                "--format",
                "json",
            ])
            .args(["--config", "none.toml"])
            .args(extra)
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), doc)
    };
    std::fs::write(tmp.path().join("none.toml"), "").unwrap();
    let (code, doc) = lint(&[]);
    let found: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                // The baseline's label: the related location inside the deployed output
                // (the first related location is where the new template uses the value).
                f["related"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|r| r["file"].as_str())
                    .find(|file| file.starts_with("deployed/"))
                    .unwrap_or("no label in the baseline")
                    .to_string(),
            )
        })
        .collect();
    let finding = |file: &str| {
        (
            "CMK027".to_string(),
            format!("next/out/{file}"),
            format!("deployed/out/{file}"),
        )
    };
    // Both findings sit where kek_id is set (the parameters files), as every finding on a
    // parameter value does, and point into the baseline's file of the same kind.
    assert_eq!(
        found,
        [
            finding("CMKtemplate.bicepparam"),
            finding("CMKtemplate.parameters.json")
        ]
    );
    assert_eq!(code, Some(0), "warnings pass by default");
    assert_eq!(lint(&["--fail-on", "warning"]).0, Some(1));
    // Against itself: nothing.
    build(&next, &spec(Some(NEW), ""), false);
    let (code, doc) = lint(&[]);
    assert_eq!(
        (code, doc["findings"].as_array().unwrap().len()),
        (Some(0), 0)
    );
}
