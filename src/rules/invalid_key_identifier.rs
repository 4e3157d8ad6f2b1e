use crate::azure::{self, Cloud, KeyUri};
use crate::finding::Finding;
use crate::model::CloudIntent;
use crate::model::{Node, SymStr, Value};
use crate::query::registries::cmk_registries;
use crate::query::{Prop, lookup};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks a registry's `keyVaultProperties.keyIdentifier`: it must be
    /// `https://{vault}.{suffix}/keys/{name}[/{version}]` with a Key Vault or Managed HSM DNS
    /// suffix of a known cloud (`vault.azure.net`, `vault.azure.cn`, `vault.usgovcloudapi.net`,
    /// `managedhsm.*`), a valid vault and key name and, if present, a 32-character version.
    /// Identifiers built from parameters are checked as far as their known parts go: a literal
    /// `http://`, a wrong DNS suffix or `/secrets/` is wrong whatever the parameters are. When
    /// the source says which cloud it deploys to (a build spec's `deployment.cloud`), the suffix
    /// must be that cloud's.
    ///
    /// ## Why is this bad?
    /// The registry is created with a key it cannot reach, and the deployment fails, often only
    /// after the identity and grant were created. A secret or certificate URI cannot encrypt a
    /// registry at all.
    ///
    /// ## Example
    /// ```json
    /// "keyIdentifier": "https://kvcmk01.vault.azure.com/secrets/cmk"
    /// ```
    ///
    /// ```bicep
    /// keyIdentifier: 'https://${vaultName}.vault.azure.com/keys/cmk'
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "keyIdentifier": "https://kvcmk01.vault.azure.net/keys/cmk"
    /// ```
    ///
    /// ```bicep
    /// keyIdentifier: key.properties.keyUri
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers>
    ///   (`https://{vault-name}.vault.azure.net/{object-type}/{object-name}/{object-version}`;
    ///   names of 3–24 and 1–127 characters, a 32-character version; the DNS suffix per cloud)
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-enable-customer-managed-keys>
    ///   (the registry is given the key's id, with or without its version)
    pub struct InvalidKeyIdentifier {
        code: "CMK005",
        name: "invalid-key-identifier",
        level: Error,
        summary: "A registry's key identifier is not a valid Key Vault or Managed HSM key URI",
    }
}

const PATH: &str = "properties.encryption.keyVaultProperties.keyIdentifier";

impl Rule for InvalidKeyIdentifier {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        let cloud = m.intents.cloud.as_ref();
        let suffix = cloud.map_or(Cloud::AzureCloud, |c| c.cloud).vault_suffix();
        for (i, r) in cmk_registries(m) {
            let term = m.spell(i, "keyIdentifier");
            let problem = match lookup(&r.body, PATH) {
                Prop::Absent => Some(
                    "encryption is enabled but keyVaultProperties.keyIdentifier is missing"
                        .to_string(),
                ),
                Prop::Unknown => match r.get(PATH) {
                    Some(n) => symbolic_problem(n, term),
                    None => continue,
                },
                Prop::Known(n) => match literal_problem(n, term) {
                    Err(problem) => Some(problem),
                    Ok(key) => {
                        if let Some(c) = cloud {
                            out.extend(wrong_cloud(i, &key, c));
                        }
                        None
                    }
                },
            };
            if let Some(problem) = problem {
                out.push(
                    Finding::on(&Self::META, i, PATH, problem)
                        .label("invalid key identifier")
                        .help(format!("use https://<vault>.{suffix}/keys/<name> (versionless: automatic rotation) or …/keys/<name>/<version>, with the 32-character version `az keyvault key show --query key.kid` ends with")),
                );
            }
        }
    }
}

