//! Loads every ARM template of the shared corpus (`../shared/corpus`, written by others and never
//! copied here): no panic, every template parses, and a few known facts hold.

use crate::corpus_support;
use acr_cmk::arm::{self, JsonKind};
use acr_cmk::model::{Model, Value};
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    corpus_support::corpus("")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    corpus_support::files(dir, |p| {
        matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("json" | "jsonc")
        )
    })
}

fn load_file(path: &Path) -> Option<acr_cmk::unit::Unit> {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    (arm::detect(&text) == JsonKind::Template).then(|| {
        arm::load_in(
            &corpus_support::root(),
            &path.display().to_string(),
            Some(path),
            &text,
            &[],
        )
    })
}

fn registries(model: &Model) -> Vec<&acr_cmk::model::Resource> {
    model
        .of_type("Microsoft.ContainerRegistry/registries")
        .map(|(_, r)| r)
        .collect()
}

#[test]
fn every_corpus_template_loads() {
    let Some(dir) = corpus() else { return };
    let files = json_files(&dir);
    let (mut templates, mut resources) = (0, 0);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let kind = arm::detect(&text);
        // Every file, template or not, must survive a load attempt.
        let unit = arm::load_in(&corpus_support::root(), "x.json", Some(f), &text, &[]);
        if kind == JsonKind::Template {
            templates += 1;
            resources += unit.model.resources.len();
            assert!(!unit.unparseable, "{} did not parse", f.display());
        }
    }
    // The corpus README counts 1,173 ARM templates; a detector that misses many is broken.
    assert!(templates > 1000, "only {templates} templates detected");
    assert!(resources > 5000, "only {resources} resources");
}

#[test]
fn avm_registry_module_yields_a_registry() {
    let Some(dir) = corpus() else { return };
    let p = dir.join("bicep-registry-modules/avm/res/container-registry/registry/main.json");
    let unit = load_file(&p).expect("AVM registry main.json is a template");
    // Child modules (scope maps, replications, …) refer to the registry as `existing`.
    let regs: Vec<_> = registries(&unit.model)
        .into_iter()
        .filter(|r| !r.existing)
        .collect();
    assert_eq!(regs.len(), 1);
    let r = regs[0];
    assert_eq!(r.symbolic_name.as_deref(), Some("registry"));
    // `name` is a required parameter without default: a named unknown.
    assert_eq!(r.display_name(), "{parameters('name')}");
    // The default SKU is Premium (a defaultValue), so it is known.
    assert_eq!(r.get("sku.name").and_then(|n| n.as_str()), Some("Premium"));
    // `customerManagedKey` has no default: whether encryption is configured is unknown, so no
    // rule may report a definite CMK error on the module with its defaults.
    assert!(r.get("properties.encryption").unwrap().value.is_sym());
    // The existing CMK key is referenced by its symbolic name and depends on nothing deployed.
    let key = unit
        .model
        .of_type("Microsoft.KeyVault/vaults/keys")
        .next()
        .expect("existing key")
        .1;
    assert!(key.existing);
    // Nested deployments (child modules) declare their own resources.
    let scope_maps: Vec<_> = unit
        .model
        .of_type("Microsoft.Resources/deployments")
        .collect();
    assert!(!scope_maps.is_empty());
}

#[test]
fn checkov_acr_examples_keep_their_literal_sku() {
    let Some(dir) = corpus() else { return };
    let files = json_files(&dir.join("checkov/tests/arm/checks/resource"));
    let mut seen = 0;
    for f in files
        .iter()
        .filter(|f| f.to_string_lossy().contains("ACR") || f.to_string_lossy().contains("Registr"))
    {
        let Some(unit) = load_file(f) else { continue };
        for r in registries(&unit.model) {
            seen += 1;
            // A few examples omit the SKU; the others write it as a literal.
            let Some(sku) = r.get("sku.name") else {
                continue;
            };
            if let Value::Str(s) = &sku.value {
                assert!(
                    ["Basic", "Standard", "Premium", "Classic"]
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(s)),
                    "{}: sku {s}",
                    f.display()
                );
            }
        }
    }
    assert!(seen >= 5, "only {seen} registries in checkov ACR examples");

    // This example enables CMK on a Basic registry: the literal SKU and key settings survive.
    let unit = load_file(
        &dir.join("checkov/tests/arm/checks/resource/example_ACRAdminAccountDisabled/fail.json"),
    )
    .unwrap();
    let r = registries(&unit.model)[0];
    assert_eq!(r.get("sku.name").and_then(|n| n.as_str()), Some("Basic"));
    assert_eq!(
        r.get("properties.encryption.keyVaultProperties.identity")
            .and_then(|n| n.as_str()),
        Some("someIdentity")
    );
}

