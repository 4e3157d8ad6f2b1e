//! `CMKtemplate.bicep`, `CMKtemplate.bicepparam`, the cross-resource-group grant module and
//! `deploy.sh`, rendered from the handlebars templates in `templates/`.
//!
//! Handlebars runs in strict mode (a missing field is an error, not an empty string) with
//! HTML escaping off; every value goes through a helper that writes it in the target
//! language: `lit` (a Bicep literal of any JSON value), `lit_raw` (Bicep string contents),
//! `lit_comment` (one comment line) and `sh` (a shell word). The few values that are code
//! rather than one literal (an interpolated Bicep string, a shell line) are built here with the
//! same escaping and passed ready-made.

use super::escape::{bicep_string, shell_quote};
use super::plan::{
    ENCRYPTION_IDENTITY_SYSTEM, ENCRYPTION_IDENTITY_USER, Identity2, KeyPlan, LockTarget, Plan,
    desc,
};
use super::{BICEP_FILE, BICEP_GRANT_MODULE_FILE, BICEPPARAM_FILE, DEPLOY_FILE, File, api};
use handlebars::{Handlebars, handlebars_helper};
use serde_json::{Value, json};

const MAIN: &str = include_str!("../../templates/CMKtemplate.bicep.hbs");
const MODULE: &str = include_str!("../../templates/CMKtemplate.key-access.bicep.hbs");
const PARAMS: &str = include_str!("../../templates/CMKtemplate.bicepparam.hbs");
const DEPLOY: &str = include_str!("../../templates/deploy.sh.hbs");
/// Shell fragments shared by deploy.sh and rotate.sh (`{{> cloud_check}}`, `{{> key_retry}}`).
const CLOUD_CHECK: &str = include_str!("../../templates/cloud-check.sh.hbs");
const KEY_RETRY: &str = include_str!("../../templates/key-retry.sh.hbs");

/// An object key as Bicep writes it: bare when it is an identifier (and not `true`, `false` or
/// `null`), quoted otherwise — the linter's `prefer-unquoted-property-names`
/// (`StringUtils.IsPropertyNameEscapingRequired` in Azure/bicep).
fn bicep_key(k: &str) -> String {
    let mut chars = k.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier && !matches!(k, "true" | "false" | "null") {
        k.to_string()
    } else {
        bicep_string(k)
    }
}

/// A Bicep string that interpolates the parameter `param` wherever `text` has `{0}`.
fn bicep_interpolated(text: &str, param: &str) -> String {
    let parts: Vec<String> = text.split("{0}").map(string_contents).collect();
    format!("'{}'", parts.join(&format!("${{{param}}}")))
}

/// A JSON value as a Bicep literal; objects and arrays are multi-line, indented from `indent`.
fn bicep_literal(v: &Value, indent: usize) -> String {
    let pad = "  ".repeat(indent + 1);
    let end = "  ".repeat(indent);
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => bicep_string(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Array(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|x| format!("{pad}{}\n", bicep_literal(x, indent + 1)))
                .collect();
            format!("[\n{}{end}]", items.concat())
        }
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{pad}{}: {}\n", bicep_key(k), bicep_literal(x, indent + 1)))
                .collect();
            format!("{{\n{}{end}}}", items.concat())
        }
    }
}

fn string_contents(s: &str) -> String {
    let quoted = bicep_string(s);
    quoted[1..quoted.len() - 1].to_string()
}

handlebars_helper!(lit: |v: Value| bicep_literal(&v, 0));
handlebars_helper!(lit_raw: |s: str| string_contents(s));
handlebars_helper!(lit_comment: |s: str| s.replace(['\r', '\n'], " "));
handlebars_helper!(sh: |s: str| shell_quote(s));

/// Handlebars as every generated file is rendered: strict, unescaped, with the helpers and
/// the shared shell fragments.
pub(super) fn engine() -> Result<Handlebars<'static>, String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    hb.register_helper("lit", Box::new(lit));
    hb.register_helper("lit_raw", Box::new(lit_raw));
    hb.register_helper("lit_comment", Box::new(lit_comment));
    hb.register_helper("sh", Box::new(sh));
    for (name, text) in [("cloud_check", CLOUD_CHECK), ("key_retry", KEY_RETRY)] {
        hb.register_partial(name, text)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(hb)
}

