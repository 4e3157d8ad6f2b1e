//! `CMKtemplate.json` and `CMKtemplate.parameters.json` as data.
//!
//! Expressions are built here from parameter names the generator owns; user text only ever
//! enters the template as a literal through [`lit`] (ARM escaping) or the parameters file
//! (whose values ARM never evaluates).

use super::escape::arm_literal;
use super::plan::{
    ENCRYPTION_IDENTITY_SYSTEM, ENCRYPTION_IDENTITY_USER, Identity2, KeyPlan, Plan, desc,
};
use crate::azure::ROLE_CRYPTO_SERVICE_ENCRYPTION_USER;
use crate::azure::api;
use crate::azure::types::{
    ACCESS_POLICIES, DEPLOYMENT, IDENTITY, KEY, LOCK, REGISTRY, ROLE_ASSIGNMENT, VAULT,
};
use crate::spec::Rotation;
use serde_json::{Map, Value, json};

const TEMPLATE_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
const PARAMETERS_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#";

/// A user string as an ARM literal.
fn lit(s: &str) -> Value {
    Value::String(arm_literal(s))
}

fn expr(e: String) -> Value {
    Value::String(format!("[{e}]"))
}

fn identity_id(p: &Plan) -> String {
    match p.identity {
        Identity2::Create(_) => {
            format!("resourceId('{IDENTITY}', parameters('identity_name'))")
        }
        Identity2::Existing(_) => "parameters('identity_id')".into(),
    }
}

fn identity_ref(p: &Plan, prop: &str) -> String {
    format!("reference({}, '{}').{prop}", identity_id(p), api::IDENTITY)
}

fn role_definition_id() -> String {
    format!(
        "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{ROLE_CRYPTO_SERVICE_ENCRYPTION_USER}')"
    )
}

fn vault_id() -> String {
    format!("resourceId('{VAULT}', parameters('vault_name'))")
}

fn key_resource_id() -> String {
    format!("resourceId('{KEY}', parameters('vault_name'), parameters('key_name'))")
}

/// The key id the registry uses, as an expression.
fn key_id(p: &Plan) -> String {
    match p.key {
        KeyPlan::Existing { .. } => "parameters('kek_id')".into(),
        KeyPlan::Create { .. } => {
            let prop = match p.rotation {
                Rotation::Automatic => "keyUri",
                Rotation::Manual => "keyUriWithVersion",
            };
            format!(
                "reference({}, '{}').{prop}",
                key_resource_id(),
                api::KEY_VAULT
            )
        }
    }
}

fn grant_deployment_name() -> String {
    deployment_name(Plan::GRANT_DEPLOYMENT_PREFIX)
}

fn deployment_name(prefix: &str) -> String {
    format!("format('{prefix}{{0}}', parameters('registry_name'))")
}

fn registry_id() -> String {
    format!("resourceId('{REGISTRY}', parameters('registry_name'))")
}

/// Is the registry on its system-assigned identity (the second phase behind a firewall, or of
/// `identity.encryption = "system"`)?
fn on_system_identity() -> String {
    format!("equals(parameters('encryption_identity'), '{ENCRYPTION_IDENTITY_SYSTEM}')")
}

/// The resource id the registry's `dependsOn` names for the grant.
fn grant_id(p: &Plan) -> String {
    if p.vault_remote.is_some() {
        format!(
            "resourceId(parameters('vault_subscription_id'), parameters('vault_resource_group'), '{DEPLOYMENT}', {})",
            grant_deployment_name()
        )
    } else if p.rbac {
        format!(
            "extensionResourceId({}, '{ROLE_ASSIGNMENT}', {})",
            vault_id(),
            rbac_name(&identity_id(p))
        )
    } else {
        format!("resourceId('{ACCESS_POLICIES}', parameters('vault_name'), 'add')")
    }
}

fn rbac_name(identity_id: &str) -> String {
    format!(
        "guid({}, {identity_id}, {})",
        vault_id(),
        role_definition_id()
    )
}

fn string_param(description: &str, min: Option<u32>, max: Option<u32>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!("string"));
    if let Some(min) = min {
        m.insert("minLength".into(), json!(min));
    }
    if let Some(max) = max {
        m.insert("maxLength".into(), json!(max));
    }
    m.insert(
        "metadata".into(),
        json!({ "description": lit(description) }),
    );
    Value::Object(m)
}

