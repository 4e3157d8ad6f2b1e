//! The semantic mutation matrix (issue 9): real CMK templates, each broken in one way a user
//! breaks them, must get the code that names the mistake, in ARM JSON and in Bicep, and with an
//! empty AVM-style telemetry deployment (`pid-…`, `"resources": []`) added beside it (an inline
//! deployment the tool can see into must not excuse anything).
//!
//! The bases are the Azure docs page's `CMKtemplate.json` (`../shared/seed`), the Azure Verified
//! Modules container-registry `encr` test (`../shared/corpus`, followed into the module and its
//! `dependencies.bicep`), and the files `build` generates from every `examples/*.toml`.
//! (`tests/mutation.rs` is a different test: byte-level robustness against any input.)
//!
//! ARM mutations edit the parsed JSON; Bicep mutations are text edits, each asserted to match
//! exactly once, so a changed fixture fails here instead of silently testing nothing. A
//! mutation that cannot apply to a base (no vault in the template: purge protection cannot be
//! turned off) is "n/a" with its reason, decided from the base's structure; the n/a set is
//! asserted ([`EXPECTED_NOT_APPLICABLE`]), so a base that loses what a mutation edits fails.
//!
//! Every case is linted in one in-process run (`lint::run`, default configuration, each case in
//! its own directory under one lint root). The matrix is printed (`cargo test --test
//! cmk_mutations -- --nocapture`).
//!
//! Reads `../shared`: without it the docs and AVM bases are left out with a note (the generated
//! ones still run); fails when `CI` is set and it is missing.

mod corpus_support;

use acr_cmk::lint::{self, Settings, config::Config, discover::Excludes};
use acr_cmk::report::human::Style;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// A base's files (relative path → text) and the file that is deployed (the one linted).
#[derive(Clone)]
struct Variant {
    files: BTreeMap<String, String>,
    primary: String,
}

