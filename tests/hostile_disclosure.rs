//! Nothing outside the repository is read or shown (issue 8, classes 7 and 16; deliverable 6).
//!
//! A repository whose templates reach for `/proc/self/environ`, `../../etc/passwd`, a file
//! beside the repository and symbolic links that lead out of it is linted with a secret in the
//! environment, in every output format: the secret and the files' contents never appear, every
//! refused reference is a located REF001 that names the path, and the run exits 2.

use std::path::Path;
use std::process::{Command, Output};

const SECRET: &str = "s3cr3t-token-4b1d8e";
const OUTSIDE: &str = "contents-of-a-file-outside-the-repository";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// `base/secret.txt` and `base/etc/passwd` outside the repository `base/repo` (a `.git`
/// directory marks its top), whose `infra/` reaches for them.
#[cfg(unix)]
fn hostile_repository() -> tempfile::TempDir {
    let base = tempfile::tempdir().unwrap();
    let b = base.path();
    write(&b.join("secret.txt"), &format!("{OUTSIDE}\n"));
    write(&b.join("etc/passwd"), &format!("{OUTSIDE}:x:0:0\n"));
    std::fs::create_dir_all(b.join("repo/.git")).unwrap();
    let infra = b.join("repo/infra");
    std::fs::create_dir_all(&infra).unwrap();
    // Inside the repository, leading out of it.
    symlink(&b.join("secret.txt"), &infra.join("linked.json"));
    symlink(&b.join("secret.txt"), &infra.join("linked.bicep"));
    symlink(
        Path::new("/proc/self/environ"),
        &infra.join("environ.bicep"),
    );
    // The real /etc/passwd, by climbing.
    let climb = "../".repeat(12) + "etc/passwd";
    let deployment = |name: &str, path: &str| {
        format!(
            r#"{{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "{name}", "properties": {{"mode": "Incremental", "templateLink": {{"relativePath": "{path}"}}}}}}"#
        )
    };
    let arm = format!(
        r#"{{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
"contentVersion": "1.0.0.0",
"resources": [
{},
{},
{},
{},
{}
]}}
"#,
        deployment("environ", "/proc/self/environ"),
        deployment("passwd", "../../etc/passwd"),
        deployment("climb", &climb),
        deployment("link", "linked.json"),
        deployment("fifo", "/dev/zero"),
    );
    write(&infra.join("main.json"), &arm);
    let bicep = format!(
        "import {{ x }} from 'linked.bicep'\n\
         module environ '/proc/self/environ' = {{ name: 'environ' }}\n\
         module passwd '../../etc/passwd' = {{ name: 'passwd' }}\n\
         module climb '{climb}' = {{ name: 'climb' }}\n\
         module viaLink 'environ.bicep' = {{ name: 'vialink' }}\n\
         module zero '/dev/zero' = {{ name: 'zero' }}\n\
         output y string = x\n"
    );
    write(&infra.join("main.bicep"), &bicep);
    // A parameters file paired by name that is a link to the environment.
    symlink(
        Path::new("/proc/self/environ"),
        &infra.join("other.parameters.json"),
    );
    write(
        &infra.join("other.json"),
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "resources": []}"#,
    );
    // A .bicepparam whose `using` leaves the repository.
    write(
        &infra.join("escape.bicepparam"),
        "using '../../secret.bicep'\nparam p = 1\n",
    );
    write(
        &b.join("secret.bicep"),
        &format!("// {OUTSIDE}\nparam p int\n"),
    );
    base
}

fn lint(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
        .arg("lint")
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("ACR_CMK_TEST_SECRET", SECRET)
        .env_remove("CI")
        .output()
        .unwrap()
}

/// The problems of a run in a JSON report, as "file: message".
/// (file, line, message) of every REF001 finding of a JSON report.
fn ref001(doc: &serde_json::Value) -> Vec<(String, u64, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "REF001")
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn run_errors(doc: &serde_json::Value) -> Vec<String> {
    doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["file"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect()
}

fn assert_nothing_leaks(what: &str, out: &Output) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !all.contains(SECRET),
        "{what}: the secret is in the output:\n{all}"
    );
    assert!(
        !all.contains(OUTSIDE),
        "{what}: an outside file is in the output:\n{all}"
    );
    assert!(
        !all.contains("root:x:0"),
        "{what}: /etc/passwd is in the output:\n{all}"
    );
    assert!(
        !all.contains("PATH="),
        "{what}: the environment is in the output:\n{all}"
    );
}

#[cfg(unix)]
#[test]
fn references_out_of_the_repository_are_refused_and_nothing_of_them_is_shown() {
    let base = hostile_repository();
    let repo = base.path().join("repo");
    for format in ["human", "json", "sarif"] {
        let out = lint(&repo, &["infra", "--format", format]);
        assert_nothing_leaks(format, &out);
        assert_eq!(out.status.code(), Some(2), "{format}");
    }
    let out = lint(&repo, &["infra", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let refused = ref001(&doc);
    let expect = |file: &str, line: u64, path: &str, why: &str| {
        assert!(
            refused
                .iter()
                .any(|(f, l, m)| f == file && *l == line && m.contains(path) && m.contains(why)),
            "no REF001 at {file}:{line} for {path} ({why}) in {refused:#?}"
        );
    };
    expect("infra/main.json", 4, "/proc/self/environ", "absolute path");
    expect(
        "infra/main.json",
        5,
        "../../etc/passwd",
        "outside the lint root",
    );
    expect("infra/main.json", 6, "etc/passwd", "outside the lint root");
    expect("infra/main.json", 7, "linked.json", "symbolic link");
    expect("infra/main.json", 8, "/dev/zero", "absolute path");
    expect("infra/main.bicep", 1, "linked.bicep", "symbolic link");
    expect("infra/main.bicep", 2, "/proc/self/environ", "absolute path");
    expect(
        "infra/main.bicep",
        3,
        "../../etc/passwd",
        "outside the lint root",
    );
    expect("infra/main.bicep", 4, "etc/passwd", "outside the lint root");
    expect("infra/main.bicep", 5, "environ.bicep", "symbolic link");
    expect("infra/main.bicep", 6, "/dev/zero", "absolute path");
    // Files found beside the inputs are refused as problems of the run, by name only.
    let errors = run_errors(&doc);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("infra/other.parameters.json:") && e.contains("symbolic link")),
        "{errors:?}"
    );
    // A refused `using` is REF001 on the path it names, in the .bicepparam.
    expect(
        "infra/escape.bicepparam",
        1,
        "secret.bicep",
        "outside the lint root",
    );
}

