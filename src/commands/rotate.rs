//! `acr-cmk rotate SPEC (--new-version | --key-version V | --automatic | --manual[=V] |
//! --identity system|ID) [--out-dir DIR] [--write-spec | --spec-only]`.
//!
//! The operation the Azure page "Encrypt registry using a customer-managed key" describes in
//! its section "Rotate key", for a registry deployed from a spec. The change is checked against
//! the spec first (a change that does not apply is a usage error located in the spec, exit 2):
//! `--key-version` needs a registry pinned to a version (`--manual=V` pins one and switches at
//! once); `--automatic` / `--manual` on a spec already so, or `--identity` naming the identity
//! in use, have nothing to do; a vault behind a firewall is reached only through the system
//! identity (CMK012), so a user-assigned one is refused there.
//!
//! Then `rotate.sh` is written into `--out-dir` (all or nothing, under the build's lock:
//! [`super::build::output`]). It is `deploy.sh`'s kind of script: `set -eu`, every value a
//! quoted shell word, the CLI's cloud checked (never switched), `RESOURCE_GROUP` from the
//! environment, `az acr encryption show` at the end. See [`crate::generate::rotate`].
//!
//! **When the spec is written.** A spec must never claim a rotation that did not happen, and
//! some values exist only when the script runs (the version `--new-version` creates, the
//! current version `--manual` pins). So nothing is written at generation time: with
//! `--write-spec`, rotate.sh ends — after the registry reports the new key id — by running
//! `acr-cmk rotate SPEC <the change with its run-time values> --spec-only`, which records it
//! ([`spec_edit`]). `--spec-only` is also there for a rotation done by hand (the portal).

mod spec_edit;

use super::build::{output, read_spec};
use crate::azure::{check_identity_name, check_identity_resource_id, parse_key_uri};
use crate::cli::RotateArgs;
use crate::exit::Exit;
use crate::finding::Level;
use crate::generate::Plan;
use crate::generate::rotate::{Change, IdentityTarget, ROTATE_FILE, Rotation, render};
use crate::report::human::{Diag, Style, render_all, render_diag};
use crate::source::{Loc, SourceMap};
use crate::spec::{Identity, KeyRef, Spec};
use std::path::{Component, Path, PathBuf};

/// Why a change does not apply to the spec, located in it.
#[derive(Debug)]
pub struct Refusal {
    pub loc: Option<Loc>,
    pub label: String,
    pub message: String,
    pub help: Option<String>,
    /// The spec already says what the change would do.
    pub nothing_to_do: bool,
}

impl Refusal {
    fn at(loc: Loc, label: &str, message: String, help: impl Into<String>) -> Refusal {
        Refusal {
            loc: Some(loc),
            label: label.to_string(),
            message,
            help: Some(help.into()),
            nothing_to_do: false,
        }
    }
    fn done(mut self) -> Refusal {
        self.nothing_to_do = true;
        self
    }
    fn render(&self, sources: &SourceMap, style: Style) -> String {
        let source = self.loc.map(|loc| {
            (
                sources.get(loc.file),
                vec![(loc.range(), self.label.clone(), true)],
            )
        });
        render_diag(
            &Diag {
                code: None,
                level: Level::Error,
                message: &self.message,
                help: self.help.clone(),
                source,
            },
            style,
        )
    }
}

/// The change the arguments ask for; an argument that is malformed in itself is an error here.
pub fn change(args: &RotateArgs) -> Result<Change, String> {
    if args.new_version {
        return Ok(Change::NewVersion);
    }
    if let Some(v) = &args.key_version {
        return check_version(v).map(|()| Change::KeyVersion(v.clone()));
    }
    if args.automatic {
        return Ok(Change::Automatic);
    }
    if let Some(v) = &args.manual {
        if let Some(v) = v {
            check_version(v)?;
        }
        return Ok(Change::Manual(v.clone()));
    }
    match args.identity.as_deref() {
        Some(id) => identity_target(id).map(Change::Identity),
        None => Err(
            "give one of --new-version, --key-version, --automatic, --manual, --identity".into(),
        ),
    }
}

/// A Key Vault key version: 32 hexadecimal characters (as Key Vault generates them).
fn check_version(v: &str) -> Result<(), String> {
    if v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!(
            "'{}' is not a key version: a version is the 32 hexadecimal characters after /keys/<name>/ in a key id",
            crate::quote::value(v)
        ))
    }
}

