//! The whole corpus (`../shared/corpus`, 2,100 real ARM and Bicep files) through the lint driver
//! in-process (issue 3): no panic, every file parsed or reported as ARM000/BICEP000, the known
//! CMK deployments judged as the rules' documentation says, and, with the default settings, no
//! finding on a file outside a CMK deployment that is not justified below (issue 9).
//!
//! One lint of the corpus (about 10 s of CPU in a debug build) is shared by every test here;
//! the few files checked with `check-resources = "all"` are linted once more, on their own.
//! Without `../shared` the tests skip with a note, and fail when `CI` is set.

use crate::corpus_support;
use acr_cmk::lint::config::Config;
use acr_cmk::lint::discover::Excludes;
use acr_cmk::lint::{self, Settings};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;

fn corpus() -> Option<PathBuf> {
    corpus_support::corpus("")
}

/// One finding: (path relative to the corpus, code, level, suppressed).
type Row = (String, &'static str, &'static str, bool);

struct Linted {
    findings: Vec<Row>,
    problems: Vec<String>,
    /// Files looked at and not linted, with why.
    skipped: Vec<(String, String)>,
    /// Units the front end could not parse, with the codes reported on them.
    unparseable: Vec<(String, Vec<&'static str>)>,
}

fn relative(name: &str) -> String {
    name.split_once("corpus/")
        .map_or(name, |(_, rel)| rel)
        .to_string()
}

fn linted() -> Option<&'static Linted> {
    static LINTED: OnceLock<Option<Linted>> = OnceLock::new();
    LINTED
        .get_or_init(|| {
            let dir = corpus()?;
            let report = lint::run(&Settings {
                root: acr_cmk::read::Root::new(&dir).unwrap(),
                paths: vec![dir],
                parameters: Vec::new(),
                excludes: Excludes::none(),
                config: Config::default(),
                baseline: None,
            });
            let mut findings = Vec::new();
            let mut unparseable = Vec::new();
            for unit in &report.units {
                for f in &unit.findings {
                    // The corpus is a pruned copy of its repositories: many modules its files
                    // refer to are not in it (REF001, "no such file"). That is the copy's gap,
                    // not a finding about the files.
                    if f.code == "REF001" && f.message.contains("no such file") {
                        continue;
                    }
                    let file = relative(&unit.sources.get(f.loc.file).name);
                    findings.push((file, f.code, f.level.as_str(), f.suppressed.is_some()));
                }
                // A Bicep file with a syntax error is checked statement by statement (its unit
                // is incomplete, not unparseable): its BICEP000 says it does not parse.
                if unit.unparseable || unit.findings.iter().any(|f| f.code == "BICEP000") {
                    let codes = unit.findings.iter().map(|f| f.code).collect();
                    unparseable.push((relative(&unit.primary), codes));
                }
            }
            let problems = report
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.file, p.message))
                .collect();
            let skipped = report
                .skipped
                .iter()
                .map(|s| (relative(&s.file), s.reason.clone()))
                .collect();
            Some(Linted {
                findings,
                problems,
                skipped,
                unparseable,
            })
        })
        .as_ref()
}

/// (code, level) of every finding in `file`, sorted.
fn codes_in(l: &Linted, file: &str) -> BTreeSet<(&'static str, &'static str)> {
    l.findings
        .iter()
        .filter(|r| r.0 == file)
        .map(|r| (r.1, r.2))
        .collect()
}

