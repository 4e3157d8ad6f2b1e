use crate::azure::{KeyUri, parse_key_uri};
use crate::finding::Finding;
use crate::model::{Model, Node, PreviousKeyVersions, Resource};
use crate::query::registries::{cmk_registries, previous_registry};
use crate::rules::{Ctx, Rule, RuleMeta};

const KEY_ID: &str = "properties.encryption.keyVaultProperties.keyIdentifier";

declare_rule! {
    /// ## What it does
    /// Reports a registry whose key id pins a key version that may be older than the one the
    /// registry uses:
    /// - a version the spec lists in `key.previous_versions` (the versions this registry used
    ///   before; `acr-cmk rotate --write-spec` adds the version it replaces): an older version
    ///   for certain;
    /// - compared with the previous version of the template (`acr-cmk lint --baseline`, and
    ///   `acr-cmk build` against the template already in its output directory): a key id of the
    ///   same key that pins a different version than before, or pins a version where the
    ///   previous template was versionless.
    ///
    /// Registries are matched as the other baseline rules match them (canonical resource id,
    /// else name). A key id the tool cannot read as a literal URI (a parameter without a value, a
    /// key the template creates) is not compared, nor is a move to another key or vault.
    ///
    /// ## Why is this bad?
    /// A versioned key id pins the registry to that version (manual rotation) until the next
    /// `az acr encryption rotate-key`; a deployment sets the key id again. Key Vault versions
    /// are opaque 32-character strings: nothing in the id says which version is newer. After
    /// a rotation outside the template (`az acr encryption rotate-key`, `acr-cmk rotate`), or
    /// while the registry followed new versions automatically (versionless id), redeploying a
    /// template that still pins an older version moves the registry back to that version: the
    /// rotation is undone, and a version that was rotated away from because it was
    /// compromised, disabled or about to expire is in use again.
    ///
    /// ## Example
    /// Previous version (after `az acr encryption rotate-key`):
    /// `"keyIdentifier": "https://kv-contoso.vault.azure.net/keys/acr-cmk/5c0f4b1e9a2d4c7f8e3b6a1d0c9f8e7d"`;
    /// new version:
    /// ```json
    /// "keyIdentifier": "https://kv-contoso.vault.azure.net/keys/acr-cmk/0123456789abcdef0123456789abcdef"
    /// ```
    ///
    /// ```bicep
    /// keyIdentifier: 'https://kv-contoso.vault.azure.net/keys/acr-cmk/0123456789abcdef0123456789abcdef'
    /// ```
    ///
    /// In a spec:
    /// ```toml
    /// [key]
    /// id = "https://kv-contoso.vault.azure.net/keys/acr-cmk/0123456789abcdef0123456789abcdef"
    /// previous_versions = ["0123456789abcdef0123456789abcdef"]
    /// ```
    ///
    /// ## Use instead
    /// Pin the version the registry uses now (`az acr encryption show --name <registry>` shows
    /// it as `keyVaultProperties.versionedKeyIdentifier`) or a newer one, or use a versionless
    /// id to follow new versions automatically. With a spec, `acr-cmk rotate --write-spec`
    /// keeps the spec in step with each rotation.
    /// ```json
    /// "keyIdentifier": "https://kv-contoso.vault.azure.net/keys/acr-cmk/5c0f4b1e9a2d4c7f8e3b6a1d0c9f8e7d"
    /// ```
    ///
    /// ```bicep
    /// keyIdentifier: 'https://kv-contoso.vault.azure.net/keys/acr-cmk/5c0f4b1e9a2d4c7f8e3b6a1d0c9f8e7d'
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-rotate-revoke-customer-managed-keys>
    ///   (versioned key id: manual rotation with `az acr encryption rotate-key`; versionless:
    ///   automatic)
    /// - <https://learn.microsoft.com/cli/azure/acr/encryption> (`az acr encryption rotate-key
    ///   --key-encryption-key`: "For manual rotation, provide a versioned key uri"; `az acr
    ///   encryption show`)
    /// - <https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates>
    ///   ("Object identifiers": an object version is "a system-generated, 32 character string
    ///   identifier"; identifiers compare as case-insensitive strings)
    pub struct KeyVersionRollback {
        code: "CMK027",
        name: "key-version-rollback",
        level: Warning,
        summary: "A deployment should not move a registry's key back to an older key version",
    }
}

