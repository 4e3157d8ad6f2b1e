//! A bounded, terminal-safe excerpt of a source file: what miette's graphical renderer is given
//! instead of the file.
//!
//! miette prints the source text it gets, every byte at its column. A template is not trusted
//! text: a minified line of megabytes makes miette panic past column 65,535 (its formatting
//! widths are 16-bit) and costs memory in proportion to the line; an escape sequence acts on
//! the terminal; a bidirectional override makes text read differently from how it is stored.
//! So the renderer never sees the file, only an [`Excerpt`] built here:
//!
//! - only the lines around the labels: each label's lines and one line of context, and the
//!   lines between labels that are at most [`MAX_GAP_LINES`] apart (miette shows those as one
//!   snippet); labels further apart get snippets of their own;
//! - a label over more than [`MAX_LABEL_LINES`] lines is shown on its first line;
//! - a line longer than [`MAX_LINE_CHARS`] characters is cut to a window of [`WINDOW_CHARS`]
//!   characters around the first label on it, marked `…` where it was cut, so an underline is
//!   never wider than the window;
//! - characters that would act on the terminal (controls, a lone carriage return,
//!   bidirectional overrides) are written as escapes (`\u{1b}`).
//!
//! The labels' byte spans are re-based onto the excerpt ([`Excerpt::span`]), and the excerpt
//! answers miette's questions about lines and columns with the real ones, so the gutter numbers
//! and the `[file:line:column]` header are those of the file (the column in characters, as in
//! the JSON report), wherever the line was cut and whatever was escaped.

use crate::source::SourceFile;
use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use std::ops::Range;

/// Lines up to this many characters are shown whole.
pub const MAX_LINE_CHARS: usize = 300;
/// How much of a longer line is shown.
pub const WINDOW_CHARS: usize = 160;
/// How many characters of a cut line are shown before the label.
const LEAD_CHARS: usize = 40;
/// A label over more lines than this is shown on its first line only.
pub const MAX_LABEL_LINES: usize = 40;
/// Labels at most this many lines apart share one snippet (with the lines between them).
pub const MAX_GAP_LINES: usize = 40;

const CUT: &str = "…";

/// Characters a source may carry that would act on the terminal instead of being shown:
/// control characters (an ESC starts an escape sequence, a lone CR overwrites the line) and the
/// bidirectional overrides that make text read differently from how it is stored ("Trojan
/// Source"). Tabs are shown as tabs; line breaks never reach here.
pub fn is_unsafe_for_terminal(c: char) -> bool {
    (c.is_control() && c != '\t')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// One shown line of the excerpt.
#[derive(Debug)]
struct Shown {
    /// 0-based line in the file.
    real_line: usize,
    /// Where it starts in the excerpt text.
    start: usize,
    /// The file's bytes it shows (the cut window, without the line break).
    window: Range<usize>,
    /// (byte in the file, byte in the excerpt, 0-based column in the file) at every character
    /// boundary of the window, its end included. Sorted by both offsets.
    marks: Vec<(usize, usize, usize)>,
}

/// A terminal-safe excerpt of one file (see the module docs). Implements [`SourceCode`].
#[derive(Debug)]
pub struct Excerpt {
    name: String,
    text: String,
    /// The shown lines in order. Between two lines that are not consecutive in the file, the
    /// excerpt has one empty separator line, which no snippet may cross.
    lines: Vec<Shown>,
    /// Excerpt line index of each shown line (separators not included), parallel to `lines`.
    excerpt_line: Vec<usize>,
    /// The labels' spans in the excerpt (offset, length), in the order given.
    spans: Vec<(usize, usize)>,
    /// The real column (0-based, characters) of each label's start, by its excerpt offset:
    /// exact also where the excerpt cannot show the place (in a line break, past a cut).
    starts: Vec<(usize, usize)>,
}

/// A label's byte range, clamped into the file and onto character boundaries.
fn clamp(text: &str, span: Range<usize>) -> Range<usize> {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start);
    let end = floor(span.end.max(start));
    start..end
}

