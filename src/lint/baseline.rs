//! `--baseline`: the previously deployed version of each linted template, for the rules that
//! compare (CMK010, CMK026, CMK027).
//!
//! Each template is compared with its own baseline, never with every template of the run:
//! - `--baseline DIR`: the file at the same path relative to the linted directory (or, for a
//!   template named on the command line, the file of the same name in DIR). A template without
//!   a counterpart is new: nothing to compare.
//! - `--baseline FILE`: the one template of the run, or else the templates of the same file
//!   name. A file baseline that matches no template is a problem of the run (exit 2): the
//!   comparison the user asked for would silently not happen.
//!
//! The baseline is loaded per template with that template's parameter files (when it is of the
//! same language), so names that come from parameters resolve the same way on both sides and
//! registries match by their canonical id. A baseline with a parameters file of its own beside
//! it (`X.parameters.json` for `X.json`, `X.bicepparam` for `X.bicep`, as `acr-cmk build` writes
//! them) is loaded with that file in place of the template's file of that kind: those are the
//! values that were deployed, and a value that lives only in the parameters (the key id
//! `kek_id`, CMK027) would otherwise read the same on both sides. Other parameter files (`-p`,
//! a `prod.bicepparam`) apply to both sides alike.
//! Its sources are appended to the template's source map, so a finding can point into the
//! baseline file.

use super::discover::{self, Job, Lang};
use super::{FrontEnds, load};
use crate::model::Model;
use crate::placeholders::Placeholders;
use crate::read::Root;
use crate::report::{Problem, UnitReport};
use crate::source::SourceMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A baseline file, read once.
#[derive(Debug)]
pub struct BaselineFile {
    pub display: String,
    pub path: PathBuf,
    pub text: String,
    pub lang: Lang,
    /// The baseline's own parameters file (display name, text), when one is beside it.
    pub params: Option<(String, String)>,
}

fn lang_of(path: &Path) -> Lang {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("bicep") => Lang::Bicep,
        _ => Lang::Arm,
    }
}

/// Read and parse-check one baseline file. An unreadable file is a problem; an unparseable one
/// reports its parse errors (exit 2). Either way it is not used.
fn open(
    fe: &FrontEnds,
    root: &Root,
    path: &Path,
    placeholders: &Placeholders,
    problems: &mut Vec<Problem>,
    units: &mut Vec<UnitReport>,
) -> Option<Arc<BaselineFile>> {
    let display = discover::display(path);
    let text = match discover::read_text(path) {
        Ok(t) => t,
        Err(message) => {
            problems.push(Problem {
                file: display,
                message: format!("baseline: {message}"),
            });
            return None;
        }
    };
    let lang = lang_of(path);
    let unit = load(fe, root, lang, &display, path, &text, &[], placeholders);
    if unit.unparseable {
        units.push(UnitReport {
            primary: display,
            sources: unit.sources,
            findings: unit.findings,
            unparseable: true,
            incomplete: unit.incomplete,
        });
        return None;
    }
    let params = own_parameters(lang, path, problems);
    Some(Arc::new(BaselineFile {
        display,
        path: path.to_path_buf(),
        text,
        lang,
        params,
    }))
}

/// Where a template's own parameters file sits: `X.parameters.json(c)` beside `X.json`,
/// `X.bicepparam` beside `X.bicep`.
fn sibling_parameters(lang: Lang, template: &Path) -> Vec<PathBuf> {
    match lang {
        Lang::Arm => discover::arm_param_siblings(template),
        Lang::Bicep => vec![template.with_extension("bicepparam")],
    }
}

/// The parameters file beside a baseline ([`sibling_parameters`]), read. One that exists but
/// cannot be read is a problem of the run: the baseline would otherwise be compared with the
/// template's values in silence.
fn own_parameters(
    lang: Lang,
    template: &Path,
    problems: &mut Vec<Problem>,
) -> Option<(String, String)> {
    let path = sibling_parameters(lang, template)
        .into_iter()
        .find(|p| p.is_file())?;
    let display = discover::display(&path);
    match discover::read_text(&path) {
        Ok(text) => Some((display, text)),
        Err(message) => {
            problems.push(Problem {
                file: display,
                message: format!("baseline: {message}"),
            });
            None
        }
    }
}

