//! The spec as a front end: the deployment a [`Spec`] describes, as a format-neutral
//! [`Model`] located in the TOML, so that the one rule catalogue checks specs too.
//!
//! The model is the deployment `acr-cmk build` generates: the same resources, API versions and
//! dependencies as `CMKtemplate.json` (a test keeps the two in step). On top of it, what only
//! the spec knows:
//! - the vault and key it uses but does not create, as `existing` resources (the key with the
//!   type and size the spec states), so that their names and the key type are checked;
//! - the rotation mode, the key versions used before and the target cloud, as model intents;
//! - the spec's own names for the model's properties (`registry.sku` for `sku.name`), so that
//!   messages and pointers speak TOML.
//!
//! Locations: a value points at the TOML value it comes from; a default at the table it was
//! filled in for (or the file start), as the parser placed it; a value the generator decides
//! (purge protection of a vault it creates, the permissions of the grant) at the setting that
//! asks for it (`vault.create`, `vault.access`).

use super::{Access, Identity, KeyRef, Rotation, Spanned, Spec};
use crate::azure::types::{
    ACCESS_POLICIES, DEPLOYMENT, IDENTITY, KEY, LOCK, REGISTRY, ROLE_ASSIGNMENT, VAULT,
};
use crate::azure::{self, api};
use crate::model::{
    CloudIntent, Key, Model, Node, Object, Presence, PreviousKeyVersions, Resource, RotationIntent,
    Scope, Spelling, Sym, SymStr, Value, extension_resource_id, resource_id,
};
use crate::source::Loc;

/// The name of the nested deployment that grants key access in the vault's resource group,
/// as the generator names it (`cmk-grant-<registry>`).
pub const GRANT_DEPLOYMENT_PREFIX: &str = "cmk-grant-";
/// The nested deployment that grants the registry's system-assigned identity key access
/// (`cmk-system-grant-<registry>`, at most 17 + 50 characters of the 64 allowed).
pub const SYSTEM_GRANT_DEPLOYMENT_PREFIX: &str = "cmk-system-grant-";
/// The name of the CanNotDelete locks (`deployment.locks`).
pub const LOCK_NAME: &str = "acr-cmk-do-not-delete";

/// The notes of a lock on `what` (at most 512 characters: a registry name has at most 50). No
/// quote or brace, so the text also serves as an ARM `format()` string.
pub fn lock_notes(registry: &str, what: &str) -> String {
    format!(
        "The container registry {registry} is encrypted with a customer-managed key reached through this {what}: deleting it makes the content of the registry unreadable. Added by acr-cmk (deployment.locks)."
    )
}

/// The deployment `spec` describes.
pub fn model(spec: &Spec) -> Model {
    Builder {
        spec,
        model: Model::default(),
    }
    .build()
}

struct Builder<'s> {
    spec: &'s Spec,
    model: Model,
}

fn node(value: Value, loc: Loc) -> Node {
    Node::new(value, loc)
}

fn text(s: &str, loc: Loc) -> Node {
    node(Value::Str(s.to_string()), loc)
}

fn spanned(s: &Spanned<String>) -> Node {
    text(&s.value, s.loc)
}

fn symbolic(s: SymStr, loc: Loc) -> Node {
    node(Value::from_symstr(s), loc)
}

fn expr(e: &str) -> SymStr {
    SymStr::sym(Sym::Expr(e.to_string()))
}

/// An object whose keys share their value's location.
fn object(loc: Loc, entries: Vec<(&str, Node)>) -> Node {
    let entries = entries
        .into_iter()
        .map(|(k, v)| {
            (
                Key {
                    name: k.to_string(),
                    loc: v.loc,
                },
                v,
            )
        })
        .collect();
    node(Value::Object(Object { entries }), loc)
}

fn array(loc: Loc, items: Vec<Node>) -> Node {
    node(Value::Array(items), loc)
}

/// A runtime property of a resource: `reference(<id>).<path>`.
fn property_of(id: &SymStr, path: &[&str]) -> SymStr {
    SymStr::sym(Sym::ResourceProp {
        id: id.clone(),
        path: path.iter().map(|p| p.to_string()).collect(),
    })
}

/// `r` depending on `depends_on`.
fn with_deps(mut r: Resource, depends_on: Vec<usize>) -> Resource {
    r.depends_on = depends_on;
    r
}

/// A resource with the fields every one of them has (`type`, `apiVersion` unless `fields` has
/// its own, `name`); `fields` holds the rest of its body. No dependencies yet.
fn resource(
    ty: &str,
    api: &str,
    name: Node,
    id: SymStr,
    mut fields: Vec<(&str, Node)>,
    loc: Loc,
    pointer: &str,
) -> Resource {
    let mut entries = vec![("type", text(ty, loc))];
    // The registry's API version is the spec's; the others are the generator's.
    if !fields.iter().any(|(k, _)| *k == "apiVersion") {
        entries.push(("apiVersion", text(api, loc)));
    }
    entries.push(("name", name.clone()));
    entries.append(&mut fields);
    Resource {
        ty: ty.to_string(),
        api_version: Some(api.to_string()),
        name,
        id,
        symbolic_name: None,
        existing: false,
        presence: Presence::Always,
        depends_on: Vec::new(),
        contains: Vec::new(),
        unseen: None,
        parent_deployment: None,
        body: object(loc, entries),
        loc,
        pointer: pointer.to_string(),
    }
}

