//! Every `.bicep` file of the shared corpus (../shared/corpus, 647 files of real Bicep) loads
//! without panic; the files the grammar cannot parse are listed, and known facts hold.
//!
//! Measured: upstream tree-sitter-bicep 1.1 found errors in 172 of the 647 files, nearly all
//! valid Bicep (`resourceInput<…>.x` types, nullable `?` parameter types, spread `...`, postfix
//! `!`, typed `var`s, `extension` statements, …). With the project's own grammar (`grammar/`)
//! one file remains, and it is really malformed.
//!
//! The corpus is outside the crate: the test skips with a note when it is missing, but fails
//! when `CI` is set.

use crate::corpus_support;
use acr_cmk::bicep;
use acr_cmk::unit::Unit;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn corpus() -> Option<PathBuf> {
    corpus_support::corpus("")
}

fn bicep_files(root: &Path) -> Vec<PathBuf> {
    corpus_support::files(root, |p| p.extension().is_some_and(|e| e == "bicep"))
}

/// Files that are not valid Bicep. Each entry says why. Anything else that gives BICEP000 fails.
const EXPECTED_BICEP000: &[(&str, &str)] = &[(
    "checkov/tests/bicep/examples/malformed.bicep",
    "really malformed: `param x = …` without a type (a Checkov parser test)",
)];

#[test]
fn corpus_loads_and_rejects_only_invalid_files() {
    let Some(root) = corpus() else { return };
    let files = bicep_files(&root);
    assert!(
        files.len() >= 600,
        "expected the 647 corpus .bicep files, found {}",
        files.len()
    );
    let mut rejected = Vec::new();
    let mut resources = 0;
    for f in &files {
        let text = match corpus_support::text(f) {
            Ok(t) => t,
            Err(_) => continue,
        };
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let u = bicep::load_in(&corpus_support::root(), &rel, Some(f), &text, &[]);
        resources += u.model.resources.len();
        // A file with a syntax error is still evaluated statement by statement (the unit is
        // incomplete, not unparseable): its BICEP000 says it is rejected.
        if u.unparseable || u.findings.iter().any(|x| x.code == "BICEP000") {
            let first = u.findings.iter().find(|x| x.code == "BICEP000").map(|x| {
                let (l, c) = u.sources.get(x.loc.file).line_col(x.loc.start as usize);
                format!("{}:{l}:{c}: {}", u.sources.get(x.loc.file).name, x.message)
            });
            rejected.push((rel, first.unwrap_or_default()));
        }
    }
    println!(
        "{} files, {} resources, {} rejected:",
        files.len(),
        resources,
        rejected.len()
    );
    for (f, why) in &rejected {
        println!("  {f}: {why}");
    }
    let unexpected: Vec<_> = rejected
        .iter()
        .filter(|(f, _)| !EXPECTED_BICEP000.iter().any(|(e, _)| e == f))
        .collect();
    assert!(
        unexpected.is_empty(),
        "valid files rejected: {unexpected:#?}"
    );
}

#[test]
fn avm_container_registry_module_yields_a_registry() {
    let Some(root) = corpus() else { return };
    let path = root.join("bicep-registry-modules/avm/res/container-registry/registry/main.bicep");
    let text = corpus_support::text(&path).unwrap();
    let u = bicep::load_in(
        &corpus_support::root(),
        "registry/main.bicep",
        Some(&path),
        &text,
        &[],
    );
    assert!(!u.unparseable, "{:?}", u.findings);
    let m = &u.model;
    let (_, acr) = m
        .of_type("Microsoft.ContainerRegistry/registries")
        .find(|(_, r)| !r.existing)
        .expect("the module declares its registry");
    // `name` is a required parameter without default: a symbol, not a guess.
    assert!(acr.name.value.is_sym());
    // Its SKU parameter defaults to Premium (the module's default).
    assert_eq!(
        acr.get("sku.name").and_then(|n| n.as_str()),
        Some("Premium")
    );
    // Child modules (replications, webhooks, …) are local files: loaded as deployments.
    assert!(m.of_type("Microsoft.Resources/deployments").count() >= 3);
}

