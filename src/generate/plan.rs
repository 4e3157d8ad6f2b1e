//! What to generate, decided once from the spec; the ARM and Bicep writers and the scripts
//! only render it. Every fact about the deployment that more than one output needs (names,
//! the key-access sequence behind a firewall, the locks, the notes) is decided here.

use crate::spec::model::{
    GRANT_DEPLOYMENT_PREFIX, LOCK_NAME, SYSTEM_GRANT_DEPLOYMENT_PREFIX, lock_notes,
};
use crate::spec::{Access, Duration, Identity, KeyRef, Rotation, Spec};

/// Parameter descriptions, shared by the ARM template and the Bicep file.
pub mod desc {
    pub const REGISTRY_NAME: &str =
        "Name of the container registry: 5-50 letters and digits, globally unique.";
    pub const LOCATION: &str = "Azure region of the registry and of the resources created with it.";
    pub const TAGS: &str = "Tags applied to every resource the template creates.";
    pub const IDENTITY_NAME: &str = "Name of the user-assigned identity the registry uses to reach the key: 3-128 letters, digits, '-' and '_'.";
    pub const IDENTITY_ID: &str =
        "Resource id of the existing user-assigned identity the registry uses to reach the key.";
    pub const VAULT_NAME: &str = "Name of the key vault that holds the key-encryption key: 3-24 letters, digits and hyphens.";
    pub const VAULT_RESOURCE_GROUP: &str = "Resource group of the key vault.";
    pub const VAULT_SUBSCRIPTION_ID: &str = "Subscription id of the key vault.";
    pub const KEK_ID_AUTOMATIC: &str = "Versionless key identifier (https://<vault>.<suffix>/keys/<name>): the registry picks up new key versions automatically.";
    pub const KEK_ID_MANUAL: &str = "Versioned key identifier (https://<vault>.<suffix>/keys/<name>/<version>): rotate with az acr encryption rotate-key.";
    pub const KEY_NAME: &str =
        "Name of the RSA key the template creates in the vault: 1-127 letters, digits and hyphens.";
    pub const ENCRYPTION_IDENTITY: &str = "Identity the registry reaches its key with: user-assigned to create the registry, system once deploy.sh has moved it to its system-assigned identity (which also closes the firewall of a vault this template creates).";
}

/// Values of the `encryption_identity` parameter (vaults behind a firewall).
pub const ENCRYPTION_IDENTITY_USER: &str = "user-assigned";
pub const ENCRYPTION_IDENTITY_SYSTEM: &str = "system";

/// Everything the writers need, in generator vocabulary.
#[derive(Clone, Debug)]
pub struct Plan {
    pub registry_name: String,
    pub registry_api: String,
    /// `None`: the resource group's location.
    pub location: Option<String>,
    pub tags: Vec<(String, String)>,
    pub sku: String,
    /// Content trust as the spec asks (true is CMK003, so a clean build never writes it; the
    /// generator still renders what the spec says, never silently something else).
    pub content_trust: bool,
    pub admin_user: bool,
    pub public_network_access: &'static str,
    /// `None` for API versions before `zoneRedundancy` existed (2020-11-01-preview).
    pub zone_redundancy: Option<&'static str>,
    /// Create this identity, or use the existing one by resource id.
    pub identity: Identity2,
    pub vault_name: String,
    pub vault_create: bool,
    /// `Some` when the grant goes through a nested deployment (vault elsewhere).
    pub vault_remote: Option<Remote>,
    pub rbac: bool,
    pub key: KeyPlan,
    pub rotation: Rotation,
    pub kty: String,
    pub key_size: i64,
    pub cloud: crate::azure::Cloud,
    /// The rotation policy of a created key (automatic rotation only).
    pub rotation_policy: Option<PolicyPlan>,
    /// The registry's system-assigned identity is enabled beside the user-assigned one and
    /// granted key access (`identity.system_assigned`, or implied by the firewall).
    pub system_identity: bool,
    /// The vault denies public network access: the registry is created with its user-assigned
    /// identity, then moved to its system-assigned identity, which passes the firewall as a
    /// trusted service (see [`Plan::notes`]).
    pub firewall: bool,
    /// The registry reaches its key through its system-assigned identity once deploy.sh has
    /// moved it there (`identity.encryption = "system"`, implied by the firewall): the
    /// template's `encryption_identity` parameter and deploy.sh's two-step sequence.
    pub via_system: bool,
    /// CanNotDelete locks on the identity and on a created vault.
    pub locks: bool,
}

/// A resource to lock that the template does not create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockTarget {
    pub resource_type: &'static str,
    pub name: String,
    /// `None`: the deployment's resource group.
    pub resource_group: Option<String>,
    /// `None`: the deployment's subscription.
    pub subscription_id: Option<String>,
}