impl Rule for KeyVersionRollback {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        for (i, r) in cmk_registries(m) {
            let Some((_, now)) = literal_key(r) else {
                continue;
            };
            let history = m
                .intents
                .previous_key_versions
                .iter()
                .find(|h| h.registry == i);
            if let Some(f) = listed_before(i, r, &now, history) {
                out.push(f);
                continue;
            }
            let Some(base) = ctx.baseline else { continue };
            if let Some(f) = moved_from_baseline(i, r, &now, base, history) {
                out.push(f);
            }
        }
    }
}

/// The registry's key id when it is a literal key URI.
fn literal_key(r: &Resource) -> Option<(&Node, KeyUri)> {
    let node = r.get(KEY_ID)?;
    let uri = parse_key_uri(node.as_str()?).ok()?;
    Some((node, uri))
}

fn same_key(a: &KeyUri, b: &KeyUri) -> bool {
    // Key Vault identifiers compare as case-insensitive strings.
    a.vault.eq_ignore_ascii_case(&b.vault)
        && a.suffix.eq_ignore_ascii_case(&b.suffix)
        && a.name.eq_ignore_ascii_case(&b.name)
}

/// The pinned version is one the source lists as used before: older for certain.
fn listed_before(
    i: usize,
    r: &Resource,
    now: &KeyUri,
    history: Option<&PreviousKeyVersions>,
) -> Option<Finding> {
    let version = now.version.as_deref()?;
    let history = history?;
    let listed = history.listed(version)?;
    Some(
        Finding::on(
            &KeyVersionRollback::META,
            i,
            KEY_ID,
            format!(
                "registry '{}': key version {version} of key '{}' is one this registry used before ({} lists it): deploying rolls the registry's key back to an older version",
                r.display_name(),
                now.name,
                history.setting
            ),
        )
        .label("an older version, used before")
        .related(listed, "listed as a version this registry used before")
        .help(format!(
            "pin the version the registry uses now (`az acr encryption show --name {}`: keyVaultProperties.versionedKeyIdentifier) or a newer one; to go back to {version} on purpose, make sure it is enabled and not expired, and remove it from {}",
            r.display_name(),
            history.setting
        )),
    )
}

