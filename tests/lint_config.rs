//! `acr-cmk.toml` parsing: the good case, and every mistake located with a did-you-mean.

use acr_cmk::finding::{Finding, Level};
use acr_cmk::lint::config::{self, Config};
use acr_cmk::rules::RuleMeta;
use acr_cmk::source::Loc;

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

fn error_text(toml: &str) -> String {
    config::parse("acr-cmk.toml", toml)
        .expect_err("config should be rejected")
        .render(false)
}

#[test]
fn good_config() {
    let c = config::parse(
        "acr-cmk.toml",
        r#"
# Policy: every registry must use CMK.
cmk-required = true
exclude = ["generated/**", "*.bak.json"]

[rules]
SUP001 = "error"
invalid-json = "warning"
"#,
    )
    .unwrap();
    assert!(c.cmk_required);
    assert_eq!(c.exclude, ["generated/**", "*.bak.json"]);
    assert_eq!(c.levels.get("SUP001"), Some(&Some(Level::Error)));
    // A slug name is stored under its code.
    assert_eq!(c.levels.get("ARM000"), Some(&Some(Level::Warning)));
}

#[test]
fn rules_may_be_an_inline_or_dotted_table() {
    for toml in ["rules = { SUP001 = \"off\" }\n", "rules.SUP001 = \"off\"\n"] {
        let c = config::parse("acr-cmk.toml", toml).unwrap();
        assert_eq!(c.levels.get("SUP001"), Some(&None), "{toml}");
    }
    let text = error_text("rules = { SUP01 = \"off\" }\n");
    assert!(text.contains("[acr-cmk.toml:1:11]"), "{text}");
}

#[test]
fn empty_config_is_the_default() {
    let c = config::parse("acr-cmk.toml", "").unwrap();
    assert!(!c.cmk_required && c.exclude.is_empty() && c.levels.is_empty());
}

#[test]
fn level_names_are_case_insensitive_and_off_disables() {
    let c = config::parse("acr-cmk.toml", "[rules]\nsup001 = \"OFF\"\n").unwrap();
    assert_eq!(c.levels.get("SUP001"), Some(&None));
}

#[test]
fn unknown_key_is_located() {
    snapshot!(
        "lint__config_unknown_key",
        error_text("cmk-required = true\nexlude = [\"x\"]\n")
    );
}

#[test]
fn bad_level_is_located() {
    snapshot!(
        "lint__config_bad_level",
        error_text("[rules]\nSUP001 = \"warn\"\n")
    );
}

#[test]
fn unknown_rule_is_located() {
    snapshot!(
        "lint__config_unknown_rule",
        error_text("[rules]\nSUP01 = \"off\"\n")
    );
}

#[test]
fn other_mistakes_are_located() {
    let cases = [
        (
            "cmk-required = \"yes\"\n",
            "`cmk-required` must be true or false",
            "1:16",
        ),
        (
            "exclude = \"x\"\n",
            "`exclude` must be an array of globs",
            "1:11",
        ),
        ("exclude = [\"a[\"]\n", "invalid glob `a[`", "1:12"),
        ("rules = 1\n", "`rules` must be a table", "1:9"),
        (
            "[rules]\nSUP001 = 1\n",
            "the level of `SUP001` must be a string",
            "2:10",
        ),
        (
            "[rules]\nSUP001 = \"off\"\nsuppression-without-reason = \"note\"\n",
            "`SUP001` (suppression-without-reason) is configured twice",
            "3:1",
        ),
        ("[rules\n", "", "1:7"),
    ];
    for (toml, message, at) in cases {
        let text = error_text(toml);
        assert!(text.contains(message), "{toml:?}: {text}");
        assert!(
            text.contains(&format!("[acr-cmk.toml:{at}]")),
            "{toml:?} should be located at {at}: {text}"
        );
    }
}

static OPT_IN: RuleMeta = RuleMeta {
    code: "CMK017",
    name: "cmk-required",
    level: Level::Error,
    default_enabled: false,
    summary: "",
    docs: "",
};
static NORMAL: RuleMeta = RuleMeta {
    code: "TST001",
    name: "test",
    level: Level::Error,
    default_enabled: true,
    summary: "",
    docs: "",
};

#[test]
fn rules_are_enabled_by_default_cmk_required_or_a_level() {
    let mut c = Config::default();
    assert!(c.enabled(&NORMAL));
    assert!(!c.enabled(&OPT_IN));
    c.cmk_required = true;
    assert!(c.enabled(&OPT_IN));
    c.cmk_required = false;
    c.levels.insert("CMK017", Some(Level::Warning));
    assert!(c.enabled(&OPT_IN));
    c.levels.insert("TST001", None);
    assert!(!c.enabled(&NORMAL));
}

#[test]
fn levels_are_applied_and_off_drops() {
    let mut c = Config::default();
    c.levels.insert("TST001", Some(Level::Note));
    c.levels.insert("CMK017", None);
    let mut findings = vec![
        Finding::new(&NORMAL, Loc::default(), "a"),
        Finding::new(&OPT_IN, Loc::default(), "b"),
    ];
    c.apply_levels(&mut findings);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].level, Level::Note);
}

