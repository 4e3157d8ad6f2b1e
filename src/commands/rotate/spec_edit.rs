//! `--spec-only`: record a rotation that is done in the spec, in place.
//!
//! The spec is edited as a `toml_edit` document, so comments, blank lines, key order and the
//! spelling of untouched values stay as the user wrote them; a replaced value keeps the
//! comment beside it. What changes:
//!
//! | change | spec |
//! |---|---|
//! | `--key-version V`, `--manual=V` | `key.id` gets `/V` (or `key.version = "V"`); `key.rotation`, if written, says manual |
//! | `--automatic` | the version leaves `key.id` (or `key.version` is removed); `key.rotation`, if written, says automatic |
//! | `--identity system` | `identity.encryption = "system"` (`system_assigned = false` becomes true) |
//! | `--identity ID` | `identity.encryption` removed; another identity than the spec's becomes `identity.resource_id` |
//!
//! A version that is replaced is appended to `key.previous_versions`, so that `build` and
//! `lint --baseline` can tell a redeployment that would roll the key back (CMK027).
//!
//! The new text is written to a temporary file in the spec's directory and renamed over the
//! spec (through a symbolic link, the file it points to): a reader sees the old spec or the
//! new one, never a part, and nothing is written if any step fails.

use crate::commands::build::output::io_reason;
use crate::generate::rotate::{Change, IdentityTarget, Rotation};
use crate::spec::{Identity, KeyRef, Spec};
use std::io::Write;
use std::path::Path;
use toml_edit::{DocumentMut, TableLike, Value};

/// Edit and write the spec; a one-line summary of what changed.
pub fn record(path: &Path, text: &str, spec: &Spec, r: &Rotation) -> Result<String, String> {
    let (new_text, summary) = edit(text, spec, r)?;
    write_atomically(path, &new_text)?;
    Ok(summary)
}

/// The spec's text with the rotation recorded, and what changed.
pub fn edit(text: &str, spec: &Spec, r: &Rotation) -> Result<(String, String), String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("the spec is not TOML that can be edited: {e}"))?;
    let mut said = Vec::new();
    match &r.change {
        Change::KeyVersion(v) | Change::Manual(Some(v)) => {
            set_version(&mut doc, spec, r, Some(v), &mut said)?
        }
        Change::Automatic => set_version(&mut doc, spec, r, None, &mut said)?,
        Change::Identity(t) => set_identity(&mut doc, spec, t, &mut said)?,
        Change::NewVersion | Change::Manual(None) => {
            return Err("this change names no version to record".into());
        }
    }
    Ok((doc.to_string(), said.join("; ")))
}

fn table<'a>(doc: &'a mut DocumentMut, name: &str) -> Result<&'a mut dyn TableLike, String> {
    doc.get_mut(name)
        .and_then(|i| i.as_table_like_mut())
        .ok_or_else(|| format!("the spec has no [{name}] table to edit"))
}

/// Set `key` to the string `value`, keeping the comments and spacing around the old value.
fn set_str(t: &mut dyn TableLike, key: &str, value: &str) {
    match t.get_mut(key).and_then(|i| i.as_value_mut()) {
        Some(v) => {
            let decor = v.decor().clone();
            *v = Value::from(value);
            *v.decor_mut() = decor;
        }
        None => {
            t.insert(key, toml_edit::value(value));
        }
    }
}

fn set_version(
    doc: &mut DocumentMut,
    spec: &Spec,
    r: &Rotation,
    version: Option<&str>,
    said: &mut Vec<String>,
) -> Result<(), String> {
    let previous = r.kek.strip_prefix(&format!("{}/", r.key_base));
    let previous = previous.or_else(|| {
        crate::azure::parse_key_uri(&r.kek)
            .ok()
            .and_then(|u| u.version)
            .map(|_| r.kek.rsplit('/').next().unwrap_or_default())
    });
    let key = table(doc, "key")?;
    match &spec.key.reference {
        KeyRef::Id(id) => {
            let written = id.value.trim_end_matches('/');
            let base = match previous {
                Some(_) => written.rsplit_once('/').map_or(written, |(b, _)| b),
                None => written,
            };
            let new_id = match version {
                Some(v) => format!("{base}/{v}"),
                None => base.to_string(),
            };
            set_str(key, "id", &new_id);
            said.push(format!("key.id = \"{new_id}\""));
        }
        KeyRef::Name { .. } => match version {
            Some(v) => {
                set_str(key, "version", v);
                said.push(format!("key.version = \"{v}\""));
            }
            None => {
                key.remove("version");
                said.push("key.version removed".into());
            }
        },
    }
    let mode = if version.is_some() {
        "manual"
    } else {
        "automatic"
    };
    let written = key.get("rotation").and_then(|i| i.as_str());
    if written.is_some_and(|r| !r.eq_ignore_ascii_case(mode)) {
        set_str(key, "rotation", mode);
        said.push(format!("key.rotation = \"{mode}\""));
    }
    if let Some(old) = previous.filter(|p| Some(*p) != version) {
        append_previous(key, old)?;
        said.push(format!("key.previous_versions += \"{old}\""));
    }
    Ok(())
}

