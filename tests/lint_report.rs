//! The report writers on a synthetic report: snapshots of human, JSON and SARIF output, and the
//! JSON/SARIF output validated against their schemas.

use acr_cmk::finding::{Finding, Level};
use acr_cmk::report::{self, Problem, Report, Skipped, UnitReport, human::Style};
use acr_cmk::rules::RuleMeta;
use acr_cmk::source::{Loc, SourceMap};
use std::path::PathBuf;

// Synthetic rules (not in the catalogue), so these snapshots do not change when rule docs do.
static KEY: RuleMeta = RuleMeta {
    code: "TST001",
    name: "test-key",
    level: Level::Error,
    default_enabled: true,
    summary: "",
    docs: "",
};
static VAULT: RuleMeta = RuleMeta {
    code: "TST002",
    name: "test-vault",
    level: Level::Warning,
    default_enabled: true,
    summary: "",
    docs: "",
};
static LOGS: RuleMeta = RuleMeta {
    code: "TST003",
    name: "test-logs",
    level: Level::Note,
    default_enabled: true,
    summary: "",
    docs: "",
};

const TEMPLATE: &str = r#"{
  "resources": [
    {
      "type": "Microsoft.ContainerRegistry/registries",
      "name": "régistry",
      "sku": { "name": "Basic" }
    }
  ]
}
"#;
const PARAMS: &str = r#"{ "parameters": { "sku": { "value": "Basic" } } }
"#;
const BICEP: &str =
    "// café\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'kv'\n}\n";

fn span(text: &str, needle: &str, file: u32) -> Loc {
    let start = text.find(needle).expect("needle in text");
    Loc::new(file, start, start + needle.len())
}

/// Two units (an ARM template with its parameters file, a Bicep file), every level, a suppressed
/// finding with and without reason, a related location in another file, a problem, a skipped file.
pub fn sample() -> Report {
    let mut arm = SourceMap::new();
    arm.add("deploy/main.json", TEMPLATE);
    arm.add("deploy/main.parameters.json", PARAMS);
    let arm_findings = vec![
        Finding::new(
            &KEY,
            span(TEMPLATE, "\"Basic\"", 0),
            "registry régistry uses SKU Basic",
        )
        .label("sku is Basic here")
        .help("use the Premium SKU")
        .pointer("/resources/0/sku/name")
        .related(span(PARAMS, "\"Basic\"", 1), "set by the parameters file")
        .resource(0),
        Finding::new(
            &LOGS,
            span(TEMPLATE, "\"régistry\"", 0),
            "task logs are kept 24 h",
        )
        .pointer("/resources/0/name"),
        {
            let mut f = Finding::new(&VAULT, span(TEMPLATE, "\"name\"", 0), "suppressed one");
            f.suppressed = Some("the vault firewall is managed elsewhere".into());
            f
        },
    ];
    let mut bicep = SourceMap::new();
    bicep.add("infra/app.bicep", BICEP);
    let bicep_findings = vec![
        Finding::new(
            &VAULT,
            span(BICEP, "kv", 0),
            "vault kv lets trusted services through",
        )
        .pointer("kv"),
        {
            let mut f = Finding::new(&KEY, span(BICEP, "'kv'", 0), "suppressed without a reason");
            f.suppressed = Some(String::new());
            f
        },
    ];
    Report {
        units: vec![
            UnitReport {
                primary: "infra/app.bicep".into(),
                sources: bicep,
                findings: bicep_findings,
                unparseable: false,
                incomplete: false,
            },
            UnitReport {
                primary: "deploy/main.json".into(),
                sources: arm,
                findings: arm_findings,
                unparseable: false,
                incomplete: false,
            },
        ],
        problems: vec![Problem {
            file: "deploy/broken.json".into(),
            message: "invalid UTF-8 at line 1, byte column 3 (byte offset 2)".into(),
        }],
        skipped: vec![Skipped {
            file: "package.json".into(),
            reason: "not an ARM template or parameters file".into(),
        }],
        files_checked: 4,
    }
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn human_report() {
    let r = sample();
    snapshot!(
        "lint__report_human",
        report::human::render_report(&r, Style::plain(), false)
    );
}

#[test]
fn human_report_verbose_shows_skipped_and_suppressed() {
    let r = sample();
    let text = report::human::render_report(&r, Style::plain(), true);
    assert!(text.starts_with("skipped package.json: not an ARM template or parameters file\n"));
    assert!(text.contains("suppressed: the vault firewall is managed elsewhere"));
    assert!(text.contains("suppressed: (no reason given)"));
    let quiet = report::human::render_report(&r, Style::plain(), false);
    assert!(!quiet.contains("suppressed"));
}

#[test]
fn json_report() {
    snapshot!("lint__report_json", report::json::to_string(&sample()));
}

#[test]
fn sarif_report() {
    snapshot!("lint__report_sarif", report::sarif::to_string(&sample()));
}

#[test]
fn summary_counts_exclude_suppressed_findings() {
    let s = sample().summary();
    assert_eq!((s.errors, s.warnings, s.notes, s.suppressed), (1, 1, 1, 2));
    assert_eq!(s.files_with_findings, 2);
    assert_eq!(
        s.line(),
        "1 error, 1 warning, 1 note in 2 files (4 files checked)"
    );
}

#[test]
fn exit_code_follows_threshold_problems_and_suppressions() {
    let mut r = sample();
    // A problem (unreadable file) means 2 whatever the findings.
    assert_eq!(r.exit(Level::Error) as u8, 2);
    r.problems.clear();
    assert_eq!(r.exit(Level::Error) as u8, 1);
    // Only the error makes it fail; drop it and the warning fails only with --fail-on warning.
    r.units[1].findings.remove(0);
    assert_eq!(r.exit(Level::Error) as u8, 0);
    assert_eq!(r.exit(Level::Warning) as u8, 1);
    // Suppressed findings (an error in infra/app.bicep) never count.
    r.units[0].findings.remove(0);
    r.units[1].findings.remove(0);
    assert_eq!(r.exit(Level::Note) as u8, 0);
    r.units[0].unparseable = true;
    assert_eq!(r.exit(Level::Note) as u8, 2);
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if p.is_file() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{} is missing (required under CI)", p.display());
    }
    eprintln!("note: {} not found; skipping", p.display());
    None
}

