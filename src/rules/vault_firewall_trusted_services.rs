use crate::finding::Finding;
use crate::model::Resource;
use crate::query::identities::{UsedIdentity, used_identity};
use crate::query::keys::registry_key;
use crate::query::registries::cmk_registries;
use crate::query::vaults::VaultRef;
use crate::query::{Prop, Tri, identity_name, lookup, shown, str_is};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks how a CMK registry reaches a key in a vault whose firewall is closed
    /// (`networkAcls.defaultAction: Deny`, or `publicNetworkAccess: Disabled`):
    /// - through a **user-assigned** identity (`keyVaultProperties.identity` is its clientId):
    ///   reported. A user-assigned identity is not a trusted service, so the
    ///   trusted-services bypass does not let it through;
    /// - through the registry's **system-assigned** identity (`keyVaultProperties.identity:
    ///   'system'`, what `az acr encryption rotate-key --identity [system]` sets): reported when
    ///   the vault does not let trusted services through (`networkAcls.bypass: None`;
    ///   `AzureServices` is the default when `bypass` is not written).
    ///
    /// A vault the template only references (`existing`) is not checked: its firewall is not in
    /// view.
    ///
    /// ## Why is this bad?
    /// Creating a CMK registry whose key sits behind a vault firewall fails ("Failed to access
    /// KeyId … Verify that identity … has 'Get, Wrap Key, Unwrap Key' permission"; Key Vault logs
    /// "Client address is not authorized and caller is not a trusted service"). A firewall
    /// closed after creation makes image import and automatic key rotation fail with HTTP 403.
    /// Only the registry's system-assigned identity passes the firewall, and only with the
    /// trusted-services bypass. A private endpoint on the vault does not help: the registry
    /// service does not reach the vault from your virtual network.
    ///
    /// ## Example
    /// ```json
    /// "networkAcls": { "defaultAction": "Deny", "bypass": "AzureServices" }
    /// ...
    /// "keyVaultProperties": { "identity": "[reference(variables('identityId')).clientId]", ... }
    /// ```
    ///
    /// ```bicep
    /// networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' }
    /// ...
    /// keyVaultProperties: { identity: uai.properties.clientId, keyIdentifier: key.properties.keyUri }
    /// ```
    ///
    /// ## Use instead
    /// Create the registry with a key it can reach (a vault that allows public access, kept
    /// open until step 4, or a temporary vault), through its user-assigned identity. Then:
    /// 1. enable the registry's system-assigned identity
    ///    (`identity.type: 'SystemAssigned, UserAssigned'`, or
    ///    `az acr identity assign --identities [system]`);
    /// 2. grant that identity's principalId `get`, `wrapKey`, `unwrapKey` (or the role *Key
    ///    Vault Crypto Service Encryption User*) on the firewalled vault;
    /// 3. let trusted services through: `networkAcls: { defaultAction: 'Deny', bypass:
    ///    'AzureServices' }`;
    /// 4. `az acr encryption rotate-key --name R --key-encryption-key <key id in the firewalled
    ///    vault> --identity [system]`.
    ///
    /// Keep the user-assigned identity attached afterwards.
    /// ```json
    /// "networkAcls": { "defaultAction": "Allow" }
    /// ```
    ///
    /// ```bicep
    /// networkAcls: { defaultAction: 'Allow' }
    /// ```
    ///
    /// ## References
    /// - MicrosoftDocs/azure-docs issues 61064 and 61015: a user-assigned identity does not
    ///   pass a vault firewall, even with the trusted-services bypass
    ///   (<https://github.com/MicrosoftDocs/azure-docs/issues/61064>,
    ///   <https://github.com/MicrosoftDocs/azure-docs/issues/61015>)
    /// - MicrosoftDocs/azure-docs issue 75970: the Key Vault team asks the ACR page to say
    ///   that a user-assigned identity is not supported behind the vault firewall
    ///   (<https://github.com/MicrosoftDocs/azure-docs/issues/75970>)
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-enable-customer-managed-keys>
    ///   (advises enabling trusted services for a firewalled vault, which lets only the
    ///   system-assigned identity through: the issues above)
    /// - Azure/acr issue 523: access through a private endpoint with a user-assigned identity
    ///   is a feature request; the workaround is a temporary public vault and a key rotation
    ///   (<https://github.com/Azure/acr/issues/523>)
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-rotate-revoke-customer-managed-keys>
    ///   (rotate with `--identity [system]`)
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-troubleshoot-customer-managed-keys>
    ///   (vault firewall enabled after creation: HTTP 403)
    /// - <https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints>
    ///   (Container Registry is a trusted service)
    pub struct VaultFirewallTrustedServices {
        code: "CMK012",
        name: "vault-firewall-trusted-services",
        level: Error,
        summary: "A key behind a vault firewall is reachable only by the registry's system-assigned identity, with trusted Azure services let through",
    }
}

const KVP_IDENTITY: &str = "properties.encryption.keyVaultProperties.identity";

/// What closes the vault's firewall, as a path and a description (`None`: open, or unknown).
fn firewall(vault: &Resource) -> Option<(&'static str, &'static str)> {
    let is = |path: &str, value: &str| match lookup(&vault.body, path) {
        Prop::Known(n) => str_is(n, value) == Tri::Yes,
        _ => false,
    };
    if is("properties.networkAcls.defaultAction", "Deny") {
        Some((
            "properties.networkAcls.defaultAction",
            "denies network access by default",
        ))
    } else if is("properties.publicNetworkAccess", "Disabled") {
        Some((
            "properties.publicNetworkAccess",
            "disables public network access",
        ))
    } else {
        None
    }
}

