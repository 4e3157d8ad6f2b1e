//! Grants of key access (access-policy entries and role assignments), whom they are for, on
//! which vault, and whether they give what CMK needs.

use super::identities::{UsedIdentity, used_identity};
use super::keys::{KeyRef, registry_key};
use super::vaults::{VaultRef, rbac_by_default, vault_uses_rbac};
use super::{Prop, Tri, identity_name, join, lookup, name_segments, parent_id};
use crate::azure;
use crate::azure::types::{ACCESS_POLICIES, IDENTITY, ROLE_ASSIGNMENT, VAULT};
use crate::finding::PropPath;
use crate::model::{Model, Node, Resource, Sym, SymStr, Unseen, Value, same_key};
use std::collections::HashMap;

/// A grant of key access to some principal.
#[derive(Clone, Debug)]
pub struct Grant<'a> {
    /// The access-policy or role-assignment resource (for inline policies: the vault).
    pub resource: usize,
    pub kind: GrantKind<'a>,
    /// The principal the grant is for (`objectId` / `principalId`).
    pub principal: &'a Node,
    pub vault: VaultRef,
}

#[derive(Clone, Debug)]
pub enum GrantKind<'a> {
    /// Entry `index` of the resource's `properties.accessPolicies`.
    AccessPolicy { entry: &'a Node, index: usize },
    /// A role assignment with its role definition id node.
    Role { role: Option<&'a Node> },
}

/// The resources that may hold grants, in [`grants`] order: access-policy resources, vaults
/// (inline policies), role assignments.
fn grant_holders(model: &Model) -> Vec<usize> {
    [ACCESS_POLICIES, VAULT, ROLE_ASSIGNMENT]
        .iter()
        .flat_map(|ty| model.of_type(ty).map(|(i, _)| i))
        .collect()
}

/// The grants resource `i` holds; with `only`, just the one in that access-policy entry.
fn grants_of(model: &Model, i: usize, only: Option<usize>) -> Vec<Grant<'_>> {
    let r = &model.resources[i];
    let mut out = Vec::new();
    if r.is_type(ACCESS_POLICIES) {
        let vault = match name_segments(r).into_iter().next() {
            Some(n) if name_segments(r).len() == 2 => VaultRef::from_name(model, n),
            _ => VaultRef::Unknown,
        };
        push_policies(&mut out, i, r, vault, only);
    } else if r.is_type(VAULT) {
        push_policies(&mut out, i, r, VaultRef::Resource(i), only);
    } else if r.is_type(ROLE_ASSIGNMENT) {
        let Some(principal) = r.get("properties.principalId") else {
            return out;
        };
        let vault = match r.get("scope").and_then(|s| s.value.to_symstr()) {
            Some(scope) => VaultRef::from_id(model, &scope),
            None => parent_id(&r.id)
                .and_then(|p| {
                    // `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`
                    let s = p.split('/');
                    (s.len() > 3).then(|| join(&s[..s.len() - 2], '/'))
                })
                .map(|scope| VaultRef::from_id(model, &scope))
                .unwrap_or(VaultRef::Unknown),
        };
        out.push(Grant {
            resource: i,
            kind: GrantKind::Role {
                role: r.get("properties.roleDefinitionId"),
            },
            principal,
            vault,
        });
    }
    out
}

fn push_policies<'a>(
    out: &mut Vec<Grant<'a>>,
    i: usize,
    r: &'a Resource,
    vault: VaultRef,
    only: Option<usize>,
) {
    let Some(list) = lookup(&r.body, "properties.accessPolicies")
        .known()
        .and_then(|n| n.as_array())
    else {
        return;
    };
    let entries = list
        .iter()
        .enumerate()
        .skip(only.unwrap_or(0))
        .take(if only.is_some() { 1 } else { usize::MAX });
    for (k, entry) in entries {
        if let Some(principal) = entry.get("objectId") {
            out.push(Grant {
                resource: i,
                kind: GrantKind::AccessPolicy { entry, index: k },
                principal,
                vault: vault.clone(),
            });
        }
    }
}

