//! `acr-cmk.toml`: per-rule levels, `cmk-required`, excludes.
//!
//! Parsed with `toml_edit` so that every mistake (an unknown key, an unknown rule, a bad level,
//! a value of the wrong type, an invalid glob) is reported at its line and column, with a
//! did-you-mean when a known name is close.

use crate::finding::{Finding, Level};
use crate::rules::RuleMeta;
use crate::rules::catalog;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml_edit::{Document, Item, TableLike, Value};

/// Name of the configuration file looked up from the working directory upward.
pub const FILE_NAME: &str = "acr-cmk.toml";

const TOP_KEYS: &[&str] = &["rules", "cmk-required", "exclude"];
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

    /// Directory the `exclude` globs are relative to.
    pub fn base_dir(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }
}

/// A configuration that cannot be used: located in the file when the mistake is in it.
#[derive(Debug)]
pub struct ConfigError {
    pub message: String,
    pub help: Option<String>,
    /// The file and the byte range of the mistake (boxed: errors stay small to pass around).
    at: Option<Box<(NamedSource<String>, std::ops::Range<usize>)>>,
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
            at: Some(Box::new((
                NamedSource::new(name, text.to_string()).with_language("toml"),
                span,
            ))),
        }
    }
    fn help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// The error as miette text, e.g. for standard error.
    pub fn render(&self, color: bool) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let mut out = String::new();
        let _ = GraphicalReportHandler::new_themed(theme)
            .with_width(100)
            .with_links(false)
            .render_report(&mut out, self);
        out
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for ConfigError {}

impl Diagnostic for ConfigError {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.at.as_ref().map(|at| &at.0 as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = &self.at.as_ref()?.1;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(
                Some("here".into()),
                (span.start, span.end - span.start),
            ),
        )))
    }
}

/// The closest known name, if it is close enough to be a likely typo.
fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    known
        .into_iter()
        .map(|k| {
            (
                strsim::jaro_winkler(&name.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                k,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!("did you mean `{k}`?"))
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
pub fn load(explicit: Option<&Path>, cwd: &Path) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match find(cwd) {
            Some(p) => p,
            None => return Ok(Config::default()),
        },
    };
    // The lint's reader: a regular file under the size limit, invalid UTF-8 located.
    let text = super::walk::read_text(&path).map_err(|e| ConfigError::io(&path, e))?;
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

/// Parse configuration text; `name` is used in error messages.
pub fn parse(name: &str, text: &str) -> Result<Config, ConfigError> {
    let doc = Document::parse(text)
        .map_err(|e| ConfigError::at(name, text, e.span(), e.message().trim().to_string()))?;
    let err = |span: Option<std::ops::Range<usize>>, message: String| {
        ConfigError::at(name, text, span, message)
    };
    let mut config = Config::default();
    for (key, item) in doc.as_table().iter() {
        let key_span = doc.as_table().key(key).and_then(|k| k.span());
        match key {
            "rules" => parse_rules(item, &err, &mut config)?,
            "cmk-required" => {
                config.cmk_required = item.as_bool().ok_or_else(|| {
                    err(item.span(), "`cmk-required` must be true or false".into())
                })?;
            }
            "exclude" => config.exclude = parse_exclude(item, &err)?,
            other => {
                return Err(err(key_span, format!("unknown key `{other}`")).help(
                    did_you_mean(other, TOP_KEYS.iter().copied())
                        .or_else(|| Some(format!("known keys: {}", TOP_KEYS.join(", ")))),
                ));
            }
        }
    }
    Ok(config)
}

type ErrFn<'a> = dyn Fn(Option<std::ops::Range<usize>>, String) -> ConfigError + 'a;

fn parse_rules(item: &Item, err: &ErrFn, config: &mut Config) -> Result<(), ConfigError> {
    // `[rules]`, `rules.CMK011 = …` and `rules = { CMK011 = … }` are all tables.
    let table: &dyn TableLike = item.as_table_like().ok_or_else(|| {
        err(
            item.span(),
            "`rules` must be a table: [rules] CMK011 = \"off\"".into(),
        )
    })?;
    let known = catalog::known();
    for (name, value) in table.iter() {
        let key_span = table.get_key_value(name).and_then(|(k, _)| k.span());
        let Some(meta) = catalog::lookup(name) else {
            let names = known.iter().flat_map(|m| [m.code, m.name]);
            return Err(err(key_span, format!("unknown rule `{name}`")).help(
                did_you_mean(name, names)
                    .or_else(|| Some("`acr-cmk rules` lists the rule codes and names".into())),
            ));
        };
        let level_text = value.as_str().ok_or_else(|| {
            err(
                value.span(),
                format!("the level of `{name}` must be a string: off, note, warning or error"),
            )
        })?;
        let level = match level_text.to_ascii_lowercase().as_str() {
            "off" => None,
            "note" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => {
                return Err(
                    err(value.span(), format!("unknown level `{level_text}`")).help(
                        did_you_mean(level_text, LEVELS.iter().copied())
                            .or_else(|| Some("levels: off, note, warning, error".into())),
                    ),
                );
            }
        };
        if meta.code == LIMIT_EXCEEDED && level != Some(Level::Error) {
            return Err(err(
                value.span(),
                format!("`{name}` cannot be turned off or lowered"),
            )
            .help(Some(
                "a file cut short by a limit was not fully checked, so it always fails the run \
                 (exit 2); `acr-cmk explain LIM001` says why"
                    .into(),
            )));
        }
        if config.levels.insert(meta.code, level).is_some() {
            return Err(err(
                key_span,
                format!("`{}` ({}) is configured twice", meta.code, meta.name),
            ));
        }
    }
    Ok(())
}

fn parse_exclude(item: &Item, err: &ErrFn) -> Result<Vec<String>, ConfigError> {
    let array = item
        .as_array()
        .ok_or_else(|| err(item.span(), "`exclude` must be an array of globs".into()))?;
    array
        .iter()
        .map(|v: &Value| {
            let glob = v
                .as_str()
                .ok_or_else(|| err(v.span(), "an exclude glob must be a string".into()))?;
            globset::Glob::new(glob)
                .map_err(|e| err(v.span(), format!("invalid glob `{glob}`: {}", e.kind())))?;
            Ok(glob.to_string())
        })
        .collect()
}