/// MANIFEST.tsv rows: path → (acr_cmk, declares_acr).
fn manifest() -> BTreeMap<String, (String, String)> {
    let text = corpus_support::text(corpus().unwrap().join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (path, cmk, acr) = (col("path"), col("acr_cmk"), col("declares_acr"));
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .map(|c| {
            (
                c[path].to_string(),
                (c[cmk].to_string(), c[acr].to_string()),
            )
        })
        .collect()
}

#[test]
fn every_file_is_linted_or_reported_as_unparseable() {
    let Some(l) = linted() else { return };
    // No unreadable file (invalid UTF-8, I/O error): every corpus file is text.
    assert_eq!(l.problems, Vec::<String>::new());
    // The corpus README lists two PSRule "resource export" JSON files: data, not templates.
    let (orphans, others): (Vec<_>, Vec<_>) = l
        .skipped
        .iter()
        .partition(|(_, reason)| reason.contains("lint its template with `--parameters"));
    assert_eq!(
        others
            .iter()
            .map(|(f, r)| (f.as_str(), r.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Resources.ACR.json",
                "not an ARM template or parameters file"
            ),
            (
                "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Resources.KeyVault.json",
                "not an ARM template or parameters file"
            )
        ]
    );
    // Parameters files with no template of their name beside them (`azuredeploy.parameters.us.json`,
    // PSRule's test inputs): nothing checks them, so they are skipped, not counted as checked.
    assert_eq!(orphans.len(), 29, "{orphans:?}");
    for (file, _) in orphans {
        let text = corpus_support::text(corpus().unwrap().join(file)).unwrap();
        assert_eq!(
            acr_cmk::arm::detect(&text),
            acr_cmk::arm::JsonKind::Parameters,
            "{file}"
        );
    }
    // Checkov's malformed.bicep is malformed on purpose; nothing else fails to parse.
    assert_eq!(
        l.unparseable,
        [(
            "checkov/tests/bicep/examples/malformed.bicep".to_string(),
            vec!["BICEP000"]
        )]
    );
}

/// The Checkov ACR examples that enable encryption on a registry whose literal SKU is not
/// Premium, derived from the files: those with a registry whose `sku.name` is a literal other
/// than Premium and whose `properties.encryption.status` is `enabled`.
fn checkov_cmk_on_non_premium() -> BTreeSet<String> {
    let root = corpus().unwrap();
    let dir = root.join("checkov/tests/arm/checks/resource");
    let mut out = BTreeSet::new();
    for example in std::fs::read_dir(&dir).unwrap() {
        let example = example.unwrap().path();
        if !example
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("example_")
        {
            continue;
        }
        for file in std::fs::read_dir(&example).unwrap() {
            let file = file.unwrap().path();
            let Ok(text) = corpus_support::text(&file) else {
                continue;
            };
            let Ok(t) =
                serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}'))
            else {
                continue;
            };
            let registries = t["resources"].as_array().into_iter().flatten().filter(|r| {
                r["type"].as_str().is_some_and(|t| {
                    t.eq_ignore_ascii_case("Microsoft.ContainerRegistry/registries")
                })
            });
            let cmk_on_non_premium = registries.into_iter().any(|r| {
                let sku = r["sku"]["name"].as_str().unwrap_or("[");
                let literal_non_premium =
                    !sku.starts_with('[') && !sku.eq_ignore_ascii_case("Premium");
                literal_non_premium && r["properties"]["encryption"]["status"] == "enabled"
            });
            if cmk_on_non_premium {
                let rel = file.strip_prefix(&root).unwrap();
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

#[test]
fn checkov_registries_with_cmk_on_basic_or_standard_get_cmk001() {
    let Some(l) = linted() else { return };
    let expected = checkov_cmk_on_non_premium();
    // Cross-check the derivation: these are exactly the Checkov files MANIFEST marks acr_cmk=yes
    // (Checkov's ACR examples copy one registry with `encryption.status: enabled`).
    let manifest_yes: BTreeSet<String> = manifest()
        .into_iter()
        .filter(|(p, (cmk, _))| p.starts_with("checkov/") && cmk == "yes")
        .map(|(p, _)| p)
        .collect();
    assert_eq!(expected, manifest_yes);
    assert_eq!(expected.len(), 8, "{expected:?}");
    for file in &expected {
        // CMK needs Premium; these registries are Basic or Standard (literal values).
        assert!(
            codes_in(l, file).contains(&("CMK001", "error")),
            "{file}: {:?}",
            codes_in(l, file)
        );
    }
    // The Checkov ACR examples without encryption never get CMK001: no false positives.
    let others = l
        .findings
        .iter()
        .filter(|r| r.1 == "CMK001" && !expected.contains(&r.0))
        .map(|r| r.0.as_str())
        .collect::<Vec<_>>();
    assert_eq!(others, Vec::<&str>::new());
}

const AVM_REGISTRY: &str = "bicep-registry-modules/avm/res/container-registry/registry";

#[test]
fn avm_registry_module_with_its_defaults_has_no_cmk_error() {
    let Some(l) = linted() else { return };
    // The module's defaults leave encryption off (customerManagedKey is null): nothing to object to.
    for file in ["main.json", "main.bicep"] {
        let found = codes_in(l, &format!("{AVM_REGISTRY}/{file}"));
        assert!(
            found.iter().all(|(_, level)| *level != "error"),
            "{file}: {found:?}"
        );
    }
}

#[test]
fn avm_encr_test_has_only_the_documented_warnings() {
    let Some(l) = linted() else { return };
    let encr = format!("{AVM_REGISTRY}/tests/e2e/encr");
    let mut found: Vec<(String, &str, &str)> = l
        .findings
        .iter()
        .filter(|r| r.0.starts_with(&encr))
        .map(|r| (r.0[encr.len() + 1..].to_string(), r.1, r.2))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            // dependencies.bicep grants "Key Vault Crypto User" (12338af0-…) on the vault: it can
            // also sign, encrypt, create key versions…; "Key Vault Crypto Service Encryption
            // User" (e147488a-…) is all CMK needs (CMK018, a warning: it works, with more rights).
            ("dependencies.bicep".to_string(), "CMK018", "warning"),
            // RBAC vault: the role assignment (module nestedDependencies) and the registry (module
            // testDeployment) are in one deployment. RBAC assignments take effect after a
            // propagation delay, so creating the registry can fail with a Key Vault 403 (the
            // rule's docs); a warning, as the delay is usually shorter than the nested
            // deployments in between (AVM's pipeline deploys this test successfully).
            // main.test.bicep itself, which passes the key to the module, has no finding.
            ("dependencies.bicep".to_string(), "CMK019", "warning"),
        ]
    );
}

/// Mistakes in files that take no part in a CMK deployment, each checked by hand against the
/// file. The default scope (the CMK wiring) says nothing about them; `check-resources = "all"`
/// finds every one.
const MISTAKES_OUTSIDE_CMK: &[(&str, &str, &str)] = &[
    // Key properties under their JSON Web Key names (crv, key_ops, key_size) instead of ARM's
    // curveName/keyOps/keySize: Resource Manager ignores them and creates a default key.
    (
        "azure-quickstart-templates/modules/Microsoft.KeyVault/vaults/keys/0.9/azuredeploy.json",
        "SCH001",
        "JWK property names",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyExpirationDate/fail.json",
        "SCH001",
        "JWK property names",
    ),
    // …and, in pass.json, also password/email/acceptMarketingEmails pasted into a key.
    (
        "checkov/tests/arm/checks/resource/example_KeyExpirationDate/pass.json",
        "SCH001",
        "JWK names, foreign properties",
    ),
    // softDeleteRetentionInDays: "90" is a string where ARM wants an integer (it converts it).
    (
        "checkov/tests/arm/checks/resource/example_KeyBackedByHSM/fail.json",
        "SCH004",
        "string for integer",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyBackedByHSM/pass.json",
        "SCH004",
        "string for integer",
    ),
    // purgeProtectionEnabled is Terraform's name; ARM's is enablePurgeProtection (the vault
    // silently gets no purge protection). pass3/pass4 also give ipRules as bare strings.
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultDisablesPublicNetworkAccess/fail1.json",
        "SCH001",
        "purgeProtectionEnabled",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultDisablesPublicNetworkAccess/fail2.json",
        "SCH001",
        "purgeProtectionEnabled",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultDisablesPublicNetworkAccess/fail3.json",
        "SCH001",
        "purgeProtectionEnabled",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultDisablesPublicNetworkAccess/fail4.json",
        "SCH001",
        "purgeProtectionEnabled",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultDisablesPublicNetworkAccess/fail5.json",
        "SCH001",
        "purgeProtectionEnabled",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultDisablesPublicNetworkAccess/pass1.json",
        "SCH001",
        "purgeProtectionEnabled",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultDisablesPublicNetworkAccess/pass2.json",
        "SCH001",
        "purgeProtectionEnabled",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultDisablesPublicNetworkAccess/pass3.json",
        "SCH001",
        "purgeProtectionEnabled, ipRules strings",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultDisablesPublicNetworkAccess/pass4.json",
        "SCH001",
        "purgeProtectionEnabled, ipRules strings",
    ),
    // "true"/"30" strings where ARM wants booleans and integers (it converts them: warnings).
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultEnablesFirewallRulesSettings/KeyVaultEnablesFirewallRulesSettings-FAILED.json",
        "SCH004",
        "strings for boolean/integer",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultEnablesFirewallRulesSettings/KeyVaultEnablesFirewallRulesSettings-PASSED.json",
        "SCH004",
        "strings for boolean/integer",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyvaultRecoveryEnabled/keyvaultRecoveryEnabled-FAILED2.json",
        "SCH004",
        "strings for boolean/integer",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyvaultRecoveryEnabled/keyvaultRecoveryEnabled-PASSED.json",
        "SCH004",
        "strings for boolean/integer",
    ),
    // softDeleteRetentionInDays on a vault of API version 2018-02-14, which does not have it
    // (it came with 2019-09-01).
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultEnablesFirewallRulesSettings/KeyVaultEnablesFirewallRulesSettings-FAILED.json",
        "SCH001",
        "property of a later API version",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultEnablesFirewallRulesSettings/KeyVaultEnablesFirewallRulesSettings-PASSED.json",
        "SCH001",
        "property of a later API version",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyvaultRecoveryEnabled/keyvaultRecoveryEnabled-PASSED.json",
        "SCH001",
        "property of a later API version",
    ),
    // softDeleteRetentionDays: a typo of softDeleteRetentionInDays.
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultEnablesPurgeProtection/fail1.json",
        "SCH001",
        "softDeleteRetentionDays",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultEnablesPurgeProtection/fail2.json",
        "SCH001",
        "softDeleteRetentionDays",
    ),
    (
        "checkov/tests/arm/checks/resource/example_KeyVaultEnablesPurgeProtection/pass.json",
        "SCH001",
        "softDeleteRetentionDays",
    ),
    // Nested deployment parameters given as bare values; ARM wants { value: … } objects.
    (
        "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.19.bicep",
        "SCH001",
        "deployment parameter without value",
    ),
    (
        "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.19.json",
        "SCH001",
        "deployment parameter without value",
    ),
    (
        "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.20.bicep",
        "SCH001",
        "deployment parameter without value",
    ),
    (
        "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.20.json",
        "SCH001",
        "deployment parameter without value",
    ),
    // A vault with `properties: {}` (the file silences Bicep's own BCP035): sku and tenantId are required.
    (
        "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.34.bicep",
        "SCH001",
        "vault without sku/tenantId",
    ),
    (
        "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.34.json",
        "SCH001",
        "vault without sku/tenantId",
    ),
    // A user-assigned identity named 'mi': identity names are 3-128 characters. The module
    // declares it (`Tests.Bicep.38.child.bicep`); the finding is where 'mi' is written, the
    // module's parameters in the file that uses it.
    (
        "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.38.bicep",
        "CMK013",
        "identity name too short",
    ),
    (
        "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.38.json",
        "CMK013",
        "identity name too short",
    ),
    (
        "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.4.id.bicep",
        "CMK013",
        "identity name too short",
    ),
    (
        "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.4.json",
        "CMK013",
        "identity name too short",
    ),
];