/// Append `version` to `key.previous_versions` (created after the last key of `[key]`).
fn append_previous(key: &mut dyn TableLike, version: &str) -> Result<(), String> {
    match key.get_mut("previous_versions") {
        Some(item) => {
            let array = item.as_array_mut().ok_or(
                "`key.previous_versions` is not an array of version strings; correct it first",
            )?;
            if array.iter().last().and_then(|v| v.as_str()) != Some(version) {
                array.push(version);
            }
        }
        None => {
            let array: toml_edit::Array = [version].into_iter().collect();
            key.insert("previous_versions", toml_edit::value(array));
        }
    }
    Ok(())
}

fn set_identity(
    doc: &mut DocumentMut,
    spec: &Spec,
    target: &IdentityTarget,
    said: &mut Vec<String>,
) -> Result<(), String> {
    let identity = table(doc, "identity")?;
    match target {
        IdentityTarget::System => {
            set_str(identity, "encryption", "system");
            said.push("identity.encryption = \"system\"".into());
            if spec.system_assigned.explicit && !spec.system_assigned.value {
                if let Some(v) = identity
                    .get_mut("system_assigned")
                    .and_then(|i| i.as_value_mut())
                {
                    let decor = v.decor().clone();
                    *v = Value::from(true);
                    *v.decor_mut() = decor;
                }
                said.push("identity.system_assigned = true".into());
            }
        }
        IdentityTarget::ResourceId(id) => {
            let same = match &spec.identity {
                Identity::Existing(x) => x.value.eq_ignore_ascii_case(id),
                Identity::Create(n) => id
                    .rsplit('/')
                    .next()
                    .is_some_and(|last| last.eq_ignore_ascii_case(&n.value)),
            };
            if !same {
                identity.remove("name");
                set_str(identity, "resource_id", id);
                said.push(format!("identity.resource_id = \"{id}\""));
            }
            if identity.remove("encryption").is_some() {
                said.push("identity.encryption removed".into());
            }
        }
        IdentityTarget::Name(n) => {
            let same = match &spec.identity {
                Identity::Create(x) => x.value.eq_ignore_ascii_case(n),
                Identity::Existing(x) => x
                    .value
                    .rsplit('/')
                    .next()
                    .is_some_and(|last| last.eq_ignore_ascii_case(n)),
            };
            if !same {
                return Err(format!(
                    "the identity '{}' is not the spec's: record it by resource id",
                    crate::quote::value(n)
                ));
            }
            if identity.remove("encryption").is_some() {
                said.push("identity.encryption removed".into());
            }
        }
    }
    if said.is_empty() {
        said.push("no change".into());
    }
    Ok(())
}