fn with_default(mut param: Value, default: Value) -> Value {
    if let Value::Object(m) = &mut param {
        m.insert("defaultValue".into(), default);
    }
    param
}

/// Tags as a literal object on every resource the template creates: the official schemas type
/// a resource's `tags` as an object, so `[parameters('tags')]` would not validate.
fn with_tags(p: &Plan, resource: Value) -> Value {
    let Value::Object(fields) = resource else {
        return resource;
    };
    if p.tags.is_empty() {
        return Value::Object(fields);
    }
    let tags: Map<String, Value> = p
        .tags
        .iter()
        .map(|(k, v)| (arm_literal(k), lit(v)))
        .collect();
    // Right after `location`, or after `name` for resources without a location.
    let anchor = if fields.contains_key("location") {
        "location"
    } else {
        "name"
    };
    let mut out = Map::new();
    for (k, v) in fields {
        let at_anchor = k == anchor;
        out.insert(k, v);
        if at_anchor {
            out.insert("tags".into(), Value::Object(tags.clone()));
        }
    }
    Value::Object(out)
}

fn template_parameters(p: &Plan) -> Value {
    let mut m = Map::new();
    m.insert(
        "registry_name".into(),
        string_param(desc::REGISTRY_NAME, Some(5), Some(50)),
    );
    // The spec's region goes into the parameters file; the template itself follows its
    // resource group (PSRule Azure.Template.LocationDefault).
    m.insert(
        "location".into(),
        with_default(
            string_param(desc::LOCATION, None, None),
            expr("resourceGroup().location".into()),
        ),
    );
    match p.identity {
        Identity2::Create(_) => m.insert(
            "identity_name".into(),
            string_param(desc::IDENTITY_NAME, Some(3), Some(128)),
        ),
        Identity2::Existing(_) => m.insert(
            "identity_id".into(),
            string_param(desc::IDENTITY_ID, None, None),
        ),
    };
    m.insert(
        "vault_name".into(),
        string_param(desc::VAULT_NAME, Some(3), Some(24)),
    );
    if p.vault_remote.is_some() {
        m.insert(
            "vault_resource_group".into(),
            with_default(
                string_param(desc::VAULT_RESOURCE_GROUP, Some(1), Some(90)),
                expr("resourceGroup().name".into()),
            ),
        );
        m.insert(
            "vault_subscription_id".into(),
            with_default(
                string_param(desc::VAULT_SUBSCRIPTION_ID, Some(36), Some(36)),
                expr("subscription().subscriptionId".into()),
            ),
        );
    }
    match p.key {
        KeyPlan::Existing { .. } => m.insert(
            "kek_id".into(),
            string_param(p.kek_description(), None, None),
        ),
        KeyPlan::Create { .. } => m.insert(
            "key_name".into(),
            string_param(desc::KEY_NAME, Some(1), Some(127)),
        ),
    };
    if p.via_system {
        let mut param = with_default(
            string_param(desc::ENCRYPTION_IDENTITY, None, None),
            json!(ENCRYPTION_IDENTITY_USER),
        );
        param["allowedValues"] = json!([ENCRYPTION_IDENTITY_USER, ENCRYPTION_IDENTITY_SYSTEM]);
        m.insert("encryption_identity".into(), param);
    }
    Value::Object(m)
}

fn identity_resource(p: &Plan) -> Value {
    with_tags(
        p,
        json!({
            "type": IDENTITY,
            "apiVersion": api::IDENTITY,
            "name": "[parameters('identity_name')]",
            "location": "[parameters('location')]",
            "properties": {}
        }),
    )
}

/// The access policy entry for the identity (principal given as an expression).
fn access_policy_entry(principal_id: &str) -> Value {
    json!({
        "tenantId": "[subscription().tenantId]",
        "objectId": expr(principal_id.to_string()),
        "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] }
    })
}

