//! Human output: miette's graphical report with labelled spans, code and help.

use super::excerpt::{Excerpt, is_unsafe_for_terminal};
use crate::finding::{Finding, Level};
use crate::quote;
use crate::report::Report;
use crate::source::{SourceFile, SourceMap};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, Severity};
use std::fmt;

/// Rendering options.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Style {
    /// Deterministic output for snapshots and pipes.
    pub fn plain() -> Style {
        Style {
            color: false,
            width: 100,
        }
    }
    /// Colour when stderr is a terminal and `NO_COLOR` is unset.
    pub fn for_stderr() -> Style {
        use std::io::IsTerminal;
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stderr().is_terminal();
        Style { color, width: 100 }
    }
    pub fn for_stdout() -> Style {
        use std::io::IsTerminal;
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stdout().is_terminal();
        Style { color, width: 100 }
    }
}

/// One diagnostic as the graphical renderer sees it: texts already terminal-safe and
/// shortened, the source replaced by an [`Excerpt`] and the labels re-based onto it.
struct Rendered {
    code: Option<String>,
    severity: Severity,
    message: String,
    help: Option<String>,
    excerpt: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Rendered {}

impl Diagnostic for Rendered {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.excerpt.as_ref().map(|e| e as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.excerpt.as_ref()?;
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Text for one line of output: unsafe characters shown as escapes (`\u{1b}`), and cut to
/// [`quote::MAX_MESSAGE_CHARS`] characters.
fn terminal_safe(s: &str) -> String {
    let s = quote::message(s);
    if !s.chars().any(is_unsafe_for_terminal_text) {
        return s.into_owned();
    }
    s.chars()
        .map(|c| {
            if is_unsafe_for_terminal_text(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// In a message, line breaks are the writer's (help texts have several lines).
fn is_unsafe_for_terminal_text(c: char) -> bool {
    c != '\n' && is_unsafe_for_terminal(c)
}

/// A diagnostic about a span of a source file, as every human-readable error of the tool is
/// shown: a finding of any rule, an error in the configuration file.
/// A label of a [`Diag`]: byte range, text, primary?
pub type DiagLabel = (std::ops::Range<usize>, String, bool);

pub struct Diag<'a> {
    /// Shown as `code(name)` in the header, e.g. `CMK001(premium-sku-required)`.
    pub code: Option<String>,
    pub level: Level,
    pub message: &'a str,
    pub help: Option<String>,
    /// The file and the labels in it: (byte range, label text, primary?).
    pub source: Option<(&'a SourceFile, Vec<DiagLabel>)>,
}

fn handler(style: Style) -> GraphicalReportHandler {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
}

/// Render one diagnostic as miette text (ends with a newline). Never panics, whatever the
/// spans and whatever the source holds (see [`super::excerpt`]).
pub fn render_diag(d: &Diag, style: Style) -> String {
    let (excerpt, labels) = match &d.source {
        Some((file, labels)) => {
            let spans: Vec<std::ops::Range<usize>> =
                labels.iter().map(|(r, _, _)| r.clone()).collect();
            let excerpt = Excerpt::new(terminal_safe(&file.name), file, &spans);
            let labels = labels
                .iter()
                .enumerate()
                .map(|(i, (_, text, primary))| {
                    let span = excerpt.span(i);
                    let text = Some(terminal_safe(text));
                    if *primary {
                        LabeledSpan::new_primary_with_span(text, span)
                    } else {
                        LabeledSpan::new_with_span(text, span)
                    }
                })
                .collect();
            (Some(excerpt), labels)
        }
        None => (None, Vec::new()),
    };
    let r = Rendered {
        code: d.code.clone(),
        severity: match d.level {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
            Level::Note => Severity::Advice,
        },
        message: terminal_safe(d.message),
        help: d.help.as_deref().map(terminal_safe),
        excerpt,
        labels,
    };
    let mut out = String::new();
    let _ = handler(style).render_report(&mut out, &r);
    out
}

/// Render one finding as miette text (ends with a newline).
pub fn render(f: &Finding, sources: &SourceMap, style: Style) -> String {
    let mut out = String::new();
    if sources.is_empty() || (f.loc.file as usize) >= sources.len() {
        let _ = writeln!(
            &mut out,
            "{}[{}]: {}",
            f.level.as_str(),
            f.code,
            terminal_safe(&f.message)
        );
        return out;
    }
    let file = sources.get(f.loc.file);
    let mut labels = vec![(
        f.loc.range(),
        f.label.clone().unwrap_or_else(|| "here".into()),
        true,
    )];
    labels.extend(
        f.related
            .iter()
            .filter(|l| l.loc.file == f.loc.file)
            .map(|l| (l.loc.range(), l.message.clone(), false)),
    );
    let mut help = f.help.clone().unwrap_or_default();
    if let Some(reason) = &f.suppressed {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str(&format!(
            "suppressed: {}",
            if reason.is_empty() {
                "(no reason given)"
            } else {
                reason
            }
        ));
    }
    out.push_str(&render_diag(
        &Diag {
            code: Some(format!("{}({})", f.code, f.rule)),
            level: f.level,
            message: &f.message,
            help: (!help.is_empty()).then_some(help),
            source: Some((file, labels)),
        },
        style,
    ));
    // Related locations in other files (a parameters file, a module) are listed by position.
    for l in f
        .related
        .iter()
        .filter(|l| l.loc.file != f.loc.file && (l.loc.file as usize) < sources.len())
    {
        let other = sources.get(l.loc.file);
        let (line, col) = other.line_col(l.loc.start as usize);
        let _ = writeln!(
            &mut out,
            "  note: {} ({}:{}:{})",
            terminal_safe(&l.message),
            terminal_safe(&other.name),
            line,
            col
        );
    }
    out
}

/// One finding in three lines at most, without a source snippet: for advice about files the
/// tool generated itself (`build`), where a snippet of machine-written JSON helps nobody.
pub fn render_short(f: &Finding, sources: &SourceMap) -> String {
    let mut out = format!(
        "{}[{}]: {}\n",
        f.level.as_str(),
        f.code,
        terminal_safe(&f.message)
    );
    if (f.loc.file as usize) < sources.len() {
        let file = sources.get(f.loc.file);
        let (line, col) = file.line_col(f.loc.start as usize);
        let _ = writeln!(&mut out, "  --> {}:{line}:{col}", terminal_safe(&file.name));
    }
    if let Some(h) = &f.help {
        let _ = writeln!(&mut out, "  help: {}", terminal_safe(h));
    }
    out
}

/// Render many findings, one after another.
pub fn render_all(findings: &[Finding], sources: &SourceMap, style: Style) -> String {
    findings
        .iter()
        .map(|f| render(f, sources, style))
        .collect::<Vec<_>>()
        .join("\n")
}

use std::fmt::Write as _;

/// The whole human report: skipped files (verbose), findings grouped by file (suppressed ones only
/// when verbose), files that could not be linted, then the summary line.
pub fn render_report(report: &Report, style: Style, verbose: bool) -> String {
    let mut out = String::new();
    if verbose {
        for s in &report.skipped {
            let _ = writeln!(
                &mut out,
                "skipped {}: {}",
                terminal_safe(&s.file),
                terminal_safe(&s.reason)
            );
        }
    }
    for l in report.findings() {
        let f = l.finding;
        if f.suppressed.is_some() && !verbose {
            continue;
        }
        if (f.loc.file as usize) < l.unit.sources.len() {
            out.push_str(&render(f, &l.unit.sources, style));
            out.push('\n');
        } else {
            // No source to show (e.g. a front end gave no location): name the file at least.
            let _ = writeln!(
                &mut out,
                "{}[{}]: {}: {}",
                f.level.as_str(),
                f.code,
                terminal_safe(l.file()),
                terminal_safe(&f.message)
            );
        }
    }
    for p in &report.problems {
        let _ = writeln!(
            &mut out,
            "error: {}: {}",
            terminal_safe(&p.file),
            terminal_safe(&p.message)
        );
    }
    let _ = writeln!(&mut out, "{}", report.summary().line());
    out
}

#[cfg(test)]
mod terminal_tests {
    use super::*;

    #[test]
    fn escape_sequences_and_bidi_overrides_are_shown_not_obeyed() {
        assert_eq!(terminal_safe("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(terminal_safe("x\u{202E}y"), "x\\u{202e}y");
        assert_eq!(terminal_safe("over\rwrite"), "over\\rwrite");
        assert_eq!(terminal_safe("plain\nline\tok"), "plain\nline\tok");
    }
}
