//! In-source suppressions, Bicep's own convention:
//!
//! - `#disable-next-line CMK003 CMK011` suppresses those codes for findings whose location
//!   starts on the next line;
//! - `#disable-diagnostics CMK003` … `#restore-diagnostics CMK003` suppresses them in between
//!   (to the end of the file if never restored); without codes, every code.
//!
//! A reason follows `//` on the directive line: `#disable-next-line CMK011 // tasks not used`
//! (our convention: everything after `//` is the reason, not a code). A suppression without a
//! reason is reported by the lint driver (SUP001).

use crate::model::{SuppressedCode, Suppression, SuppressionScope};
use crate::source::{FileId, Loc};

struct Directive<'a> {
    kind: &'a str,
    codes: Vec<SuppressedCode>,
    reason: Option<String>,
    loc: Loc,
}

fn parse_directive(line: &str, at: usize, file: FileId) -> Option<Directive<'_>> {
    let t = line.trim_start();
    let lead = line.len() - t.len();
    let t = t.trim_end_matches(['\r', '\n']);
    if !t.starts_with('#') {
        return None;
    }
    let (head, reason) = match t.find("//") {
        Some(i) => (
            &t[..i],
            Some(t[i + 2..].trim().to_string()).filter(|r| !r.is_empty()),
        ),
        None => (t, None),
    };
    let mut words = head.split_whitespace();
    let kind = words.next()?.trim_start_matches('#');
    if !matches!(
        kind,
        "disable-next-line" | "disable-diagnostics" | "restore-diagnostics"
    ) {
        return None;
    }
    // Each word's offset in the file: `words` are slices of `head`, itself a slice of `line`.
    let offset = |w: &str| at + (w.as_ptr() as usize - line.as_ptr() as usize);
    Some(Directive {
        kind,
        codes: words
            .map(|w| SuppressedCode {
                code: w.to_ascii_uppercase(),
                loc: Loc::new(file, offset(w), offset(w) + w.len()),
            })
            .collect(),
        reason,
        loc: Loc::new(file, at + lead, at + lead + t.len()),
    })
}

/// The suppressions of one file.
pub fn collect(text: &str, file: FileId) -> Vec<Suppression> {
    let lines: Vec<(usize, &str)> = {
        let mut at = 0;
        text.split_inclusive('\n')
            .map(|l| {
                let start = at;
                at += l.len();
                (start, l)
            })
            .collect()
    };
    let mut out = Vec::new();
    // Open `#disable-diagnostics` blocks: (index into `out`).
    let mut open: Vec<usize> = Vec::new();
    for (i, (start, line)) in lines.iter().enumerate() {
        let Some(d) = parse_directive(line, *start, file) else {
            continue;
        };
        match d.kind {
            "disable-next-line" => {
                let (s, e) = match lines.get(i + 1) {
                    Some((s, l)) => (*s, s + l.len()),
                    None => (text.len(), text.len()),
                };
                out.push(Suppression {
                    codes: d.codes,
                    reason: d.reason,
                    scope: SuppressionScope::Range {
                        file,
                        start: s as u32,
                        end: e as u32,
                    },
                    loc: d.loc,
                    shared: true,
                });
            }
            "disable-diagnostics" => {
                open.push(out.len());
                out.push(Suppression {
                    codes: d.codes,
                    reason: d.reason,
                    scope: SuppressionScope::Range {
                        file,
                        start: (start + line.len()) as u32,
                        end: text.len() as u32,
                    },
                    loc: d.loc,
                    shared: true,
                });
            }
            _ => {
                // `#restore-diagnostics X` closes the blocks that disabled X (all if no codes).
                let end = *start as u32;
                open.retain(|&k| {
                    let s = &mut out[k];
                    let matches = d.codes.is_empty()
                        || s.codes.is_empty()
                        || s.codes
                            .iter()
                            .any(|c| d.codes.iter().any(|r| r.code == c.code));
                    if matches && let SuppressionScope::Range { end: e, .. } = &mut s.scope {
                        *e = end;
                    }
                    !matches
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_line_and_blocks() {
        let src = "#disable-next-line CMK003 cmk011 // no tasks\nvar a = 1\n#disable-diagnostics\nvar b = 2\n#restore-diagnostics\nvar c = 3\n";
        let s = collect(src, 0);
        assert_eq!(s.len(), 2);
        let codes: Vec<_> = s[0].codes.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["CMK003", "CMK011"]);
        // Each code is located where it is written.
        let at = src.find("cmk011").unwrap() as u32;
        assert_eq!(
            (s[0].codes[1].loc.start, s[0].codes[1].loc.end),
            (at, at + 6)
        );
        assert_eq!(s[0].reason.as_deref(), Some("no tasks"));
        let a = src.find("var a").unwrap() as u32;
        assert_eq!(
            s[0].scope,
            SuppressionScope::Range {
                file: 0,
                start: a,
                end: a + 10
            }
        );
        assert!(s[1].codes.is_empty());
        assert!(s[1].reason.is_none());
        let b = src.find("var b").unwrap() as u32;
        let r = src.find("#restore").unwrap() as u32;
        assert_eq!(
            s[1].scope,
            SuppressionScope::Range {
                file: 0,
                start: b,
                end: r
            }
        );
    }
}
