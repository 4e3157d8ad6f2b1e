//! Report writers: human (miette), JSON, SARIF.
//!
//! The lint driver builds one [`Report`]; each writer turns it into text. Writers never touch the
//! file system, so they are tested with synthetic findings and a [`SourceMap`].

pub mod excerpt;
pub mod human;
pub mod json;
pub mod sarif;

use crate::exit::Exit;
use crate::finding::{Finding, Level};
use crate::source::{Loc, SourceMap};
use std::collections::BTreeSet;

/// The project's home page, used as SARIF `informationUri` and as the base of rule help URIs.
pub const PROJECT_URL: &str = if env!("CARGO_PKG_REPOSITORY").is_empty() {
    "https://github.com/acr-cmk/acr-cmk"
} else {
    env!("CARGO_PKG_REPOSITORY")
};

/// Help URI of one rule: its section in the README's rule catalogue.
pub fn help_uri(code: &str) -> String {
    format!("{PROJECT_URL}#{}", code.to_ascii_lowercase())
}

/// The findings of one unit (a template with its parameter files, a Bicep file with its params).
#[derive(Debug, Default)]
pub struct UnitReport {
    /// Display name of the unit's primary file (used when a finding has no source location).
    pub primary: String,
    pub sources: SourceMap,
    /// Sorted by file and position; suppressed findings included (`suppressed` is set).
    pub findings: Vec<Finding>,
    /// The primary file could not be parsed: the run exits 2.
    pub unparseable: bool,
    /// Part of what the unit deploys could not be read (a refused reference, REF001) or a
    /// limit of the resource policy cut the check short (LIM001): the run exits 2, whatever the
    /// findings' levels.
    pub incomplete: bool,
}

/// A file that could not be linted (unreadable, invalid UTF-8, vanished, missing on the command line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub message: String,
}

/// A file that was looked at and deliberately not linted (listed with `--verbose`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

/// Everything one `lint` run found.
#[derive(Debug, Default)]
pub struct Report {
    pub units: Vec<UnitReport>,
    pub problems: Vec<Problem>,
    pub skipped: Vec<Skipped>,
    /// Files read and checked: templates, Bicep files and the parameter files applied to them.
    pub files_checked: usize,
    /// Templates and Bicep files linted (one per unit; parameter files and modules not
    /// counted). Zero means the run checked nothing, which the command says on stderr.
    pub templates_checked: usize,
}

/// Counts of the summary line. Suppressed findings are counted apart and never in the levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub suppressed: usize,
    /// Files with at least one finding that is not suppressed.
    pub files_with_findings: usize,
    pub files_checked: usize,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Summary {
    /// `4 files checked, 1 with findings: 2 errors, 1 warning, 0 notes`, or `4 files checked:
    /// no findings`; `(3 suppressed)` when findings were suppressed in source. English plurals:
    /// the singular for exactly 1, the plural for 0 and 2+ ("1 error", "0 errors").
    pub fn line(&self) -> String {
        let checked = format!("{} checked", plural(self.files_checked, "file", "files"));
        let suppressed = if self.suppressed > 0 {
            format!(" ({} suppressed)", self.suppressed)
        } else {
            String::new()
        };
        if self.errors + self.warnings + self.notes == 0 {
            return format!("{checked}: no findings{suppressed}");
        }
        format!(
            "{checked}, {} with findings: {}, {}, {}{suppressed}",
            self.files_with_findings,
            plural(self.errors, "error", "errors"),
            plural(self.warnings, "warning", "warnings"),
            plural(self.notes, "note", "notes"),
        )
    }
}

/// A finding with the unit it belongs to (for its source map).
#[derive(Clone, Copy)]
pub struct Located<'a> {
    pub unit: &'a UnitReport,
    pub finding: &'a Finding,
}

/// Position of a location, 1-based, columns in characters; the end is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl<'a> Located<'a> {
    /// Display name of the file the finding is in.
    pub fn file(&self) -> &'a str {
        file_name(self.unit, self.finding.loc)
    }
    pub fn span(&self) -> Span {
        span_of(self.unit, self.finding.loc)
    }
}

/// Display name of the file of a location (the unit's primary file when the location is unknown).
pub fn file_name(unit: &UnitReport, loc: Loc) -> &str {
    if (loc.file as usize) < unit.sources.len() {
        &unit.sources.get(loc.file).name
    } else {
        &unit.primary
    }
}

/// Line/column of a location; 1:1 when the location is unknown.
pub fn span_of(unit: &UnitReport, loc: Loc) -> Span {
    if (loc.file as usize) >= unit.sources.len() {
        return Span {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
        };
    }
    let file = unit.sources.get(loc.file);
    let (line, column) = file.line_col(loc.start as usize);
    let (end_line, end_column) = file.line_col((loc.end as usize).max(loc.start as usize));
    Span {
        line,
        column,
        end_line,
        end_column,
    }
}

impl Report {
    /// Every finding (suppressed ones included) ordered by file, position and code, so the
    /// output is grouped by file whatever order the units were linted in.
    pub fn findings(&self) -> Vec<Located<'_>> {
        let mut all: Vec<(Located<'_>, Span)> = self
            .units
            .iter()
            .flat_map(|unit| {
                unit.findings
                    .iter()
                    .map(move |finding| Located { unit, finding })
            })
            .map(|l| (l, l.span()))
            .collect();
        all.sort_by(|(a, sa), (b, sb)| {
            a.file()
                .cmp(b.file())
                .then((sa.line, sa.column).cmp(&(sb.line, sb.column)))
                .then(a.finding.code.cmp(b.finding.code))
                .then(a.finding.message.cmp(&b.finding.message))
        });
        all.into_iter().map(|(l, _)| l).collect()
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            files_checked: self.files_checked,
            ..Summary::default()
        };
        let mut files = BTreeSet::new();
        for l in self.findings() {
            if l.finding.suppressed.is_some() {
                s.suppressed += 1;
                continue;
            }
            match l.finding.level {
                Level::Error => s.errors += 1,
                Level::Warning => s.warnings += 1,
                Level::Note => s.notes += 1,
            }
            files.insert(l.file());
        }
        s.files_with_findings = files.len();
        s
    }

    /// Exit status: 2 for any problem, unparseable input or input that could not be read
    /// whole or was cut short by a limit, else 1 when a finding that is not suppressed is at or
    /// above `fail_on`, else 0.
    pub fn exit(&self, fail_on: Level) -> Exit {
        if !self.problems.is_empty() || self.units.iter().any(|u| u.unparseable || u.incomplete) {
            return Exit::Error;
        }
        let failing = self
            .units
            .iter()
            .flat_map(|u| &u.findings)
            .any(|f| f.suppressed.is_none() && f.level >= fail_on);
        if failing { Exit::Findings } else { Exit::Ok }
    }
}

/// Output formats of `lint` (also the `--format` values of the command line).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

/// Render a report in one format. `verbose` (human only) also lists skipped files and
/// suppressed findings; JSON and SARIF always carry everything.
pub fn render(report: &Report, format: Format, style: human::Style, verbose: bool) -> String {
    match format {
        Format::Human => human::render_report(report, style, verbose),
        Format::Json => json::to_string(report),
        Format::Sarif => sarif::to_string(report),
    }
}