/// The grants whose principal may be the identity with this id (a superset of those
/// [`principal_is`] does not rule out), in [`grants`] order.
///
/// Built once per model: the grants grouped by the identity whose `reference(<id>).principalId`
/// they name. Asked per registry, going through every grant would make a template of n
/// registries, each with its own grant, cost n² (issue 8, class 5).
fn grants_maybe_for<'a>(model: &'a Model, identity_id: &SymStr) -> Vec<Grant<'a>> {
    /// Where each grant is: its resource and, for an access policy, its entry.
    type Site = (usize, Option<usize>);
    #[derive(Default)]
    struct Sites {
        /// Every grant, in `grants` order.
        all: Vec<Site>,
        /// Positions in `all` by the [`same_key`] of the identity their principal names.
        by_identity: HashMap<String, Vec<usize>>,
        /// Positions in `all` whose principal names an identity the model does not declare,
        /// or is any other unknown (these may be for any identity).
        anyone: Vec<usize>,
    }
    let sites = model.derived(|m| {
        let mut s = Sites::default();
        for i in grant_holders(m) {
            for g in grants_of(m, i, None) {
                let entry = match g.kind {
                    GrantKind::AccessPolicy { index, .. } => Some(index),
                    GrantKind::Role { .. } => None,
                };
                let p = s.all.len();
                s.all.push((i, entry));
                let principal = g.principal.value.to_symstr();
                let named = match principal.as_ref().and_then(SymStr::as_single_sym) {
                    Some(Sym::ResourceProp { id, path })
                        if path
                            .last()
                            .is_some_and(|l| l.eq_ignore_ascii_case("principalId"))
                            && m.by_id(id).is_some() =>
                    {
                        same_key(id)
                    }
                    _ => None,
                };
                match named {
                    Some(key) => s.by_identity.entry(key).or_default().push(p),
                    None => s.anyone.push(p),
                }
            }
        }
        s
    });
    let positions: Vec<usize> = match (model.by_id(identity_id), same_key(identity_id)) {
        (Some(_), Some(key)) => {
            let mut p: Vec<usize> = sites.anyone.clone();
            p.extend(sites.by_identity.get(&key).into_iter().flatten());
            p.sort_unstable();
            p
        }
        // An identity the model does not declare may be the one behind any principal.
        _ => (0..sites.all.len()).collect(),
    };
    positions
        .into_iter()
        .flat_map(|p| {
            let (i, entry) = sites.all[p];
            grants_of(model, i, entry)
        })
        .collect()
}

/// Is this principal value the principalId of the identity with this id?
/// `Yes` for `reference(<id>).principalId`; `No` for a literal GUID, or the principalId of
/// another resource the model declares; `Unknown` otherwise.
///
/// With `system`, `identity_id` is a registry's id and the identity its system-assigned one,
/// whose principal is `reference(<registry id>, <api>, 'Full').identity.principalId` (Bicep
/// `registry.identity.principalId`): the same [`Sym::ResourceProp`], path
/// `identity.principalId`. Another property of that registry is not its principal (`No`).
pub fn principal_is(model: &Model, principal: &Node, identity_id: &SymStr, system: bool) -> Tri {
    match &principal.value {
        Value::Str(_) => Tri::No,
        Value::Sym(s) => match s.as_single_sym() {
            Some(Sym::ResourceProp { id, path })
                if path
                    .last()
                    .is_some_and(|p| p.eq_ignore_ascii_case("principalId")) =>
            {
                if id.same(identity_id) {
                    if !system || is_identity_principal_path(path) {
                        Tri::Yes
                    } else {
                        Tri::No
                    }
                } else if model.by_id(id).is_some() && model.by_id(identity_id).is_some() {
                    Tri::No
                } else {
                    Tri::Unknown
                }
            }
            _ => Tri::Unknown,
        },
        _ => Tri::No,
    }
}

