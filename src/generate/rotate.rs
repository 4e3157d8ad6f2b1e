//! `rotate.sh`: the script of `acr-cmk rotate`, rendered from `templates/rotate.sh.hbs` with
//! the same engine, helpers and shared shell fragments (cloud check, key-access retry) as
//! `deploy.sh`. What to rotate is decided by the command (`crate::commands::rotate`); this
//! module only turns a checked [`Rotation`] into the script.

use super::bicep::{engine, tidy, vault_scope_args};
use super::escape::shell_quote;
use super::plan::{Identity2, Plan};
use serde_json::json;

pub const ROTATE_FILE: &str = "rotate.sh";
const TEMPLATE: &str = include_str!("../../templates/rotate.sh.hbs");

/// What one run of rotate.sh changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Create a new key version (and, on a manual registry, rotate to it).
    NewVersion,
    /// Rotate a manual registry to this existing version.
    KeyVersion(String),
    /// Switch to the versionless key id.
    Automatic,
    /// Switch to a versioned key id: this version, or the key's current one (read at run time).
    Manual(Option<String>),
    /// Reach the key through another identity.
    Identity(IdentityTarget),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityTarget {
    /// The registry's system-assigned identity.
    System,
    /// A user-assigned identity by resource id.
    ResourceId(String),
    /// A user-assigned identity by name, in the registry's resource group.
    Name(String),
}

/// A checked rotation: the deployment as the spec describes it and the change to make.
#[derive(Clone, Debug)]
pub struct Rotation {
    pub plan: Plan,
    pub change: Change,
    /// The key id the registry uses now (the spec's).
    pub kek: String,
    /// `kek` without its version.
    pub key_base: String,
    /// The vault and the key name in `kek`.
    pub key_vault: String,
    pub key_name: String,
    /// The spec's rotation is automatic (a versionless `kek`).
    pub automatic: bool,
    /// The registry reaches its key through its system-assigned identity now.
    pub current_system: bool,
    /// The spec, as the script finds it from its own directory.
    pub spec_path: String,
    /// `--write-spec`: the script records the rotation in the spec once the registry confirms it.
    pub record: bool,
}

impl Rotation {
    /// The arguments of `acr-cmk rotate SPEC … --spec-only` that record this rotation, as shell
    /// text (run-time values are shell variables of the script); `None`: nothing to record.
    fn record_args(&self) -> Option<String> {
        if !self.record {
            return None;
        }
        Some(match &self.change {
            Change::NewVersion if self.automatic => return None,
            Change::NewVersion => "--key-version \"$version\"".to_string(),
            Change::KeyVersion(v) => format!("--key-version {}", shell_quote(v)),
            Change::Automatic => "--automatic".to_string(),
            Change::Manual(None) => "--manual=\"$version\"".to_string(),
            Change::Manual(Some(v)) => format!("--manual={}", shell_quote(v)),
            Change::Identity(IdentityTarget::System) => "--identity system".to_string(),
            Change::Identity(_) => "--identity \"$identity_id\"".to_string(),
        })
    }

    fn summary(&self) -> String {
        let r = &self.plan.registry_name;
        match &self.change {
            Change::NewVersion if self.automatic => format!(
                "Create a new version of the key {}; the registry {r} follows it (automatic rotation).",
                self.key_name
            ),
            Change::NewVersion => format!(
                "Create a new version of the key {} and rotate the registry {r} to it (manual rotation).",
                self.key_name
            ),
            Change::KeyVersion(v) => format!("Rotate the registry {r} to version {v} of its key."),
            Change::Automatic => format!(
                "Switch the registry {r} to automatic rotation (the versionless key id)."
            ),
            Change::Manual(Some(v)) => {
                format!("Switch the registry {r} to manual rotation, pinned to key version {v}.")
            }
            Change::Manual(None) => format!(
                "Switch the registry {r} to manual rotation, pinned to the key's current version."
            ),
            Change::Identity(IdentityTarget::System) => format!(
                "Move the registry {r} to its system-assigned identity for key access."
            ),
            Change::Identity(IdentityTarget::ResourceId(id)) => {
                format!("Move the registry {r} to the user-assigned identity {id} for key access.")
            }
            Change::Identity(IdentityTarget::Name(n)) => {
                format!("Move the registry {r} to the user-assigned identity {n} for key access.")
            }
        }
        .replace(['\r', '\n'], " ")
    }