fn identity_target(s: &str) -> Result<IdentityTarget, String> {
    if s.eq_ignore_ascii_case("system") || s.eq_ignore_ascii_case("[system]") {
        return Ok(IdentityTarget::System);
    }
    if s.starts_with('/') {
        check_identity_resource_id(s)
            .map(|()| IdentityTarget::ResourceId(s.to_string()))
            .map_err(|e| format!("--identity: {e}"))
    } else {
        check_identity_name(s)
            .map(|()| IdentityTarget::Name(s.to_string()))
            .map_err(|e| {
                format!("--identity: {e} (give `system`, a user-assigned identity's name or its resource id)")
            })
    }
}

/// Where the spec names its key: `key.id`, or `key.version` / `key.name`.
fn key_loc(spec: &Spec) -> Loc {
    match &spec.key.reference {
        KeyRef::Id(id) => id.loc,
        KeyRef::Name {
            version: Some(v), ..
        } => v.loc,
        KeyRef::Name { name, .. } => name.loc,
    }
}

/// Does the spec say the registry reaches its key through its system-assigned identity?
fn on_system_identity(spec: &Spec) -> Option<Loc> {
    if spec.vault.firewall.value {
        return Some(spec.vault.firewall.loc);
    }
    spec.encryption_system()
        .then(|| spec.encryption_identity_loc())
}

