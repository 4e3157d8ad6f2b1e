//! Registries with customer-managed-key encryption, and what runs on them.

use super::grants::{Access, access};
use super::{Prop, Tri, deployed, lookup, name_of, name_segments, str_is};
use crate::azure::types::REGISTRY;
use crate::model::{Model, Resource};

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

/// CMK registries whose identity the tool can follow, with how that identity is granted key
/// access (the common head of the grant rules).
pub fn with_access(model: &Model) -> impl Iterator<Item = (usize, &Resource, Access<'_>)> {
    cmk_registries(model).filter_map(|(i, r)| access(model, r).map(|a| (i, r, a)))
}

/// Resources of these types that the template deploys on this registry (their name starts with
/// the registry's name: `registry/task`).
pub fn children_of<'a>(
    model: &'a Model,
    registry: &Resource,
    types: &'a [&'a str],
) -> impl Iterator<Item = (usize, &'a Resource)> {
    let name = name_of(registry);
    types.iter().flat_map(move |ty| {
        let name = name.clone();
        deployed(model, ty).filter(move |(_, c)| {
            name.as_ref()
                .is_some_and(|n| name_segments(c).first().is_some_and(|first| first.same(n)))
        })
    })
}

/// The registry of a previous version of the template (`--baseline`) that is the same as `r`:
/// the same canonical id (names from parameters resolve alike, the baseline being loaded with
/// the same parameter files), else the same name.
pub fn previous_registry<'a>(base: &'a Model, r: &Resource) -> Option<&'a Resource> {
    if let Some(i) = base
        .by_id(&r.id)
        .filter(|&i| base.resources[i].is_type(REGISTRY))
    {
        return Some(&base.resources[i]);
    }
    let name = name_of(r)?;
    base.of_type(REGISTRY)
        .map(|(_, b)| b)
        .find(|b| name_of(b).is_some_and(|n| n.same(&name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::model;
    use serde_json::json;

    #[test]
    fn encryption_is_enabled_known_disabled_or_unknown() {
        let m = model(json!([
            {"type": REGISTRY, "name": "a", "properties": {"encryption": {"status": "Enabled"}}},
            {"type": REGISTRY, "name": "b", "properties": {}},
            {"type": REGISTRY, "name": "c", "properties": "${param:p}"},
            {"type": REGISTRY, "name": "d", "existing": true,
             "properties": {"encryption": {"status": "enabled"}}}
        ]));
        let states: Vec<_> = m.resources.iter().map(encryption_enabled).collect();
        assert_eq!(states, [Tri::Yes, Tri::No, Tri::Unknown, Tri::Yes]);
        // `existing` registries are not the template's to deploy.
        let cmk: Vec<_> = cmk_registries(&m).map(|(i, _)| i).collect();
        assert_eq!(cmk, [0]);
    }
}