fn registry() -> Result<Handlebars<'static>, String> {
    let mut hb = engine()?;
    for (name, text) in [
        (BICEP_FILE, MAIN),
        (BICEP_GRANT_MODULE_FILE, MODULE),
        (BICEPPARAM_FILE, PARAMS),
        (DEPLOY_FILE, DEPLOY),
    ] {
        hb.register_template_string(name, text)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(hb)
}

/// `printf` lines of deploy.sh that show how to lock what the template does not create; the
/// deployment's resource group is filled in when the script runs.
fn lock_lines(targets: &[LockTarget]) -> Vec<String> {
    targets
        .iter()
        .map(|t| {
            let head = format!(
                "  az lock create --name {} --lock-type CanNotDelete --resource-type {} --resource-name {} --resource-group ",
                shell_quote(Plan::LOCK_NAME),
                shell_quote(t.resource_type),
                shell_quote(&t.name)
            );
            let tail = t
                .subscription_id
                .as_ref()
                .map(|s| format!(" --subscription {}", shell_quote(s)))
                .unwrap_or_default();
            // Each part is printed as one argument of printf, so it can be any text.
            let group = match &t.resource_group {
                Some(rg) => shell_quote(&shell_quote(rg)),
                None => "\"'$RESOURCE_GROUP'\"".to_string(),
            };
            format!(
                "printf '%s%s%s\\n' {} {group} {}",
                shell_quote(&head),
                shell_quote(&tail)
            )
        })
        .collect()
}

/// ` --resource-group '<g>' --subscription '<s>'` for `az keyvault` commands on a vault
/// elsewhere (empty for the deployment's own resource group).
pub(super) fn vault_scope_args(p: &Plan) -> String {
    let mut out = String::new();
    if let Some(r) = &p.vault_remote {
        if let Some(rg) = &r.resource_group {
            out.push_str(&format!(" --resource-group {}", shell_quote(rg)));
        }
        if let Some(sub) = &r.subscription_id {
            out.push_str(&format!(" --subscription {}", shell_quote(sub)));
        }
    }
    out
}