/// The key id pins a different version of the same key than the previous version of the
/// template, or pins one where that was versionless.
fn moved_from_baseline(
    i: usize,
    r: &Resource,
    now: &KeyUri,
    base: &Model,
    history: Option<&PreviousKeyVersions>,
) -> Option<Finding> {
    let version = now.version.as_deref()?;
    let old = previous_registry(base, r)?;
    let (old_node, before) = literal_key(old)?;
    if !same_key(&before, now) {
        return None;
    }
    let name = r.display_name();
    let key = &now.name;
    let (message, label) = match before.version.as_deref() {
        Some(b) if b.eq_ignore_ascii_case(version) => return None,
        // The source records the baseline's version as replaced: a recorded rotation forward.
        Some(b) if history.is_some_and(|h| h.listed(b).is_some()) => return None,
        Some(b) => (
            format!(
                "registry '{name}': the key id moves from version {b} to {version} of key '{key}': if {version} is older than the version in use (after `az acr encryption rotate-key` or `acr-cmk rotate`), deploying rolls the registry's key back to it"
            ),
            format!("the previous version of the template pins {b}"),
        ),
        None => (
            format!(
                "registry '{name}': the key id pins version {version} of key '{key}' where the previous version of the template is versionless (the registry follows the newest version): deploying rolls the registry's key back to {version} if a newer version exists"
            ),
            "versionless in the previous version of the template".to_string(),
        ),
    };
    Some(
        Finding::on(&KeyVersionRollback::META, i, KEY_ID, message)
        .label(format!("pins {version}"))
        .related(old_node.loc, label)
        .help(format!(
            "pin the version the registry uses now (`az acr encryption show --name {name}`: keyVaultProperties.versionedKeyIdentifier) or a newer one, or use a versionless key id"
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const OLD: &str = "0123456789abcdef0123456789abcdef";
    const NEW: &str = "5c0f4b1e9a2d4c7f8e3b6a1d0c9f8e7d";

    fn key_id(version: Option<&str>) -> String {
        let base = "https://kvcmk01.vault.azure.net/keys/cmk";
        version.map_or(base.to_string(), |v| format!("{base}/{v}"))
    }

    fn pinned(id: &str) -> Model {
        model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"] = id.into();
        }))
    }

    fn compare(now: &str, before: &str) -> Vec<Finding> {
        check_with_baseline(&KeyVersionRollback, &pinned(now), Some(&pinned(before)))
    }

    #[test]
    fn the_same_version_or_no_baseline_is_clean() {
        assert!(compare(&key_id(Some(NEW)), &key_id(Some(NEW))).is_empty());
        // Identifiers compare without regard to case.
        let upper = key_id(Some(&NEW.to_ascii_uppercase()));
        assert!(compare(&upper, &key_id(Some(NEW))).is_empty());
        assert!(check(&KeyVersionRollback, &pinned(&key_id(Some(OLD)))).is_empty());
    }

    #[test]
    fn another_pinned_version_is_reported_with_the_baseline_s_key_id() {
        let before = pinned(&key_id(Some(NEW)));
        let f = check_with_baseline(
            &KeyVersionRollback,
            &pinned(&key_id(Some(OLD))),
            Some(&before),
        );
        assert_eq!(
            pointers(&f),
            ["/resources/3/properties/encryption/keyVaultProperties/keyIdentifier"]
        );
        assert!(
            f[0].message
                .contains(&format!("moves from version {NEW} to {OLD} of key 'cmk'")),
            "{}",
            f[0].message
        );
        let old_id = before.resources[3].get(KEY_ID).unwrap();
        assert_eq!(f[0].related[0].loc, old_id.loc);
        assert_eq!(f[0].level, crate::finding::Level::Warning);
    }

    #[test]
    fn pinning_a_version_where_the_baseline_was_versionless_is_reported() {
        let f = compare(&key_id(Some(OLD)), &key_id(None));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("versionless"), "{}", f[0].message);
        // The other way the registry follows the newest version: nothing rolls back.
        assert!(compare(&key_id(None), &key_id(Some(OLD))).is_empty());
        assert!(compare(&key_id(None), &key_id(None)).is_empty());
    }

    #[test]
    fn another_key_or_an_unknown_key_id_is_not_compared() {
        let other = format!("https://kvcmk01.vault.azure.net/keys/other/{OLD}");
        assert!(compare(&other, &key_id(Some(NEW))).is_empty());
        assert!(compare("${param:kek_id}", &key_id(Some(NEW))).is_empty());
        assert!(compare(&key_id(Some(OLD)), "${param:kek_id}").is_empty());
    }

    /// The spec front end's `key.previous_versions`, through the spec model.
    fn spec_model(key: &str) -> (String, Model) {
        let text = format!(
            "[registry]\nname = \"contosoregistry\"\n[identity]\nname = \"id-x\"\n[vault]\nname = \"kvcmk01\"\n[key]\n{key}"
        );
        let loaded = crate::spec::load("s.toml", &text);
        assert!(loaded.findings.is_empty(), "{:?}", loaded.findings);
        let m = crate::spec::model::model(&loaded.spec.unwrap());
        (text, m)
    }

    #[test]
    fn a_version_the_spec_lists_as_used_before_is_reported_without_a_baseline() {
        let (text, m) = spec_model(&format!(
            "name = \"cmk\"\nversion = \"{OLD}\"\nprevious_versions = [\"{NEW}\", \"{OLD}\"]\n"
        ));
        let f = check(&KeyVersionRollback, &m);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("used before") && f[0].message.contains("older version"),
            "{}",
            f[0].message
        );
        // At the spec's version, related to where the list names it.
        assert_eq!(&text[f[0].loc.range()], format!("\"{OLD}\""));
        let listed = f[0].related[0].loc.range();
        assert_eq!(&text[listed.clone()], format!("\"{OLD}\""));
        assert!(listed.start > f[0].loc.range().start);
        // Said once even when a baseline shows the move too.
        let before = pinned(&key_id(Some(NEW)));
        assert_eq!(
            check_with_baseline(&KeyVersionRollback, &m, Some(&before)).len(),
            1
        );
    }

    #[test]
    fn a_recorded_rotation_away_from_the_baseline_s_version_is_clean() {
        // `acr-cmk rotate --write-spec` moved the spec from OLD to NEW and recorded OLD.
        let (_, m) = spec_model(&format!(
            "name = \"cmk\"\nversion = \"{NEW}\"\nprevious_versions = [\"{OLD}\"]\n"
        ));
        let before = spec_model(&format!("name = \"cmk\"\nversion = \"{OLD}\"\n")).1;
        assert!(check_with_baseline(&KeyVersionRollback, &m, Some(&before)).is_empty());
        // Without the record the same move is reported.
        let (_, bare) = spec_model(&format!("name = \"cmk\"\nversion = \"{NEW}\"\n"));
        assert_eq!(
            check_with_baseline(&KeyVersionRollback, &bare, Some(&before)).len(),
            1
        );
    }
}
