use crate::finding::Finding;
use crate::query::Tri;
use crate::query::keys::registry_key;
use crate::query::registries::encryption_enabled;
use crate::rules::{Ctx, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Checks that the rotation mode asked for agrees with the key identifier. A versionless key
    /// id (`https://v.vault.azure.net/keys/k`) means automatic rotation; a versioned one
    /// (`…/keys/k/<32-character version>`) means manual rotation.
    ///
    /// In a build spec, `key.rotation` is compared with `key.id`. In a template there is no
    /// rotation field: the key id *is* the rotation mode. A template is reported only when it
    /// states a mode anyway, by setting the read-only `keyVaultProperties.keyRotationEnabled`,
    /// and that statement contradicts the key id (the property itself is also CMK015).
    ///
    /// ## Why is this bad?
    /// With a versioned key the registry never picks up a new key version: rotating the key in
    /// Key Vault does nothing until someone runs `az acr encryption rotate-key`. With a
    /// versionless key the registry follows new versions within an hour. Asking for one and
    /// configuring the other leaves the registry on a key nobody expects.
    ///
    /// ## Example
    /// ```json
    /// "keyVaultProperties": {
    ///   "identity": "[reference(variables('identityId')).clientId]",
    ///   "keyIdentifier": "https://kv.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef",
    ///   "keyRotationEnabled": true
    /// }
    /// ```
    ///
    /// ```bicep
    /// keyVaultProperties: {
    ///   identity: uai.properties.clientId
    ///   keyIdentifier: key.properties.keyUriWithVersion
    ///   keyRotationEnabled: true
    /// }
    /// ```
    ///
    /// ## Use instead
    /// Automatic rotation: a versionless key id, and no read-only property.
    /// ```json
    /// "keyVaultProperties": {
    ///   "identity": "[reference(variables('identityId')).clientId]",
    ///   "keyIdentifier": "https://kv.vault.azure.net/keys/cmk"
    /// }
    /// ```
    ///
    /// ```bicep
    /// keyVaultProperties: {
    ///   identity: uai.properties.clientId
    ///   keyIdentifier: key.properties.keyUri
    /// }
    /// ```
    ///
    /// ## References
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys#update-the-customer-managed-key-version>
    ///   (a non-versioned key is updated automatically within one hour; a versioned key until
    ///   you rotate it manually)
    /// - <https://learn.microsoft.com/azure/container-registry/tutorial-rotate-revoke-customer-managed-keys>
    ///   (`az acr encryption rotate-key`)
    /// - <https://learn.microsoft.com/azure/templates/microsoft.containerregistry/registries>
    ///   (`keyRotationEnabled` is read-only)
    pub struct RotationModeMismatch {
        code: "CMK004",
        name: "rotation-mode-mismatch",
        level: Error,
        summary: "The rotation mode asked for contradicts the key identifier (versioned = manual, versionless = automatic)",
    }
}

impl Rule for RotationModeMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    /// The modes asked for are the model's rotation intents: the spec's `key.rotation`, a
    /// template's `keyRotationEnabled`.
    fn check(&self, ctx: &Ctx, out: &mut Vec<Finding>) {
        let m = ctx.model;
        for intent in &m.rotation_intents() {
            let r = &m.resources[intent.registry];
            if r.existing || encryption_enabled(r) != Tri::Yes {
                continue;
            }
            let Some(key) = registry_key(m, r) else {
                continue;
            };
            let (message, fix) = match (intent.automatic, key.versioned) {
                (true, Tri::Yes) => (
                    "but the key id is versioned, which pins the registry to one key version",
                    "use a versionless key id (…/keys/<name>) for automatic rotation",
                ),
                (false, Tri::No) => (
                    "but the key id is versionless, so the registry rotates automatically",
                    "use a versioned key id (…/keys/<name>/<version>) for manual rotation",
                ),
                _ => continue,
            };
            out.push(
                Finding::on(
                    &Self::META,
                    intent.registry,
                    "properties.encryption.keyVaultProperties.keyRotationEnabled",
                    format!("{} {message}", intent.stated),
                )
                .at(intent.loc)
                .label("rotation mode set here")
                .related(key.node.loc, "the key id decides the rotation mode")
                .help(format!("{fix}, or {}", intent.instead)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    fn kvp(key: &str, auto: bool) -> crate::model::Model {
        model(edit(good(), "acr", |r| {
            let kvp = &mut r["properties"]["encryption"]["keyVaultProperties"];
            kvp["keyIdentifier"] = key.into();
            kvp["keyRotationEnabled"] = auto.into();
        }))
    }
    const VERSIONED: &str =
        "https://kvcmk01.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef";
    const VERSIONLESS: &str = "https://kvcmk01.vault.azure.net/keys/cmk";

    #[test]
    fn consistent_modes_are_clean() {
        assert!(check(&RotationModeMismatch, &kvp(VERSIONLESS, true)).is_empty());
        assert!(check(&RotationModeMismatch, &kvp(VERSIONED, false)).is_empty());
        // No statement of a mode: nothing to contradict.
        assert!(check(&RotationModeMismatch, &model(good())).is_empty());
    }

    #[test]
    fn contradictions_are_reported() {
        let f = check(&RotationModeMismatch, &kvp(VERSIONED, true));
        assert_eq!(
            pointers(&f),
            ["/resources/3/properties/encryption/keyVaultProperties/keyRotationEnabled"]
        );
        assert_eq!(
            check(&RotationModeMismatch, &kvp(VERSIONLESS, false)).len(),
            1
        );
    }

    #[test]
    fn unknown_key_is_not_reported() {
        assert!(check(&RotationModeMismatch, &kvp("${param:kek_id}", true)).is_empty());
    }
}