/// The data the templates see. Every key is always present (strict mode).
fn context(p: &Plan) -> Value {
    let (identity_name, identity_id) = match &p.identity {
        Identity2::Create(n) => (json!(n), Value::Null),
        Identity2::Existing(id) => (Value::Null, json!(id)),
    };
    let (key_name, kek_id) = match &p.key {
        KeyPlan::Create { name } => (json!(name), Value::Null),
        KeyPlan::Existing { kek_id } => (Value::Null, json!(kek_id)),
    };
    let remote = p.vault_remote.clone().unwrap_or_default();
    let tags: serde_json::Map<String, Value> =
        p.tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let notes = p.notes();
    let policy = p.rotation_policy.as_ref().map(|r| {
        json!({
            "rotate_after": r.rotate_after.iso(),
            "expires_after": r.expires_after.iso(),
            "notify_before": r.notify_before.iso(),
        })
    });
    let mut ctx = json!({
        "description": "Azure Container Registry encrypted with a customer-managed key. Generated by acr-cmk; edit the spec and rebuild instead of editing this file.",
        "notes": notes,
        "notes_any": !notes.is_empty(),
        "desc": {
            "registry_name": desc::REGISTRY_NAME,
            "location": desc::LOCATION,
            "tags": desc::TAGS,
            "identity_name": desc::IDENTITY_NAME,
            "identity_id": desc::IDENTITY_ID,
            "vault_name": desc::VAULT_NAME,
            "vault_resource_group": desc::VAULT_RESOURCE_GROUP,
            "vault_subscription_id": desc::VAULT_SUBSCRIPTION_ID,
            "kek_id": p.kek_description(),
            "key_name": desc::KEY_NAME,
            "encryption_identity": desc::ENCRYPTION_IDENTITY,
        },
        "registry_name": p.registry_name,
        "deployment_name": p.deployment_name(),
        "registry_api": p.registry_api,
        "identity_api": api::IDENTITY,
        "keyvault_api": api::KEY_VAULT,
        "role_api": api::ROLE_ASSIGNMENT,
        "locks_api": api::LOCKS,
        "role_id": crate::azure::ROLE_CRYPTO_SERVICE_ENCRYPTION_USER,
        "location": p.location,
        "tags": tags,
        "tags_any": !p.tags.is_empty(),
        "sku": p.sku,
        "content_trust": p.content_trust,
        "admin_user": p.admin_user,
        "public_network_access": p.public_network_access,
        "zone_redundancy": p.zone_redundancy,
        "identity_create": !p.identity_existing(),
        "identity_name": identity_name,
        "identity_id": identity_id,
        "vault_name": p.vault_name,
        "vault_create": p.vault_create,
        "vault_remote": p.vault_remote.is_some(),
        "vault_resource_group": remote.resource_group,
        "vault_subscription_id": remote.subscription_id,
        "vault_sku": p.vault_sku(),
        "rbac": p.rbac,
        "key_create": p.key_create(),
        "key_name": key_name,
        "kek_id": kek_id,
        "rotation_manual": p.rotation == crate::spec::Rotation::Manual,
        "kty": p.kty,
        "key_size": p.key_size,
        "cloud": p.cloud.name(),
        "grant_prefix": Plan::GRANT_DEPLOYMENT_PREFIX,
        "module_file": BICEP_GRANT_MODULE_FILE,
    });
    // A second object: one json! literal of every key exceeds the macro's recursion limit.
    let more = json!({
        "system_grant_prefix": Plan::SYSTEM_GRANT_DEPLOYMENT_PREFIX,
        "rotation_policy": policy,
        "system_identity": p.system_identity,
        "identity_type": if p.system_identity { "SystemAssigned, UserAssigned" } else { "UserAssigned" },
        "firewall": p.firewall,
        "via_system": p.via_system,
        "encryption_identity_user": ENCRYPTION_IDENTITY_USER,
        "encryption_identity_system": ENCRYPTION_IDENTITY_SYSTEM,
        "registry_identity_query": format!(
            "[?name=='{}'].encryption.keyVaultProperties.identity | [0]",
            p.registry_name
        ),
        "registry_count_query": format!("length([?name=='{}'])", p.registry_name),
        "vault_scope_args": vault_scope_args(p),
        "locks": p.locks,
        "lock_identity": p.lock_identity(),
        "lock_vault": p.lock_vault(),
        "lock_name": Plan::LOCK_NAME,
        "lock_notes_identity": bicep_interpolated(&Plan::lock_notes_format("user-assigned identity"), "registry_name"),
        "lock_notes_vault": bicep_interpolated(&Plan::lock_notes_format("key vault"), "registry_name"),
        "lock_lines": lock_lines(&p.unlocked_targets()),
    });
    if let (Value::Object(all), Value::Object(more)) = (&mut ctx, more) {
        all.extend(more);
    }
    ctx
}

/// Squeeze runs of blank lines left by conditional blocks, so output reads as hand-written.
pub(super) fn tidy(s: String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

pub fn render(p: &Plan) -> Result<Vec<File>, String> {
    let hb = registry()?;
    let ctx = context(p);
    let mut names = vec![BICEP_FILE];
    if p.vault_remote.is_some() || p.system_identity {
        names.push(BICEP_GRANT_MODULE_FILE);
    }
    names.extend([BICEPPARAM_FILE, DEPLOY_FILE]);
    names
        .into_iter()
        .map(|name| {
            hb.render(name, &ctx)
                .map(|text| File {
                    name,
                    text: tidy(text),
                })
                .map_err(|e| format!("rendering {name}: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(bicep_literal(&json!({}), 0), "{}");
        assert_eq!(
            bicep_literal(&json!({"a'b": "x${y}"}), 0),
            "{\n  'a\\'b': 'x\\${y}'\n}"
        );
        assert_eq!(bicep_literal(&json!(true), 0), "true");
    }

    #[test]
    fn object_keys_are_bare_only_when_bicep_allows_it() {
        assert_eq!(bicep_key("environment"), "environment");
        assert_eq!(bicep_key("_x9"), "_x9");
        for quoted in [
            "cost-center",
            "9lives",
            "",
            "true",
            "null",
            "ünïcode",
            "a b",
        ] {
            assert_eq!(bicep_key(quoted), bicep_string(quoted), "{quoted}");
        }
    }

    #[test]
    fn interpolation_escapes_the_text_around_the_parameter() {
        assert_eq!(
            bicep_interpolated("it's {0}: ${x}", "registry_name"),
            "'it\\'s ${registry_name}: \\${x}'"
        );
    }
}
