//! Rule work grows linearly with the number of registries (issue 8, class 5): the model's
//! lookups by id and type, the grant selection and the dependency walks are counted
//! ([`Model::lookup_visits`]) for a template of n and of 2n CMK registries. Timings are in the
//! benchmarks, not here.

use acr_cmk::model::Model;
use acr_cmk::rules::{self, Ctx};
use serde_json::json;

/// n registries in a copy loop, each with its own identity and its own access-policy entry
/// (also copy loops), all using one key.
fn template(n: usize) -> String {
    let uai = "resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', format('id{0}', copyIndex()))";
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kvcmk01",
                "location": "westeurope",
                "properties": {
                    "tenantId": "[subscription().tenantId]", "sku": {"family": "A", "name": "standard"},
                    "enablePurgeProtection": true, "enableSoftDelete": true,
                    "copy": [{"name": "accessPolicies", "count": n, "input": {
                        "tenantId": "[subscription().tenantId]",
                        "objectId": "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', format('id{0}', copyIndex('accessPolicies'))), '2023-01-31').principalId]",
                        "permissions": {"keys": ["get", "wrapKey", "unwrapKey"]}
                    }}]
                }
            },
            {
                "type": "Microsoft.KeyVault/vaults/keys", "apiVersion": "2023-07-01", "name": "kvcmk01/cmk",
                "dependsOn": ["kvcmk01"], "properties": {"kty": "RSA", "keySize": 3072}
            },
            {
                "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
                "name": "[format('id{0}', copyIndex())]", "location": "westeurope",
                "copy": {"name": "ids", "count": n}
            },
            {
                "type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2025-11-01",
                "name": "[format('reg{0}x', copyIndex())]", "location": "westeurope",
                "copy": {"name": "regs", "count": n},
                "sku": {"name": "Premium"},
                "identity": {"type": "UserAssigned", "userAssignedIdentities": {format!("[{uai}]"): {}}},
                "dependsOn": [format!("[{uai}]"), "kvcmk01"],
                "properties": {"encryption": {"status": "enabled", "keyVaultProperties": {
                    "identity": format!("[reference({uai}, '2023-01-31').clientId]"),
                    "keyIdentifier": "[reference(resourceId('Microsoft.KeyVault/vaults/keys', 'kvcmk01', 'cmk'), '2023-07-01').keyUri]"
                }}}
            }
        ]
    })
    .to_string()
}

/// The model's lookup visits while running every rule, and the findings' codes.
fn rule_work(model: &Model) -> (usize, Vec<&'static str>) {
    let before = model.lookup_visits();
    let findings = rules::run(&Ctx::new(model), &|_| true);
    let mut codes: Vec<&'static str> = findings.iter().map(|f| f.code).collect();
    codes.sort();
    codes.dedup();
    (model.lookup_visits() - before, codes)
}

#[test]
fn rule_work_per_registry_does_not_grow_with_the_number_of_registries() {
    let work = |n: usize| {
        let unit = acr_cmk::arm::load("t.json", None, &template(n), &[]);
        assert!(!unit.unparseable);
        let registries = unit
            .model
            .resources
            .iter()
            .filter(|r| r.ty == "Microsoft.ContainerRegistry/registries")
            .count();
        assert_eq!(registries, n);
        rule_work(&unit.model)
    };
    let (small, small_codes) = work(100);
    let (large, large_codes) = work(400);
    // The template is correct: nothing to report, whatever its size.
    assert!(small_codes.is_empty(), "{small_codes:?}");
    assert!(large_codes.is_empty(), "{large_codes:?}");
    assert!(small > 100, "the counter counts ({small})");
    // Four times the registries: about four times the work (quadratic would be sixteen).
    assert!(
        large <= small * 5,
        "100 registries: {small} visits, 400 registries: {large}"
    );
}

#[test]
fn bicep_registries_in_nested_loops_cost_linear_rule_work() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("reg.bicep"),
        "param i int\nparam keyUri string\nparam uaiId string\nparam clientId string\n\
         resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = [for j in range(0, 20): {\n\
           name: 'reg${i}x${j}'\n  location: 'westeurope'\n  sku: { name: 'Premium' }\n\
           identity: { type: 'UserAssigned', userAssignedIdentities: { '${uaiId}': {} } }\n\
           properties: { encryption: { status: 'enabled', keyVaultProperties: { identity: clientId, keyIdentifier: keyUri } } }\n}]\n",
    )
    .unwrap();
    let main = |outer: usize| {
        format!(
            "resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {{\n  name: 'kvcmk01'\n  location: 'westeurope'\n\
             properties: {{ tenantId: subscription().tenantId, sku: {{ family: 'A', name: 'standard' }}, enablePurgeProtection: true, enableSoftDelete: true, accessPolicies: [] }}\n}}\n\
             resource key 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {{ parent: kv, name: 'cmk', properties: {{ kty: 'RSA', keySize: 3072 }} }}\n\
             resource uai 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {{ name: 'id0', location: 'westeurope' }}\n\
             resource pol 'Microsoft.KeyVault/vaults/accessPolicies@2023-07-01' = {{\n  parent: kv\n  name: 'add'\n\
             properties: {{ accessPolicies: [ {{ tenantId: subscription().tenantId, objectId: uai.properties.principalId, permissions: {{ keys: [ 'get', 'wrapKey', 'unwrapKey' ] }} }} ] }}\n}}\n\
             module m 'reg.bicep' = [for i in range(0, {outer}): {{\n  name: 'm${{i}}'\n\
             params: {{ i: i, keyUri: key.properties.keyUri, uaiId: uai.id, clientId: uai.properties.clientId }}\n  dependsOn: [ pol ]\n}}]\n"
        )
    };
    let work = |outer: usize| {
        let path = dir.path().join("main.bicep");
        let text = main(outer);
        std::fs::write(&path, &text).unwrap();
        let unit = acr_cmk::bicep::load("main.bicep", Some(&path), &text, &[]);
        let registries = unit
            .model
            .resources
            .iter()
            .filter(|r| r.ty == "Microsoft.ContainerRegistry/registries")
            .count();
        assert_eq!(registries, outer * 20);
        rule_work(&unit.model)
    };
    let (small, small_codes) = work(5);
    let (large, large_codes) = work(20);
    assert!(small_codes.is_empty(), "{small_codes:?}");
    assert!(large_codes.is_empty(), "{large_codes:?}");
    assert!(
        large <= small * 5,
        "100 registries: {small} visits, 400 registries: {large}"
    );
}