/// A valid key URI of another cloud than the one the source says the deployment targets.
fn wrong_cloud(registry: usize, key: &KeyUri, target: &CloudIntent) -> Option<Finding> {
    let cloud = target.cloud;
    if key.cloud == Some(cloud) {
        return None;
    }
    let other = key.cloud.map_or("another cloud", |c| c.name());
    let mut f = Finding::on(
        &InvalidKeyIdentifier::META,
        registry,
        PATH,
        format!(
            "the key is in {other} ({}) but the deployment targets {}",
            key.suffix,
            cloud.name()
        ),
    )
    .label("wrong cloud")
    .help(format!(
        "{} keys live under {} (or {} for a Managed HSM); fix the key id or set `{}`{}",
        cloud.name(),
        cloud.vault_suffix(),
        cloud.hsm_suffix(),
        target.setting,
        if target.explicit {
            String::new()
        } else {
            format!(" (default {})", cloud.name())
        }
    ));
    if target.explicit {
        f = f.related(target.loc, "deployment cloud");
    }
    Some(f)
}

/// What is wrong with a known identifier, or the key it names. `term` is the property's name
/// in the source.
fn literal_problem(n: &Node, term: &str) -> Result<KeyUri, String> {
    match &n.value {
        Value::Str(s) if s.is_empty() => Err(format!("{term} is empty")),
        Value::Str(s) => azure::parse_key_uri(s)
            .map_err(|e| format!("{term} '{}' is invalid: {e}", crate::quote::value(s))),
        other => Err(format!(
            "{term} is a {}, not a key URI string",
            other.type_name()
        )),
    }
}

