//! What to generate, decided once from the spec; the ARM and Bicep writers only render it.

use crate::spec::{Access, Identity, KeyRef, Rotation, Spec};

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
}

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

    /// Name of the nested deployment / module that grants key access in another resource
    /// group, as an ARM `format()` argument list (≤ 64 characters: 10 + a 50-character name).
    pub const GRANT_DEPLOYMENT_PREFIX: &'static str = crate::spec::model::GRANT_DEPLOYMENT_PREFIX;

    pub fn kek_description(&self) -> &'static str {
        match self.rotation {
            Rotation::Automatic => desc::KEK_ID_AUTOMATIC,
            Rotation::Manual => desc::KEK_ID_MANUAL,
        }
    }
}
