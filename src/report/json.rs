//! `--format json`: the stable, documented report schema (`schemas/report.schema.json`).
//!
//! Bump [`VERSION`] on any change that could break a consumer (a removed or renamed field, a
//! changed meaning); adding a field is not a breaking change.

use super::{Report, Span, UnitReport, file_name, span_of};
use crate::finding::Level;
use crate::quote;
use serde::Serialize;
use std::borrow::Cow;

/// Version of the JSON report schema.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonProblem<'a>>,
    skipped: Vec<JsonSkipped<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    pointer: &'a str,
    code: &'a str,
    rule: &'a str,
    level: Level,
    message: Cow<'a, str>,
    help: Option<Cow<'a, str>>,
    suppressed: bool,
    suppression_reason: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: Cow<'a, str>,
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    file: &'a str,
    message: Cow<'a, str>,
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    file: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
    notes: usize,
    suppressed: usize,
    files_with_findings: usize,
    files_checked: usize,
}

fn related<'a>(unit: &'a UnitReport, label: &'a crate::finding::Label) -> JsonRelated<'a> {
    let Span {
        line,
        column,
        end_line,
        end_column,
    } = span_of(unit, label.loc);
    JsonRelated {
        file: file_name(unit, label.loc),
        line,
        column,
        end_line,
        end_column,
        message: quote::message(&label.message),
    }
}

/// The report as pretty-printed JSON (ends with a newline).
pub fn to_string(report: &Report) -> String {
    let findings = report
        .findings()
        .into_iter()
        .map(|l| {
            let f = l.finding;
            let span = l.span();
            JsonFinding {
                file: l.file(),
                line: span.line,
                column: span.column,
                end_line: span.end_line,
                end_column: span.end_column,
                pointer: &f.pointer,
                code: f.code,
                rule: f.rule,
                level: f.level,
                message: quote::message(&f.message),
                help: f.help.as_deref().map(quote::message),
                suppressed: f.suppressed.is_some(),
                suppression_reason: f.suppressed.as_deref().filter(|r| !r.is_empty()),
                related: f.related.iter().map(|r| related(l.unit, r)).collect(),
            }
        })
        .collect();
    let s = report.summary();
    let doc = JsonReport {
        version: VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        findings,
        errors: report
            .problems
            .iter()
            .map(|p| JsonProblem {
                file: &p.file,
                message: quote::message(&p.message),
            })
            .collect(),
        skipped: report
            .skipped
            .iter()
            .map(|s| JsonSkipped {
                file: &s.file,
                reason: &s.reason,
            })
            .collect(),
        summary: JsonSummary {
            errors: s.errors,
            warnings: s.warnings,
            notes: s.notes,
            suppressed: s.suppressed,
            files_with_findings: s.files_with_findings,
            files_checked: s.files_checked,
        },
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("report serializes");
    out.push('\n');
    out
}