/// The baseline of each job (same order as `jobs`).
#[allow(clippy::too_many_arguments)] // what pairing needs, and where its problems go
pub fn pair(
    fe: &FrontEnds,
    root: &Root,
    baseline: &Path,
    placeholders: &Placeholders,
    roots: &[PathBuf],
    jobs: &[Job],
    problems: &mut Vec<Problem>,
    units: &mut Vec<UnitReport>,
) -> Vec<Option<Arc<BaselineFile>>> {
    if baseline.is_dir() {
        let mut opened: HashMap<PathBuf, Option<Arc<BaselineFile>>> = HashMap::new();
        return jobs
            .iter()
            .map(|job| {
                let candidate = counterpart(baseline, roots, &job.path)?;
                if !candidate.is_file() {
                    return None;
                }
                opened
                    .entry(candidate.clone())
                    .or_insert_with(|| open(fe, root, &candidate, placeholders, problems, units))
                    .clone()
            })
            .collect();
    }
    let Some(file) = open(fe, root, baseline, placeholders, problems, units) else {
        return vec![None; jobs.len()];
    };
    let paired: Vec<bool> = if jobs.len() == 1 {
        vec![true]
    } else {
        jobs.iter()
            .map(|job| job.path.file_name() == baseline.file_name())
            .collect()
    };
    if !jobs.is_empty() && !paired.contains(&true) {
        problems.push(Problem {
            file: file.display.clone(),
            message: format!(
                "baseline: matches none of the {} linted templates (a baseline file pairs with the one template linted, or with templates of the same file name; pass a directory laid out like the linted one to compare several)",
                jobs.len()
            ),
        });
    }
    paired
        .into_iter()
        .map(|p| p.then(|| file.clone()))
        .collect()
}

/// Where a template's previous version sits in a baseline directory.
fn counterpart(baseline: &Path, roots: &[PathBuf], template: &Path) -> Option<PathBuf> {
    for root in roots {
        if root == template {
            return Some(baseline.join(template.file_name()?));
        }
        if let Ok(rel) = template.strip_prefix(root)
            && !rel.as_os_str().is_empty()
        {
            return Some(baseline.join(rel));
        }
    }
    Some(baseline.join(template.file_name()?))
}

/// Load a job's baseline with the job's parameter files, its locations moved past the
/// template's `sources`, to which its files are appended.
pub fn load_for(
    fe: &FrontEnds,
    root: &Root,
    file: &BaselineFile,
    job: &Job,
    placeholders: &Placeholders,
    sources: &mut SourceMap,
) -> Option<Model> {
    let params: Vec<(String, String)> = match (&file.params, file.lang == job.lang) {
        (_, false) => Vec::new(),
        (None, true) => job.params.clone(),
        // The baseline's own parameters replace the template's sibling file; parameters given
        // on the command line (`-p`) still apply, after it.
        (Some(own), true) => {
            let sibling: Vec<String> = sibling_parameters(job.lang, &job.path)
                .iter()
                .map(|p| discover::display(p))
                .collect();
            std::iter::once(own.clone())
                .chain(
                    job.params
                        .iter()
                        .filter(|(name, _)| !sibling.contains(name))
                        .cloned(),
                )
                .collect()
        }
    };
    let unit = load(
        fe,
        root,
        file.lang,
        &file.display,
        &file.path,
        &file.text,
        &params,
        placeholders,
    );
    if unit.unparseable {
        return None;
    }
    let mut model = unit.model;
    model.move_files(sources.len() as crate::source::FileId);
    for f in unit.sources.files() {
        sources.add(f.name.clone(), f.text.clone());
    }
    Some(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_finds_its_counterpart_by_relative_path() {
        let roots = [PathBuf::from("infra"), PathBuf::from("one/main.json")];
        let base = Path::new("/old");
        assert_eq!(
            counterpart(base, &roots, Path::new("infra/app/main.json")),
            Some(PathBuf::from("/old/app/main.json"))
        );
        assert_eq!(
            counterpart(base, &roots, Path::new("one/main.json")),
            Some(PathBuf::from("/old/main.json"))
        );
    }
}