fn vault_resource(p: &Plan) -> Value {
    // With access policies, the identity's policy is also part of the vault itself: a
    // redeployment rewrites the vault's policy list, and an empty list would revoke the
    // registry's key access until the `add` resource ran again.
    let policies = if p.rbac {
        json!([])
    } else {
        json!([access_policy_entry(&identity_ref(p, "principalId"))])
    };
    let mut depends = Vec::new();
    if !p.rbac && !p.identity_existing() {
        depends.push(expr(identity_id(p)));
    }
    // Behind a firewall the vault stays open until the registry reaches its key through its
    // system-assigned identity (a trusted service); from then on it is closed.
    let default_action = if p.firewall {
        expr(format!("if({}, 'Deny', 'Allow')", on_system_identity()))
    } else {
        json!("Allow")
    };
    let mut v = with_tags(
        p,
        json!({
            "type": VAULT,
            "apiVersion": api::KEY_VAULT,
            "name": "[parameters('vault_name')]",
            "location": "[parameters('location')]",
            "properties": {
                "tenantId": "[subscription().tenantId]",
                "sku": { "family": "A", "name": p.vault_sku() },
                "enableSoftDelete": true,
                "softDeleteRetentionInDays": 90,
                "enablePurgeProtection": true,
                "enableRbacAuthorization": p.rbac,
                "accessPolicies": policies,
                "networkAcls": { "bypass": "AzureServices", "defaultAction": default_action }
            }
        }),
    );
    if !depends.is_empty() {
        v["dependsOn"] = Value::Array(depends);
    }
    v
}

fn key_resource(p: &Plan) -> Value {
    let mut v = with_tags(
        p,
        json!({
            "type": KEY,
            "apiVersion": api::KEY_VAULT,
            "name": "[format('{0}/{1}', parameters('vault_name'), parameters('key_name'))]",
            "properties": {
                "kty": p.kty,
                "keySize": p.key_size,
                "keyOps": ["wrapKey", "unwrapKey"]
            }
        }),
    );
    if let Some(policy) = &p.rotation_policy {
        // Action types as the ARM schema spells them (`rotate`, `notify`); Key Vault compares
        // them without case.
        v["properties"]["rotationPolicy"] = json!({
            "lifetimeActions": [
                { "trigger": { "timeAfterCreate": policy.rotate_after.iso() }, "action": { "type": "rotate" } },
                { "trigger": { "timeBeforeExpiry": policy.notify_before.iso() }, "action": { "type": "notify" } }
            ],
            "attributes": { "expiryTime": policy.expires_after.iso() }
        });
    }
    if p.vault_create {
        v["dependsOn"] = json!([expr(vault_id())]);
    }
    v
}

/// The grant in the deployment's resource group (or inside the nested template, where
/// `principal` and `identity` are the inner template's parameters).
fn grant_resource(p: &Plan, principal: &str, identity: &str, depends: Vec<Value>) -> Value {
    let mut v = if p.rbac {
        json!({
            "type": ROLE_ASSIGNMENT,
            "apiVersion": api::ROLE_ASSIGNMENT,
            "scope": "[format('Microsoft.KeyVault/vaults/{0}', parameters('vault_name'))]",
            "name": expr(rbac_name(identity)),
            "properties": {
                "roleDefinitionId": expr(role_definition_id()),
                "principalId": expr(principal.to_string()),
                "principalType": "ServicePrincipal"
            }
        })
    } else {
        json!({
            "type": ACCESS_POLICIES,
            "apiVersion": api::KEY_VAULT,
            "name": "[format('{0}/add', parameters('vault_name'))]",
            "properties": { "accessPolicies": [access_policy_entry(principal)] }
        })
    };
    if !depends.is_empty() {
        v["dependsOn"] = Value::Array(depends);
    }
    v
}

fn local_grant(p: &Plan) -> Value {
    let mut depends = Vec::new();
    if !p.identity_existing() {
        depends.push(expr(identity_id(p)));
    }
    if p.vault_create {
        depends.push(expr(vault_id()));
    }
    grant_resource(p, &identity_ref(p, "principalId"), &identity_id(p), depends)
}

