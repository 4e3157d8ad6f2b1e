//! Every rule's fixtures (`tests/fixtures/rules/<CODE>/{good,bad}.{json,bicep}`) through the real
//! binary: the bad input reports the rule's code at its level with the documented exit code, the
//! good input lints clean, and the Bicep variant of a rule reports the same codes and levels as
//! the JSON one (issue 4). The bad JSON fixture's human, JSON and SARIF reports are snapshots.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// The extra arguments a rule needs: CMK010, CMK026 and CMK027 compare with the previously deployed template and
/// CMK017 is off unless the configuration asks for CMK everywhere.
fn extra_args(code: &str, config: &Path) -> Vec<String> {
    match code {
        // A baseline directory: each fixture is compared with the file of its name in it.
        "CMK010" => vec!["--baseline".into(), "CMK010/baseline".into()],
        "CMK026" => vec!["--baseline".into(), "CMK026/baseline".into()],
        "CMK027" => vec!["--baseline".into(), "CMK027/baseline".into()],
        "CMK017" => vec!["--config".into(), config.display().to_string()],
        _ => vec![],
    }
}

struct Run {
    exit: i32,
    stdout: String,
}

/// `acr-cmk lint` from the fixtures directory, so reports show short relative paths. An explicit
/// `--config` (an empty file unless the rule needs settings) keeps any `acr-cmk.toml` up the tree
/// out of the result.
fn lint(file: &str, format: &str, extra: &[String], config: &Path) -> Run {
    lint_files(&[file.to_string()], format, extra, config)
}

/// One run over several files: a debug build spends ~0.1 s per process, so the checks that do
/// not need one exit code per file lint a whole group of fixtures at once.
fn lint_files(files: &[String], format: &str, extra: &[String], config: &Path) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_acr-cmk"));
    cmd.current_dir(rules_dir())
        .env("NO_COLOR", "1")
        .args(["lint", "--format", format])
        .args(files)
        .args(extra);
    if !extra.iter().any(|a| a == "--config") {
        cmd.args(["--config", &config.display().to_string()]);
    }
    let out = cmd.output().unwrap();
    Run {
        exit: out.status.code().expect("acr-cmk was killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
    }
}

/// (code, level) of every finding not suppressed in source.
fn active(run: &Run) -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"] == false)
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["level"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

struct Configs {
    _dir: tempfile::TempDir,
    empty: PathBuf,
    cmk_required: PathBuf,
}

fn configs() -> Configs {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.toml");
    let cmk_required = dir.path().join("cmk-required.toml");
    std::fs::write(&empty, "").unwrap();
    std::fs::write(&cmk_required, "cmk-required = true\n").unwrap();
    Configs {
        _dir: dir,
        empty,
        cmk_required,
    }
}

impl Configs {
    fn for_code(&self, code: &str) -> &Path {
        if code == "CMK017" {
            &self.cmk_required
        } else {
            &self.empty
        }
    }
}

/// The rules `lint` reports on templates: SPEC001 belongs to `build`/`validate` and CFG001 to
/// the configuration file (both tested below).
fn lint_rules() -> Vec<&'static acr_cmk::rules::RuleMeta> {
    acr_cmk::rules::all()
        .iter()
        .map(|r| r.meta())
        .filter(|m| !matches!(m.code, "SPEC001" | "CFG001"))
        .collect()
}

fn bad_file(code: &str) -> String {
    match code {
        "BICEP000" | "BICEP001" | "BICEP002" => format!("{code}/bad.bicep"),
        _ => format!("{code}/bad.json"),
    }
}

/// What `--fail-on` must be for a finding at `level` to fail the run.
fn level_name(level: acr_cmk::finding::Level) -> &'static str {
    match level {
        acr_cmk::finding::Level::Error => "error",
        acr_cmk::finding::Level::Warning => "warning",
        acr_cmk::finding::Level::Note => "note",
    }
}