/// Check `change` against the spec; the rotation to script, or why not.
pub fn check(
    spec: &Spec,
    change: Change,
    spec_only: bool,
    spec_path: String,
    record: bool,
) -> Result<Rotation, Refusal> {
    let kloc = key_loc(spec);
    let kek = match (spec.key_uri(), &spec.key.reference) {
        (Some(uri), _) => uri,
        (None, KeyRef::Name { name, .. })
            if spec.key.rotation.value == crate::spec::Rotation::Automatic =>
        {
            format!(
                "https://{}.{}/keys/{}",
                spec.vault.name.value,
                spec.deployment.cloud.value.vault_suffix(),
                name.value
            )
        }
        _ => {
            return Err(Refusal::at(
                spec.key.create.loc,
                "the version is known only after deployment",
                "the template creates this key and pins the registry to its first version, which the spec does not name".into(),
                "the key exists now: set `key.create = false` and `key.version` to the version the registry uses (az acr encryption show), then run acr-cmk rotate again",
            ));
        }
    };
    let uri = parse_key_uri(&kek).map_err(|e| {
        Refusal::at(
            kloc,
            "not a key id",
            format!("the spec's key id cannot be rotated: {e}"),
            "correct the key id (acr-cmk validate checks it, CMK005)",
        )
    })?;
    let automatic = uri.version.is_none();
    let system_loc = on_system_identity(spec);
    match &change {
        Change::NewVersion if uri.managed_hsm => {
            return Err(Refusal::at(
                kloc,
                "a Managed HSM key",
                "--new-version creates Key Vault key versions; this key is in a Managed HSM".into(),
                "create the version with az keyvault key create --hsm-name, then run acr-cmk rotate --key-version VERSION",
            ));
        }
        Change::NewVersion if spec_only => {
            return Err(Refusal::at(
                kloc,
                "the key the version was created for",
                "--spec-only records a version that is known: --new-version does not name one"
                    .into(),
                "record the new version with --key-version VERSION --spec-only",
            ));
        }
        Change::KeyVersion(_) | Change::Manual(_) if spec.key.create.value => {
            return Err(Refusal::at(
                spec.key.create.loc,
                "the template creates the key",
                "the template creates this key and names it without a version: a pinned version is written as `key.version`, which `key.create` does not take".into(),
                "the key exists now: set `key.create = false`, then run acr-cmk rotate again",
            ));
        }
        Change::KeyVersion(v) if automatic => {
            return Err(Refusal::at(
                kloc,
                "versionless: the registry follows new versions",
                "--key-version rotates a registry pinned to a key version (manual rotation), but this key id has no version (automatic rotation)".into(),
                format!("to pin this version and switch to manual rotation at once: acr-cmk rotate <spec> --manual={v}"),
            ));
        }
        Change::KeyVersion(v)
            if uri
                .version
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(v)) =>
        {
            return Err(Refusal::at(
                kloc,
                "already this version",
                format!("the registry already uses version {v}: nothing to do"),
                "give another version, or --new-version to create one",
            )
            .done());
        }
        Change::Automatic if automatic => {
            return Err(Refusal::at(
                kloc,
                "already versionless",
                "the key id has no version: the registry already rotates automatically, nothing to do".into(),
                "--new-version creates a version the registry picks up; --manual pins one",
            )
            .done());
        }
        Change::Manual(v) if !automatic => {
            let current = uri.version.clone().unwrap_or_default();
            let same = v
                .as_deref()
                .is_none_or(|v| v.eq_ignore_ascii_case(&current));
            if same {
                return Err(Refusal::at(
                    kloc,
                    "already pinned",
                    format!("the key id is already pinned to version {current} (manual rotation): nothing to do"),
                    "to move to another version: --key-version VERSION, or --new-version",
                )
                .done());
            }
            return Err(Refusal::at(
                kloc,
                "already pinned",
                format!("the key id is already pinned to version {current} (manual rotation)"),
                format!(
                    "to move to version {}: --key-version {0}",
                    v.as_deref().unwrap_or_default()
                ),
            ));
        }
        Change::Manual(None) if spec_only => {
            return Err(Refusal::at(
                kloc,
                "the key to pin",
                "--spec-only records a version that is known: give it with --manual=VERSION".into(),
                "acr-cmk rotate <spec> --manual=VERSION --spec-only",
            ));
        }
        Change::Identity(IdentityTarget::System) => {
            if let Some(loc) = system_loc {
                return Err(Refusal::at(
                    loc,
                    "the system-assigned identity already",
                    "the registry already reaches its key through its system-assigned identity: nothing to do".into(),
                    "--identity <user-assigned identity> moves it to a user-assigned one",
                )
                .done());
            }
        }
        Change::Identity(target) => {
            if spec.vault.firewall.value {
                return Err(Refusal::at(
                    spec.vault.firewall.loc,
                    "the vault denies public network access",
                    "behind the vault firewall only the registry's system-assigned identity reaches the key: a user-assigned identity is not a trusted service (CMK012)".into(),
                    "keep the system-assigned identity; acr-cmk explain CMK012 says why",
                ));
            }
            let (same, name_known) = match (&spec.identity, target) {
                (Identity::Create(n), IdentityTarget::Name(t)) => {
                    (n.value.eq_ignore_ascii_case(t), true)
                }
                (Identity::Existing(id), IdentityTarget::ResourceId(t)) => {
                    (id.value.eq_ignore_ascii_case(t), true)
                }
                (Identity::Existing(id), IdentityTarget::Name(t)) => {
                    let same = id
                        .value
                        .rsplit('/')
                        .next()
                        .is_some_and(|n| n.eq_ignore_ascii_case(t));
                    (same, same)
                }
                _ => (false, matches!(target, IdentityTarget::ResourceId(_))),
            };
            if same && system_loc.is_none() {
                let loc = match &spec.identity {
                    Identity::Create(n) | Identity::Existing(n) => n.loc,
                };
                return Err(Refusal::at(
                    loc,
                    "in use",
                    "the registry already reaches its key through this identity: nothing to do"
                        .into(),
                    "name another identity, or `system`",
                )
                .done());
            }
            if spec_only && !name_known {
                return Err(Refusal::at(
                    match &spec.identity {
                        Identity::Create(n) | Identity::Existing(n) => n.loc,
                    },
                    "the spec's identity",
                    "--spec-only records an identity by resource id: a name the spec does not declare is found only in Azure".into(),
                    "give the identity's resource id (az identity show --query id)",
                ));
            }
        }
        _ => {}
    }
    Ok(Rotation {
        plan: Plan::new(spec),
        change,
        key_base: format!("https://{}.{}/keys/{}", uri.vault, uri.suffix, uri.name),
        key_vault: uri.vault,
        key_name: uri.name,
        kek,
        automatic,
        current_system: system_loc.is_some(),
        spec_path,
        record,
    })
}