/// A nested deployment holding one grant (inner expression scope, so the inner template sees
/// only the parameters passed in): into the vault's resource group when the vault is
/// elsewhere, else beside the registry. `principal` is the principal id to grant, `grantee`
/// the resource id that names a role assignment (the identity, or the registry for its
/// system-assigned identity).
fn grant_deployment(
    p: &Plan,
    name: String,
    principal: String,
    grantee: String,
    depends: Vec<Value>,
) -> Value {
    let mut inner_params = Map::new();
    inner_params.insert("vault_name".into(), json!({ "type": "string" }));
    inner_params.insert("principal_id".into(), json!({ "type": "string" }));
    let mut passed = Map::new();
    passed.insert(
        "vault_name".into(),
        json!({ "value": "[parameters('vault_name')]" }),
    );
    passed.insert("principal_id".into(), json!({ "value": expr(principal) }));
    if p.rbac {
        inner_params.insert("grantee_id".into(), json!({ "type": "string" }));
        passed.insert("grantee_id".into(), json!({ "value": expr(grantee) }));
    }
    let inner = grant_resource(
        p,
        "parameters('principal_id')",
        "parameters('grantee_id')",
        Vec::new(),
    );
    let mut v = Map::new();
    v.insert("type".into(), json!(DEPLOYMENT));
    v.insert("apiVersion".into(), json!(api::DEPLOYMENTS));
    v.insert("name".into(), expr(name));
    if p.vault_remote.is_some() {
        v.insert(
            "subscriptionId".into(),
            json!("[parameters('vault_subscription_id')]"),
        );
        v.insert(
            "resourceGroup".into(),
            json!("[parameters('vault_resource_group')]"),
        );
    }
    v.insert(
        "properties".into(),
        json!({
            "mode": "Incremental",
            "expressionEvaluationOptions": { "scope": "Inner" },
            "parameters": passed,
            "template": {
                "$schema": TEMPLATE_SCHEMA,
                "contentVersion": "1.0.0.0",
                "parameters": inner_params,
                "resources": [inner]
            }
        }),
    );
    if !depends.is_empty() {
        v.insert("dependsOn".into(), Value::Array(depends));
    }
    Value::Object(v)
}

/// The user-assigned identity's grant in a vault in another resource group or subscription.
fn remote_grant(p: &Plan) -> Value {
    let mut depends = Vec::new();
    if !p.identity_existing() {
        depends.push(expr(identity_id(p)));
    }
    grant_deployment(
        p,
        grant_deployment_name(),
        identity_ref(p, "principalId"),
        identity_id(p),
        depends,
    )
}

/// The registry's system-assigned identity granted on the vault. Always a nested deployment:
/// ARM refuses a second `<vault>/add` in one template, and this grant needs the registry's
/// principal id, so it cannot join the identity's grant, which the registry waits for.
fn system_grant(p: &Plan) -> Value {
    grant_deployment(
        p,
        deployment_name(Plan::SYSTEM_GRANT_DEPLOYMENT_PREFIX),
        format!(
            "reference({}, '{}', 'Full').identity.principalId",
            registry_id(),
            p.registry_api
        ),
        registry_id(),
        vec![expr(registry_id())],
    )
}

/// A CanNotDelete lock on a resource of this template (`scope` in the relative form Bicep
/// compiles to).
fn lock_resource(scope: String, target: String, what: &str) -> Value {
    json!({
        "type": LOCK,
        "apiVersion": api::LOCKS,
        "scope": expr(scope),
        "name": Plan::LOCK_NAME,
        "properties": {
            "level": "CanNotDelete",
            "notes": expr(format!(
                "format('{}', parameters('registry_name'))",
                Plan::lock_notes_format(what)
            ))
        },
        "dependsOn": [expr(target)]
    })
}

fn locks(p: &Plan) -> Vec<Value> {
    let mut out = Vec::new();
    if p.lock_identity() {
        out.push(lock_resource(
            format!("format('{IDENTITY}/{{0}}', parameters('identity_name'))"),
            identity_id(p),
            "user-assigned identity",
        ));
    }
    if p.lock_vault() {
        out.push(lock_resource(
            format!("format('{VAULT}/{{0}}', parameters('vault_name'))"),
            vault_id(),
            "key vault",
        ));
    }
    out
}

