//! The `init`, `build` and `validate` commands end to end (the real binary).

mod build_support;
use assert_cmd::Command;
use build_support::*;
use std::path::Path;

fn acr_cmk() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_acr-cmk"));
    c.env("NO_COLOR", "1").env_remove("CI");
    c
}

fn example(name: &str) -> String {
    path_of(&root().join("examples").join(format!("{name}.toml")))
}

fn snapshot_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walk_files(dir)
        .into_iter()
        .map(|p| {
            (
                path_of(p.strip_prefix(dir).unwrap()),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn build_writes_one_spec_into_the_out_dir_and_check_detects_drift() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    acr_cmk()
        .args(["build", &example("registry"), "--out-dir"])
        .arg(&out)
        .assert()
        .code(0);
    let files: Vec<String> = snapshot_dir(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        files,
        [
            "CMKtemplate.bicep",
            "CMKtemplate.bicepparam",
            "CMKtemplate.json",
            "CMKtemplate.parameters.json",
            "deploy.sh"
        ]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("deploy.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "deploy.sh is executable");
    }

    // No drift right after a build.
    acr_cmk()
        .args(["build", &example("registry"), "--check", "--out-dir"])
        .arg(&out)
        .assert()
        .code(0)
        .stdout("");

    // Edit a file: --check reports a unified diff, exits 1 and writes nothing.
    let template = out.join("CMKtemplate.json");
    let edited = std::fs::read_to_string(&template)
        .unwrap()
        .replace("\"Premium\"", "\"Standard\"");
    std::fs::write(&template, &edited).unwrap();
    let assert = acr_cmk()
        .args(["build", &example("registry"), "--check", "--out-dir"])
        .arg(&out)
        .assert()
        .code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("@@"), "{stdout}");
    assert!(
        stdout.contains("-        \"name\": \"Standard\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("+        \"name\": \"Premium\""),
        "{stdout}"
    );
    assert_eq!(std::fs::read_to_string(&template).unwrap(), edited);

    // A deleted file is a diff from /dev/null (as git shows it), not from `a/<path>`.
    std::fs::remove_file(out.join("deploy.sh")).unwrap();
    let assert = acr_cmk()
        .args(["build", &example("registry"), "--check", "--out-dir"])
        .arg(&out)
        .assert()
        .code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let deploy = out.join("deploy.sh").display().to_string();
    assert!(
        stdout.contains(&format!("--- /dev/null\n+++ b/{deploy}\n")),
        "{stdout}"
    );
    assert!(!stdout.contains(&format!("--- a/{deploy}")), "{stdout}");
}

#[test]
fn a_write_error_names_the_target_not_a_staging_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // A directory where deploy.sh goes: the build refuses before it writes (even for root).
    std::fs::create_dir_all(out.join("deploy.sh/inner")).unwrap();
    let stderr = failing_build(&["registry"], &out);
    let target = out.join("deploy.sh").display().to_string();
    assert!(
        stderr.contains(&format!("cannot write {target}: ")),
        "{stderr}"
    );
    // (The test's own directory is a `.tmp…` too: look only past the target's name.)
    assert!(!stderr.replace(&target, "").contains(".tmp"), "{stderr}");
}

#[test]
fn several_specs_build_into_subdirectories_by_stem() {
    let tmp = tempfile::tempdir().unwrap();
    acr_cmk()
        .args(["build", &example("registry"), &example("rbac"), "--out-dir"])
        .arg(tmp.path())
        .assert()
        .code(0);
    assert!(tmp.path().join("registry/CMKtemplate.json").is_file());
    assert!(tmp.path().join("rbac/CMKtemplate.bicep").is_file());
}

#[test]
fn a_failed_build_leaves_the_out_dir_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(out.join("registry")).unwrap();
    std::fs::write(out.join("registry/CMKtemplate.json"), "old").unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(example("registry"))
            .unwrap()
            .replace("[registry]\n", "[registry]\nsku = \"Basic\"\n"),
    )
    .unwrap();
    let before = snapshot_dir(&out);
    let assert = acr_cmk()
        .args(["build", &example("registry")])
        .arg(&bad)
        .arg("--out-dir")
        .arg(&out)
        .assert()
        .code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("CMK001"), "{stderr}");
    assert!(stderr.contains("nothing written"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "NO_COLOR ignored");
    assert_eq!(snapshot_dir(&out), before);
}