/// Replace the file at `path` (through a link: the file it points to) with `text`, or leave
/// it as it was.
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let real = std::fs::canonicalize(path)
        .map_err(|e| format!("cannot resolve {}: {e}", path.display()))?;
    let dir = real
        .parent()
        .ok_or_else(|| format!("{} has no directory", path.display()))?;
    let permissions = std::fs::metadata(&real)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .permissions();
    let failed =
        |e: std::io::Error| format!("cannot write in {}: {}", dir.display(), io_reason(&e));
    let mut tmp = tempfile::Builder::new()
        .prefix(".acr-cmk-spec")
        .tempfile_in(dir)
        .map_err(failed)?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.as_file().set_permissions(permissions))
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(failed)?;
    tmp.persist(&real)
        .map_err(|e| format!("cannot replace {}: {}", path.display(), io_reason(&e.error)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::rotate::check;

    const V1: &str = "0123456789abcdef0123456789abcdef";
    const V2: &str = "fedcba9876543210fedcba9876543210";

    fn edited(text: &str, change: Change) -> (String, String) {
        let loaded = crate::spec::load("t.toml", text);
        assert!(loaded.findings.is_empty(), "{:?}", loaded.findings);
        let spec = loaded.spec.unwrap();
        let r = check(&spec, change, true, String::new(), false).unwrap();
        edit(text, &spec, &r).unwrap()
    }

    const BY_NAME: &str = "[registry]\nname = \"contosoregistry\"\n[identity]\nname = \"id-x\" # ours\nsystem_assigned = false # off for now\n[vault]\nname = \"kv-contoso\"\n[key]\nname = \"acr-cmk\"\nversion = \"0123456789abcdef0123456789abcdef\" # pinned\n";

    #[test]
    fn a_key_by_name_gets_its_version_replaced_with_the_comment_kept() {
        let (text, said) = edited(BY_NAME, Change::KeyVersion(V2.into()));
        assert_eq!(
            text,
            BY_NAME.replace(
                &format!("version = \"{V1}\" # pinned\n"),
                &format!("version = \"{V2}\" # pinned\nprevious_versions = [\"{V1}\"]\n")
            )
        );
        assert_eq!(
            said,
            format!("key.version = \"{V2}\"; key.previous_versions += \"{V1}\"")
        );
    }

    #[test]
    fn automatic_removes_the_version_and_keeps_it_as_previous() {
        let (text, _) = edited(BY_NAME, Change::Automatic);
        assert!(
            text.ends_with(&format!(
                "name = \"acr-cmk\"\nprevious_versions = [\"{V1}\"]\n"
            )),
            "{text}"
        );
    }

    #[test]
    fn a_versioned_id_keeps_its_spelling_and_previous_versions_grow() {
        let text = format!(
            "[registry]\nname = \"contosoregistry\"\n[identity]\nname = \"id-x\"\n[vault]\nname = \"kv-contoso\"\n[key]\nid = \"https://KV-contoso.vault.azure.net:443/keys/acr-cmk/{V1}\"\nrotation = \"manual\"\n"
        );
        let (out, _) = edited(&text, Change::Automatic);
        assert!(
            out.contains("id = \"https://KV-contoso.vault.azure.net:443/keys/acr-cmk\"\nrotation = \"automatic\"\n"),
            "{out}"
        );
        // An existing list (as the rollback check reads it) is appended to.
        let mut doc: DocumentMut = text.parse().unwrap();
        let key = doc["key"].as_table_like_mut().unwrap();
        append_previous(key, "a").unwrap();
        append_previous(key, "b").unwrap();
        append_previous(key, "b").unwrap();
        assert!(
            doc.to_string()
                .ends_with("previous_versions = [\"a\", \"b\"]\n"),
            "{doc}"
        );
        let mut doc: DocumentMut = format!("{text}previous_versions = \"x\"\n")
            .parse()
            .unwrap();
        let key = doc["key"].as_table_like_mut().unwrap();
        assert!(append_previous(key, "a").is_err());
    }

    #[test]
    fn identity_system_turns_the_system_identity_on() {
        let (text, said) = edited(BY_NAME, Change::Identity(IdentityTarget::System));
        assert!(
            text.contains("name = \"id-x\" # ours\nsystem_assigned = true # off for now\nencryption = \"system\"\n"),
            "{text}"
        );
        assert_eq!(
            said,
            "identity.encryption = \"system\"; identity.system_assigned = true"
        );
        // And back to the spec's own identity, by name.
        let (back, said) = edited(&text, Change::Identity(IdentityTarget::Name("id-x".into())));
        assert!(!back.contains("encryption"), "{back}");
        assert_eq!(said, "identity.encryption removed");
    }

    #[test]
    fn another_user_assigned_identity_replaces_the_created_one() {
        let id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-other";
        let (text, _) = edited(
            BY_NAME,
            Change::Identity(IdentityTarget::ResourceId(id.into())),
        );
        assert!(
            text.contains(&format!(
                "[identity]\nsystem_assigned = false # off for now\nresource_id = \"{id}\"\n"
            )),
            "{text}"
        );
        assert!(crate::spec::load("t.toml", &text).findings.is_empty());
    }
}
