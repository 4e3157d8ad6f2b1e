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
        f.write_str(&self.f.message)
    }
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
            Some(Box::new(h))
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
            Some(self.f.label.clone().unwrap_or_else(|| "here".into())),
            (s, l),
        )];
        for (rs, re, msg) in &self.related_same_file {
            let (s, l) = clamp(*rs, *re);
            labels.push(LabeledSpan::new_with_span(Some(msg.clone()), (s, l)));
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
        let _ = writeln!(&mut out, "{}[{}]: {}", f.level.as_str(), f.code, f.message);
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
        src: NamedSource::new(file.name.clone(), file.text.clone()).with_language("json"),
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
            l.message, other.name, line, col
        );
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