impl Excerpt {
    /// The excerpt of `file` that shows `labels` (byte ranges in the file, any values: they
    /// are clamped), the primary label first: a cut line is centred on the first label on it.
    /// `name` is the name shown in the header (already terminal-safe).
    pub fn new(name: String, file: &SourceFile, labels: &[Range<usize>]) -> Excerpt {
        let mut needed: Vec<Range<usize>> = Vec::new();
        // (line, byte) the window of a long line is centred on: where a label starts or ends,
        // in the order of the labels.
        let mut focus: Vec<(usize, usize)> = Vec::new();
        for span in labels {
            let span = Self::shown_span(file, span.clone());
            let first = file.line_index(span.start);
            let last = file.line_index(span.end);
            focus.push((first, span.start));
            if last != first {
                focus.push((last, span.end));
            }
            needed.push(first.saturating_sub(1)..(last + 2).min(file.line_count()));
        }
        needed.sort_by_key(|r| r.start);
        let mut merged: Vec<Range<usize>> = Vec::new();
        for r in needed {
            match merged.last_mut() {
                Some(m) if r.start <= m.end + MAX_GAP_LINES => m.end = m.end.max(r.end),
                _ => merged.push(r),
            }
        }
        let mut ex = Excerpt {
            name,
            text: String::new(),
            lines: Vec::new(),
            excerpt_line: Vec::new(),
            spans: Vec::new(),
            starts: Vec::new(),
        };
        let mut excerpt_line = 0;
        for (i, range) in merged.iter().enumerate() {
            if i > 0 {
                // End the last line, then an empty separator line.
                ex.text.push_str("\n\n");
                excerpt_line += 2;
            }
            for line in range.clone() {
                if line > range.start {
                    ex.text.push('\n');
                    excerpt_line += 1;
                }
                ex.push_line(file, line, &focus);
                ex.excerpt_line.push(excerpt_line);
            }
        }
        // The last line ends as it does in the file (miette shows an empty last line only
        // when a line break ends it).
        if ex
            .lines
            .last()
            .is_some_and(|l| l.real_line + 1 < file.line_count())
        {
            ex.text.push('\n');
        }
        for span in labels {
            let span = Self::shown_span(file, span.clone());
            let start = ex.offset_of(file, span.start);
            let end = ex.offset_of(file, span.end).max(start);
            ex.spans.push((start, end - start));
            if !ex.starts.iter().any(|&(at, _)| at == start) {
                ex.starts.push((start, file.line_col(span.start).1 - 1));
            }
        }
        ex
    }

    /// The part of a label that is shown: clamped, and cut to its first line when it runs over
    /// more than [`MAX_LABEL_LINES`] lines. Its end is inclusive of the last shown byte's line.
    fn shown_span(file: &SourceFile, span: Range<usize>) -> Range<usize> {
        let span = clamp(&file.text, span);
        let first = file.line_index(span.start);
        // A span that ends just after a line break ends on the line it breaks.
        let last = file.line_index(span.end.saturating_sub(1).max(span.start));
        if last - first >= MAX_LABEL_LINES {
            let line = file.line_range(first);
            return span.start..line.end.max(span.start);
        }
        span
    }

    /// Append line `line` of the file, cut and escaped.
    fn push_line(&mut self, file: &SourceFile, line: usize, focus: &[(usize, usize)]) {
        let text: &str = &file.text;
        let range = file.line_range(line);
        let content = &text[range.clone()];
        let window =
            if content.len() <= MAX_LINE_CHARS || content.chars().nth(MAX_LINE_CHARS).is_none() {
                range.clone()
            } else {
                // Centre on the first label on this line, else on the nearest label's line in the
                // same column region (a context line lines up with the label under it).
                let nearest = focus
                    .iter()
                    .enumerate()
                    .min_by_key(|(order, (l, _))| (l.abs_diff(line), *order))
                    .map(|(_, f)| *f)
                    .unwrap_or((line, range.start));
                let at = if nearest.0 == line {
                    nearest.1.clamp(range.start, range.end)
                } else {
                    let column = column_of(text, file.line_range(nearest.0).start, nearest.1);
                    byte_at_column(text, range.clone(), column)
                };
                window_around(text, range.clone(), at)
            };
        let start = self.text.len();
        if window.start > range.start {
            self.text.push_str(CUT);
        }
        let mut column = column_of(text, range.start, window.start);
        let mut marks = Vec::with_capacity(window.len() + 1);
        for (i, c) in text[window.clone()].char_indices() {
            marks.push((window.start + i, self.text.len(), column));
            if is_unsafe_for_terminal(c) {
                self.text.extend(c.escape_default());
            } else {
                self.text.push(c);
            }
            column += 1;
        }
        marks.push((window.end, self.text.len(), column));
        if window.end < range.end {
            self.text.push_str(CUT);
        }
        self.lines.push(Shown {
            real_line: line,
            start,
            window,
            marks,
        });
    }

    /// The excerpt's span of label `i` (in the order given to [`Excerpt::new`]):
    /// `(offset, length)` for miette.
    pub fn span(&self, i: usize) -> (usize, usize) {
        self.spans[i]
    }

    /// Excerpt offset of a file offset: its place in the window of its line, or the nearest
    /// window edge when the line was cut before or after it.
    fn offset_of(&self, file: &SourceFile, offset: usize) -> usize {
        let line = file.line_index(offset);
        let Ok(i) = self.lines.binary_search_by_key(&line, |l| l.real_line) else {
            // Not a shown line (the end of a span cut to its first line is on it).
            return self.text.len();
        };
        let shown = &self.lines[i];
        let at = offset.clamp(shown.window.start, shown.window.end);
        match shown.marks.binary_search_by_key(&at, |m| m.0) {
            Ok(k) => shown.marks[k].1,
            Err(k) => shown.marks[k.saturating_sub(1)].1,
        }
    }