/// With the default settings, every finding on a file that declares no CMK registry, and why it
/// is there: the tool speaks about CMK deployments only (issue 9, item 6).
const OUTSIDE_CMK_FILES: &[(&str, &str, &str)] = &[
    // The AVM `encr` test's grant module: main.test.bicep's registry reaches its key through
    // the identity and role assignment this file declares (the wiring crosses modules).
    (
        "bicep-registry-modules/avm/res/container-registry/registry/tests/e2e/encr/dependencies.bicep",
        "CMK018",
        "grant of the encr test's registry",
    ),
    (
        "bicep-registry-modules/avm/res/container-registry/registry/tests/e2e/encr/dependencies.bicep",
        "CMK019",
        "grant of the encr test's registry",
    ),
    // Its `resources` sit inside `parameters`: nothing it deploys can be seen, so whether a
    // registry is among them is unknown, and a clean result would be a silent pass.
    (
        "checkov/tests/arm/runner/resources/invalid.json",
        "SCH002",
        "resources hidden in parameters",
    ),
    // Malformed on purpose (Checkov's parser test): cannot be read at all.
    (
        "checkov/tests/bicep/examples/malformed.bicep",
        "BICEP000",
        "malformed on purpose",
    ),
];

#[test]
fn files_without_a_cmk_registry_get_only_justified_findings() {
    let Some(l) = linted() else { return };
    let manifest = manifest();
    let outside_cmk = |file: &str| manifest.get(file).is_some_and(|(cmk, _)| cmk == "no");
    let got: BTreeSet<(&str, &str)> = l
        .findings
        .iter()
        // BICEP001 says a module could not be read (a registry module: no network): what it
        // deploys is unknown, so the note is due on any file, CMK deployment or not.
        .filter(|r| !r.3 && outside_cmk(&r.0) && r.1 != "BICEP001")
        .map(|r| (r.0.as_str(), r.1))
        .collect();
    let justified: BTreeSet<(&str, &str)> = OUTSIDE_CMK_FILES.iter().map(|k| (k.0, k.1)).collect();
    assert_eq!(got, justified);
}

