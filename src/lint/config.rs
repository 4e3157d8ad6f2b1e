//! `acr-cmk.toml`: per-rule levels, `cmk-required`, excludes, `check-resources`, placeholders.
//!
//! Parsed with `toml_edit` so that every mistake (an unknown key, an unknown rule, a bad level,
//! a value of the wrong type, an invalid glob) is reported at its line and column, with a
//! did-you-mean when a known name is close. Every mistake of a file is reported at once (code
//! CFG001), not only the first; a file that is not TOML at all stops at its syntax error.

use crate::finding::{Finding, Level};
use crate::placeholders::Placeholders;
use crate::report::human::{self, Diag, Style};
use crate::rules::catalog;
use crate::rules::{ResourceScope, RuleMeta};
use crate::source::SourceFile;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml_edit::{Document, Item, TableLike};

/// Name of the configuration file looked up from the working directory upward.
pub const FILE_NAME: &str = "acr-cmk.toml";

const TOP_KEYS: &[&str] = &[
    "rules",
    "cmk-required",
    "exclude",
    "fail-on-empty",
    "check-resources",
    "placeholders",
];
/// The values of `check-resources`.
const CHECK_RESOURCES: &[&str] = &["cmk-wiring", "all"];
const LEVELS: &[&str] = &["off", "note", "warning", "error"];
const LIMIT_EXCEEDED: &str = crate::rules::limit_exceeded::LimitExceeded::META.code;

/// The resolved configuration. `Default` is "no file": every rule at its default level.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it was read from.
    pub path: Option<PathBuf>,
    /// Per rule code: `None` = off, `Some(level)` = reported at that level.
    pub levels: BTreeMap<&'static str, Option<Level>>,
    /// Enables CMK017 (every registry must use CMK).
    pub cmk_required: bool,
    /// Globs, matched relative to the configuration file's directory.
    pub exclude: Vec<String>,
    /// `check-resources = "all"`: the schema and naming rules look at every resource, not only
    /// at a registry's CMK wiring.
    pub check_all_resources: bool,
    /// The built-in placeholder conventions and the file's `placeholders` patterns.
    pub placeholders: Placeholders,
    /// A run that checks no template fails (exit 2), as `lint --fail-on-empty`.
    pub fail_on_empty: bool,
}

impl Config {
    /// Whether a rule runs at all.
    pub fn enabled(&self, meta: &RuleMeta) -> bool {
        match self.levels.get(meta.code) {
            Some(level) => level.is_some(),
            None => meta.default_enabled || (meta.code == "CMK017" && self.cmk_required),
        }
    }

    /// Apply the configured levels: drop findings of rules that are off, re-level the others.
    /// A finding the engine lowered one level ("if deployed") stays one level below the
    /// configured level.
    pub fn apply_levels(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| !matches!(self.levels.get(f.code), Some(None)));
        for f in findings.iter_mut() {
            if let Some(Some(configured)) = self.levels.get(f.code) {
                let lowered = catalog::lookup(f.code).is_some_and(|m| f.level < m.level);
                f.level = if lowered {
                    configured.lower()
                } else {
                    *configured
                };
            }
        }
    }

    /// Which resources the schema and naming rules look at: every resource, or the CMK wiring
    /// (and every registry when CMK017 cmk-required is on).
    pub fn resource_scope(&self) -> ResourceScope {
        if self.check_all_resources {
            return ResourceScope::All;
        }
        let every_registry = catalog::lookup("CMK017").is_some_and(|m| self.enabled(m));
        ResourceScope::CmkWiring { every_registry }
    }

    /// Directory the `exclude` globs are relative to.
    pub fn base_dir(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }
}

/// Code of every configuration error.
pub const CODE: &str = "CFG001";

/// Every mistake of a configuration file (at least one).
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// All errors as miette text, one after another, for standard error.
    pub fn render(&self, color: bool) -> String {
        self.0
            .iter()
            .map(|e| e.render(color))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let messages: Vec<&str> = self.0.iter().map(|e| e.message.as_str()).collect();
        f.write_str(&messages.join("; "))
    }
}
impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

/// A configuration that cannot be used: located in the file when the mistake is in it.
#[derive(Debug)]
pub struct ConfigError {
    pub message: String,
    pub help: Option<String>,
    /// The file and the byte range of the mistake (boxed: errors stay small to pass around).
    at: Option<Box<(SourceFile, std::ops::Range<usize>)>>,
}

