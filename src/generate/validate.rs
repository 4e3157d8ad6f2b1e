//! Validation of a generated set, and the whole spec → files pipeline ([`compile`]).
//!
//! What is generated is checked like any template a user wrote: the ARM front end (which checks
//! both files against the official template and parameters schemas, SCH002) and the whole rule
//! engine over every resource, whatever `check-resources` a lint would use. A generated
//! template must be clean, so an error there is a generator bug: it is reported, located in the
//! generated file, and the run exits 2. Warnings and notes (e.g. a rule that points out the RBAC propagation
//! delay) are printed but do not fail the build.

use super::{Generated, PARAMETERS_FILE, TEMPLATE_FILE, generate};
use crate::exit::Exit;
use crate::finding::{Finding, Level};
use crate::model::Model;
use crate::report::human::{Style, render_all, render_short};
use crate::rules::{self, Ctx, ResourceScope, Rule, meta};
use crate::source::{Loc, SourceMap};

/// Findings and the sources they point into.
#[derive(Debug, Default)]
pub struct Problems {
    pub sources: SourceMap,
    pub findings: Vec<Finding>,
}

impl Problems {
    fn render(&self, style: Style, keep: impl Fn(&Finding) -> bool) -> String {
        let shown: Vec<Finding> = self.findings.iter().filter(|f| keep(f)).cloned().collect();
        render_all(&shown, &self.sources, style)
    }
}

/// The outcome of checking one generated set.
#[derive(Debug, Default)]
pub struct Validation {
    /// Generated JSON that does not even parse (always a generator bug).
    pub schema: Problems,
    /// Load findings and rule findings from the ARM front end and the rule engine.
    pub rules: Problems,
}

impl Validation {
    /// Does the set contain a generator bug?
    pub fn has_errors(&self) -> bool {
        !self.schema.findings.is_empty()
            || self.rules.findings.iter().any(|f| f.level == Level::Error)
    }
    /// Generator bugs in full (with the generated text around them); advice about the deployment
    /// the spec asks for (warnings such as the RBAC propagation delay) in short form.
    pub fn render(&self, style: Style) -> String {
        let advice: String = self
            .rules
            .findings
            .iter()
            .filter(|f| f.level == Level::Warning)
            .map(|f| render_short(f, &self.rules.sources))
            .collect();
        let mut parts = vec![
            self.schema.render(style, |_| true),
            self.rules.render(style, |f| f.level == Level::Error),
            advice,
        ];
        parts.retain(|p| !p.is_empty());
        parts.join("\n")
    }
}

/// Check a generated set. `dir` prefixes the file names in diagnostics.
pub fn validate(generated: &Generated, dir: &str) -> Validation {
    let name = |f: &str| {
        if dir.is_empty() {
            f.to_string()
        } else {
            format!("{}/{f}", dir.trim_end_matches('/'))
        }
    };
    let template_text = generated.get(TEMPLATE_FILE).unwrap_or_default();
    let params_text = generated.get(PARAMETERS_FILE).unwrap_or_default();
    let mut v = Validation::default();
    let t_id = v.schema.sources.add(name(TEMPLATE_FILE), template_text);
    v.schema.sources.add(name(PARAMETERS_FILE), params_text);
    let parses = |t: &str| serde_json::from_str::<serde_json::Value>(t).is_ok();
    if !(parses(template_text) && parses(params_text)) {
        v.schema.findings.push(Finding::new(
            meta("ARM000"),
            Loc::new(t_id, 0, 0),
            "generated JSON does not parse (generator bug)",
        ));
        return v;
    }
    // The front end checks both files against the official template and parameters schemas
    // (SCH002); the catalogue then checks every resource, whatever `check-resources` says.
    let unit = crate::arm::load(
        &name(TEMPLATE_FILE),
        None,
        template_text,
        &[(name(PARAMETERS_FILE), params_text.to_string())],
    );
    let mut findings = unit.findings;
    findings.extend(crate::rules::limit_exceeded::findings(&unit.limits_hit));
    if !unit.unparseable {
        let ctx = Ctx::new(&unit.model).scope(ResourceScope::All);
        findings.extend(rules::run(&ctx, &|m| m.default_enabled));
    }
    v.rules = Problems {
        sources: unit.sources,
        findings,
    };
    v
}