impl Builder<'_> {
    fn build(mut self) -> Model {
        let spec = self.spec;
        let here = Scope::resource_group_deployment();
        let vault_scope = match spec.vault.is_remote() {
            false => here.clone(),
            true => Scope {
                subscription: Some(spec.vault.subscription_id.as_ref().map_or_else(
                    || expr("subscription().subscriptionId"),
                    |s| SymStr::lit(&s.value),
                )),
                resource_group: Some(
                    spec.vault
                        .resource_group
                        .as_ref()
                        .map_or_else(|| expr("resourceGroup().name"), |s| SymStr::lit(&s.value)),
                ),
            },
        };
        let vault_name = SymStr::lit(&spec.vault.name.value);
        let vault_id = resource_id(&vault_scope, VAULT, std::slice::from_ref(&vault_name));
        let rbac = spec.vault.access.value == Access::Rbac;

        let identity = self.identity(&here);
        let identity_id = match &spec.identity {
            Identity::Create(_) => identity.map(|i| self.model.resources[i].id.clone()),
            Identity::Existing(rid) => Some(SymStr::lit(&rid.value)),
        }
        .unwrap_or_default();
        let vault = spec
            .vault
            .create
            .value
            .then(|| self.vault(&vault_id, &identity_id, identity.filter(|_| !rbac)));
        if spec.deployment.locks.value {
            if let Some(i) = identity {
                self.lock(i, "user-assigned identity");
            }
            if let Some(v) = vault {
                self.lock(v, "key vault");
            }
        }
        let key = spec.key.create.value.then(|| self.key(&vault_scope, vault));
        let grant = if spec.vault.is_remote() {
            self.remote_grant(&vault_scope, &vault_id, &identity_id, identity)
        } else {
            let deps = identity.into_iter().chain(vault).collect();
            let principal = property_of(&identity_id, &["properties", "principalId"]);
            let at = self.grant_loc();
            self.grant(&here, &vault_id, principal, &identity_id, deps, None, at)
        };
        let registry = self.registry(&here, &identity_id, key, identity, grant);
        if spec.system_identity() {
            self.system_grant(&vault_scope, &vault_id, registry);
        }
        if vault.is_none() {
            self.existing_vault(&vault_scope);
        }
        if key.is_none() {
            self.existing_key(&vault_scope);
        }
        self.intents(registry);
        self.model
    }

    fn push(&mut self, r: Resource, spelling: &[(&'static str, &'static str)]) -> usize {
        let i = self.model.resources.len();
        self.model.resources.push(r);
        self.model
            .spelling
            .extend(spelling.iter().map(|&(path, spelled)| Spelling {
                resource: i,
                path,
                spelled,
            }));
        i
    }

    /// `location` and `tags` of a resource the template creates.
    fn placed(&self) -> Vec<(&'static str, Node)> {
        let r = &self.spec.registry;
        let location = match &r.location {
            Some(l) => spanned(l),
            None => symbolic(expr("resourceGroup().location"), r.loc),
        };
        let mut out = vec![("location", location)];
        if let Some(tags) = self.tags() {
            out.push(("tags", tags));
        }
        out
    }

    fn tags(&self) -> Option<Node> {
        let r = &self.spec.registry;
        if r.tags.is_empty() {
            return None;
        }
        let entries = r
            .tags
            .iter()
            .map(|(k, v)| {
                (
                    Key {
                        name: k.value.clone(),
                        loc: k.loc,
                    },
                    spanned(v),
                )
            })
            .collect();
        Some(node(Value::Object(Object { entries }), r.loc))
    }

    fn identity(&mut self, scope: &Scope) -> Option<usize> {
        let Identity::Create(name) = &self.spec.identity else {
            return None;
        };
        let id = resource_id(scope, IDENTITY, &[SymStr::lit(&name.value)]);
        let mut fields = self.placed();
        // Managed Identity 2024-11-30 requires `properties` (none of them matter here).
        fields.push(("properties", object(name.loc, Vec::new())));
        let r = resource(
            IDENTITY,
            api::IDENTITY,
            spanned(name),
            id,
            fields,
            name.loc,
            "/identity",
        );
        Some(self.push(r, &[("name", "identity.name")]))
    }

    /// The access-policy entry for the identity: get, wrapKey, unwrapKey.
    fn policy_entry(&self, principal: SymStr, loc: Loc) -> Node {
        let keys = ["get", "wrapKey", "unwrapKey"]
            .iter()
            .map(|p| text(p, loc))
            .collect();
        object(
            loc,
            vec![
                ("tenantId", symbolic(expr("subscription().tenantId"), loc)),
                ("objectId", symbolic(principal, loc)),
                ("permissions", object(loc, vec![("keys", array(loc, keys))])),
            ],
        )
    }

    /// Where the grant is written: `vault.access`, or the vault's name when access is the
    /// default.
    fn grant_loc(&self) -> Loc {
        let v = &self.spec.vault;
        if v.access.explicit {
            v.access.loc
        } else {
            v.name.loc
        }
    }

    fn vault(&mut self, vault_id: &SymStr, identity_id: &SymStr, dep: Option<usize>) -> usize {
        let v = &self.spec.vault;
        let rbac = v.access.value == Access::Rbac;
        let fixed = v.create.loc;
        let sku = azure::vault_sku_for_key_type(&self.spec.key.kty.value);
        // As the generator writes it: with access policies, the identity's policy is part of
        // the vault too.
        let policies = if rbac {
            Vec::new()
        } else {
            vec![self.policy_entry(
                property_of(identity_id, &["properties", "principalId"]),
                self.grant_loc(),
            )]
        };
        let properties = object(
            fixed,
            vec![
                ("tenantId", symbolic(expr("subscription().tenantId"), fixed)),
                (
                    "sku",
                    object(
                        fixed,
                        vec![("family", text("A", fixed)), ("name", text(sku, fixed))],
                    ),
                ),
                ("enableSoftDelete", node(Value::Bool(true), fixed)),
                ("softDeleteRetentionInDays", node(Value::Int(90), fixed)),
                ("enablePurgeProtection", node(Value::Bool(true), fixed)),
                (
                    "enableRbacAuthorization",
                    node(Value::Bool(rbac), v.access.loc),
                ),
                ("accessPolicies", array(self.grant_loc(), policies)),
                ("networkAcls", self.network_acls()),
            ],
        );
        let mut fields = self.placed();
        fields.push(("properties", properties));
        let r = with_deps(
            resource(
                VAULT,
                api::KEY_VAULT,
                spanned(&v.name),
                vault_id.clone(),
                fields,
                v.loc,
                "/vault",
            ),
            dep.into_iter().collect(),
        );
        self.push(
            r,
            &[
                ("name", "vault.name"),
                ("properties.enableRbacAuthorization", "vault.access"),
                ("properties.networkAcls.defaultAction", "vault.firewall"),
            ],
        )
    }

    /// The created vault's firewall as the template creates it with its default parameters:
    /// open, trusted services through. With `vault.firewall` the registry still reaches its key
    /// through its user-assigned identity then, which no firewall lets through; deploy.sh moves
    /// it to its system-assigned identity and redeploys with `encryption_identity=system`, which
    /// closes the firewall (the state the generated template describes for that parameter).
    fn network_acls(&self) -> Node {
        let v = &self.spec.vault;
        let fixed = v.create.loc;
        let action = if v.firewall.value {
            text("Allow", v.firewall.loc)
        } else {
            text("Allow", fixed)
        };
        object(
            fixed,
            vec![
                ("bypass", text("AzureServices", fixed)),
                ("defaultAction", action),
            ],
        )
    }

    /// `properties.rotationPolicy` of a created key: a Rotate action, a Notify action and the
    /// lifetime of the versions the policy creates (action types as the ARM schema spells
    /// them).
    fn rotation_policy(&self) -> Option<Node> {
        let p = self.spec.rotation_policy()?;
        let action = |trigger: &str, d: &Spanned<super::Duration>, ty: &str| {
            object(
                d.loc,
                vec![
                    (
                        "trigger",
                        object(d.loc, vec![(trigger, text(&d.value.iso(), d.loc))]),
                    ),
                    ("action", object(d.loc, vec![("type", text(ty, d.loc))])),
                ],
            )
        };
        let at = self.spec.key.create.loc;
        Some(object(
            at,
            vec![
                (
                    "lifetimeActions",
                    array(
                        at,
                        vec![
                            action("timeAfterCreate", &p.rotate_after, "rotate"),
                            action("timeBeforeExpiry", &p.notify_before, "notify"),
                        ],
                    ),
                ),
                (
                    "attributes",
                    object(
                        p.expires_after.loc,
                        vec![(
                            "expiryTime",
                            text(&p.expires_after.value.iso(), p.expires_after.loc),
                        )],
                    ),
                ),
            ],
        ))
    }

    fn key_properties(&self) -> Node {
        let k = &self.spec.key;
        let mut entries = vec![
            ("kty", spanned(&k.kty)),
            ("keySize", node(Value::Int(k.size.value), k.size.loc)),
        ];
        if k.create.value {
            let ops = ["wrapKey", "unwrapKey"]
                .iter()
                .map(|o| text(o, k.create.loc))
                .collect();
            entries.push(("keyOps", array(k.create.loc, ops)));
            if let Some(policy) = self.rotation_policy() {
                entries.push(("rotationPolicy", policy));
            }
        }
        object(k.loc, entries)
    }

    const KEY_SPELLING: [(&'static str, &'static str); 6] = [
        ("name", "key.name"),
        ("properties.kty", "key.type"),
        ("properties.keySize", "key.size"),
        (
            "properties.rotationPolicy.attributes.expiryTime",
            "key.expires_after",
        ),
        (
            "properties.rotationPolicy.lifetimeActions.0.trigger.timeAfterCreate",
            "key.rotate_after",
        ),
        (
            "properties.rotationPolicy.lifetimeActions.1.trigger.timeBeforeExpiry",
            "key.notify_before",
        ),
    ];

    fn key(&mut self, scope: &Scope, vault: Option<usize>) -> usize {
        let k = &self.spec.key;
        let name = k
            .name()
            .expect("the parser allows key.create only with key.name");
        let full = format!("{}/{}", self.spec.vault.name.value, name.value);
        let id = resource_id(
            scope,
            KEY,
            &[
                SymStr::lit(&self.spec.vault.name.value),
                SymStr::lit(&name.value),
            ],
        );
        let mut fields = Vec::new();
        if let Some(tags) = self.tags() {
            fields.push(("tags", tags));
        }
        fields.push(("properties", self.key_properties()));
        let r = with_deps(
            resource(
                KEY,
                api::KEY_VAULT,
                text(&full, name.loc),
                id,
                fields,
                k.loc,
                "/key",
            ),
            vault.into_iter().collect(),
        );
        self.push(r, &Self::KEY_SPELLING)
    }

    /// A grant of key access to `principal`: an access policy `<vault>/add`, or a role
    /// assignment of Key Vault Crypto Service Encryption User scoped to the vault, named
    /// `guid(vault, seed, role)` as the generator names it. `loc` is where the spec asks for it.
    #[allow(clippy::too_many_arguments)]
    fn grant(
        &mut self,
        scope: &Scope,
        vault_id: &SymStr,
        principal: SymStr,
        seed: &SymStr,
        depends_on: Vec<usize>,
        parent: Option<usize>,
        loc: Loc,
    ) -> usize {
        let v = &self.spec.vault;
        let mut r = if v.access.value == Access::Rbac {
            let role = azure::ROLE_CRYPTO_SERVICE_ENCRYPTION_USER;
            let mut definition = expr("subscription().id");
            definition.push_lit(&format!(
                "/providers/Microsoft.Authorization/roleDefinitions/{role}"
            ));
            let name = expr(&format!("guid('{vault_id}', '{seed}', '{}')", definition));
            let id = extension_resource_id(vault_id, ROLE_ASSIGNMENT, std::slice::from_ref(&name));
            let properties = object(
                loc,
                vec![
                    ("roleDefinitionId", symbolic(definition, loc)),
                    ("principalId", symbolic(principal, loc)),
                    ("principalType", text("ServicePrincipal", loc)),
                ],
            );
            with_deps(
                resource(
                    ROLE_ASSIGNMENT,
                    api::ROLE_ASSIGNMENT,
                    symbolic(name, loc),
                    id,
                    vec![
                        ("scope", symbolic(vault_id.clone(), loc)),
                        ("properties", properties),
                    ],
                    loc,
                    "/vault/access",
                ),
                depends_on,
            )
        } else {
            let name = format!("{}/add", v.name.value);
            let id = resource_id(
                scope,
                ACCESS_POLICIES,
                &[SymStr::lit(&v.name.value), SymStr::lit("add")],
            );
            let properties = object(
                loc,
                vec![(
                    "accessPolicies",
                    array(loc, vec![self.policy_entry(principal, loc)]),
                )],
            );
            with_deps(
                resource(
                    ACCESS_POLICIES,
                    api::KEY_VAULT,
                    text(&name, v.name.loc),
                    id,
                    vec![("properties", properties)],
                    loc,
                    "/vault/access",
                ),
                depends_on,
            )
        };
        r.parent_deployment = parent;
        self.push(r, &[])
    }

    /// A grant deployed through a nested deployment `name` (inner expression scope, as the
    /// generator writes it): into the vault's resource group when the vault is elsewhere, or
    /// beside the registry when a second access-policy `add` could not share the template.
    #[allow(clippy::too_many_arguments)]
    fn grant_deployment(
        &mut self,
        name: String,
        vault_scope: &Scope,
        vault_id: &SymStr,
        principal: SymStr,
        seed: &SymStr,
        depends_on: Vec<usize>,
        at: Loc,
        inner_at: Loc,
    ) -> usize {
        let v = &self.spec.vault;
        let scoped = |s: &Option<Spanned<String>>, default: &str| match s {
            Some(s) => spanned(s),
            None => symbolic(expr(default), at),
        };
        let mut fields = Vec::new();
        if v.is_remote() {
            fields.push((
                "subscriptionId",
                scoped(&v.subscription_id, "subscription().subscriptionId"),
            ));
            fields.push((
                "resourceGroup",
                scoped(&v.resource_group, "resourceGroup().name"),
            ));
        }
        fields.push((
            "properties",
            object(
                at,
                vec![
                    ("mode", text("Incremental", at)),
                    (
                        "expressionEvaluationOptions",
                        object(at, vec![("scope", text("Inner", at))]),
                    ),
                ],
            ),
        ));
        // A nested deployment is a resource of the resource group it deploys into.
        let id = resource_id(vault_scope, DEPLOYMENT, &[SymStr::lit(&name)]);
        let r = with_deps(
            resource(
                DEPLOYMENT,
                api::DEPLOYMENTS,
                text(&name, at),
                id,
                fields,
                at,
                "/vault/resource_group",
            ),
            depends_on,
        );
        let deployment = self.push(
            r,
            &[
                ("resourceGroup", "vault.resource_group"),
                ("subscriptionId", "vault.subscription_id"),
            ],
        );
        let inner = self.grant(
            vault_scope,
            vault_id,
            principal,
            seed,
            Vec::new(),
            Some(deployment),
            inner_at,
        );
        self.model.resources[deployment].contains.push(inner);
        deployment
    }

    /// The user-assigned identity's grant in a vault in another resource group or
    /// subscription: a nested deployment there.
    fn remote_grant(
        &mut self,
        scope: &Scope,
        vault_id: &SymStr,
        identity_id: &SymStr,
        identity: Option<usize>,
    ) -> usize {
        let v = &self.spec.vault;
        let at = v
            .resource_group
            .as_ref()
            .or(v.subscription_id.as_ref())
            .map_or(v.loc, |s| s.loc);
        let name = format!("{GRANT_DEPLOYMENT_PREFIX}{}", self.spec.registry.name.value);
        self.grant_deployment(
            name,
            scope,
            vault_id,
            property_of(identity_id, &["properties", "principalId"]),
            identity_id,
            identity.into_iter().collect(),
            at,
            self.grant_loc(),
        )
    }

    /// The registry's system-assigned identity granted on the vault: always through a nested
    /// deployment (ARM refuses two `<vault>/add` resources in one template, and this grant
    /// needs the registry's principal id, so it cannot join the first one).
    fn system_grant(&mut self, scope: &Scope, vault_id: &SymStr, registry: usize) -> usize {
        let registry_id = self.model.resources[registry].id.clone();
        let name = format!(
            "{SYSTEM_GRANT_DEPLOYMENT_PREFIX}{}",
            self.spec.registry.name.value
        );
        let at = self.spec.system_identity_loc();
        self.grant_deployment(
            name,
            scope,
            vault_id,
            property_of(&registry_id, &["identity", "principalId"]),
            &registry_id,
            vec![registry],
            at,
            at,
        )
    }

    /// A CanNotDelete lock on the resource `target` (`deployment.locks`).
    fn lock(&mut self, target: usize, what: &str) -> usize {
        let at = self.spec.deployment.locks.loc;
        let scope_id = self.model.resources[target].id.clone();
        let name = SymStr::lit(LOCK_NAME);
        let id = extension_resource_id(&scope_id, LOCK, std::slice::from_ref(&name));
        let notes = lock_notes(&self.spec.registry.name.value, what);
        let r = with_deps(
            resource(
                LOCK,
                api::LOCKS,
                text(LOCK_NAME, at),
                id,
                vec![
                    ("scope", symbolic(scope_id, at)),
                    (
                        "properties",
                        object(
                            at,
                            vec![
                                ("level", text("CanNotDelete", at)),
                                ("notes", text(&notes, at)),
                            ],
                        ),
                    ),
                ],
                at,
                "/deployment/locks",
            ),
            vec![target],
        );
        self.push(r, &[])
    }

    /// The key id the registry uses: the created key's URI, `key.id`, or the URI built from
    /// the vault, the cloud and `key.name`/`key.version` (located at the part that makes it
    /// versioned or not).
    fn key_identifier(&self, key: Option<usize>) -> Node {
        let k = &self.spec.key;
        if let Some(key) = key {
            let prop = match k.rotation.value {
                Rotation::Automatic => "keyUri",
                Rotation::Manual => "keyUriWithVersion",
            };
            let id = &self.model.resources[key].id;
            let at = k.name().map_or(k.loc, |n| n.loc);
            return symbolic(property_of(id, &["properties", prop]), at);
        }
        match &k.reference {
            KeyRef::Id(id) => spanned(id),
            KeyRef::Name { name, version } => text(
                &self.spec.key_uri().unwrap_or_default(),
                version.as_ref().map_or(name.loc, |v| v.loc),
            ),
        }
    }

    fn registry(
        &mut self,
        scope: &Scope,
        identity_id: &SymStr,
        key: Option<usize>,
        identity: Option<usize>,
        grant: usize,
    ) -> usize {
        let spec = self.spec;
        let r = &spec.registry;
        let encryption_at = spec.key.loc;
        let identity_at = match &spec.identity {
            Identity::Create(n) | Identity::Existing(n) => n.loc,
        };
        let mut properties = vec![
            (
                "adminUserEnabled",
                node(Value::Bool(r.admin_user.value), r.admin_user.loc),
            ),
            (
                "publicNetworkAccess",
                text(
                    r.public_network_access.value.as_str(),
                    r.public_network_access.loc,
                ),
            ),
        ];
        if azure::registry_api_has_zone_redundancy(&spec.deployment.api_version.value) {
            properties.push((
                "zoneRedundancy",
                text(r.zone_redundancy.value.as_str(), r.zone_redundancy.loc),
            ));
        }
        properties.push((
            "encryption",
            object(
                encryption_at,
                vec![
                    ("status", text("enabled", encryption_at)),
                    (
                        "keyVaultProperties",
                        object(
                            encryption_at,
                            vec![
                                (
                                    "identity",
                                    symbolic(
                                        property_of(identity_id, &["properties", "clientId"]),
                                        identity_at,
                                    ),
                                ),
                                ("keyIdentifier", self.key_identifier(key)),
                            ],
                        ),
                    ),
                ],
            ),
        ));
        if r.content_trust.value {
            let at = r.content_trust.loc;
            let trust = object(
                at,
                vec![
                    ("type", text("Notary", at)),
                    ("status", text("enabled", at)),
                ],
            );
            properties.push(("policies", object(at, vec![("trustPolicy", trust)])));
        }
        let mut fields = vec![("apiVersion", spanned(&spec.deployment.api_version))];
        fields.append(&mut self.placed());
        fields.push(("sku", object(r.sku.loc, vec![("name", spanned(&r.sku))])));
        fields.push((
            "identity",
            object(
                identity_at,
                vec![
                    (
                        "type",
                        if spec.system_identity() {
                            text("SystemAssigned, UserAssigned", spec.system_identity_loc())
                        } else {
                            text("UserAssigned", identity_at)
                        },
                    ),
                    (
                        "userAssignedIdentities",
                        node(
                            Value::Object(Object {
                                entries: vec![(
                                    Key {
                                        name: identity_id.to_string(),
                                        loc: identity_at,
                                    },
                                    object(identity_at, Vec::new()),
                                )],
                            }),
                            identity_at,
                        ),
                    ),
                ],
            ),
        ));
        fields.push(("properties", object(r.loc, properties)));
        let mut depends_on: Vec<usize> = identity.into_iter().chain(key).collect();
        depends_on.push(grant);
        let id = resource_id(scope, REGISTRY, &[SymStr::lit(&r.name.value)]);
        let res = with_deps(
            resource(
                REGISTRY,
                &spec.deployment.api_version.value,
                spanned(&r.name),
                id,
                fields,
                r.loc,
                "/registry",
            ),
            depends_on,
        );
        let identity_key = match spec.identity {
            Identity::Create(_) => "identity.name",
            Identity::Existing(_) => "identity.resource_id",
        };
        let key_id = match spec.key.reference {
            KeyRef::Id(_) => "key.id",
            // Built from [vault], [deployment] and [key]: the key table.
            KeyRef::Name { .. } => "key",
        };
        self.push(
            res,
            &[
                ("name", "registry.name"),
                ("location", "registry.location"),
                ("tags", "registry.tags"),
                ("sku.name", "registry.sku"),
                ("apiVersion", "deployment.api_version"),
                ("properties.adminUserEnabled", "registry.admin_user"),
                (
                    "properties.publicNetworkAccess",
                    "registry.public_network_access",
                ),
                ("properties.zoneRedundancy", "registry.zone_redundancy"),
                (
                    "properties.policies.trustPolicy.status",
                    "registry.content_trust",
                ),
                (
                    "properties.encryption.keyVaultProperties.keyIdentifier",
                    key_id,
                ),
                (
                    "properties.encryption.keyVaultProperties.keyRotationEnabled",
                    "key.rotation",
                ),
                (
                    "properties.encryption.keyVaultProperties.identity",
                    identity_key,
                ),
                ("identity.userAssignedIdentities", identity_key),
                ("identity.type", "identity.system_assigned"),
            ],
        )
    }

    /// The vault the spec names but does not create; with `vault.firewall`, the firewall the
    /// spec says it has.
    fn existing_vault(&mut self, scope: &Scope) {
        let v = &self.spec.vault;
        let id = resource_id(scope, VAULT, &[SymStr::lit(&v.name.value)]);
        let mut fields = Vec::new();
        if v.firewall.value {
            let at = v.firewall.loc;
            let acls = object(at, vec![("defaultAction", text("Deny", at))]);
            fields.push(("properties", object(at, vec![("networkAcls", acls)])));
        }
        let mut r = resource(
            VAULT,
            api::KEY_VAULT,
            spanned(&v.name),
            id,
            fields,
            v.name.loc,
            "/vault",
        );
        r.existing = true;
        self.push(
            r,
            &[
                ("name", "vault.name"),
                ("properties.networkAcls.defaultAction", "vault.firewall"),
            ],
        );
    }

    /// The key the spec names but does not create, with the type and size the spec states.
    fn existing_key(&mut self, vault_scope: &Scope) {
        let k = &self.spec.key;
        let (vault, name, at) = match &k.reference {
            KeyRef::Name { name, .. } => (
                self.spec.vault.name.value.clone(),
                name.value.clone(),
                name.loc,
            ),
            KeyRef::Id(id) => match azure::parse_key_uri(&id.value) {
                Ok(uri) => (uri.vault, uri.name, id.loc),
                // Not a key URI: nothing to describe (CMK005 reports the id).
                Err(_) => return,
            },
        };
        let scope = if vault.eq_ignore_ascii_case(&self.spec.vault.name.value) {
            vault_scope.clone()
        } else {
            Scope::resource_group_deployment()
        };
        let id = resource_id(&scope, KEY, &[SymStr::lit(&vault), SymStr::lit(&name)]);
        let mut r = resource(
            KEY,
            api::KEY_VAULT,
            text(&format!("{vault}/{name}"), at),
            id,
            vec![("properties", self.key_properties())],
            at,
            "/key",
        );
        r.existing = true;
        self.push(r, &Self::KEY_SPELLING);
    }

    /// What the spec states beyond the resources: an explicit rotation mode (a default one
    /// follows the key id and cannot contradict it), the key versions used before and the
    /// target cloud.
    fn intents(&mut self, registry: usize) {
        let spec = self.spec;
        let rotation = &spec.key.rotation;
        if rotation.explicit {
            let (this, other) = match rotation.value {
                Rotation::Automatic => ("automatic", "manual"),
                Rotation::Manual => ("manual", "automatic"),
            };
            self.model.intents.rotation.push(RotationIntent {
                registry,
                automatic: rotation.value == Rotation::Automatic,
                loc: rotation.loc,
                stated: format!("rotation = \"{this}\""),
                instead: format!("set rotation = \"{other}\""),
            });
        }
        if !spec.key.previous_versions.is_empty() {
            self.model
                .intents
                .previous_key_versions
                .push(PreviousKeyVersions {
                    registry,
                    versions: spec
                        .key
                        .previous_versions
                        .iter()
                        .map(|v| (v.value.clone(), v.loc))
                        .collect(),
                    setting: "key.previous_versions",
                });
        }
        let cloud = &spec.deployment.cloud;
        self.model.intents.cloud = Some(CloudIntent {
            cloud: cloud.value,
            loc: cloud.loc,
            explicit: cloud.explicit,
            setting: "deployment.cloud",
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::PropPath;

    const MINIMAL: &str = "[registry]\nname = \"contosoregistry\"\n[identity]\nname = \"id-x\"\n[vault]\nname = \"kv-contoso\"\n[key]\nname = \"acr-cmk\"\n";

    fn build(text: &str) -> Model {
        let loaded = crate::spec::load("s.toml", text);
        assert!(loaded.findings.is_empty(), "{:?}", loaded.findings);
        model(&loaded.spec.unwrap())
    }

    fn text_at(text: &str, loc: Loc) -> &str {
        &text[loc.range()]
    }

    #[test]
    fn the_deployment_comes_first_then_what_it_only_references() {
        let m = build(MINIMAL);
        let shown: Vec<_> = m
            .resources
            .iter()
            .map(|r| (r.ty.as_str(), r.existing))
            .collect();
        assert_eq!(
            shown,
            [
                (IDENTITY, false),
                (ACCESS_POLICIES, false),
                (REGISTRY, false),
                (VAULT, true),
                (KEY, true),
            ]
        );
        // The registry waits for the identity and the grant.
        assert_eq!(m.resources[2].depends_on, [0, 1]);
    }

    #[test]
    fn values_point_into_the_toml_and_defaults_at_their_table() {
        let text = MINIMAL.replace("[identity]", "sku = \"Basic\"\n[identity]");
        let m = build(&text);
        let registry = &m.resources[2];
        assert_eq!(text_at(&text, registry.name.loc), "\"contosoregistry\"");
        assert_eq!(
            text_at(&text, registry.get("sku.name").unwrap().loc),
            "\"Basic\""
        );
        // Defaulted: the table it was filled in for.
        let admin = registry.get("properties.adminUserEnabled").unwrap();
        assert_eq!(text_at(&text, admin.loc), "[registry]");
        let key_id = registry
            .get("properties.encryption.keyVaultProperties.keyIdentifier")
            .unwrap();
        assert_eq!(
            key_id.as_str(),
            Some("https://kv-contoso.vault.azure.net/keys/acr-cmk")
        );
        assert_eq!(text_at(&text, key_id.loc), "\"acr-cmk\"");
    }

    #[test]
    fn pointers_and_names_follow_the_spec() {
        let m = build(MINIMAL);
        let (_, pointer) = m.locate(2, PropPath::from("sku.name").segments());
        assert_eq!(pointer, "/registry/sku");
        assert_eq!(m.spell(2, "sku.name"), "registry.sku");
        assert_eq!(m.spell(2, "apiVersion"), "deployment.api_version");
        // A key that is not created is described with the type and size the spec states.
        assert_eq!(m.spell(4, "kty"), "key.type");
        assert_eq!(
            m.resources[4].get("properties.keySize").unwrap().as_i64(),
            Some(3072)
        );
    }

    #[test]
    fn an_rbac_grant_is_located_at_the_access_setting() {
        let text = MINIMAL.replace(
            "name = \"kv-contoso\"\n",
            "name = \"kv-contoso\"\naccess = \"rbac\"\n",
        );
        let m = build(&text);
        let grant = &m.resources[1];
        assert!(grant.is_type(ROLE_ASSIGNMENT));
        assert_eq!(text_at(&text, grant.loc), "\"rbac\"");
    }

    #[test]
    fn a_remote_vault_gets_its_grant_through_a_deployment_in_its_scope() {
        let text = MINIMAL.replace(
            "name = \"kv-contoso\"\n",
            "name = \"kv-contoso\"\nresource_group = \"rg-keys\"\n",
        );
        let m = build(&text);
        let d = m
            .resources
            .iter()
            .position(|r| r.is_type(DEPLOYMENT))
            .unwrap();
        let inner = m.resources[d].contains[0];
        assert!(m.resources[inner].is_type(ACCESS_POLICIES));
        assert_eq!(m.resources[inner].parent_deployment, Some(d));
        assert!(
            m.resources[inner]
                .id
                .to_string()
                .contains("/resourceGroups/rg-keys/")
        );
        assert_eq!(
            text_at(&text, m.resources[d].get("resourceGroup").unwrap().loc),
            "\"rg-keys\""
        );
    }

    #[test]
    fn a_firewalled_vault_brings_the_system_identity_its_grant_and_the_locks() {
        let text = "[registry]\nname = \"contosoregistry\"\n[identity]\nname = \"id-x\"\n[vault]\nname = \"kv-contoso\"\naccess = \"rbac\"\ncreate = true\nfirewall = true\n[key]\nname = \"acr-cmk\"\ncreate = true\n[deployment]\nlocks = true\n";
        let m = build(text);
        let of = |ty: &str| -> Vec<usize> {
            m.resources
                .iter()
                .enumerate()
                .filter(|(_, r)| r.is_type(ty) && !r.existing)
                .map(|(i, _)| i)
                .collect()
        };
        let vault = &m.resources[of(VAULT)[0]];
        // Created open (the registry still uses its user-assigned identity): deploy.sh closes
        // it once the registry has moved to its system-assigned identity.
        let action = vault.get("properties.networkAcls.defaultAction").unwrap();
        assert_eq!(action.as_str(), Some("Allow"));
        assert_eq!(text_at(text, action.loc), "true");
        let registry = of(REGISTRY)[0];
        let ty = m.resources[registry].get("identity.type").unwrap();
        assert_eq!(ty.as_str(), Some("SystemAssigned, UserAssigned"));
        // The system identity's grant: a deployment after the registry, holding a role
        // assignment to the registry's principal.
        let deployment = of(DEPLOYMENT)[0];
        assert_eq!(m.resources[deployment].depends_on, [registry]);
        let inner = &m.resources[m.resources[deployment].contains[0]];
        assert!(inner.is_type(ROLE_ASSIGNMENT));
        let principal = inner.get("properties.principalId").unwrap();
        assert!(
            format!("{:?}", principal.value).contains("identity") && principal.value.is_sym(),
            "{principal:?}"
        );
        // One lock on the identity, one on the vault, each after what it protects.
        let locks = of(LOCK);
        assert_eq!(locks.len(), 2);
        let targets: Vec<&str> = locks
            .iter()
            .map(|&l| m.resources[m.resources[l].depends_on[0]].ty.as_str())
            .collect();
        assert_eq!(targets, [IDENTITY, VAULT]);
        assert!(lock_notes("contosoregistry", "key vault").len() <= 512);
        assert!(!lock_notes("x", "y").contains(['\'', '{', '}']));
    }

    #[test]
    fn a_created_key_with_automatic_rotation_gets_the_rotation_policy() {
        let text = MINIMAL.replace(
            "name = \"acr-cmk\"\n",
            "name = \"acr-cmk\"\ncreate = true\nnotify_before = \"P2W\"\n",
        );
        let m = build(&text);
        let key = m.resources.iter().find(|r| r.is_type(KEY)).unwrap();
        let policy = key.get("properties.rotationPolicy").unwrap();
        let actions = policy.get("lifetimeActions").unwrap().as_array().unwrap();
        let rotate = actions[0].path("trigger.timeAfterCreate").unwrap();
        assert_eq!(rotate.as_str(), Some("P18M"));
        assert_eq!(
            actions[0].path("action.type").unwrap().as_str(),
            Some("rotate")
        );
        // Weeks are written as days; the value points at what the spec wrote.
        let notify = actions[1].path("trigger.timeBeforeExpiry").unwrap();
        assert_eq!(notify.as_str(), Some("P14D"));
        assert_eq!(text_at(&text, notify.loc), "\"P2W\"");
        assert_eq!(
            policy.path("attributes.expiryTime").unwrap().as_str(),
            Some("P2Y")
        );
        // Manual rotation pins the created version: no policy.
        let manual = text.replace("notify_before = \"P2W\"\n", "rotation = \"manual\"\n");
        let m = build(&manual);
        let key = m.resources.iter().find(|r| r.is_type(KEY)).unwrap();
        assert!(key.get("properties.rotationPolicy").is_none());
    }

    #[test]
    fn an_explicit_rotation_and_the_cloud_are_intents() {
        let m = build(MINIMAL);
        assert!(
            m.intents.rotation.is_empty(),
            "an inferred rotation cannot contradict"
        );
        let cloud = m.intents.cloud.as_ref().unwrap();
        assert_eq!(cloud.cloud, azure::Cloud::AzureCloud);
        assert!(!cloud.explicit);
        let text = MINIMAL.replace(
            "name = \"acr-cmk\"\n",
            "name = \"acr-cmk\"\nrotation = \"manual\"\n",
        );
        let m = build(&text);
        let r = &m.intents.rotation[0];
        assert_eq!((r.registry, r.automatic), (2, false));
        assert_eq!(r.stated, "rotation = \"manual\"");
        assert_eq!(text_at(&text, r.loc), "\"manual\"");
    }
}