impl ConfigError {
    fn io(path: &Path, err: impl fmt::Display) -> Self {
        ConfigError {
            message: format!("cannot read {}: {err}", path.display()),
            help: None,
            at: None,
        }
    }
    fn at(name: &str, text: &str, span: Option<std::ops::Range<usize>>, message: String) -> Self {
        let span = span.unwrap_or(0..0);
        let span = span.start.min(text.len())..span.end.min(text.len());
        ConfigError {
            message,
            help: None,
            at: Some(Box::new((SourceFile::new(name, text), span))),
        }
    }
    fn help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// The error as miette text, e.g. for standard error.
    pub fn render(&self, color: bool) -> String {
        let style = Style {
            color,
            ..Style::plain()
        };
        human::render_diag(
            &Diag {
                code: Some({
                    let meta = crate::rules::meta(CODE);
                    format!("{}({})", meta.code, meta.name)
                }),
                level: Level::Error,
                message: &self.message,
                help: self.help.clone(),
                source: self
                    .at
                    .as_deref()
                    .map(|(file, span)| (file, vec![(span.clone(), "here".to_string(), true)])),
            },
            style,
        )
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for ConfigError {}

/// "did you mean `x`?" for the closest known name, if it is close enough to be a likely typo.
fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    catalog::closest(name, known).map(|k| format!("did you mean `{k}`?"))
}

/// `acr-cmk.toml` in `start` or the nearest ancestor that has one.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// The configuration for a run: `explicit` (`--config`) or the file found upward from `cwd`, or
/// the defaults when there is none.
pub fn load(explicit: Option<&Path>, cwd: &Path) -> Result<Config, ConfigErrors> {
    load_in(explicit, cwd, &crate::read::Root::nothing())
}

/// [`load`], where a configuration file found inside the lint `root` (the repository) must
/// also resolve inside it: a repository cannot make the linter read (and quote in a parse
/// error) a file elsewhere through a symbolic link named `acr-cmk.toml`.
pub fn load_in(
    explicit: Option<&Path>,
    cwd: &Path,
    root: &crate::read::Root,
) -> Result<Config, ConfigErrors> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match find(cwd) {
            Some(p) => {
                let found_inside =
                    p.parent()
                        .and_then(|d| d.canonicalize().ok())
                        .is_some_and(|d| {
                            !root.path().as_os_str().is_empty() && d.starts_with(root.path())
                        });
                if found_inside {
                    root.check(&p).map_err(|e| ConfigError::io(&p, e))?;
                }
                p
            }
            None => return Ok(Config::default()),
        },
    };
    let text = crate::read::text(&path).map_err(|e| ConfigError::io(&path, e))?;
    // Name it relative to the working directory when it is below it, so messages stay short.
    let shown = path
        .strip_prefix(cwd)
        .unwrap_or(&path)
        .display()
        .to_string();
    let mut config = parse(&shown, &text)?;
    config.path = Some(if path.is_absolute() {
        path
    } else {
        cwd.join(path)
    });
    Ok(config)
}

/// Parse configuration text; `name` is used in error messages. Every mistake is reported.
pub fn parse(name: &str, text: &str) -> Result<Config, ConfigErrors> {
    let doc = Document::parse(text)
        .map_err(|e| ConfigError::at(name, text, e.span(), e.message().trim().to_string()))?;
    let mut errors = Vec::new();
    let mut err = |span: Option<std::ops::Range<usize>>, message: String, help: Option<String>| {
        errors.push(ConfigError::at(name, text, span, message).help(help));
    };
    let mut config = Config::default();
    for (key, item) in doc.as_table().iter() {
        let key_span = doc.as_table().key(key).and_then(|k| k.span());
        match key {
            "rules" => parse_rules(item, &mut err, &mut config),
            "cmk-required" => match item.as_bool() {
                Some(b) => config.cmk_required = b,
                None => err(
                    item.span(),
                    "`cmk-required` must be true or false".into(),
                    None,
                ),
            },
            "fail-on-empty" => match item.as_bool() {
                Some(b) => config.fail_on_empty = b,
                None => err(
                    item.span(),
                    "`fail-on-empty` must be true or false".into(),
                    None,
                ),
            },
            "exclude" => config.exclude = parse_exclude(item, &mut err),
            "check-resources" => match item.as_str() {
                Some("cmk-wiring") => config.check_all_resources = false,
                Some("all") => config.check_all_resources = true,
                Some(other) => err(
                    item.span(),
                    format!("unknown value `{other}` for `check-resources`"),
                    did_you_mean(other, CHECK_RESOURCES.iter().copied())
                        .or_else(|| Some("`cmk-wiring` (the default) or `all`".into())),
                ),
                None => err(
                    item.span(),
                    "`check-resources` must be a string: \"cmk-wiring\" or \"all\"".into(),
                    None,
                ),
            },
            "placeholders" => config.placeholders = parse_placeholders(item, &mut err),
            other => err(
                key_span,
                format!("unknown key `{other}`"),
                did_you_mean(other, TOP_KEYS.iter().copied())
                    .or_else(|| Some(format!("known keys: {}", TOP_KEYS.join(", ")))),
            ),
        }
    }
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(errors))
    }
}

type ErrFn<'a> = dyn FnMut(Option<std::ops::Range<usize>>, String, Option<String>) + 'a;