#[test]
fn bad_fixtures_report_their_code_at_its_level_and_exit_accordingly() {
    let cfg = configs();
    for meta in lint_rules() {
        let code = meta.code;
        let level = level_name(meta.level);
        let config = cfg.for_code(code);
        let extra = extra_args(code, config);
        let run = lint(&bad_file(code), "json", &extra, config);
        let found = active(&run);
        assert!(
            found.contains(&(code.to_string(), level.to_string())),
            "{code}: {found:?}"
        );
        // Unparseable or unreadable input and a hit limit are exit 2 (BICEP002 comes with the
        // BICEP000 of the statement it depends on); otherwise only errors fail with the default
        // --fail-on.
        let expected = match (code, level) {
            ("ARM000" | "BICEP000" | "BICEP002" | "REF001" | "LIM001", _) => 2,
            (_, "error") => 1,
            _ if found.iter().any(|(_, l)| l == "error") => 1,
            _ => 0,
        };
        assert_eq!(run.exit, expected, "{code}: {found:?}");
        if expected == 0 {
            // A warning or note fails the run once --fail-on reaches its level.
            let mut strict = extra.clone();
            strict.extend(["--fail-on".to_string(), level.to_string()]);
            assert_eq!(
                lint(&bad_file(code), "json", &strict, config).exit,
                1,
                "{code}"
            );
        }
    }
}

/// (file, code, level) of every finding not suppressed in source.
fn active_by_file(run: &Run) -> BTreeMap<String, Vec<(String, String)>> {
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for f in doc["findings"].as_array().unwrap() {
        if f["suppressed"] == false {
            out.entry(f["file"].as_str().unwrap().to_string())
                .or_default()
                .push((
                    f["code"].as_str().unwrap().to_string(),
                    f["level"].as_str().unwrap().to_string(),
                ));
        }
    }
    out
}

