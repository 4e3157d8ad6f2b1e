//! Which vault a key, a grant or a scope points at, and what the vaults the template deploys
//! say about themselves.

use super::keys::registry_key;
use super::registries::cmk_registries;
use super::{Prop, Tri, known_different, lookup, name_of};
use crate::azure::types::VAULT;
use crate::model::{Model, Resource, SymStr};

/// The vault name in a resource id that goes through `Microsoft.KeyVault/vaults/<name>`
/// (a vault, key or access-policy id, or a role-assignment scope).
pub fn vault_name_in_id(id: &SymStr) -> Option<SymStr> {
    let pieces = id.split('/');
    let at = pieces
        .iter()
        .position(|p| p.as_lit().is_some_and(|s| s.eq_ignore_ascii_case("vaults")))?;
    let ns = pieces.get(at.checked_sub(1)?)?.as_lit()?;
    if !ns.eq_ignore_ascii_case("Microsoft.KeyVault") {
        return None;
    }
    pieces.get(at + 1).cloned()
}

/// Vault resources (deployed or `existing`) whose name is the same as `name`.
pub fn vault_by_name(model: &Model, name: &SymStr) -> Option<usize> {
    model
        .of_type(VAULT)
        .find(|(_, v)| name_of(v).is_some_and(|n| n.same(name)))
        .map(|(i, _)| i)
}

/// Which vault something points at.
#[derive(Clone, Debug)]
pub enum VaultRef {
    /// A vault resource of the model.
    Resource(usize),
    /// A vault known by name only (not declared in the model).
    Name(SymStr),
    /// Any vault in a resource group or subscription (a role assignment at a broad scope), or a
    /// vault that cannot be told.
    Unknown,
}

impl VaultRef {
    pub(crate) fn from_name(model: &Model, name: SymStr) -> VaultRef {
        match vault_by_name(model, &name) {
            Some(i) => VaultRef::Resource(i),
            None => VaultRef::Name(name),
        }
    }
    pub(crate) fn from_id(model: &Model, id: &SymStr) -> VaultRef {
        if let Some(i) = model
            .by_id(id)
            .filter(|&i| model.resources[i].is_type(VAULT))
        {
            return VaultRef::Resource(i);
        }
        match vault_name_in_id(id) {
            Some(n) => VaultRef::from_name(model, n),
            None => VaultRef::Unknown,
        }
    }
    pub fn name(&self, model: &Model) -> Option<SymStr> {
        match self {
            VaultRef::Resource(i) => name_of(&model.resources[*i]),
            VaultRef::Name(n) => Some(n.clone()),
            VaultRef::Unknown => None,
        }
    }
    /// Known to be two different vaults (literal names that differ).
    pub fn known_different(&self, other: &VaultRef, model: &Model) -> bool {
        if let (VaultRef::Resource(a), VaultRef::Resource(b)) = (self, other)
            && a == b
        {
            return false;
        }
        match (self.name(model), other.name(model)) {
            (Some(a), Some(b)) => known_different(&a, &b),
            _ => false,
        }
    }
}

/// Does a vault of the model use Azure RBAC for data access (instead of access policies)?
pub fn vault_uses_rbac(model: &Model, vault: &VaultRef) -> Tri {
    let VaultRef::Resource(v) = vault else {
        return Tri::Unknown;
    };
    let r = &model.resources[*v];
    if r.existing {
        return Tri::Unknown;
    }
    match lookup(&r.body, "properties.enableRbacAuthorization") {
        Prop::Known(n) => match n.as_bool() {
            Some(true) => Tri::Yes,
            Some(false) => Tri::No,
            None => Tri::Unknown,
        },
        // Key Vault API 2026-02-01 made RBAC the default for new vaults.
        Prop::Absent
            if r.api_version
                .as_deref()
                .is_some_and(|a| a.get(..10).unwrap_or(a) < "2026-02-01") =>
        {
            Tri::No
        }
        _ => Tri::Unknown,
    }
}

/// Vaults the template deploys (not `existing`) that hold a CMK registry's key, each once, with
/// the first registry whose key it holds.
pub fn deployed_key_vaults(model: &Model) -> impl Iterator<Item = (usize, &Resource, usize)> {
    let mut seen: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for (ri, r) in cmk_registries(model) {
        if let Some(VaultRef::Resource(v)) = registry_key(model, r).map(|k| k.vault)
            && !seen.contains(&v)
        {
            seen.push(v);
            if !model.resources[v].existing {
                out.push((v, &model.resources[v], ri));
            }
        }
    }
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parent_id;

    #[test]
    fn vault_names_are_found_in_ids_and_scopes() {
        let id = SymStr::lit(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1/keys/k",
        );
        assert_eq!(vault_name_in_id(&id).unwrap().as_lit(), Some("kv1"));
        let bicep_scope = SymStr::lit("Microsoft.KeyVault/vaults/kv2");
        assert_eq!(
            vault_name_in_id(&bicep_scope).unwrap().as_lit(),
            Some("kv2")
        );
        let rg = SymStr::lit("/subscriptions/s/resourceGroups/rg");
        assert!(vault_name_in_id(&rg).is_none());
        assert_eq!(
            parent_id(&id).unwrap().as_lit(),
            Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1")
        );
    }
}
