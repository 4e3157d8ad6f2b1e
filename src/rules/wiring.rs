//! How a registry is wired to its key: the selectors the CMK rules share.
//!
//! The chain is registry → assigned user identity → `keyVaultProperties.identity` (that
//! identity's clientId) → `keyIdentifier` → the vault → a grant (access policy or role
//! assignment) for the identity's principalId. Each step may be unknown; every function here
//! answers "known yes", "known no" or "unknown" so that rules only report what is certain.

use crate::azure;
use crate::model::{Model, Node, Part, Resource, Sym, SymStr, Value, same_key};
use std::collections::HashMap;

pub const REGISTRY: &str = "Microsoft.ContainerRegistry/registries";
pub const IDENTITY: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";
pub const VAULT: &str = "Microsoft.KeyVault/vaults";
pub const KEY: &str = "Microsoft.KeyVault/vaults/keys";
pub const ACCESS_POLICIES: &str = "Microsoft.KeyVault/vaults/accessPolicies";
pub const ROLE_ASSIGNMENT: &str = "Microsoft.Authorization/roleAssignments";

/// A three-valued answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Unknown,
}

/// A property looked up through possibly-unknown objects.
#[derive(Clone, Copy, Debug)]
pub enum Prop<'a> {
    /// Not written (or written as `null`).
    Absent,
    /// The property or one of the objects above it is unknown.
    Unknown,
    /// A value that is not itself symbolic (its contents may still be partly unknown).
    Known(&'a Node),
}

impl<'a> Prop<'a> {
    pub fn known(self) -> Option<&'a Node> {
        match self {
            Prop::Known(n) => Some(n),
            _ => None,
        }
    }
}

/// Follow a dotted path from `node`, telling an absent property from an unknown one.
pub fn lookup<'a>(node: &'a Node, dotted: &str) -> Prop<'a> {
    let mut cur = node;
    for key in dotted.split('.') {
        match &cur.value {
            Value::Sym(_) => return Prop::Unknown,
            Value::Object(o) => match o.get(key) {
                Some(n) => cur = n,
                None => return Prop::Absent,
            },
            // `null` or a scalar where an object is expected: nothing is set below it.
            _ => return Prop::Absent,
        }
    }
    match &cur.value {
        Value::Sym(_) => Prop::Unknown,
        Value::Null => Prop::Absent,
        _ => Prop::Known(cur),
    }
}

/// Resources of a type that the template deploys (not `existing` references).
pub fn deployed<'a>(model: &'a Model, ty: &'a str) -> impl Iterator<Item = (usize, &'a Resource)> {
    model.of_type(ty).filter(|(_, r)| !r.existing)
}

/// JSON pointer (or Bicep path) of a property of a resource: `resource.pointer/properties/x`.
pub fn pointer(r: &Resource, dotted: &str) -> String {
    let mut p = r.pointer.clone();
    for seg in dotted.split('.') {
        p.push('/');
        p.push_str(&seg.replace('~', "~0").replace('/', "~1"));
    }
    p
}

/// Location of a property if written, else of the resource.
pub fn loc_of(r: &Resource, dotted: &str) -> crate::source::Loc {
    r.get(dotted).map(|n| n.loc).unwrap_or(r.loc)
}

/// Case-insensitive comparison of a known string.
pub fn str_is(node: &Node, expected: &str) -> Tri {
    match &node.value {
        Value::Str(s) if s.eq_ignore_ascii_case(expected) => Tri::Yes,
        Value::Sym(_) => Tri::Unknown,
        _ => Tri::No,
    }
}

/// Is customer-managed-key encryption enabled on this registry?
/// Absent `encryption` or `status` means disabled (the API default).
pub fn encryption_enabled(registry: &Resource) -> Tri {
    match lookup(&registry.body, "properties.encryption.status") {
        Prop::Absent => Tri::No,
        Prop::Unknown => Tri::Unknown,
        Prop::Known(n) => str_is(n, "enabled"),
    }
}

/// Registries the template deploys with encryption known to be enabled.
pub fn cmk_registries(model: &Model) -> impl Iterator<Item = (usize, &Resource)> {
    deployed(model, REGISTRY).filter(|(_, r)| encryption_enabled(r) == Tri::Yes)
}

