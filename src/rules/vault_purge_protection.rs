use crate::finding::Finding;
use crate::query::vaults::deployed_key_vaults;
use crate::query::{Prop, lookup, shown};
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that a vault the template deploys and that holds a registry's customer-managed key
    /// has purge protection on (`enablePurgeProtection: true`), soft delete not turned off, and a
    /// soft-delete retention of at least 7 days. A value of the wrong JSON type
    /// (`"enablePurgeProtection": "true"`) is reported too: it is not a boolean `true`.
    ///
    /// ## Why is this bad?
    /// If the vault or the key is deleted and purged, the registry's data key can never be
    /// unwrapped again: every image in the registry is lost for good. Purge protection keeps
    /// deleted keys recoverable for the retention period, whoever deletes them.
    ///
    /// ## Example
    /// ```json
    /// { "type": "Microsoft.KeyVault/vaults", "properties": { "enableSoftDelete": true } }
    /// ```
    ///
    /// ```bicep
    /// resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
    ///   properties: { enableSoftDelete: true }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "properties": { "enableSoftDelete": true, "softDeleteRetentionInDays": 90, "enablePurgeProtection": true }
    /// ```
    ///
    /// ```bicep
    /// properties: { enableSoftDelete: true, softDeleteRetentionInDays: 90, enablePurgeProtection: true }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview>
    pub struct VaultPurgeProtection {
        code: "CMK009",
        name: "vault-purge-protection",
        level: Error,
        summary: "The vault holding a registry's key must have purge protection and soft delete",
    }
}

impl Rule for VaultPurgeProtection {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        for (v, vault, reg) in deployed_key_vaults(m) {
            let name = vault.display_name();
            // (path, message, written): a setting that is not written is shown at the vault
            // itself, not at its whole `properties` object.
            let mut problems: Vec<(&str, String, bool)> = Vec::new();
            let purge = "properties.enablePurgeProtection";
            match lookup(&vault.body, purge) {
                Prop::Absent => problems.push((
                    purge,
                    format!(
                        "vault '{name}' holds a registry's key but purge protection is not enabled"
                    ),
                    false,
                )),
                Prop::Known(n) if n.as_bool() == Some(true) => {}
                Prop::Known(n) => problems.push((
                    purge,
                    format!(
                        "vault '{name}' has enablePurgeProtection {}; it must be the boolean true",
                        shown(n)
                    ),
                    true,
                )),
                Prop::Unknown => {}
            }
            let soft = "properties.enableSoftDelete";
            if let Prop::Known(n) = lookup(&vault.body, soft)
                && n.as_bool() != Some(true)
            {
                problems.push((
                    soft,
                    format!(
                        "vault '{name}' has enableSoftDelete {}; soft delete must stay on",
                        shown(n)
                    ),
                    true,
                ));
            }
            let days = "properties.softDeleteRetentionInDays";
            if let Prop::Known(n) = lookup(&vault.body, days)
                && !n.as_i64().is_some_and(|d| (7..=90).contains(&d))
            {
                problems.push((
                    days,
                    format!("vault '{name}' has softDeleteRetentionInDays {}; it must be a number from 7 to 90", shown(n)),
                    true,
                ));
            }
            for (path, message, written) in problems {
                let mut f = Finding::on(&Self::META, v, path, message);
                if !written {
                    f = f.at(vault.loc);
                }
                out.push(
                    f.assuming(reg)
                        .related(m.resources[reg].loc, "the registry whose key is in this vault")
                        .help("set enablePurgeProtection: true, enableSoftDelete: true and softDeleteRetentionInDays between 7 and 90 (90 recommended)"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    fn vault(f: impl FnOnce(&mut serde_json::Value)) -> crate::model::Model {
        model(edit(good(), "kv", |r| f(&mut r["properties"])))
    }

    #[test]
    fn protected_vault_is_clean() {
        assert!(check(&VaultPurgeProtection, &model(good())).is_empty());
        assert!(
            check(
                &VaultPurgeProtection,
                &vault(|p| p["enablePurgeProtection"] = "${param:pp}".into())
            )
            .is_empty()
        );
    }

    #[test]
    fn missing_or_false_purge_protection_is_reported() {
        let f = check(
            &VaultPurgeProtection,
            &vault(|p| {
                p.as_object_mut().unwrap().remove("enablePurgeProtection");
            }),
        );
        assert_eq!(
            pointers(&f),
            ["/resources/1/properties/enablePurgeProtection"]
        );
        let f = check(
            &VaultPurgeProtection,
            &vault(|p| p["enablePurgeProtection"] = false.into()),
        );
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn conditional_registry_lowers_the_vault_finding() {
        let list = edit(good(), "kv", |r| {
            r["properties"]["enablePurgeProtection"] = false.into()
        });
        let list = edit(list, "acr", |r| r["ifDeployed"] = true.into());
        let f = check(&VaultPurgeProtection, &model(list));
        assert_eq!(f[0].level, crate::finding::Level::Warning);
        assert!(f[0].message.starts_with("if deployed: "));
    }

    #[test]
    fn string_true_is_not_true() {
        let f = check(
            &VaultPurgeProtection,
            &vault(|p| p["enablePurgeProtection"] = "true".into()),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("'true'"), "{}", f[0].message);
    }

    #[test]
    fn soft_delete_off_and_short_retention_are_reported() {
        let f = check(
            &VaultPurgeProtection,
            &vault(|p| {
                p["enableSoftDelete"] = false.into();
                p["softDeleteRetentionInDays"] = 3.into();
            }),
        );
        assert_eq!(
            pointers(&f),
            [
                "/resources/1/properties/enableSoftDelete",
                "/resources/1/properties/softDeleteRetentionInDays"
            ]
        );
    }

    #[test]
    fn existing_or_unrelated_vaults_are_not_reported() {
        let list = edit(good(), "kv", |r| {
            r["existing"] = true.into();
            r["properties"]["enablePurgeProtection"] = false.into();
        });
        assert!(check(&VaultPurgeProtection, &model(list)).is_empty());
        let list = edit(good(), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"] =
                "${param:kek}".into()
        });
        let list = edit(list, "kv", |r| {
            r["properties"]["enablePurgeProtection"] = false.into()
        });
        assert!(check(&VaultPurgeProtection, &model(list)).is_empty());
    }
}