#[test]
fn avm_registry_module_with_cmk_parameters() {
    let Some(dir) = corpus() else { return };
    let p = dir.join("bicep-registry-modules/avm/res/container-registry/registry/main.json");
    let text = corpus_support::text(&p).unwrap();
    let uai = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1";
    let params = format!(
        r#"{{"parameters": {{
            "name": {{"value": "acr1"}},
            "managedIdentities": {{"value": {{"userAssignedResourceIds": ["{uai}"]}}}},
            "customerManagedKey": {{"value": {{
                "keyVaultResourceId": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1",
                "keyName": "k1",
                "userAssignedIdentityResourceId": "{uai}"}}}}}}}}"#
    );
    let unit = arm::load_in(
        &corpus_support::root(),
        "main.json",
        Some(&p),
        &text,
        &[("p.json".into(), params)],
    );
    let reg = registries(&unit.model)
        .into_iter()
        .find(|r| !r.existing)
        .unwrap();
    assert_eq!(reg.name.as_str(), Some("acr1"));
    // The identity the module assigns is the one passed, as an evaluated object key.
    let ids = reg
        .get("identity.userAssignedIdentities")
        .unwrap()
        .as_object()
        .unwrap();
    assert_eq!(ids.entries[0].0.name, uai);
    assert_eq!(
        reg.get("identity.type").and_then(|t| t.as_str()),
        Some("UserAssigned")
    );
    // keyVaultProperties.identity is the runtime clientId of the existing identity, whose id is
    // the one passed; keyIdentifier is the existing key's keyUri (auto-rotation by default).
    let kvp = reg.get("properties.encryption.keyVaultProperties").unwrap();
    let ident = kvp.get("identity").unwrap().value.to_symstr().unwrap();
    let Some(acr_cmk::model::Sym::ResourceProp { id, path }) = ident.as_single_sym() else {
        panic!("{ident}")
    };
    assert_eq!(id.as_lit(), Some(uai));
    assert_eq!(path, &["properties", "clientId"]);
    let key = kvp.get("keyIdentifier").unwrap().value.to_symstr().unwrap();
    let Some(acr_cmk::model::Sym::ResourceProp { id, path }) = key.as_single_sym() else {
        panic!("{key}")
    };
    assert_eq!(
        id.as_lit(),
        Some(
            "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1/keys/k1"
        )
    );
    assert_eq!(path, &["properties", "keyUri"]);
    assert_eq!(reg.presence, acr_cmk::model::Presence::Always);
}

#[test]
fn avm_key_vault_module_keeps_purge_protection_default() {
    let Some(dir) = corpus() else { return };
    let p = dir.join("bicep-registry-modules/avm/res/key-vault/vault/main.json");
    let unit = load_file(&p).expect("AVM key vault main.json is a template");
    let vaults: Vec<_> = unit
        .model
        .of_type("Microsoft.KeyVault/vaults")
        .filter(|(_, r)| !r.existing)
        .collect();
    assert_eq!(vaults.len(), 1);
    let (vault_idx, vault) = vaults[0];
    // `enablePurgeProtection` defaults to true and is passed through an `if`.
    assert_eq!(
        vault
            .get("properties.enablePurgeProtection")
            .and_then(|n| n.as_bool()),
        Some(true)
    );
    // Keys come from a child-module deployment whose existing vault is the same vault.
    let (_, key) = unit
        .model
        .of_type("Microsoft.KeyVault/vaults/keys")
        .next()
        .expect("a key module");
    let dep = key
        .parent_deployment
        .expect("declared in a nested deployment");
    assert!(unit.model.resources[dep].depends_on.contains(&vault_idx));
    let inner_vault = unit.model.resources[dep]
        .contains
        .iter()
        .map(|i| &unit.model.resources[*i])
        .find(|r| r.is_type("Microsoft.KeyVault/vaults"))
        .unwrap();
    assert!(inner_vault.existing);
    assert!(inner_vault.id.same(&vault.id));
}
