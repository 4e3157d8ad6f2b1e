//! The lint driver: walking, pairing, configuration, suppressions.
//!
//! `run` discovers the files (`discover`), lints every unit in parallel (front end → rules →
//! suppressions → configured levels) and returns a [`Report`] in a deterministic order.

pub mod baseline;
pub mod config;
pub mod discover;
pub mod suppress;
pub mod walk;

use crate::model::Model;
use crate::placeholders::Placeholders;
use crate::read::Root;
use crate::report::{Problem, Report, UnitReport};
use crate::rules::{self, Ctx, RuleMeta};
use crate::unit::Unit;
use baseline::BaselineFile;
use config::Config;
use discover::{Detect, Excludes, Job, Lang};
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Resolved settings of one run.
#[derive(Debug)]
pub struct Settings {
    pub paths: Vec<PathBuf>,
    /// `--parameters`, applied to every template in order.
    pub parameters: Vec<PathBuf>,
    pub excludes: Excludes,
    pub config: Config,
    pub baseline: Option<PathBuf>,
    /// References (modules, imports, linked templates, paired files) are read only inside it.
    pub root: Root,
}

/// A front end's load function: (lint root, display name, path, text, parameter files,
/// placeholder patterns) → unit.
pub type Load = fn(&Root, &str, Option<&Path>, &str, &[(String, String)], &Placeholders) -> Unit;

/// The front ends the driver calls; tests substitute their own.
pub struct FrontEnds<'a> {
    pub detect: &'a Detect,
    pub arm: Load,
    pub bicep: Load,
}

impl FrontEnds<'static> {
    pub fn real() -> Self {
        FrontEnds {
            detect: &detect,
            arm: crate::arm::load_with,
            bicep: crate::bicep::load_with,
        }
    }
}

/// [`crate::arm::detect`] without its validating scan of the whole file when the document
/// starts with a deploymentTemplate `$schema` (as templates do): such a file is a template
/// whether it parses or not (a broken one mentions the schema, so it goes to the ARM front
/// end for its ARM000 either way), and the front end parses it anyway. Saves one pass over
/// every template.
fn detect(text: &str) -> crate::arm::JsonKind {
    let is_template = leading_schema(text)
        .is_some_and(|schema| schema.to_ascii_lowercase().contains("deploymenttemplate"));
    if is_template {
        crate::arm::JsonKind::Template
    } else {
        crate::arm::detect(text)
    }
}

/// The value of `$schema` when it is the first key of the top-level object, written plainly.
fn leading_schema(text: &str) -> Option<&str> {
    let t = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    let t = t.strip_prefix('{')?.trim_start();
    let t = t.strip_prefix("\"$schema\"")?.trim_start();
    let t = t.strip_prefix(':')?.trim_start();
    let t = t.strip_prefix('"')?;
    let end = t.find(['"', '\\'])?;
    (t.as_bytes()[end] == b'"').then(|| &t[..end])
}

/// Lint with the real front ends.
pub fn run(settings: &Settings) -> Report {
    run_with(settings, &FrontEnds::real())
}

