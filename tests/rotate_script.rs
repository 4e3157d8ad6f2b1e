//! `acr-cmk rotate` end to end: the command checks the change against the spec, writes
//! rotate.sh, and the script runs under dash against the fake `az` (`tests/fake-az/az`, which
//! answers with the shapes the Azure CLI documents and fails on any command it does not know).
//! Each mode calls exactly the expected commands in order; failures stop with a message;
//! `--write-spec` records the rotation in the spec only once the registry confirms it.
#![cfg(unix)]

mod build_support;
use build_support::root;
use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_acr-cmk");
const V1: &str = "0123456789abcdef0123456789abcdef";
/// What the fake `az keyvault key create` makes, and the key's current version.
const NEW: &str = "fedcba9876543210fedcba9876543210";
const CURRENT: &str = "00112233445566778899aabbccddeeff";
const OTHER: &str = "aaaabbbbccccddddeeeeffff00001111";
/// The version examples/manual-rotation.toml lists in key.previous_versions.
const EARLIER: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a9";

const CLOUD: &str = "cloud show --query name --output tsv";

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    /// `examples/<stem>.toml` (edited) as `spec.toml` in a temporary directory.
    fn new(stem: &str, edit: impl Fn(String) -> String) -> Case {
        let text = std::fs::read_to_string(root().join(format!("examples/{stem}.toml"))).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("spec.toml"), edit(text)).unwrap();
        std::fs::create_dir(dir.path().join("state")).unwrap();
        Case { dir }
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    fn spec(&self) -> String {
        std::fs::read_to_string(self.path("spec.toml")).unwrap()
    }
    /// `acr-cmk rotate spec.toml --out-dir out ARGS`, run in the case's directory.
    fn rotate(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .current_dir(self.dir.path())
            .args(["rotate", "spec.toml"])
            .args(args)
            .output()
            .unwrap()
    }
    /// Generate rotate.sh with `args` (which must succeed) and return its text.
    fn script(&self, args: &[&str]) -> String {
        let mut all = vec!["--out-dir", "out"];
        all.extend_from_slice(args);
        let out = self.rotate(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read_to_string(self.path("out/rotate.sh")).unwrap()
    }
    /// Run out/rotate.sh under dash with the fake az first on PATH.
    fn run(&self, env: &[(&str, &str)]) -> Run {
        let log = self.path("az-calls.log");
        let _ = std::fs::remove_file(&log);
        // A fresh registry for every run (the fake az keeps what rotate-key set there).
        let _ = std::fs::remove_dir_all(self.path("state"));
        std::fs::create_dir(self.path("state")).unwrap();
        let path = format!(
            "{}:{}",
            root().join("tests/fake-az").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("dash");
        cmd.arg(self.path("out/rotate.sh"))
            .env_clear()
            .env("PATH", path)
            .env("RESOURCE_GROUP", "rg-test")
            .env("FAKE_AZ_LOG", &log)
            .env("FAKE_AZ_STATE", self.path("state"))
            .env("KEY_RETRY_WAIT", "0")
            .env("ACR_CMK", BIN)
            .env("FAKE_AZ_REGISTRY_KEY", REGISTRY_KEY);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let calls = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        Run { out, calls }
    }
}

struct Run {
    out: Output,
    calls: Vec<String>,
}

impl Run {
    fn stderr_has(&self, text: &str) {
        let err = stderr(&self.out);
        assert!(err.contains(text), "{text:?} not in:\n{err}");
    }
    fn ok(&self) -> &Run {
        assert!(
            self.out.status.success(),
            "stderr:\n{}\nstdout:\n{}",
            stderr(&self.out),
            stdout(&self.out)
        );
        self
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A miette report as one line: its wrapped message and help joined again.
fn one_line(report: &str) -> String {
    report
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

fn show_key(registry: &str) -> String {
    format!(
        "acr encryption show --name {registry} --resource-group rg-test --query keyVaultProperties.keyIdentifier --output tsv"
    )
}
fn show(registry: &str) -> String {
    format!("acr encryption show --name {registry} --resource-group rg-test")
}
fn rotate_key(registry: &str, key: &str, identity: &str) -> String {
    format!(
        "acr encryption rotate-key --name {registry} --resource-group rg-test --key-encryption-key {key} --identity {identity} --output none"
    )
}

const REGISTRY_KEY: &str = "https://kv-contoso-cmk.vault.azure.net/keys/acr-cmk";
const CLIENT_ID: &str = "00000000-0000-0000-0000-0000000000c1";

/// `examples/<stem>.toml` as it was before any run.
fn example(stem: &str) -> String {
    std::fs::read_to_string(root().join(format!("examples/{stem}.toml"))).unwrap()
}

/// rotate.sh for `examples/<stem>.toml` and `args`, checked against its snapshot, then run
/// with `env`; the run must succeed.
fn scripted(stem: &str, args: &[&str], snap: &str, env: &[(&str, &str)]) -> (Case, Run) {
    let case = Case::new(stem, |t| t);
    snapshot(snap, &case.script(args));
    let r = case.run(env);
    r.ok();
    (case, r)
}

/// rotate.sh for `examples/manual-rotation.toml` with `args`, run on a registry pinned to V1
/// with `env` too; the spec as it was before the run.
fn pinned_run(args: &[&str], env: &[(&str, &str)]) -> (Case, String, Run) {
    let case = manual_spec();
    case.script(args);
    let before = case.spec();
    let pinned = format!("{REGISTRY_KEY}/{V1}");
    let mut all = vec![("FAKE_AZ_REGISTRY_KEY", pinned.as_str())];
    all.extend_from_slice(env);
    let r = case.run(&all);
    (case, before, r)
}

fn manual_spec() -> Case {
    Case::new("manual-rotation", |t| t)
}

#[test]
fn new_version_on_an_automatic_registry_only_creates_the_version() {
    let (_, r) = scripted(
        "registry",
        &["--new-version"],
        "rotate__new-version-automatic",
        &[],
    );
    assert_eq!(
        r.calls,
        [
            CLOUD.to_string(),
            show_key("contosoregistry"),
            "keyvault key create --vault-name kv-contoso-cmk --name acr-cmk --kty RSA --size 3072 --query key.kid --output tsv".into(),
            show("contosoregistry"),
        ]
    );
    let out = stdout(&r.out);
    assert!(out.contains(&format!("Created version {NEW}")), "{out}");
    assert!(out.contains("picks this one up within an hour"), "{out}");
}

#[test]
fn new_version_on_a_manual_registry_rotates_to_it_and_records_it() {
    let (case, r) = scripted(
        "manual-rotation",
        &["--new-version", "--write-spec"],
        "rotate__new-version-manual",
        &[("FAKE_AZ_REGISTRY_KEY", &format!("{REGISTRY_KEY}/{V1}"))],
    );
    let before = example("manual-rotation");
    let new_key = format!("{REGISTRY_KEY}/{NEW}");
    assert_eq!(
        r.calls,
        [
            CLOUD.to_string(),
            show_key("contosomanual"),
            "keyvault key create --vault-name kv-contoso-cmk --name acr-cmk --kty RSA --size 3072 --query key.kid --output tsv".into(),
            "identity show --name id-contosomanual --resource-group rg-test --query clientId --output tsv".into(),
            rotate_key("contosomanual", &new_key, CLIENT_ID),
            show_key("contosomanual"),
            show("contosomanual"),
        ]
    );
    // The spec now says the new version; the old one is kept for the rollback check; every
    // comment and the layout are as they were.
    let after = case.spec();
    // (The example already lists an earlier version: the replaced one is appended after it.)
    assert_eq!(
        after,
        before
            .replace(&format!("acr-cmk/{V1}\""), &format!("acr-cmk/{NEW}\""))
            .replace(
                &format!("previous_versions = [\"{EARLIER}\"]"),
                &format!("previous_versions = [\"{EARLIER}\", \"{V1}\"]")
            )
    );
    snapshot("rotate__new-version-manual__spec", &after);
}

#[test]
fn key_version_checks_the_version_then_rotates_to_it() {
    let (case, r) = scripted(
        "manual-rotation",
        &["--key-version", OTHER],
        "rotate__key-version",
        &[("FAKE_AZ_REGISTRY_KEY", &format!("{REGISTRY_KEY}/{V1}"))],
    );
    let new_key = format!("{REGISTRY_KEY}/{OTHER}");
    assert_eq!(
        r.calls,
        [
            CLOUD.to_string(),
            show_key("contosomanual"),
            format!("keyvault key show --id {new_key} --query [to_string(attributes.enabled), attributes.expires || 'never'] --output tsv"),
            "identity show --name id-contosomanual --resource-group rg-test --query clientId --output tsv".into(),
            rotate_key("contosomanual", &new_key, CLIENT_ID),
            show_key("contosomanual"),
            show("contosomanual"),
        ]
    );
    // Without --write-spec the spec is not touched.
    assert_eq!(
        case.spec(),
        std::fs::read_to_string(root().join("examples/manual-rotation.toml")).unwrap()
    );

    // A disabled, expired or missing version stops before the registry is touched.
    for (state, says) in [
        ("false\tnever", "is disabled"),
        ("true\t2020-01-01T00:00:00+00:00", "expired on 2020-01-01"),
        ("missing", "cannot be read"),
    ] {
        let r = case.run(&[
            ("FAKE_AZ_REGISTRY_KEY", &format!("{REGISTRY_KEY}/{V1}")),
            ("FAKE_AZ_VERSION", state),
        ]);
        assert_eq!(r.out.status.code(), Some(1), "{state}");
        assert!(stderr(&r.out).contains(says), "{state}: {}", stderr(&r.out));
        assert!(!r.calls.iter().any(|c| c.contains("rotate-key")), "{state}");
    }
}

#[test]
fn automatic_moves_a_pinned_registry_to_the_versionless_id() {
    let (case, r) = scripted(
        "manual-rotation",
        &["--automatic", "--write-spec"],
        "rotate__automatic",
        &[("FAKE_AZ_REGISTRY_KEY", &format!("{REGISTRY_KEY}/{V1}"))],
    );
    assert_eq!(
        r.calls,
        [
            CLOUD.to_string(),
            show_key("contosomanual"),
            "identity show --name id-contosomanual --resource-group rg-test --query clientId --output tsv".into(),
            rotate_key("contosomanual", REGISTRY_KEY, CLIENT_ID),
            show_key("contosomanual"),
            show("contosomanual"),
        ]
    );
    let after = case.spec();
    assert!(
        after.contains(&format!(
            "id = \"{REGISTRY_KEY}\"\nrotation = \"automatic\"\n"
        )) && after.contains(&format!("previous_versions = [\"{EARLIER}\", \"{V1}\"]\n")),
        "{after}"
    );
    assert!(
        after.starts_with("# Manual rotation: a versioned key id pins one key version until\n"),
        "{after}"
    );
}

#[test]
fn manual_pins_the_current_version_read_at_run_time() {
    let (case, r) = scripted(
        "registry",
        &["--manual", "--write-spec"],
        "rotate__manual",
        &[],
    );
    let before = example("registry");
    let pinned = format!("{REGISTRY_KEY}/{CURRENT}");
    assert_eq!(
        r.calls,
        [
            CLOUD.to_string(),
            show_key("contosoregistry"),
            format!("keyvault key show --id {REGISTRY_KEY} --query key.kid --output tsv"),
            "identity show --name id-contosoregistry --resource-group rg-test --query clientId --output tsv".into(),
            rotate_key("contosoregistry", &pinned, CLIENT_ID),
            show_key("contosoregistry"),
            show("contosoregistry"),
        ]
    );
    // No version was replaced: nothing goes to previous_versions.
    assert_eq!(
        case.spec(),
        before.replace(
            &format!("id = \"{REGISTRY_KEY}\""),
            &format!("id = \"{pinned}\"")
        )
    );

    // --manual=VERSION pins a version of the user's choice, checked first.
    let case = Case::new("registry", |t| t);
    case.script(&[&format!("--manual={OTHER}")]);
    let r = case.run(&[]);
    r.ok();
    assert!(
        r.calls[2].starts_with(&format!(
            "keyvault key show --id {REGISTRY_KEY}/{OTHER} --query [to_string"
        )),
        "{:?}",
        r.calls
    );
    assert_eq!(
        r.calls[4],
        rotate_key(
            "contosoregistry",
            &format!("{REGISTRY_KEY}/{OTHER}"),
            CLIENT_ID
        )
    );
}

#[test]
fn identity_system_enables_grants_then_rotates() {
    let (case, r) = scripted(
        "registry",
        &["--identity", "system", "--write-spec"],
        "rotate__identity-system",
        &[],
    );
    assert_eq!(
        r.calls,
        [
            CLOUD.to_string(),
            show_key("contosoregistry"),
            "acr identity assign --identities [system] --name contosoregistry --resource-group rg-test --output none".into(),
            "acr identity show --name contosoregistry --resource-group rg-test --query principalId --output tsv".into(),
            "keyvault set-policy --name kv-contoso-cmk --object-id 00000000-0000-0000-0000-0000000000a5 --key-permissions get wrapKey unwrapKey --output none".into(),
            rotate_key("contosoregistry", REGISTRY_KEY, "[system]"),
            show_key("contosoregistry"),
            show("contosoregistry"),
        ]
    );
    let after = case.spec();
    assert!(
        after.contains("name = \"id-contosoregistry\"\nencryption = \"system\"\n"),
        "{after}"
    );
    snapshot("rotate__identity-system__spec", &after);

    // The next build describes what is deployed: the template keeps the registry on its
    // system-assigned identity, and its deploy.sh redeploys it so, never back to the
    // user-assigned one.
    let out = Command::new(BIN)
        .current_dir(case.dir.path())
        .args(["build", "spec.toml", "--out-dir", "next"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let params = std::fs::read_to_string(case.path("next/CMKtemplate.parameters.json")).unwrap();
    assert!(params.contains("\"encryption_identity\""), "{params}");
    let log = case.path("deploy-calls.log");
    let out = Command::new("dash")
        .arg(case.path("next/deploy.sh"))
        .env_clear()
        .env(
            "PATH",
            format!(
                "{}:{}",
                root().join("tests/fake-az").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("RESOURCE_GROUP", "rg-test")
        .env("FAKE_AZ_LOG", &log)
        .env("FAKE_AZ_STATE", case.path("state"))
        .env("FAKE_AZ_REGISTRIES", "1")
        .env("FAKE_AZ_REGISTRY_IDENTITY", "system")
        .env("FAKE_AZ_VAULT", "true\ttrue\tfalse")
        .env("FAKE_AZ_KEY_ID", REGISTRY_KEY)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let calls = std::fs::read_to_string(&log).unwrap();
    let deploys: Vec<&str> = calls
        .lines()
        .filter(|c| c.starts_with("deployment group create"))
        .collect();
    assert_eq!(deploys.len(), 1, "{calls}");
    assert!(
        deploys[0].ends_with("--parameters encryption_identity=system"),
        "{calls}"
    );
    assert!(!calls.contains("rotate-key"), "{calls}");
}

#[test]
fn identity_on_an_rbac_vault_is_granted_with_the_role_at_vault_scope() {
    let key = "https://kv-contoso-rbac.vault.azure.net/keys/acr-cmk";
    let (_, r) = scripted(
        "rbac",
        &["--identity", "id-other"],
        "rotate__identity-user-rbac",
        &[("FAKE_AZ_REGISTRY_KEY", key)],
    );
    let identity_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-other";
    assert_eq!(
        r.calls,
        [
            CLOUD.to_string(),
            show_key("contosorbac"),
            "identity show --name id-other --resource-group rg-test --query [id, clientId, principalId] --output tsv".into(),
            format!("acr identity assign --identities {identity_id} --name contosorbac --resource-group rg-test --output none"),
            "keyvault show --name kv-contoso-rbac --query id --output tsv".into(),
            "role assignment create --assignee-object-id 00000000-0000-0000-0000-0000000000b2 --assignee-principal-type ServicePrincipal --role e147488a-f6f5-4113-8e2d-b22465e65bf6 --scope /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers/Microsoft.KeyVault/vaults/kv-contoso-rbac --output none".into(),
            rotate_key("contosorbac", key, "00000000-0000-0000-0000-0000000000c2"),
            show_key("contosorbac"),
            show("contosorbac"),
        ]
    );
}

#[test]
fn a_new_grant_that_is_not_applied_yet_is_retried_then_the_script_goes_on() {
    let case = Case::new("registry", |t| t);
    case.script(&["--identity", "system"]);
    let r = case.run(&[
        ("FAKE_AZ_ROTATE_FAILS", "2"),
        ("FAKE_AZ_ROTATE_ERROR", "(BadRequest) Failed to access KeyId 'https://kv-contoso-cmk.vault.azure.net/keys/acr-cmk'. Verify that identity '[system]' has 'Get, Wrap Key, Unwrap Key' permission on key 'https://kv-contoso-cmk.vault.azure.net/keys/acr-cmk'."),
    ]);
    r.ok();
    assert_eq!(
        r.calls.iter().filter(|c| c.contains("rotate-key")).count(),
        3
    );
    r.stderr_has("attempt 2 of 6");
}

#[test]
fn a_failing_rotate_key_stops_with_what_is_left_and_records_nothing() {
    let (case, before, r) = pinned_run(
        &["--new-version", "--write-spec"],
        &[
            ("FAKE_AZ_ROTATE_FAILS", "1"),
            (
                "FAKE_AZ_ROTATE_ERROR",
                "(AuthorizationFailed) The client does not have authorization to perform action 'Microsoft.ContainerRegistry/registries/write'.",
            ),
        ],
    );
    assert_eq!(r.out.status.code(), Some(1));
    let err = stderr(&r.out);
    assert!(err.contains("AuthorizationFailed"), "{err}");
    assert!(err.contains("rotate-key failed (see above): the registry still uses the key https://kv-contoso-cmk.vault.azure.net/keys/acr-cmk/0123456789abcdef0123456789abcdef."), "{err}");
    assert!(err.contains(&format!("The new key version {NEW} exists; once the cause is fixed, run: acr-cmk rotate <spec> --key-version {NEW}")), "{err}");
    assert_eq!(
        r.calls.last().unwrap(),
        &rotate_key("contosomanual", &format!("{REGISTRY_KEY}/{NEW}"), CLIENT_ID)
    );
    assert_eq!(
        case.spec(),
        before,
        "the spec must not claim a rotation that failed"
    );
}

#[test]
fn a_registry_that_did_not_move_is_not_recorded() {
    let (case, before, r) = pinned_run(
        &["--automatic", "--write-spec"],
        &[("FAKE_AZ_ROTATE_IGNORED", "1")],
    );
    assert_eq!(r.out.status.code(), Some(1));
    r.stderr_has(&format!(
        "after rotate-key the registry reports the key {REGISTRY_KEY}/{V1}, not {REGISTRY_KEY}"
    ));
    assert_eq!(case.spec(), before);
}

#[test]
fn a_failing_spec_update_says_how_to_record_the_rotation() {
    let (case, before, r) = pinned_run(
        &["--automatic", "--write-spec"],
        &[("ACR_CMK", "/nonexistent/acr-cmk")],
    );
    assert_eq!(r.out.status.code(), Some(1));
    let err = stderr(&r.out);
    assert!(err.contains("the registry was rotated, but the spec was not updated (see above); record it with: acr-cmk rotate ../spec.toml --automatic --spec-only"), "{err}");
    assert_eq!(case.spec(), before);
}

#[test]
fn the_cloud_is_checked_never_switched_and_the_registry_must_match_the_spec() {
    let case = manual_spec();
    case.script(&["--automatic"]);
    let r = case.run(&[("FAKE_AZ_CLOUD", "AzureChinaCloud")]);
    assert_eq!(r.out.status.code(), Some(1));
    assert_eq!(r.calls, [CLOUD]);
    assert!(stderr(&r.out).contains("targets the cloud 'AzureChinaCloud'"));

    // The registry uses another key than the spec says: stop before changing anything.
    let r = case.run(&[("FAKE_AZ_REGISTRY_KEY", &format!("{REGISTRY_KEY}/{OTHER}"))]);
    assert_eq!(r.out.status.code(), Some(1));
    assert_eq!(r.calls, [CLOUD.to_string(), show_key("contosomanual")]);
    r.stderr_has("Deploy the spec first");
}

/// Located usage errors (exit 2) for changes that do not apply to the spec; nothing written.
#[test]
fn changes_that_do_not_apply_are_located_usage_errors() {
    let cases: [(&str, &[&str], &str, &str); 9] = [
        (
            "rotation-policy",
            &["--manual"],
            "which `key.create` does not take",
            "set `key.create = false`",
        ),
        (
            "create-vault-and-key",
            &["--new-version"],
            "pins the registry to its first version",
            "`key.version` to the version the registry uses",
        ),
        (
            "registry",
            &["--key-version", V1],
            "this key id has no version (automatic rotation)",
            "--manual=0123456789abcdef0123456789abcdef",
        ),
        (
            "registry",
            &["--automatic"],
            "already rotates automatically, nothing to do",
            "spec.toml:18:6",
        ),
        (
            "manual-rotation",
            &["--manual"],
            "already pinned to version 0123456789abcdef0123456789abcdef (manual rotation): nothing to do",
            "spec.toml:13:6",
        ),
        (
            "manual-rotation",
            &["--key-version", V1],
            "already uses version",
            "spec.toml:13:6",
        ),
        (
            "firewalled-existing-vault",
            &["--identity", "id-other"],
            "only the registry's system-assigned identity reaches the key",
            "CMK012",
        ),
        (
            "firewalled-existing-vault",
            &["--identity", "system"],
            "already reaches its key through its system-assigned identity",
            "firewall = true",
        ),
        (
            "registry",
            &["--identity", "id-contosoregistry"],
            "already reaches its key through this identity",
            "spec.toml",
        ),
    ];
    for (stem, args, says, also) in cases {
        let case = Case::new(stem, |t| t);
        let mut all = vec!["--out-dir", "out"];
        all.extend_from_slice(args);
        let out = case.rotate(&all);
        let err = one_line(&stderr(&out));
        assert_eq!(out.status.code(), Some(2), "{stem} {args:?}: {err}");
        assert!(
            err.contains(says) && err.contains(also),
            "{stem} {args:?}: {err}"
        );
        assert!(err.contains("nothing written"), "{err}");
        assert!(!case.path("out").exists(), "{stem} {args:?}");
    }
    // Malformed values are refused before the spec is read.
    let case = Case::new("manual-rotation", |t| t);
    for (args, says) in [
        (
            &["--key-version", "$(touch pwned)"][..],
            "is not a key version",
        ),
        (&["--identity", "a'b"], "identity names have only letters"),
        (
            &["--identity", "/subscriptions/x/y"],
            "is not the resource id of a user-assigned identity",
        ),
        (&["--new-version", "--automatic"], "cannot be used with"),
        (&[], "required arguments were not provided"),
    ] {
        let out = case.rotate(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn spec_only_records_a_rotation_and_keeps_comments_and_layout() {
    let case = Case::new("manual-rotation", |t| {
        t.replace(
            "rotation = \"manual\"",
            "rotation = \"manual\"   # pinned on purpose\n# the size of the key\nsize = 3072",
        )
    });
    let out = case.rotate(&["--key-version", OTHER, "--spec-only"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("key.previous_versions += \"{V1}\"")),
        "{}",
        stdout(&out)
    );
    let after = case.spec();
    snapshot("rotate__spec-only-key-version__spec", &after);
    assert!(
        after.contains(
            "rotation = \"manual\"   # pinned on purpose\n# the size of the key\nsize = 3072\n"
        ),
        "{after}"
    );
    // The recorded spec is a valid spec, and the move away from the version it lists in
    // key.previous_versions is a recorded rotation, not a rollback (no CMK027).
    let validated = Command::new(BIN)
        .current_dir(case.dir.path())
        .args(["validate", "spec.toml"])
        .output()
        .unwrap();
    assert!(validated.status.success(), "{}", stderr(&validated));
    assert!(
        !stderr(&validated).contains("CMK027"),
        "{}",
        stderr(&validated)
    );
    // Recording the old version again would be a rollback, and build says so.
    let back = Case::new("manual-rotation", |t| t);
    std::fs::write(back.path("spec.toml"), &after).unwrap();
    let out = back.rotate(&["--key-version", V1, "--spec-only"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let validated = Command::new(BIN)
        .current_dir(back.dir.path())
        .args(["validate", "spec.toml"])
        .output()
        .unwrap();
    assert!(
        stderr(&validated).contains("CMK027") || stdout(&validated).contains("CMK027"),
        "pinning a version the spec lists as used before is a rollback: {}{}",
        stdout(&validated),
        stderr(&validated)
    );

    // Recorded twice: the spec already says so and is left alone (rotate.sh may run twice).
    let case = Case::new("registry", |t| t);
    let out = case.rotate(&[&format!("--manual={OTHER}"), "--spec-only"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = case.spec();
    assert!(
        after.contains(&format!("id = \"{REGISTRY_KEY}/{OTHER}\"\n")),
        "{after}"
    );
    let out = case.rotate(&[&format!("--manual={OTHER}"), "--spec-only"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("already records this"),
        "{}",
        stdout(&out)
    );
    assert_eq!(case.spec(), after);
    // Nothing that names no version can be recorded.
    for args in [
        &["--new-version", "--spec-only"][..],
        &["--manual", "--spec-only"],
    ] {
        let case = Case::new("registry", |t| t);
        let out = case.rotate(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("--spec-only records a version that is known"),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            case.spec(),
            std::fs::read_to_string(root().join("examples/registry.toml")).unwrap()
        );
    }
}

#[test]
fn spec_only_writes_nothing_when_the_spec_cannot_be_replaced() {
    let case = manual_spec();
    let before = case.spec();
    let dir = case.dir.path();
    let mut perms = std::fs::metadata(dir).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(dir, perms.clone()).unwrap();
    let out = case.rotate(&["--automatic", "--spec-only"]);
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(dir, perms).unwrap();
    if nix_is_root() {
        return; // root writes anyway; the permission cannot make the write fail
    }
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot write in") && err.contains("nothing written: spec.toml is as it was"),
        "{err}"
    );
    assert!(
        !err.contains(".acr-cmk-spec"),
        "no temporary name in the message: {err}"
    );
    assert_eq!(case.spec(), before);
    let names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}"); // spec.toml and state/
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Quotes, `$()` and backquotes in names from the spec and in the spec's path stay inert.
#[test]
fn hostile_names_stay_inert() {
    let hostile = "x'$(touch PWNED)`touch PWNED2`\"";
    let case = Case::new("registry", |t| {
        t.replace(
            "name = \"contosoregistry\"",
            &format!("name = {:?}", hostile),
        )
    });
    let dir = case.path("it's $(touch PWNED3)");
    std::fs::create_dir(&dir).unwrap();
    std::fs::rename(case.path("spec.toml"), dir.join("spec.toml")).unwrap();
    let out = Command::new(BIN)
        .current_dir(case.dir.path())
        .args([
            "rotate",
            "it's $(touch PWNED3)/spec.toml",
            "--identity",
            "system",
            "--write-spec",
            "--out-dir",
            "out",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = case.run(&[]);
    for name in ["PWNED", "PWNED2", "PWNED3"] {
        assert!(
            !case.path(name).exists() && !case.path(&format!("out/{name}")).exists(),
            "{name}"
        );
    }
    // az got the name as one literal argument.
    assert!(r.calls.iter().any(|c| c == &format!("acr identity assign --identities [system] --name {hostile} --resource-group rg-test --output none")), "{:?}", r.calls);
    // The hook found the spec through its odd path and recorded the change.
    r.ok();
    let spec = std::fs::read_to_string(dir.join("spec.toml")).unwrap();
    assert!(spec.contains("encryption = \"system\""), "{spec}");
}

#[test]
fn the_script_is_written_all_or_nothing_beside_the_build() {
    let case = Case::new("registry", |t| t);
    std::fs::create_dir_all(case.path("out/rotate.sh")).unwrap();
    let out = case.rotate(&["--new-version", "--out-dir", "out"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("a directory of that name is in the way"),
        "{}",
        stderr(&out)
    );
    let meta = std::fs::metadata(case.path("out")).unwrap();
    assert!(meta.is_dir());
}

/// Another user-assigned identity by resource id: assigned, granted, rotated to, and recorded
/// as the spec's identity (the one the template created is no longer named).
#[test]
fn identity_by_resource_id_is_recorded_as_the_specs_identity() {
    let id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-shared";
    let case = Case::new("registry", |t| t);
    case.script(&["--identity", id, "--write-spec"]);
    let r = case.run(&[]);
    r.ok();
    assert_eq!(
        r.calls[2..5],
        [
            format!("identity show --ids {id} --query [id, clientId, principalId] --output tsv"),
            format!("acr identity assign --identities {id} --name contosoregistry --resource-group rg-test --output none"),
            "keyvault set-policy --name kv-contoso-cmk --object-id 00000000-0000-0000-0000-0000000000b2 --key-permissions get wrapKey unwrapKey --output none".to_string(),
        ]
    );
    assert_eq!(
        r.calls[5],
        rotate_key(
            "contosoregistry",
            REGISTRY_KEY,
            "00000000-0000-0000-0000-0000000000c2"
        )
    );
    assert_eq!(
        case.spec(),
        example("registry").replace(
            "[identity]\nname = \"id-contosoregistry\"\n",
            &format!("[identity]\nresource_id = \"{id}\"\n")
        )
    );
    // The spec builds, with the registry on the new identity.
    let out = Command::new(BIN)
        .current_dir(case.dir.path())
        .args(["build", "spec.toml", "--out-dir", "next"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let params = std::fs::read_to_string(case.path("next/CMKtemplate.parameters.json")).unwrap();
    assert!(params.contains(id), "{params}");
}