pub fn run(args: &RotateArgs) -> Exit {
    let style = Style::for_stderr();
    let change = match change(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Error;
        }
    };
    let text = match read_spec(&args.spec, style) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let loaded = crate::spec::load(&args.spec.display().to_string(), &text);
    let Some(spec) = loaded.spec.filter(|_| loaded.findings.is_empty()) else {
        eprint!("{}", render_all(&loaded.findings, &loaded.sources, style));
        eprintln!("nothing written: fix the spec first");
        return Exit::Error;
    };
    let spec_path = if args.spec_only {
        String::new()
    } else {
        match script_relative(&args.spec, &args.out_dir) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::Error;
            }
        }
    };
    let rotation = match check(&spec, change, args.spec_only, spec_path, args.write_spec) {
        Ok(r) => r,
        Err(r) if r.nothing_to_do && args.spec_only => {
            println!(
                "{}: already records this ({}); not changed",
                args.spec.display(),
                r.message.trim_end_matches(": nothing to do")
            );
            return Exit::Ok;
        }
        Err(r) => {
            eprint!("{}", r.render(&loaded.sources, style));
            eprintln!("nothing written");
            return Exit::Error;
        }
    };
    if args.spec_only {
        return match spec_edit::record(&args.spec, &text, &spec, &rotation) {
            Ok(summary) => {
                println!("{}: {summary}", args.spec.display());
                Exit::Ok
            }
            Err(e) => {
                eprintln!(
                    "error: {e}\nnothing written: {} is as it was",
                    args.spec.display()
                );
                Exit::Error
            }
        };
    }
    let script = match render(&rotation) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e} (a bug in acr-cmk: please report it)");
            return Exit::Error;
        }
    };
    let planned = [output::Planned {
        dir: &args.out_dir,
        name: ROTATE_FILE,
        text: &script,
        executable: true,
    }];
    match output::write_all(&planned) {
        Ok(()) => {
            let path = args.out_dir.join(ROTATE_FILE);
            println!(
                "wrote {}: run it with RESOURCE_GROUP=<the registry's resource group> {}",
                path.display(),
                path.display()
            );
            if args.write_spec {
                println!(
                    "it records the rotation in {} when the registry confirms it",
                    args.spec.display()
                );
            }
            Exit::Ok
        }
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Error
        }
    }
}

/// The spec's path as rotate.sh sees it from its own directory (the script starts with
/// `cd "$(dirname "$0")"`): relative, so the directory can be moved with the spec.
fn script_relative(spec: &Path, out_dir: &Path) -> Result<String, String> {
    let spec_abs = std::fs::canonicalize(spec)
        .map_err(|e| format!("cannot resolve {}: {e}", spec.display()))?;
    let dir_abs = resolve_dir(out_dir)?;
    let relative = relative_path(&dir_abs, &spec_abs);
    relative.to_str().map(str::to_string).ok_or_else(|| {
        format!(
            "{}: the path is not UTF-8, which rotate.sh cannot name",
            spec.display()
        )
    })
}

/// `dir` made absolute, through its nearest existing ancestor (it may not exist yet).
fn resolve_dir(dir: &Path) -> Result<PathBuf, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let abs = cwd.join(dir);
    let mut missing = Vec::new();
    let mut base = abs.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(base) {
            let mut out = real;
            for part in missing.iter().rev() {
                out.push(part);
            }
            return Ok(out);
        }
        match (base.parent(), base.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_os_string());
                base = parent;
            }
            _ => return Err(format!("cannot resolve {}", dir.display())),
        }
    }
}

/// The path of `to` relative to the directory `from` (both absolute and normalised).
fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to_parts[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_ancestor() {
        assert_eq!(
            relative_path(Path::new("/a/b/out"), Path::new("/a/b/spec.toml")),
            PathBuf::from("../spec.toml")
        );
        assert_eq!(
            relative_path(Path::new("/a/out/x"), Path::new("/a/specs/s.toml")),
            PathBuf::from("../../specs/s.toml")
        );
        assert_eq!(
            relative_path(Path::new("/a"), Path::new("/a/s.toml")),
            PathBuf::from("s.toml")
        );
    }

    #[test]
    fn versions_are_32_hexadecimal_characters() {
        assert!(check_version("0123456789abcdef0123456789ABCDEF").is_ok());
        for bad in [
            "",
            "0123",
            "0123456789abcdef0123456789abcdeg",
            "$(rm -rf /)",
        ] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn identities_are_system_a_resource_id_or_a_name() {
        assert_eq!(identity_target("[system]"), Ok(IdentityTarget::System));
        assert_eq!(identity_target("System"), Ok(IdentityTarget::System));
        assert_eq!(
            identity_target("id-other"),
            Ok(IdentityTarget::Name("id-other".into()))
        );
        let id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-x";
        assert_eq!(
            identity_target(id),
            Ok(IdentityTarget::ResourceId(id.into()))
        );
        for bad in ["x", "a'b", "$(id)", "/subscriptions/x"] {
            assert!(identity_target(bad).is_err(), "{bad}");
        }
    }
}