/// The corpus files that hold Azure quickstart test placeholders (`GEN-UNIQUE`, `GEN-UNIQUE-8`…)
/// in resource names: before placeholders were unknowns, each got a CMK013 for the placeholder.
const PLACEHOLDER_FILES: &[&str] = &[
    "azure-quickstart-templates/application-workloads/jenkins/jenkins-cicd-container/azuredeploy.parameters.json",
    "azure-quickstart-templates/quickstarts/microsoft.containerregistry/container-registry-geo-replication/azuredeploy.parameters.json",
    "azure-quickstart-templates/quickstarts/microsoft.containerregistry/container-registry/azuredeploy.parameters.json",
    "azure-quickstart-templates/quickstarts/microsoft.machinelearningservices/machine-learning-dependencies-role-assignment/prereqs/prereq.azuredeploy.parameters.json",
    "azure-quickstart-templates/quickstarts/microsoft.machinelearningservices/machine-learning-workspace-cmk/azuredeploy.json",
    "azure-quickstart-templates/quickstarts/microsoft.resources/deployment-script-azcli-acr-build/azuredeploy.parameters.json",
    "azure-quickstart-templates/quickstarts/microsoft.resources/deployment-script-azcli-acr-import/azuredeploy.parameters.json",
];

/// Bicep modules of `MISTAKES_OUTSIDE_CMK` are linted through the files that use them.
const MODULE_USERS: &[&str] = &[
    "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.38.bicep",
    "psrule-rules-azure/tests/PSRule.Rules.Azure.Tests/Tests.Bicep.4.bicep",
];

