//! The API versions published for the resource types of the five namespaces the artefact covers
//! (Microsoft.Authorization, .ContainerRegistry, .KeyVault, .ManagedIdentity, .Resources), for
//! SCH003. Other types are not the tool's to judge.

use super::artefact;

/// What the artefact says about a type's API version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Published (or documented in the overrides as accepted).
    Known,
    /// Not a version of this type; the versions that are, sorted.
    Unknown(&'static [String]),
    /// A type the artefact does not list: not judged.
    NotCovered,
}

/// Is `version` an API version of `ty`?
pub fn verdict(ty: &str, version: &str) -> Verdict {
    match artefact().api_versions.get(&ty.to_ascii_lowercase()) {
        None => Verdict::NotCovered,
        Some((_, list)) if list.iter().any(|v| v.eq_ignore_ascii_case(version)) => Verdict::Known,
        Some((_, list)) => Verdict::Unknown(list),
    }
}

/// The newest non-preview version in a sorted list (else the newest).
pub fn newest_stable(versions: &[String]) -> Option<&str> {
    versions
        .iter()
        .rev()
        .find(|v| v.len() == "2000-01-01".len())
        .or(versions.last())
        .map(String::as_str)
}

/// The published versions nearest to `version`: the one before and the one after it.
pub fn neighbours<'a>(versions: &'a [String], version: &str) -> Vec<&'a str> {
    let at = versions.partition_point(|v| v.as_str() < version);
    let mut out = Vec::new();
    if let Some(v) = at.checked_sub(1).and_then(|i| versions.get(i)) {
        out.push(v.as_str());
    }
    if let Some(v) = versions.get(at) {
        out.push(v.as_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_judged_only_for_the_covered_namespaces() {
        let ty = "Microsoft.ContainerRegistry/registries";
        assert_eq!(verdict(ty, "2016-06-27-preview"), Verdict::Known);
        assert_eq!(
            verdict("microsoft.containerregistry/REGISTRIES", "2025-11-01"),
            Verdict::Known
        );
        let Verdict::Unknown(list) = verdict(ty, "2019-12-01") else {
            panic!("2019-12-01 is not a registry API version");
        };
        assert_eq!(
            neighbours(list, "2019-12-01"),
            ["2019-05-01", "2019-12-01-preview"]
        );
        assert_eq!(newest_stable(list), Some("2025-11-01"));
        assert_eq!(
            verdict("Microsoft.Storage/storageAccounts", "1999-01-01"),
            Verdict::NotCovered
        );
        // Accepted by Resource Manager though no schema is published (overrides.json).
        assert_eq!(
            verdict(
                "Microsoft.Authorization/roleAssignments",
                "2021-04-01-preview"
            ),
            Verdict::Known
        );
    }
}