/// The name of a resource as a [`SymStr`] (`None` if not a string).
pub fn name_of(r: &Resource) -> Option<SymStr> {
    r.name.value.to_symstr()
}

/// Name segments of a child resource (`vault/key` → `[vault, key]`).
pub fn name_segments(r: &Resource) -> Vec<SymStr> {
    name_of(r).map(|n| n.split('/')).unwrap_or_default()
}

/// Two names or ids that are known to be different: both fully literal and unequal. Symbolic
/// values could turn out equal at deployment time, so they never differ for certain.
pub fn known_different(a: &SymStr, b: &SymStr) -> bool {
    match (a.as_lit(), b.as_lit()) {
        (Some(x), Some(y)) => !x.eq_ignore_ascii_case(y),
        _ => false,
    }
}

/// The id of the parent of a child resource id (`…/vaults/v/keys/k` → `…/vaults/v`).
pub fn parent_id(id: &SymStr) -> Option<SymStr> {
    let pieces = id.split('/');
    if pieces.len() < 3 {
        return None;
    }
    Some(join(&pieces[..pieces.len() - 2], '/'))
}

fn join(pieces: &[SymStr], sep: char) -> SymStr {
    let mut out = SymStr::default();
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            out.push_lit(&sep.to_string());
        }
        out.append(p);
    }
    out
}

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
    fn from_name(model: &Model, name: SymStr) -> VaultRef {
        match vault_by_name(model, &name) {
            Some(i) => VaultRef::Resource(i),
            None => VaultRef::Name(name),
        }
    }
    fn from_id(model: &Model, id: &SymStr) -> VaultRef {
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

/// What a registry's `keyIdentifier` tells.
#[derive(Clone, Debug)]
pub struct KeyRef<'a> {
    pub node: &'a Node,
    /// The key resource of the model it comes from (`key.properties.keyUri`).
    pub key_resource: Option<usize>,
    pub vault: VaultRef,
    /// Does the identifier carry a version (manual rotation)?
    pub versioned: Tri,
}

/// Resolve a `keyIdentifier` value. `None` when it is not a string at all.
pub fn resolve_key<'a>(model: &Model, node: &'a Node) -> Option<KeyRef<'a>> {
    let text = node.value.to_symstr()?;
    let mut key = KeyRef {
        node,
        key_resource: None,
        vault: VaultRef::Unknown,
        versioned: Tri::Unknown,
    };
    match text.parts.first() {
        Some(Part::Sym(Sym::ResourceProp { id, path })) => {
            let rest = SymStr {
                parts: text.parts[1..].to_vec(),
            };
            let last = path.last().map(|s| s.to_ascii_lowercase());
            match last.as_deref() {
                Some("keyuri") | Some("keyuriwithversion") => {
                    key.key_resource = model.by_id(id).filter(|&i| model.resources[i].is_type(KEY));
                    key.vault = match key.key_resource {
                        Some(i) => key_vault(model, i),
                        None => parent_id(id)
                            .map(|p| VaultRef::from_id(model, &p))
                            .unwrap_or(VaultRef::Unknown),
                    };
                    key.versioned = if rest.parts.is_empty() {
                        if last.as_deref() == Some("keyuriwithversion") {
                            Tri::Yes
                        } else {
                            Tri::No
                        }
                    } else if last.as_deref() == Some("keyuri")
                        && rest.lit_prefix().starts_with('/')
                        && rest.lit_prefix().len() + rest.parts.len() > 2
                    {
                        // `${key.properties.keyUri}/${version}`
                        Tri::Yes
                    } else {
                        Tri::Unknown
                    };
                }
                Some("vaulturi") => {
                    key.vault = VaultRef::from_id(model, id);
                    // `${vault.properties.vaultUri}keys/name[/version]`
                    let pieces = rest.split('/');
                    let pieces: Vec<_> = pieces
                        .into_iter()
                        .filter(|p| p.as_lit() != Some(""))
                        .collect();
                    key.versioned = count_versioned(&pieces, 2);
                }
                _ => {}
            }
        }
        _ => {
            if text
                .lit_prefix()
                .to_ascii_lowercase()
                .starts_with("https://")
            {
                let pieces = text.split('/');
                // ["https:", "", host, "keys", name, version?]
                if let Some(host) = pieces.get(2) {
                    let label = host.split('.').into_iter().next().unwrap_or_default();
                    key.vault = VaultRef::from_name(model, label);
                }
                let mut path: Vec<SymStr> = pieces.into_iter().skip(3).collect();
                if path.last().and_then(|p| p.as_lit()) == Some("") {
                    path.pop();
                }
                key.versioned = count_versioned(&path, 2);
                if let Some(name) = path.get(1) {
                    key.key_resource = key_by_name(model, &key.vault, name);
                }
            }
        }
    }
    Some(key)
}