    /// The file line (0-based) of an excerpt line, or `None` for a separator.
    fn real_line(&self, excerpt_line: usize) -> Option<usize> {
        self.excerpt_line
            .binary_search(&excerpt_line)
            .ok()
            .map(|i| self.lines[i].real_line)
    }

    /// The file column (0-based, characters) of an excerpt offset.
    fn real_column(&self, offset: usize) -> usize {
        if let Some(&(_, column)) = self.starts.iter().find(|&&(at, _)| at == offset) {
            return column;
        }
        let i = match self.lines.binary_search_by_key(&offset, |l| l.start) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let Some(shown) = self.lines.get(i) else {
            return 0;
        };
        match shown.marks.binary_search_by_key(&offset, |m| m.1) {
            Ok(k) => shown.marks[k].2,
            // Inside an escape or the cut mark: the column of the character it belongs to.
            Err(k) => shown.marks[k.saturating_sub(1)].2,
        }
    }

    /// The excerpt text (for tests).
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// 0-based column (in characters) of byte `offset` on the line starting at `line_start`.
fn column_of(text: &str, line_start: usize, offset: usize) -> usize {
    text[line_start..offset.max(line_start)].chars().count()
}

/// The byte at a column of a line (its end if the line is shorter).
fn byte_at_column(text: &str, line: Range<usize>, column: usize) -> usize {
    text[line.clone()]
        .char_indices()
        .nth(column)
        .map_or(line.end, |(i, _)| line.start + i)
}

/// A window of at most [`WINDOW_CHARS`] characters of `line` that shows byte `at`, with up to
/// [`LEAD_CHARS`] characters before it.
fn window_around(text: &str, line: Range<usize>, at: usize) -> Range<usize> {
    let before = &text[line.start..at];
    let start = before
        .char_indices()
        .rev()
        .nth(LEAD_CHARS.saturating_sub(1))
        .map_or(line.start, |(i, _)| line.start + i);
    let end = text[start..line.end]
        .char_indices()
        .nth(WINDOW_CHARS)
        .map_or(line.end, |(i, _)| start + i);
    start..end
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        let first = inner.line();
        let lines = inner.data().iter().filter(|&&b| b == b'\n').count();
        // A snippet never crosses a separator: the lines on either side are not neighbours.
        let mut real = Vec::with_capacity(lines + 1);
        for l in first..=first + lines {
            match self.real_line(l) {
                Some(r) => real.push(r),
                None if l == first + lines && inner.data().ends_with(b"\n") => {}
                None => return Err(MietteError::OutOfBounds),
            }
        }
        let real_first = *real.first().ok_or(MietteError::OutOfBounds)?;
        let column = if context_lines_before == 0 {
            self.real_column(span.offset())
        } else {
            inner.column()
        };
        let last_excerpt_line = inner.line_count();
        let line_count = self
            .real_line(last_excerpt_line)
            .unwrap_or(real_first + lines);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            real_first,
            column,
            line_count,
        )))
    }
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // one labelled span per excerpt, written as a list
mod tests {
    use super::*;

    fn excerpt(text: &str, spans: &[Range<usize>]) -> Excerpt {
        let file = SourceFile::new("f", text);
        Excerpt::new("f".into(), &file, spans)
    }

    #[test]
    fn short_clean_lines_are_shown_as_they_are() {
        let text = "a\nb = 1\nc\nd\n";
        let ex = excerpt(text, &[6..7]);
        assert_eq!(ex.text(), "a\nb = 1\nc\n");
        assert_eq!(ex.span(0), (6, 1));
    }

    #[test]
    fn control_characters_are_escaped_and_spans_follow() {
        let text = "x\u{85}\u{1b}y = \"v\"\r\nnext\r\n";
        let at = text.find("\"v\"").unwrap();
        let ex = excerpt(text, &[at..at + 3]);
        assert!(
            ex.text().starts_with("x\\u{85}\\u{1b}y = \"v\"\nnext"),
            "{:?}",
            ex.text()
        );
        let (s, l) = ex.span(0);
        assert_eq!(&ex.text()[s..s + l], "\"v\"");
        // x, U+0085, ESC, y, space, =, space: the quote is the 8th character (0-based 7).
        assert_eq!(ex.real_column(s), 7);
    }

    #[test]
    fn a_long_line_is_cut_around_the_label_and_keeps_its_columns() {
        let text = format!(
            "{{\"k\": \"{}X{}\"}}\n",
            "a".repeat(70_000),
            "b".repeat(70_000)
        );
        let at = text.find('X').unwrap();
        let ex = excerpt(&text, &[at..at + 1]);
        assert!(
            ex.text().chars().count() < WINDOW_CHARS + 10,
            "{}",
            ex.text().len()
        );
        let first = ex.text().lines().next().unwrap();
        assert!(first.starts_with(CUT) && first.ends_with(CUT), "{first}");
        let (s, l) = ex.span(0);
        assert_eq!(&ex.text()[s..s + l], "X");
        assert_eq!(ex.real_column(s), at);
    }
}