/// How a registry reaches its key.
enum Through {
    /// A user-assigned identity: the one with this id, or a literal client id.
    UserAssigned(Option<crate::model::SymStr>),
    /// The registry's system-assigned identity (`'system'`).
    System,
}

fn through(registry: &Resource) -> Option<Through> {
    match used_identity(registry) {
        (UsedIdentity::ClientIdOf(id) | UsedIdentity::PrincipalIdOf(id), _) => {
            Some(Through::UserAssigned(Some(id)))
        }
        (UsedIdentity::System, _) => Some(Through::System),
        // Any other literal is a client id, and only user-assigned identities are named by
        // client id.
        (UsedIdentity::Other, Some(node)) => node.as_str().map(|_| Through::UserAssigned(None)),
        _ => None,
    }
}

impl Rule for VaultFirewallTrustedServices {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        for (i, registry) in cmk_registries(m) {
            let Some(VaultRef::Resource(v)) = registry_key(m, registry).map(|k| k.vault) else {
                continue;
            };
            let vault = &m.resources[v];
            if vault.existing {
                continue;
            }
            let Some((closed_at, closed)) = firewall(vault) else {
                continue;
            };
            match through(registry) {
                Some(Through::UserAssigned(id)) => {
                    let who = id
                        .map(|id| format!("user-assigned identity '{}'", identity_name(m, &id)))
                        .unwrap_or_else(|| "a user-assigned identity".into());
                    out.push(
                        Finding::on(
                            &Self::META,
                            i,
                            KVP_IDENTITY,
                            format!(
                                "registry '{}' reaches its key in vault '{}', which {closed}, through {who}: a user-assigned identity is not a trusted service and cannot pass the vault firewall",
                                registry.display_name(),
                                vault.display_name()
                            ),
                        )
                        .label("not a trusted service")
                        .assuming(v)
                        .related(vault.loc_of(closed_at), "the vault firewall is closed here")
                        .help("create the registry with a key it can reach (open vault or temporary vault), then enable its system-assigned identity, grant it on this vault, set networkAcls.bypass to 'AzureServices' and run `az acr encryption rotate-key --identity [system]`"),
                    );
                }
                Some(Through::System) => {
                    let path = "properties.networkAcls.bypass";
                    let Prop::Known(bypass) = lookup(&vault.body, path) else {
                        continue;
                    };
                    if str_is(bypass, "AzureServices") != Tri::No {
                        continue;
                    }
                    out.push(
                        Finding::on(
                            &Self::META,
                            v,
                            path,
                            format!(
                                "vault '{}' {closed} and does not let trusted Azure services through (bypass {}): registry '{}' cannot reach its key with its system-assigned identity",
                                vault.display_name(),
                                shown(bypass),
                                registry.display_name()
                            ),
                        )
                        .label("trusted services blocked")
                        .assuming(i)
                        .related(registry.loc_of(KVP_IDENTITY), "the registry uses its system-assigned identity")
                        .help("set networkAcls.bypass to 'AzureServices'"),
                    );
                }
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    fn acls(acls: serde_json::Value) -> serde_json::Value {
        edit(good(), "kv", |r| r["properties"]["networkAcls"] = acls)
    }

    #[test]
    fn an_open_vault_is_clean() {
        for a in [
            json!({"defaultAction": "Allow", "bypass": "None"}),
            json!({"defaultAction": "${param:action}"}),
        ] {
            assert!(check(&VaultFirewallTrustedServices, &model(acls(a))).is_empty());
        }
    }

    #[test]
    fn a_user_assigned_identity_behind_a_firewall_is_reported_even_with_the_bypass() {
        for a in [
            json!({"defaultAction": "Deny", "bypass": "AzureServices"}),
            json!({"defaultAction": "deny"}),
            json!({"defaultAction": "Deny", "bypass": "None"}),
        ] {
            let f = check(&VaultFirewallTrustedServices, &model(acls(a)));
            assert_eq!(
                pointers(&f),
                ["/resources/3/properties/encryption/keyVaultProperties/identity"]
            );
            assert_eq!(f[0].level, crate::finding::Level::Error);
            assert!(
                f[0].message.contains("not a trusted service"),
                "{}",
                f[0].message
            );
        }
    }

    #[test]
    fn public_network_access_disabled_is_a_closed_firewall() {
        let list = edit(good(), "kv", |r| {
            r["properties"]["publicNetworkAccess"] = "Disabled".into()
        });
        let f = check(&VaultFirewallTrustedServices, &model(list));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("disables public network access"));
    }

    #[test]
    fn the_system_identity_needs_the_bypass() {
        let ok = on_system_identity(acls(json!({"defaultAction": "Deny"})));
        assert!(check(&VaultFirewallTrustedServices, &model(ok)).is_empty());
        let ok = on_system_identity(acls(
            json!({"defaultAction": "Deny", "bypass": "AzureServices"}),
        ));
        assert!(check(&VaultFirewallTrustedServices, &model(ok)).is_empty());
        let bad = on_system_identity(acls(json!({"defaultAction": "Deny", "bypass": "None"})));
        let f = check(&VaultFirewallTrustedServices, &model(bad));
        assert_eq!(pointers(&f), ["/resources/1/properties/networkAcls/bypass"]);
    }

    #[test]
    fn an_identity_the_tool_cannot_tell_is_not_reported() {
        let list = edit(acls(json!({"defaultAction": "Deny"})), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["identity"] =
                "${param:identity}".into()
        });
        assert!(check(&VaultFirewallTrustedServices, &model(list)).is_empty());
    }
}