/// Lint with the given front ends.
pub fn run_with(settings: &Settings, fe: &FrontEnds) -> Report {
    // Bicep modules are evaluated by every unit that uses them: parse each text once.
    let _parses = crate::bicep::syntax::share_parses();
    let plan = discover::discover(
        &settings.paths,
        &settings.excludes,
        &settings.parameters,
        fe.detect,
        &settings.root,
    );
    let mut problems = plan.problems;
    let mut units = Vec::new();
    let baselines = match settings.baseline.as_deref() {
        Some(path) => baseline::pair(
            fe,
            &settings.root,
            path,
            &settings.config.placeholders,
            &settings.paths,
            &plan.jobs,
            &mut problems,
            &mut units,
        ),
        None => vec![None; plan.jobs.len()],
    };
    // Largest files first, one job at a time per steal: a big template started last would
    // leave the other core idle at the end of the run. Reports keep the jobs' order.
    // Jobs are consumed so that each text is freed once linted.
    let templates_checked = plan.jobs.len();
    let mut jobs: Vec<(usize, JobWithBaseline)> =
        plan.jobs.into_iter().zip(baselines).enumerate().collect();
    jobs.sort_by_key(|(_, (job, _))| std::cmp::Reverse(job.text.len()));
    let mut linted: Vec<(usize, Result<Linted, Problem>)> = jobs
        .into_par_iter()
        .with_max_len(1)
        .map(|(i, (job, base))| {
            let linted = lint_job_guarded(fe, settings, &job, base.as_deref());
            (i, linted)
        })
        .collect();
    linted.sort_by_key(|(i, _)| *i);
    let mut code_uses = Vec::new();
    for (_, result) in linted {
        match result {
            Ok(linted) => {
                code_uses.push((units.len(), linted.code_uses));
                units.push(linted.unit);
            }
            Err(problem) => problems.push(problem),
        }
    }
    report_unused_suppressions(&mut units, code_uses, &settings.config);
    units.extend(plan.too_large.into_iter().map(too_large));
    units.extend(plan.unresolved.into_iter().map(unresolved_using));
    dedup(&mut units);
    // Checked: what discovery read, plus what the front ends followed (linked templates, local
    // Bicep modules).
    let mut checked = plan.checked;
    for unit in &units {
        checked.extend(unit.sources.files().iter().map(|f| f.name.clone()));
    }
    Report {
        units,
        problems,
        skipped: plan.skipped,
        files_checked: checked.len(),
        templates_checked,
    }
}

#[allow(clippy::too_many_arguments)] // the front-end signature, plus which one
fn load(
    fe: &FrontEnds,
    root: &Root,
    lang: Lang,
    display: &str,
    path: &Path,
    text: &str,
    params: &[(String, String)],
    placeholders: &Placeholders,
) -> Unit {
    match lang {
        Lang::Arm => (fe.arm)(root, display, Some(path), text, params, placeholders),
        Lang::Bicep => (fe.bicep)(root, display, Some(path), text, params, placeholders),
    }
}

/// A job and the baseline it is compared with (`--baseline`).
type JobWithBaseline = (Job, Option<Arc<BaselineFile>>);

/// One linted unit, and how its suppressions were used (decided over the whole run).
struct Linted {
    unit: UnitReport,
    code_uses: Vec<suppress::CodeUse>,
}

/// SUP003 for each suppressed code that hid nothing in any unit of the run. A file can be part
/// of several units (a Bicep module linted on its own and through the file that uses it, a
/// template linted with two `.bicepparam` files): its suppression is unused only if it hid
/// nothing in every one of them. Units without findings then keep only their file names.
fn report_unused_suppressions(
    units: &mut [UnitReport],
    code_uses: Vec<(usize, Vec<suppress::CodeUse>)>,
    config: &Config,
) {
    let key = |unit: &UnitReport, u: &suppress::CodeUse| {
        let file = unit.sources.get(u.loc.file).name.clone();
        (file, u.loc.start, u.loc.end, u.rule.code)
    };
    let used: HashSet<_> = code_uses
        .iter()
        .flat_map(|(i, uses)| uses.iter().filter(|u| u.used).map(|u| key(&units[*i], u)))
        .collect();
    let report = config.enabled(crate::rules::meta(suppress::UNUSED));
    for (i, uses) in code_uses {
        let unit = &mut units[i];
        let mut found: Vec<_> = uses
            .iter()
            .filter(|u| report && !used.contains(&key(unit, u)))
            .map(suppress::unused)
            .collect();
        config.apply_levels(&mut found);
        unit.findings.extend(found);
        if unit.findings.is_empty() {
            unit.sources = names_only(&unit.sources);
        }
    }
}