/// `identity.principalId`, from the resource root: where a resource's system-assigned
/// identity's principal is.
fn is_identity_principal_path(path: &[String]) -> bool {
    matches!(path, [a, b] if a.eq_ignore_ascii_case("identity") && b.eq_ignore_ascii_case("principalId"))
}

/// Key permissions CMK needs.
pub const NEEDED_KEY_PERMISSIONS: [&str; 3] = ["get", "wrapKey", "unwrapKey"];

/// The needed permissions an access-policy entry lacks: `Some(vec![])` when it has them all,
/// `None` when its permissions are unknown.
pub fn missing_key_permissions(entry: &Node) -> Option<Vec<&'static str>> {
    let keys = match lookup(entry, "permissions.keys") {
        Prop::Absent => return Some(NEEDED_KEY_PERMISSIONS.to_vec()),
        Prop::Unknown => return None,
        Prop::Known(n) => n,
    };
    let list = keys.as_array()?;
    let mut have = Vec::new();
    for p in list {
        match &p.value {
            Value::Str(s) => have.push(s.as_str()),
            _ => return None,
        }
    }
    if have.iter().any(|h| h.eq_ignore_ascii_case("all")) {
        return Some(Vec::new());
    }
    Some(
        NEEDED_KEY_PERMISSIONS
            .iter()
            .copied()
            .filter(|need| !have.iter().any(|h| h.eq_ignore_ascii_case(need)))
            .collect(),
    )
}

/// The role guid at the end of a `roleDefinitionId` (a full id or a bare guid), lower-cased.
pub fn role_guid(role: &Node) -> Option<String> {
    let s = role.value.to_symstr()?;
    let last = s.split('/').pop()?;
    last.as_lit().map(|l| l.to_ascii_lowercase())
}

/// Roles that let an identity use a key for CMK.
pub fn role_grants_cmk(guid: &str) -> bool {
    [
        azure::ROLE_CRYPTO_SERVICE_ENCRYPTION_USER,
        azure::ROLE_CRYPTO_USER,
        azure::ROLE_CRYPTO_OFFICER,
        azure::ROLE_ADMINISTRATOR,
    ]
    .contains(&guid)
}

/// Does this grant, if its principal matches, give the key access CMK needs?
pub fn grant_sufficient(grant: &Grant) -> Tri {
    match &grant.kind {
        GrantKind::AccessPolicy { entry, .. } => match missing_key_permissions(entry) {
            Some(m) if m.is_empty() => Tri::Yes,
            Some(_) => Tri::No,
            None => Tri::Unknown,
        },
        GrantKind::Role { role } => match role.and_then(role_guid) {
            Some(g) if role_grants_cmk(&g) => Tri::Yes,
            Some(_) => Tri::No,
            None => Tri::Unknown,
        },
    }
}

/// Deployments whose template the tool could not see ([`Unseen`]: a remote `templateLink`, a
/// registry module, a template it cannot evaluate or read): grants may hide there. A deployment
/// whose template was seen is not one of them, even when it declares nothing (AVM's telemetry
/// deployment, `"resources": []`): its resources are in the model.
pub fn unseen_deployments(model: &Model) -> impl Iterator<Item = (usize, &Unseen)> {
    model
        .of_type(azure::types::DEPLOYMENT)
        .filter_map(|(i, r)| r.unseen.as_ref().map(|u| (i, u)))
}

/// Statements skipped for a syntax error that may declare resources (a resource, a module, a
/// statement of unknown kind): a grant may hide there as in an unseen deployment.
pub fn broken_statements(model: &Model) -> impl Iterator<Item = &crate::model::BrokenStatement> {
    model.broken.iter().filter(|b| b.may_declare_resources)
}

