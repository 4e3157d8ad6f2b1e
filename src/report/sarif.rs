//! `--format sarif`: SARIF 2.1.0 for code scanning, as plain serde structs.
//!
//! Columns are counted in Unicode code points (`columnKind: unicodeCodePoints`), the same as the
//! human and JSON output; SARIF's default would be UTF-16 code units.

use super::{Located, Report, UnitReport, file_name, help_uri, span_of};
use crate::finding::{Finding, Level};
use crate::quote;
use crate::rules::catalog;
use serde::Serialize;
use std::collections::BTreeMap;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    artifacts: Vec<Artifact>,
    results: Vec<SarifResult>,
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: String,
    name: String,
    short_description: Message,
    full_description: MultiformatMessage,
    help: MultiformatMessage,
    help_uri: String,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Configuration {
    level: &'static str,
    enabled: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
}

#[derive(Serialize)]
struct Artifact {
    location: ArtifactLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<String>,
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
    }
}

/// A file URI reference: relative names stay relative (code scanning resolves them against the
/// checkout), absolute names become `file://` URIs; characters outside RFC 3986's unreserved set
/// and `/` are percent-encoded.
pub fn uri(name: &str) -> String {
    let name = name.replace('\\', "/");
    let mut out = String::with_capacity(name.len());
    if name.starts_with('/') {
        out.push_str("file://");
    }
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The rule table: every rule a finding uses, by code. Described from the catalogue when the
/// code is in it, else from the finding itself.
fn descriptors(findings: &[Located<'_>]) -> Vec<ReportingDescriptor> {
    let mut by_code: BTreeMap<&str, ReportingDescriptor> = BTreeMap::new();
    for l in findings {
        let f: &Finding = l.finding;
        by_code
            .entry(f.code)
            .or_insert_with(|| match catalog::lookup(f.code) {
                Some(m) => descriptor(
                    m.code,
                    m.name,
                    m.summary,
                    m.docs,
                    m.level,
                    m.default_enabled,
                ),
                None => descriptor(f.code, f.rule, "", "", f.level, true),
            });
    }
    by_code.into_values().collect()
}

fn descriptor(
    code: &str,
    name: &str,
    summary: &str,
    docs: &str,
    default_level: Level,
    enabled: bool,
) -> ReportingDescriptor {
    let summary = if summary.is_empty() { name } else { summary };
    let docs = if docs.trim().is_empty() {
        summary.to_string()
    } else {
        markdown(docs)
    };
    let docs = docs.as_str();
    let multi = || MultiformatMessage {
        text: docs.to_string(),
        markdown: docs.to_string(),
    };
    ReportingDescriptor {
        id: code.to_string(),
        name: name.to_string(),
        short_description: Message {
            text: summary.to_string(),
        },
        full_description: multi(),
        help: multi(),
        help_uri: help_uri(code),
        default_configuration: Configuration {
            level: level(default_level),
            enabled,
        },
    }
}

/// Rule docs come from doc comments: drop the one space after `///` on each line.
fn markdown(docs: &str) -> String {
    docs.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

fn location(
    unit: &UnitReport,
    loc: crate::source::Loc,
    artifacts: &BTreeMap<String, usize>,
) -> PhysicalLocation {
    let name = file_name(unit, loc);
    let span = span_of(unit, loc);
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: uri(name),
            index: artifacts.get(name).copied(),
        },
        region: Some(Region {
            start_line: span.line,
            start_column: span.column,
            end_line: span.end_line,
            end_column: span.end_column,
        }),
    }
}

/// The report as a SARIF 2.1.0 log (pretty-printed, ends with a newline).
pub fn to_string(report: &Report) -> String {
    let findings = report.findings();
    let rules = descriptors(&findings);
    // Artifacts: every file a finding points at, in name order.
    let mut artifacts: BTreeMap<String, usize> = BTreeMap::new();
    for l in &findings {
        artifacts.entry(l.file().to_string()).or_insert(0);
        for r in &l.finding.related {
            artifacts
                .entry(file_name(l.unit, r.loc).to_string())
                .or_insert(0);
        }
    }
    for (i, v) in artifacts.values_mut().enumerate() {
        *v = i;
    }
    let results = findings
        .iter()
        .map(|l| {
            let f = l.finding;
            let message = match &f.help {
                Some(h) => format!("{}\n{}", quote::message(&f.message), quote::message(h)),
                None => quote::message(&f.message).into_owned(),
            };
            SarifResult {
                rule_index: rules.iter().position(|r| r.id == f.code).unwrap_or(0),
                rule_id: f.code.to_string(),
                level: level(f.level),
                message: Message { text: message },
                locations: vec![Location {
                    physical_location: location(l.unit, f.loc, &artifacts),
                    message: None,
                }],
                related_locations: f
                    .related
                    .iter()
                    .map(|r| Location {
                        physical_location: location(l.unit, r.loc, &artifacts),
                        message: Some(Message {
                            text: quote::message(&r.message).into_owned(),
                        }),
                    })
                    .collect(),
                suppressions: f
                    .suppressed
                    .iter()
                    .map(|reason| Suppression {
                        kind: "inSource",
                        justification: Some(reason.clone()).filter(|r| !r.is_empty()),
                    })
                    .collect(),
            }
        })
        .collect();
    let notifications: Vec<Notification> = report
        .problems
        .iter()
        .map(|p| Notification {
            level: "error",
            message: Message {
                text: quote::message(&p.message).into_owned(),
            },
            locations: vec![Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: uri(&p.file),
                        index: None,
                    },
                    region: None,
                },
                message: None,
            }],
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: super::PROJECT_URL,
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: notifications.is_empty()
                    && !report.units.iter().any(|u| u.unparseable || u.incomplete),
                tool_execution_notifications: notifications,
            }],
            artifacts: artifacts
                .keys()
                .map(|name| Artifact {
                    location: ArtifactLocation {
                        uri: uri(name),
                        index: None,
                    },
                })
                .collect(),
            results,
            column_kind: "unicodeCodePoints",
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn doc_comment_text_becomes_markdown() {
        let docs = " ## What it does\n Checks the SKU.\n\n ```json\n   \"sku\": 1\n ```\n";
        assert_eq!(
            super::markdown(docs),
            "## What it does\nChecks the SKU.\n\n```json\n  \"sku\": 1\n```"
        );
    }
}