impl Variant {
    fn text(&mut self, file: &str) -> &mut String {
        self.files
            .get_mut(file)
            .unwrap_or_else(|| panic!("{file} is not part of this base"))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Format {
    Arm,
    Bicep,
}

/// What the mutated base is for: the docs template, the AVM test, or a generated example.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Docs,
    Avm,
    Generated,
}

struct Base {
    name: String,
    kind: Kind,
    arm: Result<Variant, &'static str>,
    bicep: Result<Variant, &'static str>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Mutation {
    GrantRemoved,
    SkuNotPremium,
    TrustPolicyOn,
    EcKey,
    VersionedKeyWithAutomaticRotation,
    PrincipalIdForClientId,
    GrantDependsOnRemoved,
    PurgeProtectionOff,
}

/// Each mutation with the code that must report it.
const MUTATIONS: &[(Mutation, &str, &str)] = &[
    (Mutation::GrantRemoved, "CMK007", "grant removed"),
    (Mutation::SkuNotPremium, "CMK001", "SKU not Premium"),
    (Mutation::TrustPolicyOn, "CMK003", "trust policy on"),
    (Mutation::EcKey, "CMK002", "EC key"),
    (
        Mutation::VersionedKeyWithAutomaticRotation,
        "CMK004",
        "versioned key, automatic rotation asked",
    ),
    (
        Mutation::PrincipalIdForClientId,
        "CMK006",
        "principalId for clientId",
    ),
    (
        Mutation::GrantDependsOnRemoved,
        "CMK008",
        "dependsOn on the grant removed",
    ),
    (
        Mutation::PurgeProtectionOff,
        "CMK009",
        "purge protection off",
    ),
];

const NO_KEY: &str = "the template does not create the key (its id is a parameter)";
const NO_VAULT: &str = "the template does not create the vault";
const NO_GRANT_DEPENDENCY: &str =
    "the registry does not depend on its grant in the base (CMK008 reports the base)";
const DOCS_ARM_ONLY: &str = "the docs page gives the template in ARM JSON only";
const AVM_BICEP_ONLY: &str = "the corpus has the encr test in Bicep only (no compiled JSON)";
const AVM_IMPLICIT_DEPENDENCY: &str =
    "the module waits for the grant through the grant module's outputs (no dependsOn to remove)";

/// Every mutation that cannot apply, with why. `None` as the mutation: the whole format.
const EXPECTED_NOT_APPLICABLE: &[(&str, Format, Option<Mutation>, &str)] = &[
    ("docs", Format::Bicep, None, DOCS_ARM_ONLY),
    ("docs", Format::Arm, Some(Mutation::EcKey), NO_KEY),
    (
        "docs",
        Format::Arm,
        Some(Mutation::GrantDependsOnRemoved),
        NO_GRANT_DEPENDENCY,
    ),
    (
        "docs",
        Format::Arm,
        Some(Mutation::PurgeProtectionOff),
        NO_VAULT,
    ),
    ("avm-encr", Format::Arm, None, AVM_BICEP_ONLY),
    (
        "avm-encr",
        Format::Bicep,
        Some(Mutation::GrantDependsOnRemoved),
        AVM_IMPLICIT_DEPENDENCY,
    ),
];

/// Mutations that apply but are reported under another code, by the rules' documented design:
/// (base, mutation, the code reported instead, why). Asserted both ways.
const EXPECTED_INSTEAD: &[(&str, Mutation, &str, &str)] = &[(
    "existing-identity",
    Mutation::GrantRemoved,
    "CMK020",
    "an identity passed in by id may hold a grant made where it is managed: CMK007 reports only what is certain, CMK020 says (note) that the access could not be verified",
)];

/// Generated examples that do not create the key / the vault (both formats).
const EXAMPLES_WITHOUT_KEY: &[&str] = &[
    "cross-rg-vault",
    "existing-identity",
    "firewalled-existing-vault",
    "manual-rotation",
    "rbac",
    "registry",
    "system-encryption",
    "system-identity",
];
const EXAMPLES_WITH_VAULT: &[&str] = &["create-vault-and-key", "firewalled-vault"];

/// (base, format, mutation) → why it cannot apply.
type NotApplicable = BTreeMap<(String, Format, Mutation), &'static str>;

fn expected_not_applicable(bases: &[Base]) -> NotApplicable {
    let mut out = NotApplicable::new();
    let present = |name: &str| bases.iter().any(|b| b.name == name);
    for (base, format, mutation, why) in EXPECTED_NOT_APPLICABLE.iter().filter(|e| present(e.0)) {
        for (m, _, _) in MUTATIONS {
            if mutation.is_none_or(|x| x == *m) {
                out.insert((base.to_string(), *format, *m), *why);
            }
        }
    }
    for b in bases.iter().filter(|b| b.kind == Kind::Generated) {
        for format in [Format::Arm, Format::Bicep] {
            if EXAMPLES_WITHOUT_KEY.contains(&b.name.as_str()) {
                out.insert((b.name.clone(), format, Mutation::EcKey), NO_KEY);
            }
            if !EXAMPLES_WITH_VAULT.contains(&b.name.as_str()) {
                out.insert(
                    (b.name.clone(), format, Mutation::PurgeProtectionOff),
                    NO_VAULT,
                );
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The bases

/// The docs and AVM bases need `../shared` (see the module doc); the generated ones do not.
fn bases() -> Vec<Base> {
    let mut out = Vec::new();
    if let Some(seed) = corpus_support::shared("seed") {
        out.push(docs_base(&seed));
    }
    if let Some(avm) =
        corpus_support::corpus("bicep-registry-modules/avm/res/container-registry/registry")
    {
        out.push(avm_base(&avm));
    }
    out.extend(generated_bases());
    out
}

/// The docs page's template: the JSON block of its "Enable customer-managed key - template"
/// section, the one that saves as `CMKtemplate.json`, with the parameters the page deploys it
/// with as a paired parameters file.
fn docs_base(seed: &Path) -> Base {
    let page = std::fs::read_to_string(seed.join("000_4dc5b9bbd325800c.txt")).unwrap();
    let section = page
        .find("CMKtemplate.json")
        .expect("the docs page names CMKtemplate.json");
    let start = section + page[section..].find("```JSON\n").unwrap() + "```JSON\n".len();
    let end = start + page[start..].find("```").unwrap();
    let template = &page[start..end];
    let parsed: Value = serde_json::from_str(template).expect("the docs template is JSON");
    assert!(
        parsed["resources"][0]["type"] == "Microsoft.ContainerRegistry/registries",
        "not the registry template: {template}"
    );
    // The values the page's `az deployment group create --parameters` line asks for.
    let parameters = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "registry_name": { "value": "contosodocs" },
            "identity_name": { "value": "id-contosodocs" },
            "vault_name": { "value": "kv-contosodocs" },
            "kek_id": { "value": "https://kv-contosodocs.vault.azure.net/keys/acr-cmk" }
        }
    });
    Base {
        name: "docs".into(),
        kind: Kind::Docs,
        arm: Ok(Variant {
            files: [
                ("CMKtemplate.json".to_string(), template.to_string()),
                (
                    "CMKtemplate.parameters.json".to_string(),
                    serde_json::to_string_pretty(&parameters).unwrap(),
                ),
            ]
            .into(),
            primary: "CMKtemplate.json".into(),
        }),
        bicep: Err(DOCS_ARM_ONLY),
    }
}

/// The AVM container-registry module with its `encr` e2e test (the module is what the test
/// deploys, so the copy keeps the module and its child modules; the other tests are left out).
fn avm_base(registry: &Path) -> Base {
    let mut files = BTreeMap::new();
    for p in corpus_support::files(registry, |p| p.extension().is_some_and(|x| x == "bicep")) {
        let rel = p
            .strip_prefix(registry)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("tests/") && !rel.starts_with("tests/e2e/encr/") {
            continue;
        }
        files.insert(rel, std::fs::read_to_string(&p).unwrap());
    }
    assert!(files.contains_key("tests/e2e/encr/dependencies.bicep"));
    Base {
        name: "avm-encr".into(),
        kind: Kind::Avm,
        arm: Err(AVM_BICEP_ONLY),
        bicep: Ok(Variant {
            files,
            primary: "tests/e2e/encr/main.test.bicep".into(),
        }),
    }
}

/// What `build` writes for every example: the ARM files and the Bicep files.
fn generated_bases() -> Vec<Base> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut specs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    specs.sort();
    assert!(specs.len() >= 8, "examples/ lost its specs");
    specs
        .iter()
        .map(|spec| {
            let stem = spec.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(spec).unwrap();
            let compiled = acr_cmk::generate::validate::compile(
                &format!("examples/{stem}.toml"),
                &text,
                "out",
                Style::plain(),
            );
            let generated = compiled
                .generated
                .unwrap_or_else(|| panic!("{stem} does not build:\n{}", compiled.diagnostics));
            let pick = |keep: &dyn Fn(&str) -> bool| -> BTreeMap<String, String> {
                generated
                    .files
                    .iter()
                    .filter(|f| keep(f.name))
                    .map(|f| (f.name.to_string(), f.text.clone()))
                    .collect()
            };
            Base {
                name: stem,
                kind: Kind::Generated,
                arm: Ok(Variant {
                    files: pick(&|n| n.ends_with(".json")),
                    primary: "CMKtemplate.json".into(),
                }),
                bicep: Ok(Variant {
                    files: pick(&|n| n.ends_with(".bicep") || n.ends_with(".bicepparam")),
                    primary: "CMKtemplate.bicep".into(),
                }),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// ARM mutations: edits of the parsed template

type Applied = Result<(), &'static str>;

const VERSION: &str = "0123456789abcdef0123456789abcdef";

/// `url` with a key version: unchanged when it has one (`…/keys/<name>/<version>`).
fn versioned(url: &str) -> String {
    let after_keys = url.split_once("/keys/").expect("a key URL").1;
    if after_keys.trim_end_matches('/').contains('/') {
        url.to_string()
    } else {
        format!("{}/{VERSION}", url.trim_end_matches('/'))
    }
}

fn is_type(r: &Value, ty: &str) -> bool {
    r["type"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case(ty))
}

const GRANT_TYPES: &[&str] = &[
    "Microsoft.KeyVault/vaults/accessPolicies",
    "Microsoft.Authorization/roleAssignments",
];

/// A grant, or a nested deployment that holds one.
fn grants_or_deploys_grant(r: &Value) -> bool {
    GRANT_TYPES.iter().any(|t| is_type(r, t))
        || (is_type(r, "Microsoft.Resources/deployments")
            && r["properties"]["template"]["resources"]
                .as_array()
                .is_some_and(|rs| rs.iter().any(grants_or_deploys_grant)))
}

fn depends_on_registry(r: &Value) -> bool {
    r["dependsOn"].as_array().is_some_and(|d| {
        d.iter().any(|x| {
            x.as_str()
                .is_some_and(|s| s.contains("Microsoft.ContainerRegistry/registries"))
        })
    })
}

/// Does a `dependsOn` entry name a grant (or a deployment, which is how a grant in another
/// resource group is waited for)?
fn names_grant(entry: &Value) -> bool {
    let s = entry.as_str().unwrap_or_default().to_ascii_lowercase();
    GRANT_TYPES
        .iter()
        .chain(&["Microsoft.Resources/deployments"])
        .any(|t| s.contains(&t.to_ascii_lowercase()))
}

fn resources(t: &mut Value) -> &mut Vec<Value> {
    t["resources"].as_array_mut().expect("a resources array")
}

fn registry(t: &mut Value) -> &mut Value {
    let rs = resources(t);
    let mut found = rs
        .iter_mut()
        .filter(|r| is_type(r, "Microsoft.ContainerRegistry/registries"));
    let r = found.next().expect("a registry");
    assert!(found.next().is_none(), "one registry");
    r
}

fn key_vault_properties(t: &mut Value) -> &mut serde_json::Map<String, Value> {
    registry(t)["properties"]["encryption"]["keyVaultProperties"]
        .as_object_mut()
        .expect("keyVaultProperties")
}

/// The key id property, however the template capitalises it (the docs write `KeyIdentifier`).
fn key_id_property(kvp: &serde_json::Map<String, Value>) -> String {
    kvp.keys()
        .find(|k| k.eq_ignore_ascii_case("keyIdentifier"))
        .expect("a key identifier")
        .clone()
}

fn mutate_arm(v: &mut Variant, m: Mutation) -> Applied {
    let mut t: Value = serde_json::from_str(&v.files[&v.primary]).unwrap();
    match m {
        Mutation::GrantRemoved => {
            // The grant the registry is created with (a later grant to the registry's own
            // system identity depends on the registry and is not it).
            let rs = resources(&mut t);
            let grants: Vec<usize> = (0..rs.len())
                .filter(|&i| grants_or_deploys_grant(&rs[i]) && !depends_on_registry(&rs[i]))
                .collect();
            assert_eq!(grants.len(), 1, "one grant of the registry's identity");
            rs.remove(grants[0]);
            for r in rs.iter_mut() {
                if let Some(d) = r["dependsOn"].as_array_mut() {
                    d.retain(|e| !names_grant(e));
                }
            }
        }
        Mutation::GrantDependsOnRemoved => {
            let d = registry(&mut t)["dependsOn"].as_array_mut();
            let Some(d) = d.filter(|d| d.iter().any(names_grant)) else {
                return Err(NO_GRANT_DEPENDENCY);
            };
            d.retain(|e| !names_grant(e));
        }
        Mutation::SkuNotPremium => {
            let sku = &mut registry(&mut t)["sku"];
            assert_eq!(sku["name"], "Premium");
            sku["name"] = "Standard".into();
            if sku.get("tier").is_some() {
                sku["tier"] = "Standard".into();
            }
        }
        Mutation::TrustPolicyOn => {
            let props = &mut registry(&mut t)["properties"];
            if props.get("policies").is_none() {
                props["policies"] = json!({});
            }
            props["policies"]["trustPolicy"] = json!({ "type": "Notary", "status": "enabled" });
        }
        Mutation::EcKey => {
            let rs = resources(&mut t);
            let mut keys = rs
                .iter_mut()
                .filter(|r| is_type(r, "Microsoft.KeyVault/vaults/keys"));
            let Some(key) = keys.next() else {
                return Err(NO_KEY);
            };
            let props = key["properties"].as_object_mut().unwrap();
            assert!(props["kty"].as_str().unwrap().starts_with("RSA"));
            props.insert("kty".into(), "EC".into());
            props.remove("keySize");
            props.insert("curveName".into(), "P-256".into());
        }
        Mutation::VersionedKeyWithAutomaticRotation => {
            let kvp = key_vault_properties(&mut t);
            let prop = key_id_property(kvp);
            let id = kvp[&prop].as_str().unwrap().to_string();
            kvp.insert("keyRotationEnabled".into(), true.into());
            if let Some(head) = id.strip_suffix(".keyUri]") {
                kvp.insert(prop, format!("{head}.keyUriWithVersion]").into());
            } else if let Some(param) = id
                .strip_prefix("[parameters('")
                .and_then(|p| p.strip_suffix("')]"))
            {
                // The key id is a parameter: version the value the parameters file gives it.
                let text = v.text("CMKtemplate.parameters.json");
                let mut p: Value = serde_json::from_str(text).unwrap();
                let value = &mut p["parameters"][param]["value"];
                *value = versioned(value.as_str().expect("a key id value")).into();
                *text = serde_json::to_string_pretty(&p).unwrap();
            } else {
                assert!(id.ends_with(".keyUriWithVersion]"), "key id {id}");
            }
        }
        Mutation::PrincipalIdForClientId => {
            let kvp = key_vault_properties(&mut t);
            let identity = kvp["identity"].as_str().unwrap();
            assert_eq!(identity.matches(".clientId").count(), 1, "{identity}");
            let changed = identity.replace(".clientId", ".principalId");
            kvp.insert("identity".into(), changed.into());
        }
        Mutation::PurgeProtectionOff => {
            let rs = resources(&mut t);
            let Some(vault) = rs
                .iter_mut()
                .find(|r| is_type(r, "Microsoft.KeyVault/vaults"))
            else {
                return Err(NO_VAULT);
            };
            assert_eq!(vault["properties"]["enablePurgeProtection"], true);
            vault["properties"]["enablePurgeProtection"] = false.into();
        }
    }
    *v.text(&v.primary.clone()) = serde_json::to_string_pretty(&t).unwrap();
    Ok(())
}

/// AVM's telemetry deployment as the modules compile it (an inline template that deploys
/// nothing), under the older `pid-<guid>` name.
fn add_telemetry_arm(v: &mut Variant) {
    let primary = v.primary.clone();
    let text = v.text(&primary);
    let mut t: Value = serde_json::from_str(text).unwrap();
    resources(&mut t).push(json!({
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2025-04-01",
        "name": "[format('pid-47ed15a6-730a-4827-bcb4-0fd963ffbd82-{0}', uniqueString(deployment().name))]",
        "properties": {
            "mode": "Incremental",
            "template": {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0",
                "resources": [],
                "outputs": {
                    "telemetry": {
                        "type": "String",
                        "value": "For more information, see https://aka.ms/avm/TelemetryInfo"
                    }
                }
            }
        }
    }));
    *text = serde_json::to_string_pretty(&t).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Bicep mutations: text edits, each asserted to match exactly once

fn replace_once(text: &mut String, from: &str, to: &str) {
    let n = text.matches(from).count();
    assert_eq!(n, 1, "expected exactly one `{from}`, found {n}");
    *text = text.replacen(from, to, 1);
}

/// Remove the declaration whose first line starts with `header` (exactly one), up to its
/// closing `}` at column 0, with the blank line after it.
fn remove_declaration(text: &mut String, header: &str) {
    let starts: Vec<usize> = text
        .match_indices(header)
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n')
        .collect();
    assert_eq!(
        starts.len(),
        1,
        "expected exactly one declaration `{header}`"
    );
    let start = starts[0];
    let close = text[start..].find("\n}\n").expect("a closing brace") + start + "\n}\n".len();
    let end = if text[close..].starts_with('\n') {
        close + 1
    } else {
        close
    };
    text.replace_range(start..end, "");
}

/// Declarations (`resource` / `module`) as (symbol, type, existing), nested ones included.
fn declarations(text: &str) -> Vec<(String, String, bool)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let rest = l
                .strip_prefix("resource ")
                .or_else(|| l.strip_prefix("module "))?;
            let (symbol, rest) = rest.split_once(' ')?;
            let ty = rest.strip_prefix('\'')?.split('\'').next()?;
            Some((
                symbol.to_string(),
                ty.to_string(),
                rest.contains("' existing"),
            ))
        })
        .collect()
}

fn creates(text: &str, ty: &str) -> bool {
    declarations(text)
        .iter()
        .any(|(_, t, existing)| !existing && t.split('@').next().unwrap().eq_ignore_ascii_case(ty))
}

/// The registry's wait for its grant, with the comment that explains it.
const GRANT_DEPENDS_ON: &str = "  // The registry checks its key access at creation: it must wait for the grant.\n  dependsOn: [\n    keyAccess\n  ]\n";

fn mutate_generated_bicep(v: &mut Variant, m: Mutation) -> Applied {
    let main = v.text("CMKtemplate.bicep");
    match m {
        Mutation::GrantRemoved => {
            let header = if main.contains("\nmodule keyAccess ") {
                "module keyAccess "
            } else {
                "resource keyAccess "
            };
            remove_declaration(main, header);
            replace_once(main, GRANT_DEPENDS_ON, "");
        }
        Mutation::GrantDependsOnRemoved => replace_once(main, GRANT_DEPENDS_ON, ""),
        Mutation::SkuNotPremium => replace_once(
            main,
            "  sku: {\n    name: 'Premium'\n  }",
            "  sku: {\n    name: 'Standard'\n  }",
        ),
        Mutation::TrustPolicyOn => replace_once(
            main,
            "    adminUserEnabled: false\n",
            "    adminUserEnabled: false\n    policies: {\n      trustPolicy: {\n        type: 'Notary'\n        status: 'enabled'\n      }\n    }\n",
        ),
        Mutation::EcKey => {
            if !creates(main, "Microsoft.KeyVault/vaults/keys") {
                return Err(NO_KEY);
            }
            let kty = if main.contains("kty: 'RSA-HSM'") {
                "kty: 'RSA-HSM'"
            } else {
                "kty: 'RSA'"
            };
            replace_once(main, kty, "kty: 'EC'");
            let size = main
                .lines()
                .find(|l| l.trim_start().starts_with("keySize: "))
                .expect("a key size")
                .to_string();
            replace_once(main, &format!("{size}\n"), "    curveName: 'P-256'\n");
        }
        Mutation::VersionedKeyWithAutomaticRotation => {
            let line = main
                .lines()
                .find(|l| l.trim_start().starts_with("keyIdentifier: "))
                .expect("a key identifier")
                .to_string();
            let indent = &line[..line.len() - line.trim_start().len()];
            let value = line.trim_start()["keyIdentifier: ".len()..].to_string();
            let edited = match value.strip_suffix(".keyUri") {
                Some(head) => format!("{indent}keyIdentifier: {head}.keyUriWithVersion"),
                None => line.clone(),
            };
            replace_once(
                main,
                &format!("{line}\n"),
                &format!("{edited}\n{indent}keyRotationEnabled: true\n"),
            );
            if !value.contains('.') {
                // A parameter: version the value the .bicepparam sets.
                let params = v.text("CMKtemplate.bicepparam");
                let set = params
                    .lines()
                    .find(|l| l.starts_with(&format!("param {value} = '")))
                    .expect("the key id is set in the .bicepparam")
                    .to_string();
                let url = set.split('\'').nth(1).unwrap();
                let with_version = format!("param {value} = '{}'", versioned(url));
                replace_once(params, &set, &with_version);
            } else {
                assert!(value.ends_with(".keyUri") || value.ends_with(".keyUriWithVersion"));
            }
        }
        Mutation::PrincipalIdForClientId => {
            let line = main
                .lines()
                .find(|l| l.trim_start().starts_with("identity: ") && l.contains(".clientId"))
                .expect("the encryption identity")
                .to_string();
            replace_once(main, &line, &line.replace(".clientId", ".principalId"));
        }
        Mutation::PurgeProtectionOff => {
            if !creates(main, "Microsoft.KeyVault/vaults") {
                return Err(NO_VAULT);
            }
            replace_once(
                main,
                "enablePurgeProtection: true",
                "enablePurgeProtection: false",
            );
        }
    }
    Ok(())
}

const AVM_TEST: &str = "tests/e2e/encr/main.test.bicep";
const AVM_DEPENDENCIES: &str = "tests/e2e/encr/dependencies.bicep";
const AVM_MODULE: &str = "main.bicep";

/// The AVM test's own knobs where it has them (the module's parameters), else the module or
/// the dependencies it deploys.
fn mutate_avm_bicep(v: &mut Variant, m: Mutation) -> Applied {
    match m {
        Mutation::GrantRemoved => {
            remove_declaration(v.text(AVM_DEPENDENCIES), "resource keyPermissions ")
        }
        Mutation::GrantDependsOnRemoved => {
            return Err(AVM_IMPLICIT_DEPENDENCY);
        }
        Mutation::SkuNotPremium => {
            replace_once(v.text(AVM_TEST), "acrSku: 'Premium'", "acrSku: 'Standard'")
        }
        Mutation::TrustPolicyOn => replace_once(
            v.text(AVM_TEST),
            "      acrSku: 'Premium'\n",
            "      acrSku: 'Premium'\n      trustPolicyStatus: 'enabled'\n",
        ),
        Mutation::EcKey => {
            replace_once(
                v.text(AVM_DEPENDENCIES),
                "      kty: 'RSA'\n",
                "      kty: 'EC'\n      curveName: 'P-256'\n",
            );
        }
        Mutation::VersionedKeyWithAutomaticRotation => {
            // The test pins a key version (the module then builds a versioned key id) and the
            // registry says it rotates automatically.
            replace_once(
                v.text(AVM_TEST),
                "        userAssignedIdentityResourceId: nestedDependencies.outputs.managedIdentityResourceId\n",
                &format!(
                    "        userAssignedIdentityResourceId: nestedDependencies.outputs.managedIdentityResourceId\n        keyVersion: '{VERSION}'\n"
                ),
            );
            replace_once(
                v.text(AVM_MODULE),
                "            keyIdentifier: !empty(customerManagedKey.?keyVersion)\n",
                "            keyRotationEnabled: true\n            keyIdentifier: !empty(customerManagedKey.?keyVersion)\n",
            );
        }
        Mutation::PrincipalIdForClientId => replace_once(
            v.text(AVM_MODULE),
            "? cMKUserAssignedIdentity!.properties.clientId",
            "? cMKUserAssignedIdentity!.properties.principalId",
        ),
        Mutation::PurgeProtectionOff => replace_once(
            v.text(AVM_DEPENDENCIES),
            "enablePurgeProtection: true",
            "enablePurgeProtection: false",
        ),
    }
    Ok(())
}

/// The Bicep of AVM's telemetry deployment (a subscription-scoped deployment needs a location).
fn add_telemetry_bicep(v: &mut Variant, location: Option<&str>) {
    let location = location.map_or(String::new(), |l| format!("  location: {l}\n"));
    let primary = v.primary.clone();
    v.text(&primary).push_str(&format!(
        "
#disable-next-line no-deployments-resources
resource pidTelemetry 'Microsoft.Resources/deployments@2025-04-01' = {{
  name: 'pid-47ed15a6-730a-4827-bcb4-0fd963ffbd82-${{uniqueString(deployment().name)}}'
{location}  properties: {{
    mode: 'Incremental'
    template: {{
      '$schema': 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#'
      contentVersion: '1.0.0.0'
      resources: []
      outputs: {{
        telemetry: {{
          type: 'String'
          value: 'For more information, see https://aka.ms/avm/TelemetryInfo'
        }}
      }}
    }}
  }}
}}
"
    ));
}

// ---------------------------------------------------------------------------------------------
// The matrix

/// One linted case: base × format × mutation (`None`: the base itself) × telemetry added.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Case {
    base: String,
    format: Format,
    mutation: Option<Mutation>,
    telemetry: bool,
}

impl Case {
    fn dir(&self) -> String {
        format!(
            "{}/{:?}/{}{}",
            self.base,
            self.format,
            self.mutation
                .map_or("base".to_string(), |m| format!("{m:?}")),
            if self.telemetry { "+pid" } else { "" }
        )
    }
}

/// Writes every applicable case under `root`; returns the cases with their primary file, and
/// the n/a set.
fn write_cases(bases: &[Base], root: &Path) -> (Vec<(Case, String)>, NotApplicable) {
    let mut cases = Vec::new();
    let mut not_applicable = NotApplicable::new();
    for b in bases {
        for format in [Format::Arm, Format::Bicep] {
            let variant = match format {
                Format::Arm => &b.arm,
                Format::Bicep => &b.bicep,
            };
            let variant = match variant {
                Ok(v) => v,
                Err(why) => {
                    for (m, _, _) in MUTATIONS {
                        not_applicable.insert((b.name.clone(), format, *m), *why);
                    }
                    continue;
                }
            };
            let mutations = std::iter::once(None).chain(MUTATIONS.iter().map(|(m, _, _)| Some(*m)));
            for mutation in mutations {
                let mut v = variant.clone();
                if let Some(m) = mutation {
                    let applied = match (format, b.kind) {
                        (Format::Arm, _) => mutate_arm(&mut v, m),
                        (Format::Bicep, Kind::Avm) => mutate_avm_bicep(&mut v, m),
                        (Format::Bicep, _) => mutate_generated_bicep(&mut v, m),
                    };
                    if let Err(why) = applied {
                        not_applicable.insert((b.name.clone(), format, m), why);
                        continue;
                    }
                    assert!(
                        v.files != variant.files,
                        "{} {format:?} {m:?} changed nothing",
                        b.name
                    );
                }
                for telemetry in [false, true] {
                    let mut v = v.clone();
                    if telemetry {
                        match format {
                            Format::Arm => add_telemetry_arm(&mut v),
                            Format::Bicep if b.kind == Kind::Avm => {
                                add_telemetry_bicep(&mut v, Some("resourceLocation"))
                            }
                            Format::Bicep => add_telemetry_bicep(&mut v, None),
                        }
                    }
                    let case = Case {
                        base: b.name.clone(),
                        format,
                        mutation,
                        telemetry,
                    };
                    let dir = root.join(case.dir());
                    for (rel, text) in &v.files {
                        let path = dir.join(rel);
                        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                        std::fs::write(path, text).unwrap();
                    }
                    cases.push((case, dir.join(&v.primary).display().to_string()));
                }
            }
        }
    }
    (cases, not_applicable)
}

/// The codes reported on each case's primary file (findings in the modules it deploys
/// included), one run for all cases.
fn lint_cases(root: &Path, cases: &[(Case, String)]) -> BTreeMap<Case, BTreeSet<&'static str>> {
    let report = lint::run(&Settings {
        paths: cases.iter().map(|(_, p)| p.into()).collect(),
        parameters: Vec::new(),
        excludes: Excludes::none(),
        config: Config::default(),
        baseline: None,
        root: acr_cmk::read::Root::new(root).unwrap(),
    });
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let mut by_primary: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for unit in &report.units {
        let codes = by_primary
            .entry(
                std::fs::canonicalize(&unit.primary)
                    .map_or(unit.primary.clone(), |p| p.display().to_string()),
            )
            .or_default();
        codes.extend(
            unit.findings
                .iter()
                .filter(|f| f.suppressed.is_none())
                .map(|f| f.code),
        );
    }
    cases
        .iter()
        .map(|(case, primary)| {
            let key = std::fs::canonicalize(primary)
                .unwrap()
                .display()
                .to_string();
            let codes = by_primary
                .get(&key)
                .unwrap_or_else(|| panic!("{} was not linted", case.dir()))
                .clone();
            (case.clone(), codes)
        })
        .collect()
}

fn codes_text(codes: &BTreeSet<&str>) -> String {
    if codes.is_empty() {
        "clean".to_string()
    } else {
        codes.iter().copied().collect::<Vec<_>>().join(" ")
    }
}

/// A mutated case's cell: the expected code, then what else changed against the base.
fn cell(expected: &str, codes: &BTreeSet<&str>, base: &BTreeSet<&str>) -> String {
    let mut s = expected.to_string();
    for c in codes.difference(base).filter(|c| **c != expected) {
        write!(s, " +{c}").unwrap();
    }
    for c in base.difference(codes) {
        write!(s, " −{c}").unwrap();
    }
    s
}

#[test]
fn every_mutation_reports_its_code_in_arm_and_bicep_with_and_without_telemetry() {
    let bases = bases();
    let dir = tempfile::tempdir().unwrap();
    let (cases, not_applicable) = write_cases(&bases, dir.path());
    let codes = lint_cases(dir.path(), &cases);
    let case = |base: &str, format, mutation, telemetry| Case {
        base: base.to_string(),
        format,
        mutation,
        telemetry,
    };

    let mut failures = Vec::new();
    // The empty telemetry deployment deploys nothing: it changes no verdict, of the base or of
    // any mutation.
    for (c, found) in codes.iter().filter(|(c, _)| c.telemetry) {
        let without = &codes[&Case {
            telemetry: false,
            ..c.clone()
        }];
        if found != without {
            failures.push(format!(
                "{}: the telemetry deployment changes the findings: {without:?} → {found:?}",
                c.dir()
            ));
        }
    }

    // The matrix, printed for the issue note; a cell is checked as it is written.
    let mut table = String::from(
        "| base | mutation → code | ARM | ARM + pid | Bicep | Bicep + pid |\n|---|---|---|---|---|---|\n",
    );
    let columns = [
        (Format::Arm, false),
        (Format::Arm, true),
        (Format::Bicep, false),
        (Format::Bicep, true),
    ];
    for b in &bases {
        write!(table, "| {} | (base) |", b.name).unwrap();
        for (format, telemetry) in columns {
            let base = codes.get(&case(&b.name, format, None, telemetry));
            write!(
                table,
                " {} |",
                base.map_or("n/a".to_string(), |c| codes_text(c))
            )
            .unwrap();
        }
        table.push('\n');
        for (m, expected, label) in MUTATIONS {
            write!(table, "| {} | {label} → {expected} |", b.name).unwrap();
            for (format, telemetry) in columns {
                let this = case(&b.name, format, Some(*m), telemetry);
                let Some(found) = codes.get(&this) else {
                    write!(table, " n/a |").unwrap();
                    continue;
                };
                let base = &codes[&case(&b.name, format, None, telemetry)];
                if base.contains(expected) {
                    failures.push(format!(
                        "{}: the base already reports {expected}",
                        this.dir()
                    ));
                }
                let instead = EXPECTED_INSTEAD
                    .iter()
                    .find(|(b, mutation, _, _)| *b == this.base && mutation == m);
                match instead {
                    Some((_, _, code, why)) => {
                        if found.contains(expected) || !found.contains(code) || base.contains(code)
                        {
                            failures.push(format!(
                                "{}: expected {code} instead of {expected} ({why}), got {found:?}",
                                this.dir()
                            ));
                        }
                        write!(table, " {code} instead |").unwrap();
                    }
                    None if !found.contains(expected) => failures.push(format!(
                        "{}: {expected} not reported, got {found:?}",
                        this.dir()
                    )),
                    None => write!(table, " {} |", cell(expected, found, base)).unwrap(),
                }
            }
            table.push('\n');
        }
    }
    let mut reasons: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for ((base, format, m), why) in &not_applicable {
        reasons
            .entry(why)
            .or_default()
            .insert(format!("{base} {format:?} {m:?}"));
    }
    table.push_str("\nn/a:\n");
    for (why, cases) in &reasons {
        writeln!(table, "- {why}: {}", cases.len()).unwrap();
    }
    for (base, m, code, why) in EXPECTED_INSTEAD {
        writeln!(table, "{code} instead, {base} {m:?}: {why}").unwrap();
    }
    println!("{table}");

    assert_eq!(
        not_applicable,
        expected_not_applicable(&bases),
        "the mutations that cannot apply changed"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