/// How the identity a CMK registry uses is granted access to keys.
pub struct Access<'a> {
    /// The identity's resource id (from `keyVaultProperties.identity`); for the registry's
    /// system-assigned identity, the registry's own id (the identity has no resource of its
    /// own: its principal is `reference(<registry id>, <api>, 'Full').identity.principalId`).
    pub identity_id: SymStr,
    /// The identity is the registry's system-assigned one (`keyVaultProperties.identity:
    /// 'system'`).
    pub system: bool,
    /// The identity is declared in the model and deployed by it (a new identity can hold no
    /// grant made outside the template). A system-assigned identity comes and goes with its
    /// registry, which the template deploys.
    pub identity_deployed: bool,
    pub key: Option<KeyRef<'a>>,
    /// Grants whose principal is (`Yes`) or may be (`Unknown`) the identity.
    pub grants: Vec<(Grant<'a>, Tri)>,
}

impl<'a> Access<'a> {
    /// The identity as messages name it: `identity 'id-x'`, or `the registry's
    /// system-assigned identity`.
    pub fn who(&self, model: &Model) -> String {
        if self.system {
            "the registry's system-assigned identity".into()
        } else {
            format!("identity '{}'", identity_name(model, &self.identity_id))
        }
    }

    pub fn definite(&self) -> impl Iterator<Item = &Grant<'a>> {
        self.grants
            .iter()
            .filter(|(_, p)| *p == Tri::Yes)
            .map(|(g, _)| g)
    }
}

/// The key access of the identity a CMK registry uses: a user-assigned identity the tool can
/// follow, or the registry's system-assigned identity. `None` when the identity is missing or
/// not known (CMK006 speaks about those).
pub fn access<'a>(model: &'a Model, registry: &'a Resource) -> Option<Access<'a>> {
    let (identity_id, system, identity_deployed) = match used_identity(registry).0 {
        UsedIdentity::System => (registry.id.clone(), true, !registry.existing),
        used => {
            let id = used.identity_id()?;
            let deployed = model.by_id(&id).is_some_and(|i| {
                let r = &model.resources[i];
                r.is_type(IDENTITY) && !r.existing
            });
            (id, false, deployed)
        }
    };
    // The system identity's principal names the registry, so the grants indexed under the
    // registry's id are those that may be for it.
    let grants = grants_maybe_for(model, &identity_id)
        .into_iter()
        .filter_map(
            |g| match principal_is(model, g.principal, &identity_id, system) {
                Tri::No => None,
                p => Some((g, p)),
            },
        )
        .collect();
    Some(Access {
        identity_id,
        system,
        identity_deployed,
        key: registry_key(model, registry),
        grants,
    })
}

/// Why a CMK registry's identity lacks key access, as far as the model shows.
pub enum Lack<'g, 'a> {
    /// No grant in the model is, or may be, for the identity.
    NoGrant,
    /// Every grant for the identity is known not to give key access.
    Ineffective(Vec<&'g Grant<'a>>),
    /// No grant is certainly for the identity, and those that may give it key access name a
    /// principal the tool cannot tell (a parameter, a value from outside the template). Nothing
    /// verifies the grant, and silence would claim it does.
    PrincipalUnknown(Vec<&'g Grant<'a>>),
}

/// What the model shows about the identity's key access: `None` when a grant may give it, or
/// when the identity comes from outside the template (it may hold grants made elsewhere).
///
/// A grant to a principal the tool cannot tell may be the one, or not: that is
/// [`Lack::PrincipalUnknown`], which CMK020 reports as not verified (not CMK007's error).
pub fn lack_of_access<'g, 'a>(model: &Model, access: &'g Access<'a>) -> Option<Lack<'g, 'a>> {
    if !access.identity_deployed {
        return None;
    }
    lack_in_template(model, access)
}

/// What the template's own grants show about the identity's key access, wherever the identity
/// comes from: `None` when a grant in the template may give it.
pub fn lack_in_template<'g, 'a>(model: &Model, access: &'g Access<'a>) -> Option<Lack<'g, 'a>> {
    if access.grants.is_empty() {
        return Some(Lack::NoGrant);
    }
    let may_work: Vec<_> = access
        .grants
        .iter()
        .filter(|(g, p)| *p == Tri::Unknown || grant_effective(model, g) != Tri::No)
        .collect();
    if may_work.is_empty() {
        return Some(Lack::Ineffective(access.definite().collect()));
    }
    if may_work.iter().all(|(_, p)| *p == Tri::Unknown) {
        return Some(Lack::PrincipalUnknown(
            may_work.into_iter().map(|(g, _)| g).collect(),
        ));
    }
    None
}