fn registry_resource(p: &Plan) -> Value {
    let mut depends = Vec::new();
    if !p.identity_existing() {
        depends.push(expr(identity_id(p)));
    }
    if p.key_create() {
        depends.push(expr(key_resource_id()));
    }
    // The registry checks its key access at creation: it must wait for the grant.
    depends.push(expr(grant_id(p)));
    let mut properties = json!({
        "adminUserEnabled": p.admin_user,
        "publicNetworkAccess": p.public_network_access,
    });
    if let Some(z) = p.zone_redundancy {
        properties["zoneRedundancy"] = json!(z);
    }
    // Behind a firewall the registry is created with its user-assigned identity and then
    // moved to its system-assigned one (`'system'`, the word the service reserves for it; the
    // CLI's rotate-key --identity [system] sends the same), which the template then keeps.
    let encryption_identity = if p.via_system {
        format!(
            "if({}, '{ENCRYPTION_IDENTITY_SYSTEM}', {})",
            on_system_identity(),
            identity_ref(p, "clientId")
        )
    } else {
        identity_ref(p, "clientId")
    };
    properties["encryption"] = json!({
        "status": "enabled",
        "keyVaultProperties": {
            "identity": expr(encryption_identity),
            "keyIdentifier": expr(key_id(p))
        }
    });
    if p.content_trust {
        properties["policies"] =
            json!({ "trustPolicy": { "type": "Notary", "status": "enabled" } });
    }
    let mut identities = Map::new();
    identities.insert(format!("[{}]", identity_id(p)), json!({}));
    with_tags(
        p,
        json!({
            "type": REGISTRY,
            "apiVersion": p.registry_api,
            "name": "[parameters('registry_name')]",
            "location": "[parameters('location')]",
            "sku": { "name": p.sku },
            "identity": {
                "type": if p.system_identity { "SystemAssigned, UserAssigned" } else { "UserAssigned" },
                "userAssignedIdentities": identities
            },
            "dependsOn": depends,
            "properties": properties
        }),
    )
}

fn outputs(p: &Plan) -> Value {
    let registry_id = registry_id();
    let mut out = json!({
        "registry_id": { "type": "string", "value": expr(registry_id.clone()) },
        "login_server": {
            "type": "string",
            "value": expr(format!("reference({registry_id}, '{}').loginServer", p.registry_api))
        },
        "identity_principal_id": { "type": "string", "value": expr(identity_ref(p, "principalId")) },
        "key_id": { "type": "string", "value": expr(key_id(p)) }
    });
    if p.system_identity {
        out["registry_principal_id"] = json!({
            "type": "string",
            "value": expr(format!(
                "reference({registry_id}, '{}', 'Full').identity.principalId",
                p.registry_api
            ))
        });
    }
    out
}

pub fn template(p: &Plan) -> Value {
    let mut resources = Vec::new();
    if !p.identity_existing() {
        resources.push(identity_resource(p));
    }
    if p.vault_create {
        resources.push(vault_resource(p));
    }
    resources.extend(locks(p));
    if p.key_create() {
        resources.push(key_resource(p));
    }
    resources.push(if p.vault_remote.is_some() {
        remote_grant(p)
    } else {
        local_grant(p)
    });
    resources.push(registry_resource(p));
    if p.system_identity {
        resources.push(system_grant(p));
    }
    let description = format!(
        "Azure Container Registry encrypted with a customer-managed key ({} rotation, key access by {}). Generated by acr-cmk; edit the spec and rebuild instead of editing this file.",
        p.rotation.as_str(),
        if p.rbac {
            "Azure RBAC"
        } else {
            "vault access policy"
        }
    );
    let mut metadata = json!({ "description": lit(&description) });
    let notes = p.notes();
    if !notes.is_empty() {
        metadata["notes"] = notes.iter().map(|n| lit(n)).collect();
    }
    json!({
        "$schema": TEMPLATE_SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": metadata,
        "parameters": template_parameters(p),
        "resources": resources,
        "outputs": outputs(p)
    })
}

/// The parameters file: the spec's values, verbatim (parameter values are never evaluated).
pub fn parameters(p: &Plan) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.into(), json!({ "value": v }));
    };
    put("registry_name", json!(p.registry_name));
    if let Some(l) = &p.location {
        put("location", json!(l));
    }
    match &p.identity {
        Identity2::Create(n) => put("identity_name", json!(n)),
        Identity2::Existing(id) => put("identity_id", json!(id)),
    }
    put("vault_name", json!(p.vault_name));
    if let Some(r) = &p.vault_remote {
        if let Some(rg) = &r.resource_group {
            put("vault_resource_group", json!(rg));
        }
        if let Some(sub) = &r.subscription_id {
            put("vault_subscription_id", json!(sub));
        }
    }
    match &p.key {
        KeyPlan::Existing { kek_id } => put("kek_id", json!(kek_id)),
        KeyPlan::Create { name } => put("key_name", json!(name)),
    }
    if p.via_system {
        // The first deployment; deploy.sh passes `system` once the registry is moved.
        put("encryption_identity", json!(ENCRYPTION_IDENTITY_USER));
    }
    json!({
        "$schema": PARAMETERS_SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": m
    })
}