#[cfg(unix)]
#[test]
fn with_root_set_wider_the_same_references_inside_it_are_followed() {
    let base = hostile_repository();
    let repo = base.path().join("repo");
    // `--root` the directory above: `../../secret.txt` is now inside (and is no template, so
    // its parse error may quote it: it is an in-root file the user let in).
    let out = lint(
        &repo,
        &["infra/main.json", "--format", "json", "--root", ".."],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let refused: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "REF001")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        !refused.iter().any(|m| m.contains("'../../etc/passwd'")),
        "{refused:?}"
    );
    assert!(
        refused.iter().any(|m| m.contains("/proc/self/environ")),
        "{refused:?}"
    );
    // The environment is never in reach, whatever the root.
    assert!(!String::from_utf8_lossy(&out.stdout).contains(SECRET));
}

#[cfg(unix)]
#[test]
fn a_configuration_file_linked_out_of_the_repository_is_not_read() {
    let base = hostile_repository();
    let repo = base.path().join("repo");
    symlink(&base.path().join("secret.txt"), &repo.join("acr-cmk.toml"));
    let out = lint(&repo, &["infra/other.json"]);
    assert_nothing_leaks("config", &out);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("acr-cmk.toml"), "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn special_files_as_inputs_are_refused_without_reading() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("spec.toml");
    // mkfifo(1), not libc: the crate forbids unsafe code.
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    for args in [
        vec!["validate", "/dev/zero"],
        vec!["validate", "spec.toml"],
        vec!["build", "spec.toml", "--out-dir", "out"],
        vec!["lint", "--config", "/dev/zero", "x.json"],
        vec!["lint", "--config", "spec.toml", "x.json"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
            .args(&args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("not a regular file"), "{args:?}: {stderr}");
    }
    assert!(!dir.path().join("out").exists());
}

#[cfg(unix)]
#[test]
fn build_check_does_not_show_a_file_an_output_links_to() {
    let base = hostile_repository();
    let repo = base.path().join("repo");
    write(
        &repo.join("spec.toml"),
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/registry.toml"),
        )
        .unwrap(),
    );
    let build = |check: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_acr-cmk"));
        c.args(["build", "spec.toml", "--out-dir", "out"]);
        if check {
            c.arg("--check");
        }
        c.current_dir(&repo)
            .env("NO_COLOR", "1")
            .env("ACR_CMK_TEST_SECRET", SECRET)
            .output()
            .unwrap()
    };
    assert_eq!(build(false).status.code(), Some(0));
    // A committed output replaced by links to the environment and to a file outside.
    let out = repo.join("out");
    std::fs::remove_file(out.join("deploy.sh")).unwrap();
    symlink(Path::new("/proc/self/environ"), &out.join("deploy.sh"));
    std::fs::remove_file(out.join("CMKtemplate.json")).unwrap();
    symlink(
        &base.path().join("secret.txt"),
        &out.join("CMKtemplate.json"),
    );
    let checked = build(true);
    assert_nothing_leaks("build --check", &checked);
    assert_eq!(checked.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&checked.stdout);
    assert!(
        stdout.contains("deploy.sh: differs (cannot be compared: "),
        "{stdout}"
    );
    assert!(stdout.contains("CMKtemplate.json: differs"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn a_bicepparam_using_a_file_outside_the_repository_is_refused_by_name() {
    let base = hostile_repository();
    let repo = base.path().join("repo");
    write(
        &repo.join("p/abs.bicepparam"),
        "using '/etc/templates/main.bicep'\nparam p = 1\n",
    );
    write(
        &repo.join("p/gone.bicepparam"),
        "using '../../../nowhere.bicep'\n",
    );
    let out = lint(&repo, &["p", "infra/escape.bicepparam", "--format", "json"]);
    assert_nothing_leaks("bicepparam", &out);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let refused = ref001(&doc);
    for (file, why) in [
        (
            "p/abs.bicepparam",
            "'/etc/templates/main.bicep' is not read: is an absolute path",
        ),
        // Missing or not, a file outside is refused alike: the answer tells nothing about it.
        (
            "p/gone.bicepparam",
            "'../../../nowhere.bicep' is not read: is a file outside the lint root",
        ),
        (
            "infra/escape.bicepparam",
            "'../../secret.bicep' is not read: is a file outside the lint root",
        ),
    ] {
        assert!(
            refused
                .iter()
                .any(|(f, line, m)| f == file && *line == 1 && m.contains(why)),
            "{file}: {why} not in {refused:#?}"
        );
    }
    assert_eq!(
        refused.len(),
        3,
        "one REF001 per refused file: {refused:#?}"
    );
}
