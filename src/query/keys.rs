//! What a registry's `keyIdentifier` tells: the key resource, its vault and the rotation mode.

use super::registries::cmk_registries;
use super::vaults::VaultRef;
use super::{Tri, name_segments, parent_id};
use crate::azure::types::{KEY, VAULT};
use crate::model::{Model, Node, Part, Resource, Sym, SymStr};

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

/// Key resources of the model that a CMK registry uses, each once, with the first registry
/// that uses it.
pub fn cmk_keys(model: &Model) -> impl Iterator<Item = (usize, &Resource, usize)> {
    let mut out: Vec<(usize, &Resource, usize)> = Vec::new();
    for (ri, r) in cmk_registries(model) {
        if let Some(k) = registry_key(model, r).and_then(|k| k.key_resource)
            && !out.iter().any(|(x, _, _)| *x == k)
        {
            out.push((k, &model.resources[k], ri));
        }
    }
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{edit, good, model, with};
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
}
