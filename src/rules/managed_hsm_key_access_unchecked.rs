use crate::azure::ROLE_HSM_CRYPTO_SERVICE_ENCRYPTION_USER;
use crate::finding::Finding;
use crate::query::identities::used_identity;
use crate::query::keys::registry_key;
use crate::query::registries::cmk_registries;
use crate::query::{Tri, identity_name};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a CMK registry whose key is in an Azure Key Vault **Managed HSM**
    /// (`https://<hsm>.managedhsm.azure.net/keys/…`, or a `Microsoft.KeyVault/managedHSMs/keys`
    /// resource): acr-cmk could not check that the registry's identity may use the key.
    ///
    /// A Managed HSM grants key use through its own *local* RBAC: the role *Managed HSM Crypto
    /// Service Encryption User* (33413926-3206-4cdd-b39a-83574fe37a17; data actions
    /// `keys/read/action`, `keys/wrap/action`, `keys/unwrap/action`), assigned on the HSM's data
    /// plane. No ARM or Bicep resource makes that assignment, so no template shows it; Key Vault
    /// access policies and Azure `roleAssignments` (such as *Key Vault Crypto Service Encryption
    /// User*) do not grant key use in a Managed HSM. The key checks (CMK002, CMK024) still apply
    /// to a `managedHSMs/keys` resource of the template; the grant check (CMK007) does not.
    ///
    /// ## Why is this bad?
    /// Without the local role assignment the registry cannot reach its key ("Failed to access
    /// KeyId"). A lint that passed here would promise what it did not check. Also, Microsoft's
    /// list of services that support customer-managed keys in Managed HSM does not list
    /// Container Registry (only Key Vault), although the `az acr encryption rotate-key`
    /// reference shows a Managed HSM key: test the setup before relying on it.
    ///
    /// ## Example
    /// ```json
    /// "keyVaultProperties": { "identity": "[reference(variables('identityId')).clientId]",
    ///   "keyIdentifier": "https://myhsm.managedhsm.azure.net/keys/acr-cmk" }
    /// ```
    ///
    /// ```bicep
    /// keyVaultProperties: { identity: uai.properties.clientId
    ///   keyIdentifier: 'https://myhsm.managedhsm.azure.net/keys/acr-cmk' }
    /// ```
    ///
    /// ## Use instead
    /// Assign the role on the HSM before the registry is deployed, then suppress this finding
    /// with the reason (`#disable-next-line CMK025 // role assigned by …`):
    /// ```text
    /// az keyvault role assignment create --hsm-name myhsm \
    ///   --role "Managed HSM Crypto Service Encryption User" \
    ///   --assignee-object-id <identity principalId> --scope /keys/acr-cmk
    /// ```
    /// Or keep the key in a Key Vault (Premium for RSA-HSM keys), whose grants acr-cmk checks.
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/key-vault/managed-hsm/built-in-roles> (local RBAC
    ///   built-in roles; "All these roles and operations allow you to manage permissions only
    ///   for data plane operations")
    /// - <https://learn.microsoft.com/azure/security/fundamentals/encryption-customer-managed-keys-support>
    ///   (Container Registry: Key Vault yes, Managed HSM not listed)
    /// - <https://learn.microsoft.com/cli/azure/acr/encryption> (`rotate-key` with a Managed
    ///   HSM key id)
    pub struct ManagedHsmKeyAccessUnchecked {
        code: "CMK025",
        name: "managed-hsm-key-access-unchecked",
        level: Warning,
        summary: "A key in a Managed HSM is granted in the HSM's local RBAC, which acr-cmk cannot see: the grant is not checked",
    }
}

impl Rule for ManagedHsmKeyAccessUnchecked {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        for (i, registry) in cmk_registries(m) {
            let Some(key) = registry_key(m, registry) else {
                continue;
            };
            if key.managed_hsm != Tri::Yes {
                continue;
            }
            let who = used_identity(registry)
                .0
                .identity_id()
                .map(|id| format!("identity '{}'", identity_name(m, &id)))
                .unwrap_or_else(|| "the registry's identity".into());
            out.push(
                Finding::on(
                    &Self::META,
                    i,
                    "properties.encryption.keyVaultProperties.keyIdentifier",
                    format!(
                        "could not check that {who} may use its key: the key is in a Managed HSM, whose grants are HSM-local role assignments that no template shows"
                    ),
                )
                .label("Managed HSM key")
                .help(format!(
                    "assign {who} the Managed HSM local role 'Managed HSM Crypto Service Encryption User' ({ROLE_HSM_CRYPTO_SERVICE_ENCRYPTION_USER}) on the key with `az keyvault role assignment create --hsm-name <hsm> --scope /keys/<key>`, then suppress this finding with that reason"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    fn key_id(id: &str) -> crate::model::Model {
        model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"] = id.into()
        }))
    }

    #[test]
    fn a_key_vault_key_is_not_reported() {
        assert!(check(&ManagedHsmKeyAccessUnchecked, &model(good())).is_empty());
        // A host the tool cannot read says nothing either way.
        assert!(
            check(
                &ManagedHsmKeyAccessUnchecked,
                &key_id("https://${param:host}/keys/cmk")
            )
            .is_empty()
        );
    }

    #[test]
    fn a_managed_hsm_key_is_reported_as_unchecked() {
        for id in [
            "https://hsm1.managedhsm.azure.net/keys/cmk",
            "https://HSM1.ManagedHSM.usgovcloudapi.net/keys/cmk/0123456789abcdef0123456789abcdef",
        ] {
            let f = check(&ManagedHsmKeyAccessUnchecked, &key_id(id));
            assert_eq!(
                pointers(&f),
                ["/resources/3/properties/encryption/keyVaultProperties/keyIdentifier"],
                "{id}"
            );
            assert!(f[0].message.starts_with("could not check"));
            assert!(
                f[0].help
                    .as_deref()
                    .unwrap()
                    .contains("33413926-3206-4cdd-b39a-83574fe37a17")
            );
        }
    }

    #[test]
    fn a_managed_hsm_key_resource_is_followed() {
        let list = with(
            good(),
            json!([{"sym": "hkey", "type": "Microsoft.KeyVault/managedHSMs/keys", "apiVersion": "2026-02-01",
                    "name": "hsm1/cmk", "properties": {"kty": "RSA-HSM"}}]),
        );
        let list = edit(list, "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"] =
                "${ref:hkey.properties.keyUri}".into()
        });
        let m = model(remove(list, "pol"));
        assert_eq!(check(&ManagedHsmKeyAccessUnchecked, &m).len(), 1);
        // CMK007 does not claim a missing grant it cannot see.
        let cmk007 = &crate::rules::key_access_missing::KeyAccessMissing;
        assert!(check(cmk007, &m).is_empty());
    }
}