/// AVM's container-registry `encr` e2e test, loaded once for the tests that read it.
fn avm_encryption_test() -> Option<&'static Unit> {
    static UNIT: OnceLock<Option<Unit>> = OnceLock::new();
    UNIT.get_or_init(|| {
        let path = corpus()?.join(
            "bicep-registry-modules/avm/res/container-registry/registry/tests/e2e/encr/main.test.bicep",
        );
        let text = corpus_support::text(&path).unwrap();
        Some(bicep::load_in(
            &corpus_support::root(),
            "encr/main.test.bicep",
            Some(&path),
            &text,
            &[],
        ))
    })
    .as_ref()
}

#[test]
fn avm_encryption_test_has_registry_identity_and_grant() {
    let Some(u) = avm_encryption_test() else {
        return;
    };
    assert!(!u.unparseable, "{:?}", u.findings);
    let m = &u.model;
    // The e2e test deploys its dependencies (vault, key, identity, role assignment) through a
    // local module and the registry module through `../../../main.bicep`.
    assert!(m.of_type("Microsoft.KeyVault/vaults").count() >= 1);
    assert!(
        m.of_type("Microsoft.ManagedIdentity/userAssignedIdentities")
            .count()
            >= 1
    );
    assert!(m.of_type("Microsoft.Authorization/roleAssignments").count() >= 1);
    assert!(m.of_type("Microsoft.ContainerRegistry/registries").count() >= 1);
}

#[test]
fn avm_encryption_test_links_registry_identity_key_and_grant() {
    use acr_cmk::model::{Sym, Value};
    let Some(u) = avm_encryption_test() else {
        return;
    };
    let m = &u.model;
    let (uai_idx, uai) = m
        .of_type("Microsoft.ManagedIdentity/userAssignedIdentities")
        .find(|(_, r)| !r.existing)
        .unwrap();
    let (grant_idx, grant) = m
        .of_type("Microsoft.Authorization/roleAssignments")
        .next()
        .unwrap();
    let (reg_idx, reg) = m
        .of_type("Microsoft.ContainerRegistry/registries")
        .find(|(_, r)| !r.existing)
        .unwrap();
    // The identity's id travels through the dependencies module's output into the registry
    // module's `managedIdentities` and `customerManagedKey` parameters.
    let ids = reg
        .get("identity.userAssignedIdentities")
        .unwrap()
        .as_object()
        .unwrap();
    assert_eq!(ids.entries[0].0.name, uai.id.to_string());
    let kv_identity = reg
        .get("properties.encryption.keyVaultProperties.identity")
        .unwrap();
    match &kv_identity.value {
        Value::Sym(s) => match s.as_single_sym() {
            Some(Sym::ResourceProp { id, path }) => {
                assert!(id.same(&uai.id), "{id} vs {}", uai.id);
                assert_eq!(path, &["properties", "clientId"]);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    // The grant is for that identity's principal.
    let pid = grant
        .get("properties.principalId")
        .unwrap()
        .value
        .to_symstr()
        .unwrap();
    assert!(matches!(pid.as_single_sym(), Some(Sym::ResourceProp { id, .. }) if id.same(&uai.id)));
    // The registry's deployment uses the dependencies module's outputs: it runs after the grant.
    assert!(m.depends_on(reg_idx, grant_idx));
    assert!(m.depends_on(reg_idx, uai_idx));
    // Spans of module resources point into the module's own file.
    assert!(u.sources.get(reg.loc.file).name.ends_with("main.bicep"));
}

#[test]
fn corpus_bicepparam_loads_its_using_target() {
    let Some(root) = corpus() else { return };
    let path = root
        .join("bicep-registry-modules/avm/ptn/subscription/service-health-alerts/main.bicepparam");
    let text = corpus_support::text(&path).unwrap();
    let u = bicep::load_bicepparam_in(
        &corpus_support::root(),
        "service-health-alerts/main.bicepparam",
        Some(&path),
        &text,
    );
    assert!(!u.unparseable, "{:?}", u.findings);
    // The `using` target is file 0, the parameter file follows.
    assert_eq!(u.sources.get(0).name, "service-health-alerts/main.bicep");
    assert_eq!(
        u.sources.get(1).name,
        "service-health-alerts/main.bicepparam"
    );
    assert!(!u.model.resources.is_empty());
}
