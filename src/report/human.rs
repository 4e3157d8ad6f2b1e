//! Human output: miette's graphical report with labelled spans, code and help.

use crate::finding::{Finding, Level};
use crate::report::Report;
use crate::source::SourceMap;
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, Severity,
};
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

struct Rendered<'a> {
    f: &'a Finding,
    // Shared with the SourceMap: rendering many findings of a big file copies nothing.
    src: NamedSource<std::sync::Arc<str>>,
    file_len: usize,
    related_same_file: Vec<(usize, usize, String)>,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.f.message)
    }
}
impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&terminal_safe(&self.f.message))
    }
}

/// Characters a template may carry that would act on the terminal instead of being shown:
/// control characters (an ESC starts an escape sequence) and the bidirectional overrides that
/// make text read differently from how it is stored ("Trojan Source").
fn is_unsafe_for_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t' && c != '\r')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Text for one line of output: unsafe characters shown as escapes (`\u{1b}`).
fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_unsafe_for_terminal) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if is_unsafe_for_terminal(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Source text for the snippet. Spans are byte offsets, so each unsafe character is replaced by
/// a visible one of the same UTF-8 length ('?' for one byte, U+FFFD for three).
fn terminal_safe_source(text: &std::sync::Arc<str>) -> std::sync::Arc<str> {
    if !text.chars().any(is_unsafe_for_terminal) {
        return text.clone();
    }
    text.chars()
        .map(|c| match c {
            c if !is_unsafe_for_terminal(c) => c,
            c if c.len_utf8() == 1 => '?',
            c if c.len_utf8() == 3 => '\u{FFFD}',
            _ => '?',
        })
        .collect::<String>()
        .into()
}
impl std::error::Error for Rendered<'_> {}

impl Diagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("{}({})", self.f.code, self.f.rule)))
    }
    fn severity(&self) -> Option<Severity> {
        Some(match self.f.level {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
            Level::Note => Severity::Advice,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let mut h = self.f.help.clone().unwrap_or_default();
        if let Some(reason) = &self.f.suppressed {
            if !h.is_empty() {
                h.push('\n');
            }
            h.push_str(&format!(
                "suppressed: {}",
                if reason.is_empty() {
                    "(no reason given)"
                } else {
                    reason
                }
            ));
        }
        if h.is_empty() {
            None
        } else {
            Some(Box::new(terminal_safe(&h).into_owned()))
        }
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let clamp = |s: usize, e: usize| {
            let s = s.min(self.file_len);
            let e = e.clamp(s, self.file_len);
            (s, e - s)
        };
        let (s, l) = clamp(self.f.loc.start as usize, self.f.loc.end as usize);
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(terminal_safe(self.f.label.as_deref().unwrap_or("here")).into_owned()),
            (s, l),
        )];
        for (rs, re, msg) in &self.related_same_file {
            let (s, l) = clamp(*rs, *re);
            labels.push(LabeledSpan::new_with_span(
                Some(terminal_safe(msg).into_owned()),
                (s, l),
            ));
        }
        Some(Box::new(labels.into_iter()))
    }
}

/// Render one finding as miette text (ends with a newline).
pub fn render(f: &Finding, sources: &SourceMap, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
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
    let related_same_file = f
        .related
        .iter()
        .filter(|l| l.loc.file == f.loc.file)
        .map(|l| (l.loc.start as usize, l.loc.end as usize, l.message.clone()))
        .collect();
    let r = Rendered {
        f,
        src: NamedSource::new(terminal_safe(&file.name), terminal_safe_source(&file.text)),
        file_len: file.text.len(),
        related_same_file,
    };
    let _ = handler.render_report(&mut out, &r);
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
            let _ = writeln!(&mut out, "skipped {}: {}", s.file, s.reason);
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
                l.file(),
                f.message
            );
        }
    }
    for p in &report.problems {
        let _ = writeln!(&mut out, "error: {}: {}", p.file, p.message);
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
        assert!(matches!(
            terminal_safe("plain\nline"),
            std::borrow::Cow::Borrowed(_)
        ));
        let src: std::sync::Arc<str> = "{\"n\": \"\u{1b}\u{202E}\"}".into();
        let safe = terminal_safe_source(&src);
        assert_eq!(safe.len(), src.len(), "byte offsets of spans must not move");
        assert!(!safe.chars().any(is_unsafe_for_terminal));
    }
}