/// A `.bicepparam` whose `using` target does not exist: nothing to lint it with (exit 2), said
/// on the path.
fn unresolved_using(u: discover::Unresolved) -> UnitReport {
    let mut sources = crate::source::SourceMap::new();
    let file = sources.add(u.display.as_str(), u.text.as_str());
    let at = crate::source::Loc::new(file, u.span.start, u.span.end);
    let finding = match &u.refused {
        // Refused by the lint root: REF001, naming the path and showing nothing of its target.
        Some(why) => rules::unreadable_reference::finding(at, &u.written, why),
        None => crate::finding::Finding::new(
            rules::meta("BICEP000"),
            at,
            format!(
                "`using '{}'`: no such file",
                crate::quote::value(&u.written)
            ),
        )
        .label("no such file")
        .help("the path is relative to this .bicepparam file; fix it or add the .bicep file"),
    };
    UnitReport {
        primary: u.display,
        sources,
        findings: vec![finding],
        unparseable: u.refused.is_none(),
        incomplete: u.refused.is_some(),
    }
}

const LIMIT_EXCEEDED: &str = rules::limit_exceeded::LimitExceeded::META.code;

/// A file over the size limit, not read: a unit of its own with LIM001 at its first line.
fn too_large((name, bytes): (String, u64)) -> UnitReport {
    let mut sources = crate::source::SourceMap::new();
    let file = sources.add(name.as_str(), "");
    UnitReport {
        findings: vec![rules::limit_exceeded::file_too_large(
            file,
            bytes,
            discover::MAX_FILE_BYTES,
        )],
        primary: name,
        sources,
        unparseable: false,
        incomplete: true,
    }
}

/// A bug in a front end or a rule must not take the other files down with it: a panic while
/// linting one unit becomes a problem of that file (exit 2) and the run goes on.
fn lint_job_guarded(
    fe: &FrontEnds,
    settings: &Settings,
    job: &Job,
    baseline: Option<&BaselineFile>,
) -> Result<Linted, Problem> {
    let run = std::panic::AssertUnwindSafe(|| lint_job(fe, settings, job, baseline));
    std::panic::catch_unwind(run).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Problem {
            file: job.display.clone(),
            message: format!("internal error while linting (please report this bug): {what}"),
        }
    })
}

/// `infra/tests/e2e/../../main.bicep` → `infra/main.bicep`: a file reached through a module
/// path is named as it is when linted directly, so its findings group (and deduplicate) with
/// that file's. Lexical, like the display names discovery gives.
fn clean_names(sources: crate::source::SourceMap) -> crate::source::SourceMap {
    let unclean = |name: &str| name.contains("..") || name.contains("./");
    if !sources.files().iter().any(|f| unclean(&f.name)) {
        return sources;
    }
    let mut clean = crate::source::SourceMap::new();
    for f in sources.files() {
        clean.add(walk::clean_display(&f.name), f.text.clone());
    }
    clean
}

/// A unit without findings keeps only its file names (they count as checked): its texts are
/// only needed to render findings, and would otherwise stay in memory until the report is out.
fn names_only(sources: &crate::source::SourceMap) -> crate::source::SourceMap {
    let mut names = crate::source::SourceMap::new();
    for f in sources.files() {
        names.add(f.name.clone(), "");
    }
    names
}

/// Front end → rules → suppressions → configured levels. Findings about unused suppressions
/// come later, once every unit is linted ([`report_unused_suppressions`]).
fn lint_job(
    fe: &FrontEnds,
    settings: &Settings,
    job: &Job,
    baseline: Option<&BaselineFile>,
) -> Linted {
    let config = &settings.config;
    let mut unit = load(
        fe,
        &settings.root,
        job.lang,
        &job.display,
        &job.path,
        &job.text,
        &job.params,
        &config.placeholders,
    );
    let base: Option<Model> = match unit.unparseable {
        true => None,
        false => baseline.and_then(|b| {
            baseline::load_for(
                fe,
                &settings.root,
                b,
                job,
                &config.placeholders,
                &mut unit.sources,
            )
        }),
    };
    check(unit, &job.display, base.as_ref(), config)
}

/// Rules → suppressions → configured levels over a loaded unit: everything `lint` does to a
/// file after its front end (public so that the fuzz targets run the same path on bytes that
/// never touch the disk). Unused suppressions (SUP003) are judged over a whole run, so not here.
pub fn check_unit(
    unit: Unit,
    primary: &str,
    baseline: Option<&Model>,
    config: &Config,
) -> UnitReport {
    check(unit, primary, baseline, config).unit
}