#[test]
fn duplicate_stems_and_unparseable_specs_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("a")).unwrap();
    let other = tmp.path().join("a/registry.toml");
    std::fs::copy(example("registry"), &other).unwrap();
    acr_cmk()
        .args(["build", &example("registry")])
        .arg(&other)
        .arg("--out-dir")
        .arg(tmp.path().join("out"))
        .assert()
        .code(2);
    let broken = tmp.path().join("broken.toml");
    std::fs::write(&broken, "[registry\nname=").unwrap();
    acr_cmk().arg("validate").arg(&broken).assert().code(2);
    acr_cmk()
        .arg("validate")
        .arg(tmp.path().join("missing.toml"))
        .assert()
        .code(2);
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn validate_reports_rule_violations_with_exit_1_and_clean_specs_with_0() {
    acr_cmk()
        .args(["validate", &example("registry"), &example("cross-rg-vault")])
        .assert()
        .code(0);
    let fixture = root().join("tests/fixtures/specs/cmk003-content-trust.toml");
    let assert = acr_cmk().arg("validate").arg(&fixture).assert().code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("CMK003"), "{stderr}");
}

#[test]
fn init_writes_a_valid_starter_spec_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("acr.toml");
    acr_cmk().arg("init").arg(&spec).assert().code(0);
    let written = std::fs::read_to_string(&spec).unwrap();
    assert!(written.starts_with("# acr-cmk spec"));
    acr_cmk().arg("validate").arg(&spec).assert().code(0);
    std::fs::write(&spec, "mine").unwrap();
    acr_cmk().arg("init").arg(&spec).assert().code(2);
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), "mine");
}