#[test]
fn found_upward_from_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(dir.path().join("acr-cmk.toml"), "cmk-required = true\n").unwrap();
    assert_eq!(config::find(&sub), Some(dir.path().join("acr-cmk.toml")));
    let c = config::load(None, &sub).unwrap();
    assert!(c.cmk_required);
    assert_eq!(c.base_dir(), Some(dir.path()));
    // --config wins over the file found upward, and a missing --config file is an error.
    let missing = config::load(Some(&dir.path().join("nope.toml")), &sub).unwrap_err();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
}

#[test]
fn check_resources_and_placeholders_are_parsed_and_located() {
    let c = config::parse(
        "acr-cmk.toml",
        "check-resources = \"all\"\nplaceholders = [\"^__[A-Z_]+__$\"]\n",
    )
    .unwrap();
    assert!(c.check_all_resources);
    let c = config::parse("acr-cmk.toml", "check-resources = \"cmk-wiring\"\n").unwrap();
    assert!(!c.check_all_resources);
    let text = error_text("check-resources = \"every\"\n");
    assert!(text.contains("[acr-cmk.toml:1:19]"), "{text}");
    assert!(text.contains("unknown value `every`"), "{text}");
    let text = error_text("placeholders = [\"^ok$\", \"(\"]\n");
    assert!(text.contains("[acr-cmk.toml:1:25]"), "{text}");
    assert!(text.contains("invalid placeholder pattern `(`"), "{text}");
    let text = error_text("placeholders = \"GEN-\"\n");
    assert!(text.contains("must be an array"), "{text}");
}

/// The codes `lint` reports on `files` (written to a temporary directory) with `toml` as
/// configuration.
fn lint_codes(files: &[(&str, &str)], toml: &str) -> Vec<&'static str> {
    use acr_cmk::lint::{self, Settings, discover::Excludes};
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let report = lint::run(&Settings {
        paths: vec![dir.path().to_path_buf()],
        parameters: Vec::new(),
        excludes: Excludes::none(),
        config: config::parse("acr-cmk.toml", toml).unwrap(),
        baseline: None,
        root: acr_cmk::read::Root::new(dir.path()).unwrap(),
    });
    let mut codes: Vec<&str> = report
        .units
        .iter()
        .flat_map(|u| u.findings.iter().map(|f| f.code))
        .collect();
    codes.sort();
    codes
}

const TEMPLATE: &str = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": { "registryName": { "type": "string" } },
  "resources": [
    { "type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2025-11-01",
      "name": "[parameters('registryName')]", "location": "westeurope",
      "sku": { "name": "Standard" }, "properties": {} }
  ]
}"#;

fn parameters(registry_name: &str) -> String {
    format!(
        r#"{{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {{ "registryName": {{ "value": "{registry_name}" }} }}
}}"#
    )
}

#[test]
fn resources_outside_the_cmk_wiring_are_checked_only_when_asked() {
    // A vault with Terraform's name for purge protection, and no registry anywhere.
    let vault = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    { "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-1",
      "location": "westeurope",
      "properties": { "tenantId": "[subscription().tenantId]",
        "sku": { "family": "A", "name": "standard" }, "purgeProtectionEnabled": true } }
  ]
}"#;
    assert_eq!(lint_codes(&[("vault.json", vault)], ""), Vec::<&str>::new());
    assert_eq!(
        lint_codes(&[("vault.json", vault)], "check-resources = \"all\"\n"),
        ["SCH001"]
    );
    // A registry without CMK is in scope once CMK is required of every registry.
    let files = [
        ("azuredeploy.json", TEMPLATE),
        ("azuredeploy.parameters.json", &parameters("my-registry")),
    ];
    assert_eq!(lint_codes(&files, ""), Vec::<&str>::new());
    assert_eq!(
        lint_codes(&files, "cmk-required = true\n"),
        ["CMK013", "CMK017"]
    );
}

#[test]
fn placeholders_are_unknown_values_and_users_can_add_their_own() {
    let all = "check-resources = \"all\"\n";
    let lint_name = |name: &str, toml: &str| {
        let params = parameters(name);
        lint_codes(
            &[
                ("azuredeploy.json", TEMPLATE),
                ("azuredeploy.parameters.json", &params),
            ],
            toml,
        )
    };
    // A real bad name is reported; the quickstart placeholders are not.
    assert_eq!(lint_name("my-registry", all), ["CMK013"]);
    for placeholder in ["GEN-UNIQUE", "GEN-UNIQUE-8", "GEN-PASSWORD"] {
        assert_eq!(
            lint_name(placeholder, all),
            Vec::<&str>::new(),
            "{placeholder}"
        );
    }
    // A pipeline's own convention is a name until the configuration says otherwise.
    assert_eq!(lint_name("__ACR_NAME__", all), ["CMK013"]);
    let custom = format!("{all}placeholders = [\"^__[A-Z_]+__$\"]\n");
    assert_eq!(lint_name("__ACR_NAME__", &custom), Vec::<&str>::new());
}