/// The files of `MISTAKES_OUTSIDE_CMK` and `PLACEHOLDER_FILES` linted with
/// `check-resources = "all"` (a few dozen files, not a second pass over the corpus).
fn linted_with_every_resource() -> Option<&'static Vec<Row>> {
    static LINTED: OnceLock<Option<Vec<Row>>> = OnceLock::new();
    LINTED
        .get_or_init(|| {
            let dir = corpus()?;
            let files: BTreeSet<&str> = MISTAKES_OUTSIDE_CMK
                .iter()
                .map(|k| k.0)
                .chain(PLACEHOLDER_FILES.iter().copied())
                .chain(MODULE_USERS.iter().copied())
                .collect();
            let config = Config {
                check_all_resources: true,
                ..Config::default()
            };
            let report = lint::run(&Settings {
                paths: files.iter().map(|f| dir.join(f)).collect(),
                parameters: Vec::new(),
                excludes: Excludes::none(),
                config,
                baseline: None,
                root: corpus_support::root(),
            });
            let mut rows = Vec::new();
            for unit in &report.units {
                for f in &unit.findings {
                    let file = relative(&unit.sources.get(f.loc.file).name);
                    rows.push((file, f.code, f.level.as_str(), f.suppressed.is_some()));
                }
            }
            Some(rows)
        })
        .as_ref()
}

#[test]
fn every_resource_mode_finds_the_mistakes_outside_cmk_deployments() {
    let Some(rows) = linted_with_every_resource() else {
        return;
    };
    for (file, code, why) in MISTAKES_OUTSIDE_CMK {
        assert!(
            rows.iter().any(|r| r.0 == *file && r.1 == *code && !r.3),
            "{file}: {code} ({why}) expected with check-resources = \"all\""
        );
    }
}

#[test]
fn quickstart_placeholders_are_unknowns_not_names() {
    let Some(l) = linted() else { return };
    let Some(all) = linted_with_every_resource() else {
        return;
    };
    for file in PLACEHOLDER_FILES {
        for rows in [&l.findings, all] {
            let naming: Vec<_> = rows
                .iter()
                .filter(|r| r.0 == *file && r.1 == "CMK013")
                .collect();
            assert_eq!(naming, Vec::<&Row>::new(), "{file}");
        }
    }
}

#[test]
fn vault_network_rule_items_are_open() {
    let Some(l) = linted() else { return };
    // These quickstarts share one virtual-network rule object (with storage's `action`) between a
    // storage account and a vault: ARM ignores the extra property and it carries no CMK setting.
    for file in [
        "azure-quickstart-templates/quickstarts/microsoft.machinelearningservices/machine-learning-workspace-vnet/azuredeploy.json",
        "azure-quickstart-templates/quickstarts/microsoft.machinelearningservices/machine-learning-workspace-vnet-v1-legacy-mode/azuredeploy.json",
    ] {
        assert!(!codes_in(l, file).iter().any(|c| c.0 == "SCH001"), "{file}");
    }
}

#[test]
fn missing_reference_data_fails_under_ci_and_skips_elsewhere() {
    let missing = std::env::temp_dir().join("acr-cmk-no-such-corpus-dir");
    assert!(!missing.exists());
    assert_eq!(corpus_support::present_or_skip(&missing, false), None);
    let under_ci = std::panic::catch_unwind(|| corpus_support::present_or_skip(&missing, true));
    assert!(
        under_ci.is_err(),
        "a missing corpus must fail the run when CI is set"
    );
    let here = std::env::temp_dir();
    assert_eq!(corpus_support::present_or_skip(&here, true), Some(here));
}