/// A key rotation policy, as ISO 8601 durations Key Vault documents (`P18M`, `P30D`, `P2Y`).
#[derive(Clone, Debug)]
pub struct PolicyPlan {
    pub rotate_after: Duration,
    pub expires_after: Duration,
    pub notify_before: Duration,
}

#[derive(Clone, Debug)]
pub enum Identity2 {
    Create(String),
    Existing(String),
}

#[derive(Clone, Debug, Default)]
pub struct Remote {
    pub resource_group: Option<String>,
    pub subscription_id: Option<String>,
}

#[derive(Clone, Debug)]
pub enum KeyPlan {
    /// The key id is a parameter (`kek_id`) with this value.
    Existing { kek_id: String },
    /// The template creates the key with this name.
    Create { name: String },
}

impl Plan {
    pub fn new(spec: &Spec) -> Plan {
        let r = &spec.registry;
        let v = &spec.vault;
        let k = &spec.key;
        let key = match (&k.reference, k.create.value) {
            (KeyRef::Name { name, .. }, true) => KeyPlan::Create {
                name: name.value.clone(),
            },
            _ => KeyPlan::Existing {
                kek_id: spec.key_uri().unwrap_or_default(),
            },
        };
        Plan {
            registry_name: r.name.value.clone(),
            registry_api: spec.deployment.api_version.value.clone(),
            location: r.location.as_ref().map(|l| l.value.clone()),
            tags: r
                .tags
                .iter()
                .map(|(k, v)| (k.value.clone(), v.value.clone()))
                .collect(),
            sku: r.sku.value.clone(),
            content_trust: r.content_trust.value,
            admin_user: r.admin_user.value,
            public_network_access: r.public_network_access.value.as_str(),
            zone_redundancy: crate::azure::registry_api_has_zone_redundancy(
                &spec.deployment.api_version.value,
            )
            .then(|| r.zone_redundancy.value.as_str()),
            identity: match &spec.identity {
                Identity::Create(n) => Identity2::Create(n.value.clone()),
                Identity::Existing(id) => Identity2::Existing(id.value.clone()),
            },
            vault_name: v.name.value.clone(),
            vault_create: v.create.value,
            vault_remote: v.is_remote().then(|| Remote {
                resource_group: v.resource_group.as_ref().map(|x| x.value.clone()),
                subscription_id: v.subscription_id.as_ref().map(|x| x.value.clone()),
            }),
            rbac: v.access.value == Access::Rbac,
            key,
            rotation: k.rotation.value,
            kty: k.kty.value.clone(),
            key_size: k.size.value,
            cloud: spec.deployment.cloud.value,
            rotation_policy: spec.rotation_policy().map(|p| PolicyPlan {
                rotate_after: p.rotate_after.value,
                expires_after: p.expires_after.value,
                notify_before: p.notify_before.value,
            }),
            system_identity: spec.system_identity(),
            firewall: v.firewall.value,
            via_system: spec.encryption_system(),
            locks: spec.deployment.locks.value,
        }
    }

    pub fn identity_existing(&self) -> bool {
        matches!(self.identity, Identity2::Existing(_))
    }

    pub fn key_create(&self) -> bool {
        matches!(self.key, KeyPlan::Create { .. })
    }

