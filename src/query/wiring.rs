//! The resources that take part in a registry's customer-managed-key wiring: what the schema
//! and naming rules look at by default (`check-resources = "cmk-wiring"`), so that a lint of a
//! whole infrastructure repository speaks about CMK deployments only.
//!
//! Members, for every registry that uses or may use a customer-managed key (encryption enabled,
//! or given by a value the tool cannot know):
//! - the registry itself;
//! - the identities it uses: the one `keyVaultProperties.identity` names and those assigned in
//!   `identity.userAssignedIdentities`;
//! - its key (`keyIdentifier`) and the vault that holds the key;
//! - the grants of key access to its identity (access-policy entries and role assignments for
//!   that principal, or for a principal the tool cannot tell on the key's vault);
//! - the deployments whose templates declare any of these (a grant in another resource group
//!   goes through one).
//!
//! Computed once per model ([`crate::rules::Ctx`] keeps it).

use super::Tri;
use super::grants::access;
use super::identities::{assigned_identities, identity_for_key, used_identity};
use super::keys::registry_key;
use super::registries::encryption_enabled;
use super::vaults::VaultRef;
use crate::azure::types::REGISTRY;
use crate::model::Model;

/// `members[i]`: resource `i` of the model takes part in a registry's CMK wiring.
pub fn cmk_wiring(model: &Model) -> Vec<bool> {
    let mut members = vec![false; model.resources.len()];
    for (ri, registry) in model.of_type(REGISTRY) {
        if encryption_enabled(registry) == Tri::No {
            continue;
        }
        members[ri] = true;
        if let Some(id) = used_identity(registry).0.identity_id()
            && let Some(i) = model.by_id(&id)
        {
            members[i] = true;
        }
        for key in assigned_identities(registry).keys.into_iter().flatten() {
            if let Some(i) = identity_for_key(model, &key.name) {
                members[i] = true;
            }
        }
        let key = registry_key(model, registry);
        let key_vault = match key.as_ref().map(|k| &k.vault) {
            Some(VaultRef::Resource(v)) => Some(*v),
            _ => None,
        };
        if let Some(k) = key.as_ref().and_then(|k| k.key_resource) {
            members[k] = true;
        }
        if let Some(v) = key_vault {
            members[v] = true;
        }
        if let Some(a) = access(model, registry) {
            for (grant, principal) in &a.grants {
                let on_key_vault = matches!(
                    (&grant.vault, key_vault),
                    (VaultRef::Resource(g), Some(k)) if *g == k
                );
                if principal == &Tri::Yes || on_key_vault {
                    members[grant.resource] = true;
                }
            }
        }
    }
    // The deployments that carry members.
    for i in 0..members.len() {
        if members[i] {
            let mut up = model.resources[i].parent_deployment;
            while let Some(d) = up {
                members[d] = true;
                up = model.resources[d].parent_deployment;
            }
        }
    }
    members
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::types::ROLE_ASSIGNMENT;
    use crate::model::testing::{edit, good, model, with};
    use serde_json::json;

    fn member_syms(m: &Model, members: &[bool]) -> Vec<String> {
        m.resources
            .iter()
            .zip(members)
            .filter(|(_, in_it)| **in_it)
            .map(|(r, _)| r.symbolic_name.clone().unwrap_or_else(|| r.display_name()))
            .collect()
    }

    #[test]
    fn the_wiring_of_a_cmk_registry_is_its_identity_key_vault_and_grant() {
        let list = with(
            good(),
            json!([
                {"sym": "other", "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "name": "unrelated"},
                {"sym": "ra", "type": ROLE_ASSIGNMENT, "name": "x",
                 "properties": {"principalId": "${ref:other.properties.principalId}", "roleDefinitionId": "r"}},
                {"sym": "sa", "type": "Microsoft.Storage/storageAccounts", "name": "sa1"}
            ]),
        );
        let m = model(list);
        let members = cmk_wiring(&m);
        assert_eq!(member_syms(&m, &members), ["uai", "kv", "pol", "acr"]);
    }

    #[test]
    fn a_registry_without_cmk_has_no_wiring_and_an_unknown_status_may_have_one() {
        let m = model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["status"] = "disabled".into()
        }));
        assert!(cmk_wiring(&m).iter().all(|in_it| !in_it));
        let m = model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["status"] = "${param:status}".into()
        }));
        assert_eq!(
            member_syms(&m, &cmk_wiring(&m)),
            ["uai", "kv", "pol", "acr"]
        );
    }
}