/// Codes grouped by the extra arguments they need, so each group is one run.
fn groups(codes: &[&'static str], cfg: &Configs) -> Vec<(Vec<String>, Vec<&'static str>)> {
    let mut out: Vec<(Vec<String>, Vec<&'static str>)> = Vec::new();
    for &code in codes {
        let extra = extra_args(code, cfg.for_code(code));
        match out.iter_mut().find(|(e, _)| *e == extra) {
            Some((_, members)) => members.push(code),
            None => out.push((extra, vec![code])),
        }
    }
    out
}

#[test]
fn good_fixtures_lint_clean() {
    let cfg = configs();
    let codes: Vec<&str> = lint_rules().iter().map(|m| m.code).collect();
    for (extra, members) in groups(&codes, &cfg) {
        let files: Vec<String> = members
            .iter()
            .map(|c| match *c {
                "BICEP000" | "BICEP001" | "BICEP002" => format!("{c}/good.bicep"),
                _ => format!("{c}/good.json"),
            })
            .collect();
        let run = lint_files(&files, "json", &extra, cfg.for_code(members[0]));
        assert_eq!(active_by_file(&run), BTreeMap::new(), "{files:?}");
        assert_eq!(run.exit, 0, "{files:?}");
    }
}

/// Rules whose Bicep variant exists: every CMK rule, and the suppression rules (Bicep
/// suppression comments).
fn bicep_codes() -> Vec<&'static str> {
    lint_rules()
        .into_iter()
        .map(|m| m.code)
        .filter(|c| c.starts_with("CMK") || c.starts_with("SUP"))
        .collect()
}

#[test]
fn bicep_variants_report_the_same_codes_and_levels_as_json() {
    let cfg = configs();
    for (extra, members) in groups(&bicep_codes(), &cfg) {
        let files: Vec<String> = members
            .iter()
            .flat_map(|c| {
                ["bad.json", "bad.bicep", "good.json", "good.bicep"].map(|f| format!("{c}/{f}"))
            })
            .collect();
        let run = lint_files(&files, "json", &extra, cfg.for_code(members[0]));
        let by_file = active_by_file(&run);
        let of = |f: String| by_file.get(&f).cloned().unwrap_or_default();
        for code in members {
            for case in ["bad", "good"] {
                // Same codes and levels, hence the same exit code (it is derived from the levels);
                // the order follows each file's layout.
                let mut json = of(format!("{code}/{case}.json"));
                // A registry module (`br:`) is a Bicep-only note (BICEP001); its JSON twin, a
                // remote templateLink, has no such note: both say CMK020.
                let mut bicep: Vec<_> = of(format!("{code}/{case}.bicep"))
                    .into_iter()
                    .filter(|(c, _)| c != "BICEP001")
                    .collect();
                json.sort();
                bicep.sort();
                assert_eq!(bicep, json, "{code}/{case}");
                assert_eq!(json.is_empty(), case == "good", "{code}/{case}");
            }
        }
    }
}

/// (code, line, column) of every finding of a report.
fn positions(run: &Run) -> Vec<(String, u64, u64)> {
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Issue 4: "Spans point at the offending property in the .bicep file". Each position is where
/// the fixture's one edit is (line:column of the value the rule objects to).
#[test]
fn bicep_findings_point_at_the_offending_property() {
    let cfg = configs();
    let expected = [
        ("CMK001", 71, 11), // name: 'Standard'
        ("CMK002", 38, 10), // kty: 'EC'
        ("CMK005", 89, 24), // keyIdentifier: 'https://…vault.azure.com…'
        ("CMK006", 88, 19), // identity: identity.properties.principalId
        ("CMK009", 13, 16), // the vault's type: it lacks enablePurgeProtection
        ("CMK012", 88, 19), // identity: identity.properties.clientId (behind the firewall)
        ("CMK016", 89, 24), // keyIdentifier in another vault
        ("CMK019", 46, 20), // the role assignment's type
    ];
    for (code, line, column) in expected {
        let config = cfg.for_code(code);
        let run = lint(
            &format!("{code}/bad.bicep"),
            "json",
            &extra_args(code, config),
            config,
        );
        assert!(
            positions(&run).contains(&(code.to_string(), line, column)),
            "{code}: {:?}",
            positions(&run)
        );
    }
}

#[test]
fn bicep_suppression_directives_hide_findings_but_sarif_keeps_them() {
    let cfg = configs();
    let file = "SUP001/directives.bicep";
    let run = lint(file, "json", &[], &cfg.empty);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let got: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["suppression_reason"].as_str().unwrap(),
            )
        })
        .collect();
    let next_line = "a later deployment upgrades the SKU before encryption is enabled";
    let block = "the key and identity are swapped in by the release pipeline";
    assert_eq!(
        got,
        [("CMK001", next_line), ("CMK006", block), ("CMK005", block)]
    );
    // Everything is suppressed: nothing fails the run.
    assert_eq!(run.exit, 0);

    let sarif: Value = serde_json::from_str(&lint(file, "sarif", &[], &cfg.empty).stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let kept: Vec<(&str, &str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap(),
                r["suppressions"][0]["kind"].as_str().unwrap(),
                r["suppressions"][0]["justification"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            ("CMK001", "inSource", next_line),
            ("CMK006", "inSource", block),
            ("CMK005", "inSource", block)
        ]
    );
}

/// The version changes with every release; the snapshots should not.
/// A registry moved to its system-assigned identity (`keyVaultProperties.identity: 'system'`,
/// what `az acr encryption rotate-key --identity [system]` sets): CMK006 without a baseline (a
/// registry cannot be created that way) and clean with the baseline that shows it exists with a
/// customer-managed key (issue 9 item 15), in ARM and Bicep alike.
#[test]
fn cmk006_accepts_the_system_identity_only_with_a_baseline_showing_the_registry() {
    let cfg = configs();
    let baseline = ["--baseline".to_string(), "CMK006/baseline".to_string()];
    for file in ["CMK006/moved.json", "CMK006/moved.bicep"] {
        let alone = lint(file, "json", &[], &cfg.empty);
        assert_eq!(
            active(&alone),
            [("CMK006".into(), "error".into())],
            "{file}"
        );
        assert_eq!(alone.exit, 1, "{file}");
        let doc: Value = serde_json::from_str(&alone.stdout).unwrap();
        let help = doc["findings"][0]["help"].as_str().unwrap();
        assert!(help.contains("--baseline"), "{file}: {help}");
        let moved = lint(file, "json", &baseline, &cfg.empty);
        assert_eq!(active(&moved), [], "{file}: {}", moved.stdout);
        assert_eq!(moved.exit, 0, "{file}");
    }
}

