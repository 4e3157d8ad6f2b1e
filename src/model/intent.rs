//! What a source says about the deployment that no resource property carries, and how it names
//! the model's properties.
//!
//! A template has no field for "I want automatic rotation" or "this deploys to Azure China";
//! the build spec has both (`key.rotation`, `deployment.cloud`), and its front end records them
//! as [`Intents`]. A template that sets the read-only `keyVaultProperties.keyRotationEnabled`
//! states a rotation mode too ([`Model::rotation_intents`] reads it). One rule checks each kind
//! of statement, whichever front end read it.
//!
//! [`Spelling`] is how the source writes a property of a resource where that differs from the
//! model's path (`sku.name` is `registry.sku` in the spec): rules name a property in the user's
//! own terms through [`crate::model::Model::spell`], and pointers follow the source.

use crate::azure::Cloud;
use crate::model::lookup::{Prop, lookup};
use crate::model::{Model, Resource};
use crate::source::Loc;

/// Statements of intent found in the source.
#[derive(Clone, Debug, Default)]
pub struct Intents {
    /// Rotation modes the front end recorded (see [`Model::rotation_intents`] for all of them).
    pub rotation: Vec<RotationIntent>,
    /// The cloud the deployment targets, when the source says (templates are cloud-neutral).
    pub cloud: Option<CloudIntent>,
    /// Key versions a registry used before (the spec's `key.previous_versions`).
    pub previous_key_versions: Vec<PreviousKeyVersions>,
}

/// The key versions a registry used before, as the source lists them: Key Vault versions are
/// opaque, so this list is the only way to tell an older version from a newer one.
#[derive(Clone, Debug)]
pub struct PreviousKeyVersions {
    /// The registry (index into [`Model::resources`]).
    pub registry: usize,
    /// Each version and where it is listed.
    pub versions: Vec<(String, Loc)>,
    /// The setting's name in the source (`key.previous_versions`).
    pub setting: &'static str,
}

impl PreviousKeyVersions {
    /// Where `version` is listed, if it is (versions compare without regard to case).
    pub fn listed(&self, version: &str) -> Option<Loc> {
        self.versions
            .iter()
            .find(|(v, _)| v.eq_ignore_ascii_case(version))
            .map(|(_, loc)| *loc)
    }
}

/// A rotation mode the source asks for explicitly.
#[derive(Clone, Debug)]
pub struct RotationIntent {
    /// The registry (index into [`Model::resources`]).
    pub registry: usize,
    pub automatic: bool,
    /// Where it is asked for.
    pub loc: Loc,
    /// The statement as the user wrote it: `rotation = "automatic"`, `keyRotationEnabled is true`.
    pub stated: String,
    /// How to take the other side instead: `set rotation = "manual"`.
    pub instead: String,
}

/// The target cloud.
#[derive(Clone, Debug)]
pub struct CloudIntent {
    pub cloud: Cloud,
    /// The setting, or where its default applies.
    pub loc: Loc,
    /// Written by the user (not a default).
    pub explicit: bool,
    /// The setting's name in the source (`deployment.cloud`).
    pub setting: &'static str,
}

/// The source's name for a property of a resource.
#[derive(Clone, Debug)]
pub struct Spelling {
    pub resource: usize,
    /// The model's dotted path (`sku.name`).
    pub path: &'static str,
    /// The source's dotted path (`registry.sku`).
    pub spelled: &'static str,
}

/// Rotation modes a template states by setting `keyVaultProperties.keyRotationEnabled` (a
/// read-only property, so writing it is also CMK015).
fn template_rotation(resources: &[Resource]) -> Vec<RotationIntent> {
    let path = "properties.encryption.keyVaultProperties.keyRotationEnabled";
    let registry = crate::azure::types::REGISTRY;
    resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_type(registry))
        .filter_map(|(i, r)| {
            let Prop::Known(flag) = lookup(&r.body, path) else {
                return None;
            };
            let automatic = flag.as_bool()?;
            Some(RotationIntent {
                registry: i,
                automatic,
                loc: flag.loc,
                stated: format!("keyRotationEnabled is {automatic}"),
                instead: "remove the read-only keyRotationEnabled".into(),
            })
        })
        .collect()
}

impl Model {
    /// Every rotation mode the source asks for: those its front end recorded (the spec's
    /// `key.rotation`) and those a template states in a registry's `keyRotationEnabled`. Read
    /// from the model itself, so no front end has to remember it.
    pub fn rotation_intents(&self) -> Vec<RotationIntent> {
        let mut out = self.intents.rotation.clone();
        out.extend(template_rotation(&self.resources));
        out
    }

    /// How the source names a property of a resource, given the property's trailing segments
    /// as the rule writes them (`"sku.name"`, `"keyIdentifier"`): the source's own spelling
    /// when the front end gave one, else the term itself (ARM and Bicep write the model's
    /// paths).
    pub fn spell<'a>(&'a self, resource: usize, term: &'a str) -> &'a str {
        self.spelling
            .iter()
            .find(|s| {
                s.resource == resource
                    && (s.path == term
                        || s.path
                            .strip_suffix(term)
                            .is_some_and(|head| head.ends_with('.')))
            })
            .map_or(term, |s| s.spelled)
    }
}
