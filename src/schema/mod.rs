//! The official ARM schemas as the rules use them.
//!
//! Everything comes from one embedded artefact, `schemas/arm-schemas.derived.json`, derived from
//! the official schemas (github.com/Azure/azure-resource-manager-schemas, commit recorded in the
//! artefact) by `scripts/derive-resource-schemas`, which documents what it keeps, what it
//! changes and the project's overrides. Three uses:
//!
//! - [`resources`]: a model resource against the property tree of its type at its own API
//!   version (SCH001, and SCH004 for strings Resource Manager converts);
//! - [`versions`]: the API versions published for the types of the five namespaces (SCH003);
//! - [`template`]: the skeleton of a template or parameters file against the official
//!   `deploymentTemplate` / `deploymentParameters` schemas (SCH002).
//!
//! The artefact is parsed once, on first use; a resource shape is compiled the first time a
//! resource of that type and API version is met, and shared by every unit of the run.
//!
//! An unknown value never produces an error: symbolic model values are skipped, and ARM
//! expressions are neutralised before the template schema sees them.

pub mod resources;
pub mod template;
pub mod versions;

use serde_json::Value as J;
use std::collections::HashMap;
use std::sync::OnceLock;

const ARTEFACT: &str = include_str!("../../schemas/arm-schemas.derived.json");

/// The parsed artefact. Shapes stay JSON until a resource needs one ([`resources`]).
struct Artefact {
    /// Upstream commit the artefact was derived from.
    commit: String,
    template: J,
    parameters: J,
    /// Lower-cased type → (type as published, its API versions, sorted).
    api_versions: HashMap<String, (String, Vec<String>)>,
    /// Properties every resource may have, merged into each resource root.
    envelope: serde_json::Map<String, J>,
    /// Lower-cased type → (API version, index into `shapes`), sorted by version.
    resources: HashMap<String, Vec<(String, usize)>>,
    shapes: Vec<J>,
}

fn artefact() -> &'static Artefact {
    static PARSED: OnceLock<Artefact> = OnceLock::new();
    PARSED.get_or_init(|| {
        // The artefact is part of the program (a test regenerates it from the official
        // schemas): one that does not have this shape is a build defect, not an input error.
        let mut doc: J = serde_json::from_str(ARTEFACT).expect("the embedded artefact is JSON");
        let take = |doc: &mut J, key: &str| doc.get_mut(key).map(J::take).unwrap_or_default();
        let api_versions = take(&mut doc, "apiVersions")
            .as_object()
            .into_iter()
            .flatten()
            .map(|(ty, versions)| {
                let list = versions
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(J::as_str)
                    .map(String::from)
                    .collect();
                (ty.to_ascii_lowercase(), (ty.clone(), list))
            })
            .collect();
        let resources = take(&mut doc, "resources")
            .as_object()
            .into_iter()
            .flatten()
            .map(|(ty, versions)| {
                let mut list: Vec<(String, usize)> = versions
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(v, i)| Some((v.clone(), i.as_u64()? as usize)))
                    .collect();
                list.sort();
                (ty.to_ascii_lowercase(), list)
            })
            .collect();
        let shapes = match take(&mut doc, "shapes") {
            J::Array(a) => a,
            _ => Vec::new(),
        };
        Artefact {
            commit: doc["source"]["commit"].as_str().unwrap_or("").to_string(),
            template: take(&mut doc, "deploymentTemplate"),
            parameters: take(&mut doc, "deploymentParameters"),
            api_versions,
            envelope: take(&mut doc, "envelope")
                .as_object()
                .cloned()
                .unwrap_or_default(),
            resources,
            shapes,
        }
    })
}

/// The upstream commit of the official schemas the artefact was derived from.
pub fn source_commit() -> &'static str {
    &artefact().commit
}

/// The closest of `names` to a misspelt `name`, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(names: impl IntoIterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    names
        .into_iter()
        .map(|n| (strsim::jaro_winkler(&n.to_ascii_lowercase(), &lower), n))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_artefact_parses_and_names_its_source() {
        let a = artefact();
        assert_eq!(a.commit.len(), 40);
        assert!(a.template.get("properties").is_some());
        assert!(a.parameters.get("properties").is_some());
        assert_eq!(a.resources.len(), 7);
        let registries = &a.resources["microsoft.containerregistry/registries"];
        assert!(registries.iter().all(|(_, i)| *i < a.shapes.len()));
        assert!(registries.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(a.envelope.contains_key("dependsOn"));
    }
}