/// The key resource of the model with this name in this vault.
fn key_by_name(model: &Model, vault: &VaultRef, name: &SymStr) -> Option<usize> {
    let vault_name = vault.name(model)?;
    model
        .of_type(KEY)
        .find(|(_, k)| {
            let segs = name_segments(k);
            segs.len() == 2 && segs[0].same(&vault_name) && segs[1].same(name)
        })
        .map(|(i, _)| i)
}

/// `["keys", name]` is versionless, `["keys", name, version]` versioned; a symbolic last piece
/// of a versionless path could hide a `/version`.
fn count_versioned(path: &[SymStr], versionless_len: usize) -> Tri {
    match path.len() {
        n if n == versionless_len + 1 => Tri::Yes,
        n if n == versionless_len && path[n - 1].as_lit().is_some() => Tri::No,
        _ => Tri::Unknown,
    }
}

/// The vault a key resource lives in: its parent vault in the model, or the vault named by the
/// first segment of its name.
pub fn key_vault(model: &Model, key: usize) -> VaultRef {
    let r = &model.resources[key];
    if let Some(p) = parent_id(&r.id)
        && let Some(i) = model
            .by_id(&p)
            .filter(|&i| model.resources[i].is_type(VAULT))
    {
        return VaultRef::Resource(i);
    }
    match name_segments(r).into_iter().next() {
        Some(n) => VaultRef::from_name(model, n),
        None => VaultRef::Unknown,
    }
}

/// The registry's `keyIdentifier`, resolved.
pub fn registry_key<'a>(model: &Model, registry: &'a Resource) -> Option<KeyRef<'a>> {
    let node = registry.get("properties.encryption.keyVaultProperties.keyIdentifier")?;
    resolve_key(model, node)
}

/// Key resources of the model that some CMK registry uses, with the registries.
pub fn cmk_keys(model: &Model) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (ri, r) in cmk_registries(model) {
        if let Some(k) = registry_key(model, r).and_then(|k| k.key_resource) {
            out.push((k, ri));
        }
    }
    out
}

/// Vault resources of the model that hold a CMK registry's key, with the registry.
pub fn cmk_vaults(model: &Model) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (ri, r) in cmk_registries(model) {
        if let Some(VaultRef::Resource(v)) = registry_key(model, r).map(|k| k.vault)
            && !out.iter().any(|(x, _)| *x == v)
        {
            out.push((v, ri));
        }
    }
    out
}

/// What `keyVaultProperties.identity` says.
#[derive(Clone, Debug)]
pub enum UsedIdentity {
    /// Not written.
    Missing,
    /// `reference(<identity id>).clientId`: the identity with this id.
    ClientIdOf(SymStr),
    /// `reference(<identity id>).principalId`: the wrong property of this identity.
    PrincipalIdOf(SymStr),
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
            UsedIdentity::Missing | UsedIdentity::Other => None,
        }
    }
}

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
            let empty = n.as_str().is_some_and(|s| s.is_empty());
            let used = if empty {
                UsedIdentity::Missing
            } else {
                UsedIdentity::Other
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
    /// The keys of `identity.userAssignedIdentities`, when that object is known.
    pub keys: Option<Vec<&'a crate::model::Key>>,
}

pub fn assigned_identities(registry: &Resource) -> Assigned<'_> {
    let user_assigned_type = match lookup(&registry.body, "identity.type") {
        Prop::Absent => Tri::No,
        Prop::Unknown => Tri::Unknown,
        Prop::Known(n) => match n.as_str() {
            Some(s) => {
                if s.split(',')
                    .any(|p| p.trim().eq_ignore_ascii_case("UserAssigned"))
                {
                    Tri::Yes
                } else {
                    Tri::No
                }
            }
            None => Tri::No,
        },
    };
    let keys = match lookup(&registry.body, "identity.userAssignedIdentities") {
        Prop::Absent => Some(Vec::new()),
        Prop::Unknown => None,
        Prop::Known(n) => n.as_object().map(|o| o.iter().map(|(k, _)| k).collect()),
    };
    Assigned {
        user_assigned_type,
        keys,
    }
}

