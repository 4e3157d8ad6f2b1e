use crate::azure;
use crate::finding::{Finding, PropPath};
use crate::model::Value;
use crate::query::grants::{GrantKind, NEEDED_KEY_PERMISSIONS, grant_site, role_guid};
use crate::query::registries::with_access;
use crate::query::{Prop, lookup};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that the grant a CMK registry's identity gets is no broader than CMK needs: key
    /// permissions `get`, `wrapKey`, `unwrapKey` and nothing else (no `all`, no secret,
    /// certificate or storage permissions), or the role *Key Vault Crypto Service Encryption
    /// User* rather than Crypto User, Crypto Officer or Administrator.
    ///
    /// ## Why is this bad?
    /// The identity is attached to the registry; anything that can act as it can use the extra
    /// rights. With `delete`/`purge` or Crypto Officer it can destroy the key and with it every
    /// image in the registry; with `decrypt`/`sign` it can use the key for other purposes.
    ///
    /// ## Example
    /// ```json
    /// "permissions": { "keys": [ "all" ], "secrets": [ "get" ] }
    /// ```
    ///
    /// ```bicep
    /// roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '12338af0-0e69-4776-bea7-57ae8d297424') // Crypto User
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "permissions": { "keys": [ "get", "wrapKey", "unwrapKey" ] }
    /// ```
    ///
    /// ```bicep
    /// roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'e147488a-f6f5-4113-8e2d-b22465e65bf6') // Crypto Service Encryption User
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-enable-customer-managed-keys>
    ///   (the registry needs `get`, `unwrapKey`, `wrapKey`, or *Key Vault Crypto Service
    ///   Encryption User*)
    /// - <https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security>
    ///   (what Crypto User, Crypto Officer and Administrator allow beyond wrap and unwrap)
    /// - <https://learn.microsoft.com/azure/key-vault/general/rbac-guide>
    pub struct OverPrivilegedKeyAccess {
        code: "CMK018",
        name: "over-privileged-key-access",
        level: Warning,
        summary: "The registry's identity is granted more than get/wrapKey/unwrapKey",
    }
}

impl Rule for OverPrivilegedKeyAccess {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        let mut seen: Vec<(usize, PropPath)> = Vec::new();
        for (ri, _, a) in with_access(m) {
            let who = a.who(m);
            for g in a.definite() {
                let res = &m.resources[g.resource];
                if res.existing {
                    continue;
                }
                let (path, extra) = match &g.kind {
                    GrantKind::AccessPolicy { entry, .. } => {
                        let extra = extra_permissions(entry);
                        if extra.is_empty() {
                            continue;
                        }
                        (grant_site(g).key("permissions"), extra.join(", "))
                    }
                    GrantKind::Role { role } => {
                        let Some(role) = role else { continue };
                        let Some(guid) = role_guid(role) else {
                            continue;
                        };
                        let name = match guid.as_str() {
                            azure::ROLE_CRYPTO_USER => "Key Vault Crypto User",
                            azure::ROLE_CRYPTO_OFFICER => "Key Vault Crypto Officer",
                            azure::ROLE_ADMINISTRATOR => "Key Vault Administrator",
                            _ => continue,
                        };
                        (
                            PropPath::from("properties.roleDefinitionId"),
                            format!("the role {name}"),
                        )
                    }
                };
                // Several registries (a loop) may share one grant: report it once.
                if seen.contains(&(g.resource, path.clone())) {
                    continue;
                }
                seen.push((g.resource, path.clone()));
                out.push(
                    Finding::on(
                        &Self::META,
                        g.resource,
                        path,
                        format!("{who} is granted more than CMK needs: {extra}"),
                    )
                    .label("broader than get/wrapKey/unwrapKey")
                    .assuming(ri)
                    .help(format!(
                        "grant only the key permissions get, wrapKey, unwrapKey, or the role Key Vault Crypto Service Encryption User ({})",
                        azure::ROLE_CRYPTO_SERVICE_ENCRYPTION_USER
                    )),
                );
            }
        }
    }
}

fn extra_permissions(entry: &crate::model::Node) -> Vec<String> {
    let mut extra = Vec::new();
    for kind in ["keys", "secrets", "certificates", "storage"] {
        let Prop::Known(list) = lookup(entry, &format!("permissions.{kind}")) else {
            continue;
        };
        for p in list.as_array().unwrap_or_default() {
            if let Value::Str(s) = &p.value {
                let needed = kind == "keys"
                    && NEEDED_KEY_PERMISSIONS
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(s));
                if !needed {
                    extra.push(format!("{kind}: {s}"));
                }
            }
        }
    }
    extra
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    #[test]
    fn minimal_grant_is_clean() {
        assert!(check(&OverPrivilegedKeyAccess, &model(good())).is_empty());
    }

    #[test]
    fn extra_permissions_are_reported() {
        let list = edit(good(), "pol", |r| {
            r["properties"]["accessPolicies"][0]["permissions"] =
                json!({"keys": ["get", "wrapKey", "unwrapKey", "delete"], "secrets": ["get"]})
        });
        let f = check(&OverPrivilegedKeyAccess, &model(list));
        assert_eq!(
            pointers(&f),
            ["/resources/2/properties/accessPolicies/0/permissions"]
        );
        assert!(
            f[0].message.contains("keys: delete, secrets: get"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn broad_role_is_reported() {
        let list = with(
            remove(good(), "pol"),
            json!([{"sym": "ra", "type": "Microsoft.Authorization/roleAssignments",
            "name": "${expr:guid(x)}", "scope": "${id:kv}",
            "properties": {"principalId": "${ref:uai.properties.principalId}",
                "roleDefinitionId": "12338af0-0e69-4776-bea7-57ae8d297424"}}]),
        );
        let f = check(&OverPrivilegedKeyAccess, &model(list));
        assert_eq!(pointers(&f), ["/resources/3/properties/roleDefinitionId"]);
        assert!(f[0].message.contains("Crypto User"));
    }
}