/// What compiling one spec produced.
#[derive(Debug)]
pub struct Compiled {
    /// `Ok`, `Findings` (rule violations in the spec) or `Error` (unparseable spec, generator bug).
    pub exit: Exit,
    /// Present only when the spec is clean and every file was generated and validated.
    pub generated: Option<Generated>,
    /// Rendered diagnostics for stderr (empty when there is nothing to say).
    pub diagnostics: String,
}

/// The template a previous build left in the output directory: presumably what is deployed.
#[derive(Debug)]
pub struct PreviousBuild {
    pub sources: SourceMap,
    pub model: Model,
}

impl PreviousBuild {
    /// Load a previous build's `CMKtemplate.json` (name, text) with its parameters file when
    /// there is one; `Err` says why it cannot be compared with (after the file's name).
    pub fn load(
        template: (&str, &str),
        parameters: Option<(&str, &str)>,
    ) -> Result<PreviousBuild, String> {
        let params: Vec<(String, String)> = parameters
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .into_iter()
            .collect();
        let unit = crate::arm::load(template.0, None, template.1, &params);
        if unit.unparseable {
            return Err("does not parse as a template".into());
        }
        Ok(PreviousBuild {
            sources: unit.sources,
            model: unit.model,
        })
    }
}

/// The pipeline: parse the spec, run the rule catalogue on the deployment it describes (the
/// spec front end, located in the TOML), generate, validate the generated set. `display`
/// names the spec in diagnostics, `out_display` the directory of generated files.
///
/// A rule error in the spec is the user's to fix (exit 1, nothing generated); the spec's
/// warnings are advice about the deployment it asks for and are shown briefly, located in the
/// spec. The generated set must then be clean: an error there is a generator bug (exit 2), and
/// a warning already given on the spec is not repeated from the generated file.
pub fn compile(display: &str, text: &str, out_display: &str, style: Style) -> Compiled {
    compile_against(display, text, out_display, style, None)
}

/// [`compile`], comparing the key version the spec pins with the previous build's (CMK027).
///
/// Only CMK027 gets the previous build as its baseline, not the whole catalogue as with `lint
/// --baseline`: a build stops on a spec's errors, and the previous output is only presumably
/// what is deployed (it may be stale, or never deployed), so a baseline error such as CMK026
/// (encryption identity removed) would block a build on a guess; after `acr-cmk rotate
/// --identity` it would even be wrong, the key having moved to the new identity outside the
/// template. CMK010 cannot fire on generated templates, which always enable encryption. `lint
/// --baseline` stays the full comparison with a template known to be deployed.
pub fn compile_against(
    display: &str,
    text: &str,
    out_display: &str,
    style: Style,
    previous: Option<PreviousBuild>,
) -> Compiled {
    let loaded = crate::spec::load(display, text);
    let fail = |exit, diagnostics| Compiled {
        exit,
        generated: None,
        diagnostics,
    };
    let Some(spec) = loaded.spec else {
        return fail(
            Exit::Error,
            render_all(&loaded.findings, &loaded.sources, style),
        );
    };
    let model = crate::spec::model::model(&spec);
    let mut sources = loaded.sources;
    let ctx = Ctx::new(&model).scope(ResourceScope::All);
    let rollback = &rules::key_version_rollback::KeyVersionRollback;
    let compared = rollback.meta().code;
    let mut findings = rules::run(&ctx, &|m| {
        m.default_enabled && (previous.is_none() || m.code != compared)
    });
    if let Some(mut previous) = previous {
        previous
            .model
            .move_files(sources.len() as crate::source::FileId);
        for f in previous.sources.files() {
            sources.add(f.name.clone(), f.text.clone());
        }
        let ctx = Ctx::new(&model)
            .scope(ResourceScope::All)
            .baseline(Some(&previous.model));
        rules::check(rollback, &ctx, &mut findings);
    }
    if findings.iter().any(|f| f.level == Level::Error) {
        return fail(Exit::Findings, render_all(&findings, &sources, style));
    }
    let advice: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.level == Level::Warning)
        .collect();
    let generated = match generate(&spec) {
        Ok(g) => g,
        Err(e) => return fail(Exit::Error, format!("error: generator bug: {e}\n")),
    };
    let mut validation = validate(&generated, out_display);
    validation
        .rules
        .findings
        .retain(|f| f.level == Level::Error || !advice.iter().any(|a| a.code == f.code));
    let mut diagnostics: String = advice.iter().map(|f| render_short(f, &sources)).collect();
    diagnostics.push_str(&validation.render(style));
    if validation.has_errors() {
        return fail(
            Exit::Error,
            format!(
                "{diagnostics}error: the generated template for {display} is invalid: this is a bug in acr-cmk\n"
            ),
        );
    }
    Compiled {
        exit: Exit::Ok,
        generated: Some(generated),
        diagnostics,
    }
}

