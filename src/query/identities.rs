//! Which identity a registry uses for its key, and which identities it has assigned.

use super::{Prop, Tri, lookup};
use crate::azure::types::IDENTITY;
use crate::model::{Key, Model, Node, Part, Resource, Sym, SymStr, Value};
use std::collections::HashMap;

/// What `keyVaultProperties.identity` says.
#[derive(Clone, Debug)]
pub enum UsedIdentity {
    /// Not written.
    Missing,
    /// `reference(<identity id>).clientId`: the identity with this id.
    ClientIdOf(SymStr),
    /// `reference(<identity id>).principalId`: the wrong property of this identity.
    PrincipalIdOf(SymStr),
    /// `'system'`: the registry's own system-assigned identity, what `az acr encryption
    /// rotate-key --identity [system]` sets (and the generated templates' `encryption_identity`
    /// parameter once `deploy.sh` has moved the registry).
    System,
    /// A literal client id, a parameter, or anything else the tool cannot follow.
    Other,
}

impl UsedIdentity {
    /// The identity meant, also when the wrong property of it is used: CMK006 reports the
    /// principalId mistake, and the grant chain (CMK007/008/016/018/019) still follows that
    /// identity rather than going silent.
    pub fn identity_id(self) -> Option<SymStr> {
        match self {
            UsedIdentity::ClientIdOf(id) | UsedIdentity::PrincipalIdOf(id) => Some(id),
            UsedIdentity::Missing | UsedIdentity::System | UsedIdentity::Other => None,
        }
    }
}

/// What `keyVaultProperties.identity` says for the registry's system-assigned identity.
pub const SYSTEM: &str = "system";

pub fn used_identity(registry: &Resource) -> (UsedIdentity, Option<&Node>) {
    match lookup(
        &registry.body,
        "properties.encryption.keyVaultProperties.identity",
    ) {
        Prop::Absent => (UsedIdentity::Missing, None),
        Prop::Unknown => {
            let node = registry.get("properties.encryption.keyVaultProperties.identity");
            let used = node
                .and_then(|n| match &n.value {
                    Value::Sym(s) => s.as_single_sym(),
                    _ => None,
                })
                .and_then(identity_prop)
                .unwrap_or(UsedIdentity::Other);
            (used, node)
        }
        Prop::Known(n) => {
            let used = match n.as_str() {
                Some("") => UsedIdentity::Missing,
                Some(s) if s.eq_ignore_ascii_case(SYSTEM) => UsedIdentity::System,
                _ => UsedIdentity::Other,
            };
            (used, Some(n))
        }
    }
}

fn identity_prop(sym: &Sym) -> Option<UsedIdentity> {
    let Sym::ResourceProp { id, path } = sym else {
        return None;
    };
    let last = path.last()?.to_ascii_lowercase();
    match last.as_str() {
        "clientid" => Some(UsedIdentity::ClientIdOf(id.clone())),
        "principalid" => Some(UsedIdentity::PrincipalIdOf(id.clone())),
        _ => None,
    }
}

/// The user-assigned identities on a registry.
#[derive(Clone, Debug)]
pub struct Assigned<'a> {
    /// `identity.type` includes `UserAssigned`.
    pub user_assigned_type: Tri,
    /// `identity.type` includes `SystemAssigned`: the registry has its own identity.
    pub system_assigned_type: Tri,
    /// The keys of `identity.userAssignedIdentities`, when that object is known.
    pub keys: Option<Vec<&'a Key>>,
}

pub fn assigned_identities(registry: &Resource) -> Assigned<'_> {
    // `identity.type` lists the kinds: `SystemAssigned, UserAssigned`.
    let type_includes = |kind: &str| match lookup(&registry.body, "identity.type") {
        Prop::Absent => Tri::No,
        Prop::Unknown => Tri::Unknown,
        Prop::Known(n) => match n.as_str() {
            Some(s) if s.split(',').any(|p| p.trim().eq_ignore_ascii_case(kind)) => Tri::Yes,
            _ => Tri::No,
        },
    };
    let keys = match lookup(&registry.body, "identity.userAssignedIdentities") {
        Prop::Absent => Some(Vec::new()),
        Prop::Unknown => None,
        Prop::Known(n) => n.as_object().map(|o| o.iter().map(|(k, _)| k).collect()),
    };
    Assigned {
        user_assigned_type: type_includes("UserAssigned"),
        system_assigned_type: type_includes("SystemAssigned"),
        keys,
    }
}

/// Does an `identity.userAssignedIdentities` key denote this resource id?
///
/// The model's object keys are strings: a computed key (`resourceId(...)`, Bicep `uai.id`) is
/// stored as the display form of its canonical [`SymStr`]. An id with an opaque part denotes no
/// resource the tool can name, so it matches no key (and a key made from an opaque part, whose
/// text holds that part's description, matches no id without one).
pub fn key_is_id(key: &str, id: &SymStr) -> bool {
    !has_opaque_part(id) && id.to_string().eq_ignore_ascii_case(key)
}

fn has_opaque_part(id: &SymStr) -> bool {
    id.parts
        .iter()
        .any(|p| matches!(p, Part::Sym(Sym::Opaque(_))))
}

/// The identity resource of the model that a `userAssignedIdentities` key denotes.
///
/// The same answer as the first identity for which [`key_is_id`] holds, from a map built once
/// per model: asked per registry, a scan would make n registries cost n² (issue 8, class 5).
pub fn identity_for_key(model: &Model, key: &str) -> Option<usize> {
    /// Identities whose id has no opaque part, by the lower-cased display form of the id
    /// (the first of each).
    struct ByKey(HashMap<String, usize>);
    let by_key = model.derived(|m| {
        let mut map = HashMap::new();
        for (i, r) in m.of_type(IDENTITY) {
            if !has_opaque_part(&r.id) {
                map.entry(r.id.to_string().to_ascii_lowercase())
                    .or_insert(i);
            }
        }
        ByKey(map)
    });
    by_key.0.get(&key.to_ascii_lowercase()).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_ids_by_their_display_form_and_opaque_ids_match_nothing() {
        let mut id = SymStr::lit("/subscriptions/s/resourceGroups/");
        id.push_sym(Sym::Param("rg".into()));
        id.push_lit("/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai");
        assert!(key_is_id(&id.to_string().to_ascii_uppercase(), &id));
        let mut opaque = SymStr::lit("/subscriptions/s/resourceGroups/");
        opaque.push_sym(Sym::Opaque("copyIndex out of range".into()));
        assert!(!key_is_id(&opaque.to_string(), &opaque));
        assert!(!key_is_id("/subscriptions/s/resourceGroups/x", &opaque));
    }
}
