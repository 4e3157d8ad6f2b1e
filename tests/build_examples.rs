//! Every example builds cleanly, and every file it emits is a snapshot.

mod build_support;
use build_support::*;

const REQUIRED: &[&str] = &[
    "registry",
    "manual-rotation",
    "rbac",
    "cross-rg-vault",
    "create-vault-and-key",
    "existing-identity",
    "firewalled-vault",
    "rotation-policy",
];

#[test]
fn the_required_examples_exist() {
    let stems: Vec<String> = examples().into_iter().map(|(s, _)| s).collect();
    for r in REQUIRED {
        assert!(stems.iter().any(|s| s == r), "examples/{r}.toml is missing");
    }
}

#[test]
fn every_example_builds_and_matches_its_snapshots() {
    for (stem, text) in examples() {
        let generated = build(&format!("examples/{stem}.toml"), &text);
        for f in &generated.files {
            assert!(
                f.text.ends_with('\n') && !f.text.ends_with("\n\n"),
                "{stem}/{}",
                f.name
            );
            insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(format!("build__{stem}__{}", f.name), &f.text);
            });
        }
    }
}

#[test]
fn output_is_byte_stable() {
    for (stem, text) in examples() {
        let a = build(&stem, &text);
        let b = build(&stem, &text);
        assert_eq!(a.files, b.files, "{stem}");
    }
}

#[test]
fn the_registry_waits_for_the_grant_and_uses_the_identity_client_id() {
    for (stem, text) in examples() {
        let g = build(&stem, &text);
        let t: serde_json::Value =
            serde_json::from_str(g.get("CMKtemplate.json").unwrap()).unwrap();
        let resources = t["resources"].as_array().unwrap();
        let registry = resources
            .iter()
            .find(|r| r["type"] == "Microsoft.ContainerRegistry/registries")
            .unwrap();
        let grant = resources
            .iter()
            .find(|r| {
                matches!(
                    r["type"].as_str(),
                    Some("Microsoft.KeyVault/vaults/accessPolicies")
                        | Some("Microsoft.Authorization/roleAssignments")
                        | Some("Microsoft.Resources/deployments")
                )
            })
            .unwrap_or_else(|| panic!("{stem}: no grant"));
        let grant_type = grant["type"].as_str().unwrap();
        let depends: Vec<&str> = registry["dependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert!(
            depends.iter().any(|d| d.contains(grant_type)),
            "{stem}: registry does not depend on the {grant_type}: {depends:?}"
        );
        let kvp = &registry["properties"]["encryption"]["keyVaultProperties"];
        let identity = kvp["identity"].as_str().unwrap();
        if t["parameters"]["encryption_identity"].is_object() {
            // Behind a firewall: the user-assigned identity's clientId until deploy.sh moves
            // the registry to its system-assigned identity.
            assert!(
                identity.starts_with(
                    "[if(equals(parameters('encryption_identity'), 'system'), 'system', reference("
                ) && identity.ends_with(".clientId)]"),
                "{stem}: {identity}"
            );
        } else {
            assert!(identity.ends_with(".clientId]"), "{stem}: {identity}");
        }
        assert_eq!(registry["properties"]["encryption"]["status"], "enabled");
        assert_eq!(registry["sku"]["name"], "Premium");
        for o in [
            "registry_id",
            "login_server",
            "identity_principal_id",
            "key_id",
        ] {
            assert!(t["outputs"][o].is_object(), "{stem}: output {o}");
        }
    }
}