/// What is certainly wrong in an identifier with unknown parts.
fn symbolic_problem(n: &Node, term: &str) -> Option<String> {
    let Value::Sym(s) = &n.value else { return None };
    let prefix = s.lit_prefix().to_ascii_lowercase();
    if prefix.is_empty() {
        // `reference(key).keyUri`, a parameter, …: valid by construction or unknown.
        return None;
    }
    let shown = crate::quote::value(&s.to_string()).into_owned();
    let wrong = |why: String| Some(format!("{term} '{shown}' is invalid: {why}"));
    if !(prefix.starts_with("https://") || "https://".starts_with(&prefix)) {
        return wrong("a key identifier must start with https://".into());
    }
    let pieces = s.split('/');
    if let Some(host) = pieces.get(2) {
        let labels = host.split('.');
        if let Some(vault) = labels.first().and_then(SymStr::as_lit)
            && let Err(e) = azure::check_vault_name(vault)
        {
            return wrong(e);
        }
        let suffix = &labels[1..];
        if !suffix.is_empty() && suffix.iter().all(|l| l.as_lit().is_some()) {
            let suffix: Vec<&str> = suffix.iter().filter_map(SymStr::as_lit).collect();
            let suffix = suffix.join(".").to_ascii_lowercase();
            let suffix = suffix.strip_suffix(":443").unwrap_or(&suffix);
            let known = azure::Cloud::ALL
                .iter()
                .any(|c| suffix == c.vault_suffix() || suffix == c.hsm_suffix());
            if !known {
                return wrong(format!(
                    "'{suffix}' is not a Key Vault or Managed HSM DNS suffix"
                ));
            }
        }
    }
    if let Some(seg) = pieces.get(3).and_then(SymStr::as_lit)
        && !seg.eq_ignore_ascii_case("keys")
    {
        return wrong(format!(
            "the path must be /keys/<name>[/<version>], not /{seg}/ (secrets and certificates cannot encrypt a registry)"
        ));
    }
    if let Some(name) = pieces.get(4).and_then(SymStr::as_lit)
        && let Err(e) = azure::check_key_name(name)
    {
        return wrong(e);
    }
    if let Some(v) = pieces.get(5).and_then(SymStr::as_lit)
        && !v.is_empty()
        && (v.len() != 32 || !v.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return wrong(format!(
            "key version '{v}' is not a 32-character key version"
        ));
    }
    if pieces.len() > 6 && pieces[6..].iter().any(|p| p.as_lit() != Some("")) {
        return wrong("too many path segments: expected /keys/<name>[/<version>]".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    fn key(id: serde_json::Value) -> crate::model::Model {
        model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"] = id
        }))
    }

    #[test]
    fn valid_identifiers_are_clean() {
        for id in [
            "https://kvcmk01.vault.azure.net/keys/cmk",
            "https://kvcmk01.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef",
            "https://hsm1.managedhsm.azure.net/keys/cmk",
            "https://${param:vault_name}.vault.azure.net/keys/${param:key}",
            "https://${param:vault_name}${expr:environment().suffixes.keyvaultDns}/keys/cmk",
            "${param:kek_id}",
        ] {
            assert!(
                check(&InvalidKeyIdentifier, &key(id.into())).is_empty(),
                "{id}"
            );
        }
    }

    #[test]
    fn invalid_literals_are_reported() {
        for (id, why) in [
            ("http://kvcmk01.vault.azure.net/keys/cmk", "https://"),
            ("https://kvcmk01.vault.azure.net/secrets/cmk", "/keys/"),
            ("https://kvcmk01.vault.azure.com/keys/cmk", "suffix"),
            (
                "https://kvcmk01.vault.azure.net/keys/cmk/42",
                "32-character",
            ),
            ("", "empty"),
        ] {
            let f = check(&InvalidKeyIdentifier, &key(id.into()));
            assert_eq!(f.len(), 1, "{id}");
            assert!(f[0].message.contains(why), "{id}: {}", f[0].message);
            assert_eq!(
                f[0].pointer,
                "/resources/3/properties/encryption/keyVaultProperties/keyIdentifier"
            );
        }
        assert_eq!(check(&InvalidKeyIdentifier, &key(42.into())).len(), 1);
    }

    #[test]
    fn known_parts_of_symbolic_identifiers_are_checked() {
        for id in [
            "http://${param:v}.vault.azure.net/keys/cmk",
            "https://${param:v}.vault.azure.com/keys/cmk",
            "https://${param:v}.vault.azure.net/secrets/${param:k}",
            "https://${param:v}.vault.azure.net/keys/${param:k}/123",
        ] {
            assert_eq!(
                check(&InvalidKeyIdentifier, &key(id.into())).len(),
                1,
                "{id}"
            );
        }
    }

    #[test]
    fn missing_identifier_is_reported() {
        let m = model(edit(good(), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]
                .as_object_mut()
                .unwrap()
                .remove("keyIdentifier");
        }));
        assert_eq!(check(&InvalidKeyIdentifier, &m).len(), 1);
    }

    #[test]
    fn a_key_of_another_cloud_than_the_stated_one_is_reported() {
        let mut m = key("https://kvcmk01.vault.azure.cn/keys/cmk".into());
        // Templates state no cloud: any cloud's suffix is valid.
        assert!(check(&InvalidKeyIdentifier, &m).is_empty());
        m.intents.cloud = Some(CloudIntent {
            cloud: Cloud::AzureCloud,
            loc: crate::source::Loc::new(0, 1, 2),
            explicit: false,
            setting: "deployment.cloud",
        });
        let f = check(&InvalidKeyIdentifier, &m);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "the key is in AzureChinaCloud (vault.azure.cn) but the deployment targets AzureCloud"
        );
        assert!(
            f[0].help
                .as_deref()
                .unwrap()
                .ends_with("set `deployment.cloud` (default AzureCloud)")
        );
        assert!(f[0].related.is_empty(), "a default cloud is not shown");
    }

    #[test]
    fn messages_name_the_property_as_the_source_spells_it() {
        let mut m = key("http://kvcmk01.vault.azure.net/keys/cmk".into());
        assert!(
            check(&InvalidKeyIdentifier, &m)[0]
                .message
                .starts_with("keyIdentifier 'http:")
        );
        m.spelling.push(crate::model::Spelling {
            resource: 3,
            path: PATH,
            spelled: "key.id",
        });
        let f = check(&InvalidKeyIdentifier, &m);
        assert!(
            f[0].message.starts_with("key.id 'http:"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].pointer, "/key/id");
    }
}