/// Does this grant give the key access CMK needs, taking the vault's authorization mode into
/// account (access policies are ignored on an RBAC vault, roles on an access-policy vault)?
pub fn grant_effective(model: &Model, grant: &Grant) -> Tri {
    let rbac = vault_uses_rbac(model, &grant.vault);
    let applies = match (&grant.kind, rbac) {
        (GrantKind::AccessPolicy { .. }, Tri::Yes) | (GrantKind::Role { .. }, Tri::No) => Tri::No,
        _ => Tri::Yes,
    };
    if applies == Tri::No {
        return Tri::No;
    }
    grant_sufficient(grant)
}

/// Why a grant is not effective, in words, or `None` if it may be.
pub fn why_ineffective(model: &Model, grant: &Grant) -> Option<String> {
    let rbac = vault_uses_rbac(model, &grant.vault);
    match (&grant.kind, rbac) {
        (GrantKind::AccessPolicy { .. }, Tri::Yes) => {
            return Some(match rbac_by_default(model, &grant.vault) {
                Some(api) => format!(
                    "the vault is created with Key Vault API {api}, which makes Azure RBAC the default when enableRbacAuthorization is not written, so its access policies are ignored"
                ),
                None => "the vault uses Azure RBAC (enableRbacAuthorization: true), so its access policies are ignored".into(),
            });
        }
        (GrantKind::Role { .. }, Tri::No) => {
            return Some(
                "the vault uses access policies (enableRbacAuthorization is not true), so role assignments do not give key access".into(),
            );
        }
        _ => {}
    }
    match &grant.kind {
        GrantKind::AccessPolicy { entry, .. } => match missing_key_permissions(entry) {
            Some(m) if !m.is_empty() => Some(format!(
                "the access policy lacks the key permission(s) {}",
                m.join(", ")
            )),
            _ => None,
        },
        GrantKind::Role { role } => match role.and_then(role_guid) {
            Some(g) if !role_grants_cmk(&g) => Some(format!(
                "role {g} does not allow wrapKey/unwrapKey (use Key Vault Crypto Service Encryption User, {})",
                azure::ROLE_CRYPTO_SERVICE_ENCRYPTION_USER
            )),
            _ => None,
        },
    }
}

/// Where a grant is written, as a path in its resource: the access-policy entry, or the role
/// assignment itself.
pub fn grant_site(grant: &Grant) -> PropPath {
    match &grant.kind {
        GrantKind::AccessPolicy { index, .. } => {
            PropPath::from("properties.accessPolicies").index(*index)
        }
        GrantKind::Role { .. } => PropPath::root(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::model;
    use serde_json::json;

    #[test]
    fn key_permissions_are_case_insensitive_and_all_covers_them() {
        let entry = |keys: serde_json::Value| {
            let m = model(json!([{"type": ACCESS_POLICIES, "name": "kv/add",
                "properties": {"accessPolicies": [{"objectId": "x", "permissions": {"keys": keys}}]}}]));
            missing_key_permissions(
                &m.resources[0]
                    .get("properties.accessPolicies")
                    .unwrap()
                    .as_array()
                    .unwrap()[0],
            )
        };
        assert_eq!(entry(json!(["GET", "WrapKey", "unwrapkey"])), Some(vec![]));
        assert_eq!(entry(json!(["All"])), Some(vec![]));
        assert_eq!(entry(json!(["get"])), Some(vec!["wrapKey", "unwrapKey"]));
        assert_eq!(entry(json!("${param:perms}")), None);
        assert_eq!(entry(json!(["get", "${param:p}"])), None);
    }
}