#[cfg(test)]
mod generated_set_tests {
    use super::*;
    use crate::generate::File;

    #[test]
    fn unparseable_generated_json_is_a_generator_bug() {
        let g = Generated {
            files: vec![
                File {
                    name: TEMPLATE_FILE,
                    text: "{ not json".into(),
                },
                File {
                    name: PARAMETERS_FILE,
                    text: "{}".into(),
                },
            ],
        };
        let v = validate(&g, "out");
        assert!(v.has_errors());
        assert!(v.render(Style::plain()).contains("generator bug"));
    }

    #[test]
    fn a_generated_file_that_breaks_the_official_schema_is_a_generator_bug() {
        let g = Generated {
            files: vec![
                File {
                    name: TEMPLATE_FILE,
                    text: r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                              "contentVersion": "1.0.0.0", "resources": [], "outputz": {}}"#
                        .into(),
                },
                File {
                    name: PARAMETERS_FILE,
                    text: r#"{"$schema": "x", "contentVersion": "1.0.0.0", "parameters": {"a": {"values": 1}}}"#
                        .into(),
                },
            ],
        };
        let v = validate(&g, "out");
        assert!(v.has_errors());
        let codes: Vec<_> = v
            .rules
            .findings
            .iter()
            .map(|f| (f.code, f.pointer.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("SCH002", "/outputz"),
                ("SCH002", "/parameters/a/values"),
                ("SCH002", "/parameters/a")
            ],
            "{}",
            v.render(Style::plain())
        );
    }

    #[test]
    fn a_clean_spec_compiles_and_a_rule_violation_does_not() {
        let spec = "[registry]\nname = \"contosoregistry\"\n[identity]\nname = \"id-x\"\n[vault]\nname = \"kv-contoso\"\n[key]\nname = \"acr-cmk\"\n";
        let c = compile("s.toml", spec, "out", Style::plain());
        assert_eq!(c.exit, Exit::Ok, "{}", c.diagnostics);
        assert!(c.generated.is_some());
        let bad = spec.replace("[identity]", "content_trust = true\n[identity]");
        let c = compile("s.toml", &bad, "out", Style::plain());
        assert_eq!(c.exit, Exit::Findings);
        assert!(c.generated.is_none() && c.diagnostics.contains("CMK003"));
    }

    #[test]
    fn zone_redundancy_is_left_out_for_api_versions_without_it() {
        let spec = "[registry]\nname = \"contosoregistry\"\n[identity]\nname = \"id-x\"\n[vault]\nname = \"kv-contoso\"\n[key]\nname = \"acr-cmk\"\n[deployment]\napi_version = \"2019-12-01-preview\"\n";
        let c = compile("s.toml", spec, "out", Style::plain());
        let g = c.generated.expect("an old API with encryption builds");
        assert!(
            !g.get(crate::generate::TEMPLATE_FILE)
                .unwrap()
                .contains("zoneRedundancy")
        );
        assert!(
            !g.get(crate::generate::BICEP_FILE)
                .unwrap()
                .contains("zoneRedundancy")
        );
        let asked = spec.replace("[identity]", "zone_redundancy = \"Enabled\"\n[identity]");
        let c = compile("s.toml", &asked, "out", Style::plain());
        assert_eq!(c.exit, Exit::Error);
        assert!(
            c.diagnostics.contains("2020-11-01-preview"),
            "{}",
            c.diagnostics
        );
    }
}