fn fix_patterns(v: &mut serde_json::Value) {
    const BAD: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if k == "pattern" && child == BAD {
                    *child = serde_json::Value::from("^[a-zA-Z]{2}$|^[a-zA-Z]{2}-[a-zA-Z]{2}$");
                } else {
                    fix_patterns(child);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(fix_patterns),
        _ => {}
    }
}

fn validate(schema_path: &std::path::Path, doc: &str) {
    let errors = schema_errors(schema_path, doc);
    assert!(
        errors.is_empty(),
        "{}:\n{}",
        schema_path.display(),
        errors.join("\n")
    );
}

fn schema_errors(schema_path: &std::path::Path, doc: &str) -> Vec<String> {
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    // The OASIS SARIF schema's `language` patterns end in a stray `]`, which the ECMA-262 check
    // of `format: regex` rejects when the schema itself is validated. Fix them in memory (the
    // file is left as it is); they constrain a field this tool does not write.
    fix_patterns(&mut schema);
    let instance: serde_json::Value = serde_json::from_str(doc).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let Some(schema) = shared("schemas/sarif-2.1.0.json") else {
        return;
    };
    validate(&schema, &report::sarif::to_string(&sample()));
    validate(&schema, &report::sarif::to_string(&Report::default()));
    // The validator does reject a broken log.
    let broken =
        report::sarif::to_string(&sample()).replace("\"level\": \"note\"", "\"level\": \"fatal\"");
    assert!(!schema_errors(&schema, &broken).is_empty());
}

#[test]
fn json_matches_report_schema() {
    let schema = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json");
    validate(&schema, &report::json::to_string(&sample()));
    validate(&schema, &report::json::to_string(&Report::default()));
    let broken = report::json::to_string(&sample()).replace("\"line\": 6", "\"line\": 0");
    assert!(!schema_errors(&schema, &broken).is_empty());
}

#[test]
fn a_finding_without_source_names_its_unit() {
    let r = Report {
        units: vec![UnitReport {
            primary: "x.json".into(),
            sources: SourceMap::new(),
            findings: vec![Finding::new(&KEY, Loc::default(), "no location")],
            unparseable: false,
            incomplete: false,
        }],
        ..Report::default()
    };
    let human = report::human::render_report(&r, Style::plain(), false);
    assert_eq!(
        human,
        "error[TST001]: x.json: no location\n1 error, 0 warnings, 0 notes in 1 file (0 files checked)\n"
    );
    let json: serde_json::Value = serde_json::from_str(&report::json::to_string(&r)).unwrap();
    assert_eq!(json["findings"][0]["file"], "x.json");
    assert_eq!(json["findings"][0]["line"], 1);
}

#[test]
fn sarif_uris_are_relative_or_file_uris_and_escaped() {
    use acr_cmk::report::sarif::uri;
    assert_eq!(uri("deploy/main.json"), "deploy/main.json");
    assert_eq!(uri("my dir/a#b.json"), "my%20dir/a%23b.json");
    assert_eq!(uri("/abs/x.json"), "file:///abs/x.json");
    assert_eq!(uri("dé.json"), "d%C3%A9.json");
}
