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

/// A property of a resource in the model's terms: the object keys (and array indexes) from the
/// resource's root, e.g. `properties`, `accessPolicies`, `0`, `permissions`. Rules name what
/// they report with a resource and a path; the engine turns the two into a span and a JSON
/// pointer (`crate::model::Model::locate`), so no rule builds a pointer or escapes one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PropPath(Vec<String>);

impl PropPath {
    /// The resource itself.
    pub fn root() -> Self {
        PropPath(Vec::new())
    }
    pub fn segments(&self) -> &[String] {
        &self.0
    }
    /// One more object key (any text: keys holding `.` or `/` are fine here).
    pub fn key(mut self, key: &str) -> Self {
        self.0.push(key.to_string());
        self
    }
    /// One more array index.
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(index.to_string());
        self
    }
    /// A JSON pointer relative to the resource (`/properties/sku`), unescaped.
    pub fn from_pointer(pointer: &str) -> Self {
        PropPath(
            pointer
                .split('/')
                .skip(1)
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect(),
        )
    }
}

/// A dotted path of object keys: `"properties.encryption.status"`; `""` is the resource itself.
impl From<&str> for PropPath {
    fn from(dotted: &str) -> Self {
        if dotted.is_empty() {
            return PropPath::root();
        }
        PropPath(dotted.split('.').map(String::from).collect())
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
    /// The offending source text. For a finding made with [`Finding::on`] the engine sets it
    /// from `resource` and `path` (or from `at`).
    pub loc: Loc,
    /// What the primary span shows ("sku is Basic here").
    pub label: Option<String>,
    pub related: Vec<Label>,
    /// JSON pointer (or Bicep path) of the offending property; set by the engine for a finding
    /// made with [`Finding::on`].
    pub pointer: String,
    /// The resource the finding is about (index into the model), if any.
    pub resource: Option<usize>,
    /// The property of `resource` at fault (`None`: the finding is located by `loc` alone).
    pub path: Option<PropPath>,
    /// A span the rule chose instead of the path's (e.g. the name of an object key).
    pub at: Option<Loc>,
    /// Where the offending value is used when `loc` is where it is written elsewhere (a
    /// parameters file, a parameter's default, a variable): set by the engine, shown as the
    /// first related label, and an in-source suppression there covers the finding too.
    pub used_at: Option<Loc>,
    /// Other resources of the model the finding holds only if they are deployed (a vault is at
    /// fault only if the registry that uses its key is deployed): the engine lowers the finding
    /// when one of them, or `resource`, is deployed only under a condition it cannot evaluate.
    pub assumes: Vec<usize>,
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
            path: None,
            at: None,
            used_at: None,
            assumes: Vec::new(),
            suppressed: None,
        }
    }
    /// A finding on a property of a resource of the model: the engine locates it (the deepest
    /// node of `path` that is written, else the resource) and gives it its pointer.
    pub fn on(
        meta: &'static RuleMeta,
        resource: usize,
        path: impl Into<PropPath>,
        message: impl Into<String>,
    ) -> Self {
        let mut f = Finding::new(meta, Loc::default(), message);
        f.resource = Some(resource);
        f.path = Some(path.into());
        f
    }
    /// Show the finding at `loc` rather than where its path leads (the pointer still names the
    /// path).
    pub fn at(mut self, loc: Loc) -> Self {
        self.at = Some(loc);
        self
    }
    /// Where the value shown [`at`](Finding::at) is used, when it is written elsewhere (a
    /// model node's `used_at`: a resource's name from a parameter): a related label.
    pub fn used_at(mut self, used_at: Option<Loc>) -> Self {
        self.used_at = used_at;
        self
    }
    /// The finding holds only if resource `other` is deployed too.
    pub fn assuming(mut self, other: usize) -> Self {
        self.assumes.push(other);
        self
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