#[test]
fn advice_about_the_generated_deployment_is_short_and_does_not_fail_the_build() {
    // RBAC in the same deployment as the registry is what the rbac spec asks for: the build
    // succeeds and says, in three lines, why the registry may briefly lack key access.
    let out_dir = tempfile::tempdir().unwrap();
    let out = acr_cmk()
        .args(["build", &example("rbac"), "--out-dir"])
        .arg(out_dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("warning[CMK019]: role assignment"),
        "{stderr}"
    );
    // Located on the spec line that asks for it, not in the generated file.
    assert!(stderr.contains("rbac.toml:14:10"), "{stderr}");
    assert!(stderr.contains("help: "), "{stderr}");
    assert!(stderr.lines().count() <= 3, "{stderr}");
    // The access-policy default has nothing to say.
    let out = acr_cmk()
        .args(["build", &example("registry"), "--out-dir"])
        .arg(out_dir.path().join("ap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// New outputs follow the umask (issue 8, class 15): 0644 / 0755 under 022, 0640 / 0750
/// under 027, also where they replace a file of another mode.
#[cfg(unix)]
#[test]
fn generated_files_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    for umask in [0o022u32, 0o027] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        // An earlier output that is private: the new one does not inherit that.
        std::fs::write(out.join("CMKtemplate.json"), "{}").unwrap();
        std::fs::set_permissions(
            out.join("CMKtemplate.json"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        // The shell sets the umask for the build it execs (the crate forbids unsafe code, so
        // no pre_exec here).
        let mut c = std::process::Command::new("sh");
        c.arg("-c")
            .arg(format!("umask {umask:o} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_acr-cmk"))
            .args(["build", &example("registry"), "--out-dir"])
            .arg(&out)
            .env("NO_COLOR", "1");
        let status = c.status().unwrap();
        assert_eq!(status.code(), Some(0));
        let mode = |name: &str| {
            std::fs::metadata(out.join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        for name in [
            "CMKtemplate.json",
            "CMKtemplate.parameters.json",
            "CMKtemplate.bicep",
            "CMKtemplate.bicepparam",
        ] {
            assert_eq!(mode(name), 0o666 & !umask, "{name} under umask {umask:o}");
        }
        assert_eq!(
            mode("deploy.sh"),
            0o777 & !umask,
            "deploy.sh under umask {umask:o}"
        );
    }
}

/// `build SPEC... --out-dir OUT` with example specs, which must exit 2: its stderr.
fn failing_build(specs: &[&str], out: &Path) -> String {
    let assert = acr_cmk()
        .arg("build")
        .args(specs.iter().map(|s| example(s)))
        .arg("--out-dir")
        .arg(out)
        .assert()
        .code(2);
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

fn registry_and_rbac_outputs(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    // Earlier outputs of both specs, with content a build would change.
    let out = tmp.join("out");
    for stem in ["registry", "rbac"] {
        std::fs::create_dir_all(out.join(stem)).unwrap();
        std::fs::write(
            out.join(stem).join("CMKtemplate.json"),
            format!("old {stem}"),
        )
        .unwrap();
        std::fs::write(out.join(stem).join("notes.txt"), "mine").unwrap();
    }
    (out.clone(), out.join("rbac"))
}

/// Class 13: a directory where the second spec's last file goes. Every file of the first spec
/// would be replaced before that one today; the build now fails before replacing anything.
#[test]
fn an_output_name_taken_by_a_directory_fails_before_anything_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, rbac) = registry_and_rbac_outputs(tmp.path());
    std::fs::create_dir_all(rbac.join("deploy.sh/inner")).unwrap();
    let before = snapshot_dir(&out);
    let stderr = failing_build(&["registry", "rbac"], &out);
    let target = rbac.join("deploy.sh").display().to_string();
    assert!(
        stderr.contains(&format!(
            "error: cannot write {target}: a directory of that name is in the way"
        )),
        "{stderr}"
    );
    // Byte for byte as before, and nothing new: no staging file, backup or lock file.
    assert_eq!(snapshot_dir(&out), before);
    let names = |d: &Path| {
        let mut n: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(
        names(&out.join("registry")),
        ["CMKtemplate.json", "notes.txt"]
    );
    assert_eq!(names(&rbac), ["CMKtemplate.json", "deploy.sh", "notes.txt"]);
}

/// Class 14: a build that fails after it created a directory removes it again, and a build
/// that finds the directory locked by another build says so and changes nothing.
#[test]
fn a_locked_out_dir_fails_the_build_and_leaves_no_directory_it_created() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let rbac = out.join("rbac");
    std::fs::create_dir_all(&rbac).unwrap();
    std::fs::write(rbac.join("CMKtemplate.json"), "old rbac").unwrap();
    // This test plays the other build: it holds the lock acr-cmk takes (README, "What build
    // emits"). `registry/` does not exist yet: the build creates it, then meets the lock.
    let lock = std::fs::File::create(rbac.join(".acr-cmk.lock")).unwrap();
    lock.lock().unwrap();
    let before = snapshot_dir(&out);
    let stderr = failing_build(&["registry", "rbac"], &out);
    assert!(
        stderr.contains(&format!(
            "error: another acr-cmk build is writing {}",
            rbac.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("nothing written"), "{stderr}");
    assert!(
        !out.join("registry").exists(),
        "an empty directory was left"
    );
    assert_eq!(snapshot_dir(&out), before);
    drop(lock);
    // Once the other build is done, the lock is ours: the build succeeds and leaves no lock
    // file behind (the one the test made is taken over and removed).
    acr_cmk()
        .args(["build", &example("registry"), &example("rbac"), "--out-dir"])
        .arg(&out)
        .assert()
        .code(0);
    assert!(!rbac.join(".acr-cmk.lock").exists());
    assert!(!out.join("registry/.acr-cmk.lock").exists());
}

/// Class 14: two builds of different specs into one directory at the same time. Each either
/// succeeds or fails with the lock message; the directory holds one spec's output, whole.
#[test]
fn concurrent_builds_into_one_directory_never_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let expected = |spec: &str| {
        let dir = tmp.path().join(format!("ref-{spec}"));
        acr_cmk()
            .args(["build", &example(spec), "--out-dir"])
            .arg(&dir)
            .assert()
            .code(0);
        snapshot_dir(&dir)
    };
    let (registry, rbac) = (expected("registry"), expected("rbac"));
    assert_ne!(registry, rbac);
    for round in 0..6 {
        let out = tmp.path().join(format!("out{round}"));
        let spawn = |spec: &str| {
            std::process::Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
                .args(["build", &example(spec), "--out-dir"])
                .arg(&out)
                .env("NO_COLOR", "1")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("registry"), spawn("rbac"));
        let mut succeeded = 0;
        for child in [a, b] {
            let done = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&done.stderr);
            match done.status.code() {
                Some(0) => succeeded += 1,
                Some(2) => assert!(
                    stderr.contains("another acr-cmk build is writing"),
                    "{stderr}"
                ),
                other => panic!("exit {other:?}: {stderr}"),
            }
        }
        assert!(succeeded >= 1, "round {round}: neither build won");
        let got = snapshot_dir(&out);
        assert!(
            got == registry || got == rbac,
            "round {round}: the files of both specs are mixed"
        );
    }
}

/// Class 14: a dangling symbolic link as the out dir used to fail with "File exists".
#[cfg(unix)]
#[test]
fn a_dangling_symlink_as_out_dir_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let nowhere = tmp.path().join("nowhere");
    std::os::unix::fs::symlink(&nowhere, &out).unwrap();
    // One spec builds into the link itself, two into directories below it: the same message.
    for specs in [&["registry"][..], &["registry", "rbac"]] {
        // (The rbac spec's CMK019 warning comes first.)
        let stderr = failing_build(specs, &out);
        assert!(
            stderr.ends_with(&format!(
                "error: cannot build into {}: it is a symbolic link to {}, which does not exist \
                 (create that directory or remove the link)\n",
                out.display(),
                nowhere.display()
            )),
            "{stderr}"
        );
        assert!(!stderr.contains("File exists"), "{stderr}");
    }
    assert!(!nowhere.exists());
}