/// A registry moved to its system-assigned identity (`CMK007/system/`, linted with the
/// user-assigned deployment as baseline so that CMK006 is quiet): CMK007 checks that identity's
/// grant, whose principal is the registry's `identity.principalId`, in ARM and Bicep alike;
/// a grant to a principal the tool cannot tell is a CMK020 note, not a silent pass.
#[test]
fn cmk007_checks_the_grant_of_the_registry_s_system_identity() {
    let cfg = configs();
    for ext in ["json", "bicep"] {
        let baseline = ["--baseline".to_string(), format!("CMK007/good.{ext}")];
        // (case, the one finding's code and level, exit code)
        let expected = [
            ("granted", None, 0),
            ("missing", Some(("CMK007", "error")), 1),
            ("unknown", Some(("CMK020", "note")), 0),
        ];
        for (case, finding, exit) in expected {
            let file = format!("CMK007/system/{case}.{ext}");
            let run = lint(&file, "json", &baseline, &cfg.empty);
            let found = active(&run);
            let found: Vec<(&str, &str)> = found
                .iter()
                .map(|(c, l)| (c.as_str(), l.as_str()))
                .collect();
            assert_eq!(found, Vec::from_iter(finding), "{file}: {}", run.stdout);
            assert_eq!(run.exit, exit, "{file}");
        }
    }
}

fn redact_version(text: &str) -> String {
    text.replace(
        &format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"[version]\"",
    )
}

#[test]
fn bad_fixture_reports_match_the_snapshots() {
    let cfg = configs();
    let cases: Vec<(&str, &str)> = lint_rules()
        .iter()
        .flat_map(|m| ["human", "json", "sarif"].map(|format| (m.code, format)))
        .collect();
    // The runs are independent processes: start them from a few threads, compare in order.
    let outputs: Vec<String> = std::thread::scope(|s| {
        let cfg = &cfg;
        let chunks: Vec<_> = cases
            .chunks(cases.len().div_ceil(4))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(code, format)| {
                            let config = cfg.for_code(code);
                            let extra = extra_args(code, config);
                            lint(&bad_file(code), format, &extra, config).stdout
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        chunks.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    for ((code, format), stdout) in cases.iter().zip(outputs) {
        let name = format!("lint__fixture__{code}__{format}");
        let text = redact_version(&stdout);
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, text);
        });
    }
}

/// SPEC001 is reported by `validate` (specs are not lint inputs).
#[test]
fn spec_fixtures_through_validate() {
    let validate = |file: &str| {
        Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
            .current_dir(rules_dir())
            .env("NO_COLOR", "1")
            .args(["validate", file])
            .output()
            .unwrap()
    };
    let bad = validate("SPEC001/bad.toml");
    let text =
        String::from_utf8_lossy(&bad.stdout).to_string() + &String::from_utf8_lossy(&bad.stderr);
    assert!(text.contains("SPEC001"), "{text}");
    assert!(text.contains("unknown key `registry.nmae`"), "{text}");
    assert_eq!(bad.status.code(), Some(2));
    let good = validate("SPEC001/good.toml");
    assert_eq!(good.status.code(), Some(0), "{good:?}");
}

/// CFG001 is about `acr-cmk.toml`: every mistake of the file is reported with its code, the
/// run stops before linting (exit 2, nothing on stdout); a correct file is used.
#[test]
fn config_fixtures_through_lint() {
    let lint_with = |config: &str| {
        Command::new(env!("CARGO_BIN_EXE_acr-cmk"))
            .current_dir(rules_dir())
            .env("NO_COLOR", "1")
            .args(["lint", "CMK007/good.json", "--config", config])
            .output()
            .unwrap()
    };
    let bad = lint_with("CFG001/bad.toml");
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(
        stderr.matches("CFG001(invalid-config)").count(),
        2,
        "{stderr}"
    );
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("lint__fixture__CFG001__stderr", stderr);
    });
    let good = lint_with("CFG001/good.toml");
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
}
