use crate::azure::types::{KEY, REGISTRY};
use crate::finding::{Finding, PropPath};
use crate::model::Resource;
use crate::query::deployed;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports read-only properties of a CMK deployment written in a template: on a registry
    /// `keyVaultProperties.versionedKeyIdentifier`, `keyRotationEnabled` and
    /// `lastKeyRotationTimestamp`, and `principalId`/`clientId` inside
    /// `identity.userAssignedIdentities` entries (which must be `{}`); on a key `keyUri` and
    /// `keyUriWithVersion`. Harmless read-only properties such as `sku.tier` are not reported.
    ///
    /// ## Why is this bad?
    /// Resource Manager ignores them, so they only mislead: a template that says
    /// `keyRotationEnabled: true` next to a versioned key does not rotate anything. The
    /// rotation mode comes from the key identifier alone. The deployment itself is not harmed,
    /// so this is a warning, as Bicep's own BCP073 ("The property … is read-only") is for such
    /// properties in a resource body (the Bicep docs list its level as "Warning / Error");
    /// CMK004 stays an error when the stated rotation intent is not what will happen.
    ///
    /// ## Example
    /// ```json
    /// "keyVaultProperties": { "identity": "...", "keyIdentifier": "...", "keyRotationEnabled": true }
    /// ```
    ///
    /// ```bicep
    /// keyVaultProperties: { identity: uai.properties.clientId, keyIdentifier: kekId, keyRotationEnabled: true }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "keyVaultProperties": { "identity": "...", "keyIdentifier": "https://kv.vault.azure.net/keys/cmk" }
    /// ```
    ///
    /// ```bicep
    /// keyVaultProperties: { identity: uai.properties.clientId, keyIdentifier: key.properties.keyUri }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/templates/microsoft.containerregistry/registries>
    ///   and <https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults/keys> (the
    ///   read-only properties)
    /// - <https://learn.microsoft.com/azure/azure-resource-manager/bicep/diagnostics/bcp073>
    ///   ("The property … is read-only"; level "Warning / Error")
    pub struct ReadOnlyPropertySet {
        code: "CMK015",
        name: "read-only-property-set",
        level: Warning,
        summary: "A read-only property is set in the template",
    }
}

/// The read-only properties that matter for CMK: they state a rotation mode or a key version
/// that the template does not control. Other read-only properties (`sku.tier`,
/// `loginServer`, …) are ignored by Resource Manager and harmless, so they are not reported.
const READ_ONLY: [(&str, &[&str]); 2] = [
    (
        REGISTRY,
        &[
            "properties.encryption.keyVaultProperties.versionedKeyIdentifier",
            "properties.encryption.keyVaultProperties.keyRotationEnabled",
            "properties.encryption.keyVaultProperties.lastKeyRotationTimestamp",
        ],
    ),
    (KEY, &["properties.keyUri", "properties.keyUriWithVersion"]),
];

impl Rule for ReadOnlyPropertySet {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        for (ty, paths) in READ_ONLY {
            for (i, r) in deployed(ctx.model, ty) {
                for path in paths {
                    if r.get(path).is_some() {
                        let prop = path.rsplit('.').next().unwrap_or(path);
                        out.push(finding(i, prop, PropPath::from(*path)));
                    }
                }
                if ty == REGISTRY {
                    user_assigned_values(r, i, out);
                }
            }
        }
    }
}

fn finding(i: usize, prop: &str, path: PropPath) -> Finding {
    Finding::on(
        &ReadOnlyPropertySet::META,
        i,
        path,
        format!("{prop} is read-only; Resource Manager ignores it"),
    )
    .label("read-only")
    .help(format!("remove {prop} from the template"))
}

/// `identity.userAssignedIdentities.{id}.principalId` / `.clientId`: filled in by Azure.
fn user_assigned_values(r: &Resource, i: usize, out: &mut Vec<Finding>) {
    let Some(map) = r
        .get("identity.userAssignedIdentities")
        .and_then(|n| n.as_object())
    else {
        return;
    };
    for (k, v) in map.iter() {
        for prop in ["principalId", "clientId"] {
            if v.get(prop).is_some() {
                let path = PropPath::from("identity.userAssignedIdentities")
                    .key(&k.name)
                    .key(prop);
                out.push(finding(i, prop, path));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use serde_json::json;

    #[test]
    fn clean_template_is_clean() {
        assert!(check(&ReadOnlyPropertySet, &model(good())).is_empty());
    }

    #[test]
    fn read_only_registry_properties_are_reported() {
        let list = edit(good(), "acr", |r| {
            r["properties"]["encryption"]["keyVaultProperties"]["keyRotationEnabled"] = true.into();
            // Harmless: ignored by Resource Manager, common in real templates.
            r["sku"]["tier"] = "Premium".into();
        });
        let f = check(&ReadOnlyPropertySet, &model(list));
        assert_eq!(
            pointers(&f),
            ["/resources/3/properties/encryption/keyVaultProperties/keyRotationEnabled"]
        );
    }

    #[test]
    fn key_uri_on_key_and_identity_values_are_reported() {
        let list = with(
            good(),
            json!([{"sym": "key", "type": "Microsoft.KeyVault/vaults/keys",
            "name": "kvcmk01/cmk", "properties": {"kty": "RSA", "keyUri": "https://x"}}]),
        );
        let list = edit(list, "acr", |r| {
            r["identity"]["userAssignedIdentities"] = json!({"${id:uai}": {"clientId": "x"}})
        });
        let f = check(&ReadOnlyPropertySet, &model(list));
        assert_eq!(f.len(), 2);
        assert!(
            f.iter()
                .any(|f| f.pointer == "/resources/4/properties/keyUri")
        );
        assert!(f.iter().any(|f| {
            f.pointer
                .starts_with("/resources/3/identity/userAssignedIdentities/")
                && f.pointer.ends_with("/clientId")
        }));
    }
}
