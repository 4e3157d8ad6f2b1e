//! Model queries the CMK rules share, named for what they answer. Rules stay small and speak
//! of registries, keys, vaults, identities and grants; these modules know how a template
//! expresses them.
//!
//! The chain is registry → assigned user identity → `keyVaultProperties.identity` (that
//! identity's clientId) → `keyIdentifier` → the vault → a grant (access policy or role
//! assignment) for the identity's principalId. Each step may be unknown: the answers are
//! three-valued ([`Tri`]), so that rules only report what is certain.
//!
//! Dependencies run one way: `model` ← `query` ← `rules`.

pub mod grants;
pub mod identities;
pub mod keys;
pub mod registries;
pub mod vaults;

pub use crate::model::lookup::{Prop, Tri, lookup, str_is};
use crate::model::{Model, Node, Resource, Sym, SymStr, Value};

/// Resources of a type that the template deploys (not `existing` references).
pub fn deployed<'a>(model: &'a Model, ty: &'a str) -> impl Iterator<Item = (usize, &'a Resource)> {
    model.of_type(ty).filter(|(_, r)| !r.existing)
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

pub(crate) fn join(pieces: &[SymStr], sep: char) -> SymStr {
    let mut out = SymStr::default();
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            out.push_lit(&sep.to_string());
        }
        out.append(p);
    }
    out
}

/// A value as shown in a message: the string itself, a number, or the JSON type name.
pub fn shown(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => format!("'{s}'"),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Sym(s) => format!("{{{s}}}"),
        other => other.type_name().to_string(),
    }
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

/// An identity for messages: the display name of the identity resource with this id, else the
/// id itself.
pub fn identity_name(m: &Model, id: &SymStr) -> String {
    m.by_id(id)
        .map(|i| m.resources[i].display_name())
        .unwrap_or_else(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::types::{ROLE_ASSIGNMENT, VAULT};
    use crate::model::testing::model;
    use serde_json::json;

    #[test]
    fn long_expression_names_are_shortened() {
        let m = model(json!([
            {"type": ROLE_ASSIGNMENT, "name": "${expr:guid(concat('/subscriptions/', subscription().subscriptionId, '/resourceGroups/', resourceGroup().name))}"},
            {"type": VAULT, "name": "kv1"}
        ]));
        assert_eq!(short_name(&m.resources[0]), "guid(…)");
        assert_eq!(short_name(&m.resources[1]), "kv1");
    }
}