    /// Key Vault SKU when the template creates the vault.
    pub fn vault_sku(&self) -> &'static str {
        crate::azure::vault_sku_for_key_type(&self.kty)
    }

    /// Prefix of the nested deployment / module that grants key access in another resource
    /// group (≤ 64 characters: 10 + a 50-character name).
    pub const GRANT_DEPLOYMENT_PREFIX: &'static str = GRANT_DEPLOYMENT_PREFIX;
    /// Prefix of the nested deployment / module that grants the registry's system-assigned
    /// identity key access.
    pub const SYSTEM_GRANT_DEPLOYMENT_PREFIX: &'static str = SYSTEM_GRANT_DEPLOYMENT_PREFIX;
    /// Name of every CanNotDelete lock.
    pub const LOCK_NAME: &'static str = LOCK_NAME;

    /// Name of the `az deployment group create` deployment.
    pub fn deployment_name(&self) -> String {
        format!("acr-cmk-{}", self.registry_name)
    }

    /// Notes of the lock on `what` ("key vault", "user-assigned identity"), with the registry's
    /// name in place of `{0}` (the ARM template fills it from its parameter).
    pub fn lock_notes_format(what: &str) -> String {
        lock_notes("{0}", what)
    }

    /// Is the identity's lock in the template (a created identity)?
    pub fn lock_identity(&self) -> bool {
        self.locks && !self.identity_existing()
    }

    /// Is the vault's lock in the template (a created vault)?
    pub fn lock_vault(&self) -> bool {
        self.locks && self.vault_create
    }

    /// What `deployment.locks` asks to protect but the template does not create (an existing
    /// vault, an existing identity): deploy.sh says how to lock these.
    pub fn unlocked_targets(&self) -> Vec<LockTarget> {
        if !self.locks {
            return Vec::new();
        }
        let mut out = Vec::new();
        if !self.vault_create {
            let remote = self.vault_remote.clone().unwrap_or_default();
            out.push(LockTarget {
                resource_type: crate::azure::types::VAULT,
                name: self.vault_name.clone(),
                resource_group: remote.resource_group,
                subscription_id: remote.subscription_id,
            });
        }
        if let Identity2::Existing(id) = &self.identity {
            // /subscriptions/<s>/resourceGroups/<g>/providers/<namespace>/<type>/<name>
            let parts: Vec<&str> = id.split('/').collect();
            if let [_, _, sub, _, rg, ..] = parts.as_slice()
                && let Some(name) = parts.last()
            {
                out.push(LockTarget {
                    resource_type: crate::azure::types::IDENTITY,
                    name: name.to_string(),
                    resource_group: Some(rg.to_string()),
                    subscription_id: Some(sub.to_string()),
                });
            }
        }
        out
    }

    /// What a reader of the generated template must know that the resources do not say
    /// (template metadata, README): one paragraph each, plain text.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let KeyPlan::Create { name } = &self.key {
            let policy = match &self.rotation_policy {
                Some(p) => format!(
                    "Its rotation policy creates a new version {} after each version is created, notifies (Event Grid) {} before a version expires, and gives each new version a lifetime of {}; the registry follows new versions within an hour (versionless key id). ",
                    p.rotate_after.words(),
                    p.notify_before.words(),
                    p.expires_after.words()
                ),
                None => String::new(),
            };
            out.push(format!(
                "The key is created only if it does not exist: an ARM or Bicep deployment never changes an existing key (Key Vault's Keys - Create If Not Exist: \"does not create subsequent versions, and does not update existing keys\"), so its type, size and rotation policy stay as first deployed. {policy}To change the policy later run az keyvault key rotation-policy update --vault-name {v} --name {name} --value <policy.json>; for a new version now, az keyvault key rotate --vault-name {v} --name {name}.",
                v = self.vault_name
            ));
        }
        if self.firewall {
            let vault = if self.vault_create {
                "This template creates the vault with its firewall open (networkAcls.defaultAction Allow) while encryption_identity is user-assigned, and closed (Deny, trusted services through) once it is system; a later deployment with encryption_identity=system keeps it closed."
            } else {
                "The vault is not this template's: its firewall must let the registry's user-assigned identity reach the key while the registry is created (deploy.sh checks this and says how to open and close it)."
            };
            out.push(format!(
                "Vault behind a firewall (vault.firewall): a user-assigned identity is not a trusted service, so only the registry's system-assigned identity passes the vault firewall (MicrosoftDocs/azure-docs issues 61064 and 61015; Microsoft's 2021 ACR customer-managed-key guide: \"an Azure container registry can only bypass the firewall when using its system-managed identity\"). A registry is created with a user-assigned identity only, so deploy.sh runs the documented sequence: deploy with encryption_identity=user-assigned (the registry gets both identities, and the system identity is granted on the vault); az acr encryption rotate-key --identity [system] with the same key; deploy again with encryption_identity=system, which the template then describes for good, so a redeployment never moves the registry back to the user-assigned identity. {vault}"
            ));
        } else if self.via_system {
            out.push("The registry reaches its key through its system-assigned identity (identity.encryption = \"system\", as acr-cmk rotate --identity system records it). A registry is created with a user-assigned identity only, so deploy.sh creates it with encryption_identity=user-assigned, moves it with az acr encryption rotate-key --identity [system], and deploys again with encryption_identity=system; a registry already on its system-assigned identity is deployed with encryption_identity=system at once, so a redeployment never moves it back.".to_string());
        } else if self.system_identity {
            out.push("The registry's system-assigned identity is enabled beside the user-assigned one and granted key access (identity.system_assigned), so that az acr encryption rotate-key --identity [system] can switch to it; the registry keeps using the user-assigned identity until then.".to_string());
        }
        if self.locks {
            out.push("deployment.locks: CanNotDelete locks protect the identity and a vault this template creates from deletion through Azure Resource Manager (not the key itself: keys are data plane; purge protection keeps a deleted key recoverable). Creating a lock needs Microsoft.Authorization/locks/write, which of the built-in roles only Owner and User Access Administrator have; a Contributor cannot deploy this template.".to_string());
        }
        out
    }

    pub fn kek_description(&self) -> &'static str {
        match self.rotation {
            Rotation::Automatic => desc::KEK_ID_AUTOMATIC,
            Rotation::Manual => desc::KEK_ID_MANUAL,
        }
    }
}
