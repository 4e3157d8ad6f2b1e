//! The vocabulary of diagnostics, shared by the front ends, the rule catalogue and the report
//! writers: a rule's [`RuleMeta`], its [`Level`], and the [`Finding`] it reports. A leaf module:
//! it depends on nothing but `crate::source`, so everything else may depend on it.

use crate::source::Loc;
use serde::Serialize;

/// Static description of a rule.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub level: Level,
    /// Off unless enabled in configuration (CMK017 cmk-required).
    pub default_enabled: bool,
    /// One-line summary (first line of the docs).
    pub summary: &'static str,
    /// Markdown docs from the rule's doc comment.
    pub docs: &'static str,
}

/// Severity. Ordered: `Note < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
    /// One level lower (for findings on resources that are deployed only if a condition holds).
    pub fn lower(self) -> Level {
        match self {
            Level::Error => Level::Warning,
            _ => Level::Note,
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "note" | "info" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// A secondary location shown with the finding (e.g. "the vault is declared here").
#[derive(Clone, Debug)]
pub struct Label {
    pub loc: Loc,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct Finding {
    /// Stable code, e.g. `CMK001`.
    pub code: &'static str,
    /// Rule slug, e.g. `premium-sku-required`.
    pub rule: &'static str,
    pub level: Level,
    /// One line.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// The offending source text.
    pub loc: Loc,
    /// What the primary span shows ("sku is Basic here").
    pub label: Option<String>,
    pub related: Vec<Label>,
    /// JSON pointer (or Bicep path) of the offending property.
    pub pointer: String,
    /// The resource the finding is about (index into the model), if any.
    pub resource: Option<usize>,
    /// Set when an in-source suppression matched: the reason given (may be empty).
    pub suppressed: Option<String>,
}

impl Finding {
    pub fn new(meta: &'static RuleMeta, loc: Loc, message: impl Into<String>) -> Self {
        Finding {
            code: meta.code,
            rule: meta.name,
            level: meta.level,
            message: message.into(),
            help: None,
            loc,
            label: None,
            related: Vec::new(),
            pointer: String::new(),
            resource: None,
            suppressed: None,
        }
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn related(mut self, loc: Loc, message: impl Into<String>) -> Self {
        self.related.push(Label {
            loc,
            message: message.into(),
        });
        self
    }
    pub fn pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = pointer.into();
        self
    }
    pub fn resource(mut self, idx: usize) -> Self {
        self.resource = Some(idx);
        self
    }
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }
}