/// Does an `identity.userAssignedIdentities` key denote this resource id?
///
/// The model's object keys are strings: a computed key (`resourceId(...)`, Bicep `uai.id`) is
/// stored as the display form of its canonical [`SymStr`]. A key holding an opaque part never
/// matches.
pub fn key_is_id(key: &str, id: &SymStr) -> bool {
    !key.contains("<unknown") && id.to_string().eq_ignore_ascii_case(key)
}

/// The identity resource of the model that a `userAssignedIdentities` key denotes.
pub fn identity_for_key(model: &Model, key: &str) -> Option<usize> {
    /// Identities by the lower-cased display form of their id (the first of each), built once
    /// per model: asked per registry, a scan would make n registries cost n².
    struct ByKey(HashMap<String, usize>);
    if key.contains("<unknown") {
        return None;
    }
    let by_key = model.derived(|m| {
        let mut map = HashMap::new();
        for (i, r) in m.of_type(IDENTITY) {
            map.entry(r.id.to_string().to_ascii_lowercase())
                .or_insert(i);
        }
        ByKey(map)
    });
    by_key.0.get(&key.to_ascii_lowercase()).copied()
}

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
    /// An access-policy entry; `keys` is its `permissions.keys` node (if written).
    AccessPolicy {
        entry: &'a Node,
        entry_pointer: String,
    },
    /// A role assignment with its role definition id node.
    Role { role: Option<&'a Node> },
}

/// Every grant the template declares (deployed or not; callers filter).
pub fn grants(model: &Model) -> Vec<Grant<'_>> {
    grant_holders(model)
        .iter()
        .flat_map(|&i| grants_of(model, i, None))
        .collect()
}

/// The resources that may hold grants, in [`grants`] order: access-policy resources, vaults
/// (inline policies), role assignments.
fn grant_holders(model: &Model) -> Vec<usize> {
    [ACCESS_POLICIES, VAULT, ROLE_ASSIGNMENT]
        .iter()
        .flat_map(|ty| model.of_type(ty).map(|(i, _)| i))
        .collect()
}

/// The grants one resource holds; with `only`, just the one in that access-policy entry.
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

/// The grants whose principal may be the identity with this id (a superset of those
/// [`principal_is`] does not rule out), in [`grants`] order.
///
/// Built once per model: the grant holders grouped by the identity whose
/// `reference(<id>).principalId` they name. Asked per registry, going through every grant
/// would make a template of n registries, each with its own grant, cost n² (issue 8, class 5).
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
                // The entry's index is the last segment of its pointer (`…/accessPolicies/k`).
                let entry = match g.kind {
                    GrantKind::AccessPolicy { entry_pointer, .. } => entry_pointer
                        .rsplit('/')
                        .next()
                        .and_then(|k| k.parse().ok()),
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
                kind: GrantKind::AccessPolicy {
                    entry,
                    entry_pointer: format!("{}/{k}", pointer(r, "properties.accessPolicies")),
                },
                principal,
                vault: vault.clone(),
            });
        }
    }
}