fn parse_rules(item: &Item, err: &mut ErrFn, config: &mut Config) {
    // `[rules]`, `rules.CMK011 = …` and `rules = { CMK011 = … }` are all tables.
    let Some(table): Option<&dyn TableLike> = item.as_table_like() else {
        err(
            item.span(),
            "`rules` must be a table: [rules] CMK011 = \"off\"".into(),
            None,
        );
        return;
    };
    let known = catalog::known();
    for (name, value) in table.iter() {
        let key_span = table.get_key_value(name).and_then(|(k, _)| k.span());
        let Some(meta) = catalog::lookup(name) else {
            let names = known.iter().flat_map(|m| [m.code, m.name]);
            let help = catalog::closest_rule(name)
                .map(|m| {
                    format!(
                        "did you mean `{}`?",
                        if name.contains('-') { m.name } else { m.code }
                    )
                })
                .or_else(|| did_you_mean(name, names))
                .or_else(|| Some("`acr-cmk rules` lists the rule codes and names".into()));
            err(key_span, format!("unknown rule `{name}`"), help);
            continue;
        };
        let Some(level_text) = value.as_str() else {
            err(
                value.span(),
                format!("the level of `{name}` must be a string: off, note, warning or error"),
                None,
            );
            continue;
        };
        let level = match level_text.to_ascii_lowercase().as_str() {
            "off" => None,
            "note" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => {
                err(
                    value.span(),
                    format!("unknown level `{level_text}`"),
                    did_you_mean(level_text, LEVELS.iter().copied())
                        .or_else(|| Some("levels: off, note, warning, error".into())),
                );
                continue;
            }
        };
        if meta.code == CODE {
            err(
                key_span,
                format!(
                    "`{CODE}` ({}) cannot be configured: a configuration with mistakes is never used",
                    meta.name
                ),
                None,
            );
            continue;
        }
        if meta.code == LIMIT_EXCEEDED && level != Some(Level::Error) {
            err(
                value.span(),
                format!("`{name}` cannot be turned off or lowered"),
                Some(
                    "a file cut short by a limit was not fully checked, so it always fails the run \
                     (exit 2); `acr-cmk explain LIM001` says why"
                        .into(),
                ),
            );
            continue;
        }
        if config.levels.insert(meta.code, level).is_some() {
            err(
                key_span,
                format!("`{}` ({}) is configured twice", meta.code, meta.name),
                None,
            );
        }
    }
}

fn parse_placeholders(item: &Item, err: &mut ErrFn) -> Placeholders {
    let Some(array) = item.as_array() else {
        err(
            item.span(),
            "`placeholders` must be an array of regular expressions".into(),
            None,
        );
        return Placeholders::builtin();
    };
    let mut patterns = Vec::new();
    for v in array.iter() {
        match v.as_str() {
            Some(p) => patterns.push(p.to_string()),
            None => err(
                v.span(),
                "a placeholder pattern must be a string".into(),
                None,
            ),
        }
    }
    match Placeholders::with_user(&patterns) {
        Ok(p) => p,
        Err((i, why)) => {
            let span = array.get(i).and_then(toml_edit::Value::span);
            err(
                span,
                format!("invalid placeholder pattern `{}`: {why}", patterns[i]),
                Some(
                    "a regular expression (Rust regex syntax); anchor it with ^…$ to match whole values only"
                        .into(),
                ),
            );
            Placeholders::builtin()
        }
    }
}

fn parse_exclude(item: &Item, err: &mut ErrFn) -> Vec<String> {
    let Some(array) = item.as_array() else {
        err(
            item.span(),
            "`exclude` must be an array of globs".into(),
            None,
        );
        return Vec::new();
    };
    let mut globs = Vec::new();
    for v in array.iter() {
        let Some(glob) = v.as_str() else {
            err(v.span(), "an exclude glob must be a string".into(), None);
            continue;
        };
        match globset::Glob::new(glob) {
            Ok(_) => globs.push(glob.to_string()),
            Err(e) => err(
                v.span(),
                format!("invalid glob `{glob}`: {}", e.kind()),
                None,
            ),
        }
    }
    globs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_documents_exactly_the_keys_the_parser_reads() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/config.schema.json")).unwrap();
        let mut documented: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        documented.sort();
        let mut read = TOP_KEYS.to_vec();
        read.sort();
        assert_eq!(documented, read);
    }

    #[test]
    fn every_mistake_is_reported_with_its_code() {
        let errors = parse(
            "acr-cmk.toml",
            "exlude = [\"x\"]\nfail-on-empty = 1\n[rules]\nCMK11 = \"off\"\nCFG001 = \"off\"\nCMK011 = \"warn\"\n",
        )
        .unwrap_err();
        let messages: Vec<&str> = errors.0.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "unknown key `exlude`",
                "`fail-on-empty` must be true or false",
                "unknown rule `CMK11`",
                "`CFG001` (invalid-config) cannot be configured: a configuration with mistakes is never used",
                "unknown level `warn`",
            ]
        );
        assert_eq!(errors.0[2].help.as_deref(), Some("did you mean `CMK011`?"));
        let text = errors.render(false);
        assert_eq!(text.matches("CFG001(invalid-config)").count(), 5, "{text}");
    }
}