fn check(mut unit: Unit, primary: &str, baseline: Option<&Model>, config: &Config) -> Linted {
    unit.sources = clean_names(std::mem::take(&mut unit.sources));
    let mut findings = unit.findings;
    let mut code_uses = Vec::new();
    if !unit.unparseable {
        let ctx = Ctx::new(&unit.model)
            .baseline(baseline)
            .scope(config.resource_scope());
        let enabled = |m: &RuleMeta| config.enabled(m);
        findings.extend(rules::run(&ctx, &enabled));
        code_uses = suppress::code_uses(&unit.model, &findings, &enabled);
        suppress::apply(&unit.model, &mut findings);
        let unexplained = suppress::without_reason(&unit.model, &findings);
        findings.extend(unexplained);
        findings.extend(suppress::unknown_codes(&unit.model));
    }
    config.apply_levels(&mut findings);
    // After the levels and suppressions: a file cut short by a limit is never silenced.
    findings.extend(rules::limit_exceeded::findings(&unit.limits_hit));
    let incomplete = unit.incomplete || findings.iter().any(|f| f.code == LIMIT_EXCEEDED);
    // The texts stay while a suppression of the unit may still be reported as unused.
    if findings.is_empty() && code_uses.iter().all(|u| u.used) {
        unit.sources = names_only(&unit.sources);
    }
    Linted {
        unit: UnitReport {
            primary: primary.to_string(),
            sources: unit.sources,
            findings,
            unparseable: unit.unparseable,
            incomplete,
        },
        code_uses,
    }
}

/// A file shared by several units (a `--parameters` file, a Bicep file linted with two
/// `.bicepparam` files) would report the same finding once per unit: keep the first.
fn dedup(units: &mut [UnitReport]) {
    let mut seen = HashSet::new();
    for unit in units.iter_mut() {
        let sources = &unit.sources;
        let primary = &unit.primary;
        unit.findings.retain(|f| {
            let file = if (f.loc.file as usize) < sources.len() {
                sources.get(f.loc.file).name.clone()
            } else {
                primary.clone()
            };
            seen.insert((file, f.loc.start, f.loc.end, f.code, f.message.clone()))
        });
    }
}

/// Write `text` to `path` atomically: a temporary file beside it, then a rename, so a reader
/// (or a failed run) never sees half a report.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    // A report is an ordinary file (tempfile would make it private to the owner); an
    // existing file keeps its permissions.
    #[cfg(unix)]
    let permissions = match std::fs::metadata(path) {
        Ok(m) => m.permissions(),
        Err(_) => std::os::unix::fs::PermissionsExt::from_mode(0o644),
    };
    #[cfg(unix)]
    builder.permissions(permissions);
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::JsonKind;

    #[test]
    fn fast_detect_agrees_with_the_full_scan() {
        let cases = [
            "\u{feff} {\n \"$schema\" : \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"resources\": []}",
            "{\"$schema\": \"https://x/deploymentParameters.json#\", \"parameters\": {}}",
            "{\"resources\": [], \"$schema\": \"https://x/deploymentTemplate.json#\"}",
            "{\"$schema\": \"https://json-schema.org/draft-07/schema#\"}",
            "// comment\n{\"$schema\": \"https://x/deploymentTemplate.json#\"}",
            "{\"$schema\": \"a\\\"b\"}",
            "[1, 2]",
            "",
        ];
        for text in cases {
            assert_eq!(detect(text), crate::arm::detect(text), "{text}");
        }
    }

    #[test]
    fn a_broken_template_is_still_a_template() {
        // The full scan says Unparseable; discovery sends such a file (it mentions the schema)
        // to the ARM front end either way, for its ARM000.
        let text = "{\"$schema\": \"https://x/deploymentTemplate.json#\", \"resources\": [}";
        assert_eq!(detect(text), JsonKind::Template);
        assert_eq!(crate::arm::detect(text), JsonKind::Unparseable);
    }
}