    fn done(&self) -> &'static str {
        match &self.change {
            Change::NewVersion | Change::KeyVersion(_) => {
                "The registry now uses the new key version."
            }
            Change::Automatic => {
                "The registry now uses the versionless key id: it picks up new key versions within an hour."
            }
            Change::Manual(_) => {
                "The registry is now pinned to one key version: rotate with acr-cmk rotate --new-version or --key-version."
            }
            Change::Identity(_) => "The registry now reaches its key through the new identity.",
        }
    }
}

/// `az identity show` arguments that find a user-assigned identity.
fn identity_args(id: Option<&str>, name: Option<&str>) -> String {
    match (id, name) {
        (Some(id), _) => format!("--ids {}", shell_quote(id)),
        (None, Some(n)) => format!(
            "--name {} --resource-group \"$RESOURCE_GROUP\"",
            shell_quote(n)
        ),
        (None, None) => String::new(),
    }
}

pub fn render(r: &Rotation) -> Result<String, String> {
    let p = &r.plan;
    let current_identity_args = match &p.identity {
        Identity2::Create(n) => identity_args(None, Some(n)),
        Identity2::Existing(id) => identity_args(Some(id), None),
    };
    let (target_system, target_name, target_identity_args) = match &r.change {
        Change::Identity(IdentityTarget::System) => (true, false, String::new()),
        Change::Identity(IdentityTarget::ResourceId(id)) => {
            (false, false, identity_args(Some(id), None))
        }
        Change::Identity(IdentityTarget::Name(n)) => (false, true, identity_args(None, Some(n))),
        _ => (false, false, String::new()),
    };
    let versioned = |v: &str| format!("{}/{v}", r.key_base);
    let new_key_static = match &r.change {
        Change::KeyVersion(v) | Change::Manual(Some(v)) => Some(versioned(v)),
        Change::Automatic => Some(r.key_base.clone()),
        Change::Identity(_) => Some(r.kek.clone()),
        Change::NewVersion | Change::Manual(None) => None,
    };
    let ctx = json!({
        "summary": r.summary(),
        "done": r.done(),
        "spec_path": r.spec_path,
        "registry_name": p.registry_name,
        "cloud": p.cloud.name(),
        "vault_name": r.key_vault,
        "vault_scope_args": vault_scope_args(p),
        "key_name": r.key_name,
        "key_base": r.key_base,
        "kek": r.kek,
        "kty": p.kty,
        "key_size": p.key_size,
        "rbac": p.rbac,
        "role_id": crate::azure::ROLE_CRYPTO_SERVICE_ENCRYPTION_USER,
        "firewall": p.firewall,
        "automatic": r.automatic,
        "current_system": r.current_system,
        "current_identity_args": current_identity_args,
        "mode_new_version": r.change == Change::NewVersion,
        // A new version on the versionless id is all: the registry follows it by itself.
        "rotates": !(r.change == Change::NewVersion && r.automatic),
        "mode_manual_current": r.change == Change::Manual(None),
        "mode_identity": matches!(r.change, Change::Identity(_)),
        "check_version": matches!(r.change, Change::KeyVersion(_) | Change::Manual(Some(_))),
        "new_key_static": new_key_static,
        "target_system": target_system,
        "target_name": target_name,
        "target_identity_args": target_identity_args,
        "record_args": r.record_args(),
    });
    let mut hb = engine()?;
    hb.register_template_string(ROTATE_FILE, TEMPLATE)
        .map_err(|e| format!("template {ROTATE_FILE}: {e}"))?;
    hb.render(ROTATE_FILE, &ctx)
        .map(tidy)
        .map_err(|e| format!("rendering {ROTATE_FILE}: {e}"))
}