/// Is this principal value the principalId of the identity with this id?
/// `Yes` for `reference(<id>).principalId`; `No` for a literal GUID, or the principalId of
/// another resource the model declares; `Unknown` otherwise.
pub fn principal_is(model: &Model, principal: &Node, identity_id: &SymStr) -> Tri {
    match &principal.value {
        Value::Str(_) => Tri::No,
        Value::Sym(s) => match s.as_single_sym() {
            Some(Sym::ResourceProp { id, path })
                if path
                    .last()
                    .is_some_and(|p| p.eq_ignore_ascii_case("principalId")) =>
            {
                if id.same(identity_id) {
                    Tri::Yes
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
        GrantKind::Role { role } => match role.and_then(|r| role_guid(r)) {
            Some(g) if role_grants_cmk(&g) => Tri::Yes,
            Some(_) => Tri::No,
            None => Tri::Unknown,
        },
    }
}

/// The identity a CMK registry uses, when it is declared in (and deployed by) the template.
pub fn deployed_identity(model: &Model, registry: &Resource) -> Option<(usize, SymStr)> {
    let id = used_identity(registry).0.identity_id()?;
    let i = model.by_id(&id)?;
    let r = &model.resources[i];
    (r.is_type(IDENTITY) && !r.existing).then_some((i, id))
}

/// Deployment resources whose template the tool could not see (a remote `templateLink`):
/// grants may hide there.
pub fn has_opaque_deployments(model: &Model) -> bool {
    model
        .of_type("Microsoft.Resources/deployments")
        .any(|(_, r)| r.contains.is_empty())
}

/// A value as shown in a message: the string itself, a number, or the JSON type name.
pub fn shown(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => format!("'{}'", crate::quote::value(s)),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Sym(s) => format!("{{{}}}", crate::quote::value(&s.to_string())),
        other => other.type_name().to_string(),
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

/// How the identity a CMK registry uses is granted access to keys.
pub struct Access<'a> {
    /// The identity's resource id (from `keyVaultProperties.identity`).
    pub identity_id: SymStr,
    /// The identity is declared in the model and deployed by it (a new identity can hold no
    /// grant made outside the template).
    pub identity_deployed: bool,
    pub key: Option<KeyRef<'a>>,
    /// Grants whose principal is (`Yes`) or may be (`Unknown`) the identity.
    pub grants: Vec<(Grant<'a>, Tri)>,
}

impl<'a> Access<'a> {
    pub fn definite(&self) -> impl Iterator<Item = &Grant<'a>> {
        self.grants
            .iter()
            .filter(|(_, p)| *p == Tri::Yes)
            .map(|(g, _)| g)
    }
}

pub fn access<'a>(model: &'a Model, registry: &'a Resource) -> Option<Access<'a>> {
    let identity_id = used_identity(registry).0.identity_id()?;
    let identity_deployed = model.by_id(&identity_id).is_some_and(|i| {
        let r = &model.resources[i];
        r.is_type(IDENTITY) && !r.existing
    });
    let grants = grants_maybe_for(model, &identity_id)
        .into_iter()
        .filter_map(|g| match principal_is(model, g.principal, &identity_id) {
            Tri::No => None,
            p => Some((g, p)),
        })
        .collect();
    Some(Access {
        identity_id,
        identity_deployed,
        key: registry_key(model, registry),
        grants,
    })
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
            return Some(
                "the vault uses Azure RBAC (enableRbacAuthorization: true), so its access policies are ignored".into(),
            );
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
        GrantKind::Role { role } => match role.and_then(|r| role_guid(r)) {
            Some(g) if !role_grants_cmk(&g) => Some(format!(
                "role {g} does not allow wrapKey/unwrapKey (use Key Vault Crypto Service Encryption User, {})",
                azure::ROLE_CRYPTO_SERVICE_ENCRYPTION_USER
            )),
            _ => None,
        },
    }
}

/// Where a grant is written, and its pointer.
pub fn grant_site(model: &Model, grant: &Grant) -> (crate::source::Loc, String) {
    let r = &model.resources[grant.resource];
    match &grant.kind {
        GrantKind::AccessPolicy {
            entry,
            entry_pointer,
        } => (entry.loc, entry_pointer.clone()),
        GrantKind::Role { .. } => (r.loc, r.pointer.clone()),
    }
}

/// A finding about one resource that holds only if others are deployed too (a vault is at
/// fault only if the registry that uses its key is deployed). The engine lowers findings on
/// conditional resources by `finding.resource`; this lowers the finding the same way when the
/// primary resource is unconditional but one of `others` is deployed only under an unknown
/// condition.
pub fn if_also_deployed(
    mut f: crate::finding::Finding,
    model: &Model,
    others: &[usize],
) -> crate::finding::Finding {
    use crate::model::Presence;
    let presence = |i: usize| model.resources.get(i).map(|r| r.presence);
    let primary_conditional = f.resource.and_then(presence) == Some(Presence::IfDeployed);
    if !primary_conditional
        && others
            .iter()
            .any(|&i| presence(i) == Some(Presence::IfDeployed))
    {
        f.level = f.level.lower();
        f.message = format!("if deployed: {}", f.message);
    }
    f
}

/// A resource's name for messages: the literal name, else its symbolic name, else the
/// expression shortened (a `guid(...)` role-assignment name is unreadable in full).
pub fn short_name(r: &Resource) -> String {
    if let Some(s) = r.name.as_str() {
        return s.to_string();
    }
    if let Some(sym) = &r.symbolic_name {
        return sym.clone();
    }
    let full = r.display_name();
    if full.chars().count() <= 60 {
        return full;
    }
    // `guid(concat(...), ...)` → `guid(…)`
    if let Some(Sym::Expr(text)) = r
        .name
        .value
        .to_symstr()
        .as_ref()
        .and_then(|s| s.as_single_sym())
        && let Some(open) = text.find('(')
    {
        return format!("{}(…)", &text[..open]);
    }
    let head: String = full.chars().take(57).collect();
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{edit, good, model, with};
    use serde_json::json;

    fn key_of(id: &str) -> (Model, Tri, Option<String>, bool) {
        let list = with(
            good(),
            json!([{"sym": "key", "type": KEY, "name": "kvcmk01/cmk", "properties": {"kty": "RSA"}}]),
        );
        let m = model(edit(list, "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"] = id.into()
        }));
        let k = registry_key(&m, &m.resources[3]).unwrap();
        let vault = k.vault.name(&m).map(|n| n.to_string());
        let (versioned, has_key) = (k.versioned, k.key_resource.is_some());
        (m, versioned, vault, has_key)
    }

    #[test]
    fn key_identifiers_resolve_to_vault_key_and_rotation_mode() {
        let cases = [
            (
                "https://kvcmk01.vault.azure.net/keys/cmk",
                Tri::No,
                Some("kvcmk01"),
                true,
            ),
            (
                "https://kvcmk01.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef",
                Tri::Yes,
                Some("kvcmk01"),
                true,
            ),
            (
                "${ref:key.properties.keyUri}",
                Tri::No,
                Some("kvcmk01"),
                true,
            ),
            (
                "${ref:key.properties.keyUriWithVersion}",
                Tri::Yes,
                Some("kvcmk01"),
                true,
            ),
            (
                "${ref:key.properties.keyUri}/${param:version}",
                Tri::Yes,
                Some("kvcmk01"),
                true,
            ),
            (
                "${ref:kv.properties.vaultUri}keys/cmk",
                Tri::No,
                Some("kvcmk01"),
                false,
            ),
            (
                "${ref:kv.properties.vaultUri}keys/cmk/${param:v}",
                Tri::Yes,
                Some("kvcmk01"),
                false,
            ),
            (
                "https://${param:v}.vault.azure.net/keys/${param:k}",
                Tri::Unknown,
                Some("{parameters('v')}"),
                false,
            ),
            ("${param:kek_id}", Tri::Unknown, None, false),
        ];
        for (id, versioned, vault, has_key) in cases {
            let (_, v, name, k) = key_of(id);
            assert_eq!(v, versioned, "{id}");
            assert_eq!(name.as_deref(), vault, "{id}");
            assert_eq!(k, has_key, "{id}");
        }
    }

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

    #[test]
    fn long_expression_names_are_shortened() {
        let m = model(json!([
            {"type": ROLE_ASSIGNMENT, "name": "${expr:guid(concat('/subscriptions/', subscription().subscriptionId, '/resourceGroups/', resourceGroup().name))}"},
            {"type": VAULT, "name": "kv1"}
        ]));
        assert_eq!(short_name(&m.resources[0]), "guid(…)");
        assert_eq!(short_name(&m.resources[1]), "kv1");
    }

    #[test]
    fn lookup_tells_absent_from_unknown() {
        let m = model(
            json!([{"type": REGISTRY, "name": "r", "properties": "${param:p}",
                               "sku": {"name": null}}]),
        );
        let r = &m.resources[0];
        assert!(matches!(
            lookup(&r.body, "properties.encryption"),
            Prop::Unknown
        ));
        assert!(matches!(lookup(&r.body, "sku.name"), Prop::Absent));
        assert!(matches!(lookup(&r.body, "identity.type"), Prop::Absent));
        assert_eq!(encryption_enabled(r), Tri::Unknown);
    }
}
