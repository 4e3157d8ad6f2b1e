//! Per-statement recovery from syntax errors: a statement with a syntax error is reported
//! (BICEP000) and skipped; every other top-level statement of the file is evaluated.
//!
//! Tree-sitter recovers from an error by its own rules, not Bicep's: a line break is space to
//! it, so an unfinished statement can swallow the next ones (`var a = f('x'` followed by a
//! resource makes the resource an argument), and an unclosed brace can take in the rest of the
//! file. The tree's top-level nodes are therefore trusted only where they hold no error. A
//! damaged node is cut into statements where a line starts with a statement keyword followed
//! by a name or a string (`resource acr '…'`, `var x`, `targetScope =`, `import {`), or with
//! a decorator (which belongs to the statement after it). Each piece is parsed again on its
//! own (tree-sitter's included ranges: the positions stay those of the file): a piece that
//! parses whole is a statement like any other; one that does not is broken. A cut inside a
//! bracket (a nested resource in a damaged body) leaves pieces that do not parse alone, so
//! they are broken too: a cut never makes a fragment pass for a statement.
//!
//! The work is linear: the tree is walked once, each damaged region's text is scanned once
//! and each piece is parsed once (the pieces do not overlap).

use super::syntax::{self, FileKind, Parsed};
use crate::finding::Finding;
use crate::source::FileId;
use tree_sitter::Node as Ts;

/// A parsed file, recovered statement by statement.
pub struct Checked {
    pub parsed: Parsed,
    /// The pieces of damaged regions that parse whole, each parsed alone.
    pieces: Vec<tree_sitter::Tree>,
    /// Byte ranges of the main tree's top-level nodes that are damaged (replaced by pieces),
    /// in file order.
    damaged: Vec<(usize, usize)>,
    /// The statements with a syntax error, in file order.
    pub broken: Vec<Broken>,
}

/// A top-level statement with a syntax error.
#[derive(Clone, Debug)]
pub struct Broken {
    /// The keyword it starts with (`resource`, `var`, …), if it starts with one.
    pub keyword: Option<&'static str>,
    /// The symbol it declares, if it is a declaration and the name is readable.
    pub name: Option<String>,
    /// Its byte range.
    pub start: usize,
    pub end: usize,
    /// Its syntax error (the first; others of the same statement are not reported).
    pub error: Finding,
}

impl Broken {
    /// What the statement is, in words: "resource `pol`", "an import", "a statement".
    pub fn describe(&self) -> String {
        match (&self.keyword, &self.name) {
            (Some(k), Some(n)) => format!("{k} `{n}`"),
            (Some(k), None) => format!("a `{k}` statement"),
            _ => "a statement".to_string(),
        }
    }

    /// Whether the statement may declare resources (a grant, an identity): a resource or a
    /// module, or a statement whose kind cannot be told.
    pub fn may_declare_resources(&self) -> bool {
        matches!(self.keyword, None | Some("resource" | "module"))
    }
}

impl Checked {
    /// The statements that parse, from the main tree and from re-parsed pieces, in file order.
    pub fn statements(&self) -> Vec<Ts<'_>> {
        let root = self.parsed.tree.root_node();
        let mut c = root.walk();
        let mut out: Vec<Ts<'_>> = root
            .named_children(&mut c)
            .filter(|n| {
                // `damaged` is in file order: a binary search keeps this linear in the file
                // however many statements are damaged.
                self.damaged
                    .binary_search(&(n.start_byte(), n.end_byte()))
                    .is_err()
            })
            .collect();
        for piece in &self.pieces {
            let r = piece.root_node();
            let mut c = r.walk();
            out.extend(r.named_children(&mut c));
        }
        out.sort_by_key(|n| n.start_byte());
        out
    }

    /// The syntax errors to report: each broken statement's first, the first few of the file.
    pub fn errors(&self) -> Vec<Finding> {
        self.broken
            .iter()
            .take(syntax::MAX_SYNTAX_ERRORS)
            .map(|b| b.error.clone())
            .collect()
    }
}

/// Parse `text` (a file of `kind`) and recover its statements. `None` only if tree-sitter gives
/// up (it does not for text input).
pub fn check(text: &str, file: FileId, kind: FileKind) -> Option<Checked> {
    let parsed = syntax::parse(text)?;
    // The first few ERROR/MISSING nodes are described (where the compiler would report them);
    // the others are seen in their statement's `has_error`.
    let errors =
        syntax::every_file_error(&parsed.tree, text, file, kind, syntax::MAX_SYNTAX_ERRORS);
    if errors.is_empty() {
        return Some(Checked {
            parsed,
            pieces: Vec::new(),
            damaged: Vec::new(),
            broken: Vec::new(),
        });
    }
    let regions = damaged_regions(&parsed, &errors);
    let lines = LineStarts::new(text);
    let mut parser = syntax::parser();
    let mut pieces = Vec::new();
    let mut broken = Vec::new();
    let mut damaged = Vec::new();
    for region in &regions {
        damaged.extend(region.nodes.iter().copied());
        let cuts = statement_starts(text, region.start, region.end);
        let mut region_broken = Vec::new();
        let mut region_pieces = Vec::new();
        for (i, &(start, keyword)) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).map_or(region.end, |&(s, _)| s);
            let own = first_error_in(&errors, start, end);
            let tree = parse_piece(&mut parser, text, &lines, start, end);
            let piece_error = match &tree {
                Some(t) => syntax::every_file_error(t, text, file, kind, 1)
                    .into_iter()
                    .next(),
                None => own.cloned(),
            };
            match (piece_error, tree) {
                (None, Some(t)) => region_pieces.push(t),
                // The file's own error, where it is in the piece, is the one the compiler
                // reports; otherwise the piece's.
                (error, _) => region_broken.push(broken_piece(
                    file,
                    text,
                    start,
                    end,
                    keyword,
                    own.cloned().or(error),
                )),
            }
        }
        if region_broken.is_empty() {
            // Every piece parses alone, yet the region has an error: trust the error, not the
            // cuts (never let a broken region pass whole).
            let first = first_error_in(&errors, region.start, region.end + 1)
                .or(errors.first())
                .cloned();
            let keyword = cuts.first().and_then(|&(_, k)| k);
            region_broken.push(broken_piece(
                file,
                text,
                region.start,
                region.end,
                keyword,
                first,
            ));
            region_pieces.clear();
        }
        broken.extend(region_broken);
        pieces.extend(region_pieces);
    }
    Some(Checked {
        parsed,
        pieces,
        damaged,
        broken,
    })
}

fn broken_piece(
    file: FileId,
    text: &str,
    start: usize,
    end: usize,
    keyword: Option<&'static str>,
    error: Option<Finding>,
) -> Broken {
    let error = error.unwrap_or_else(|| {
        Finding::new(
            crate::rules::meta("BICEP000"),
            crate::source::Loc::new(file, start, start),
            "syntax error in this statement",
        )
    });
    let name = keyword.and_then(|k| declared_name(text, start, end, k));
    Broken {
        keyword,
        name,
        start,
        end,
        error,
    }
}

/// The first of `errors` (in file order) that starts in `start..end`.
fn first_error_in(errors: &[Finding], start: usize, end: usize) -> Option<&Finding> {
    let i = errors.partition_point(|e| (e.loc.start as usize) < start);
    errors.get(i).filter(|e| (e.loc.start as usize) < end)
}

/// A run of damaged top-level nodes: its byte range (from the start of its first line) and the
/// nodes' own ranges.
struct Region {
    start: usize,
    end: usize,
    nodes: Vec<(usize, usize)>,
}

/// The top-level nodes with an error in them (an ERROR or MISSING node, or an error of the
/// file's checks located inside), consecutive ones joined. A decorator list alone at the top
/// level (tree-sitter's recovery splits it from its declaration) joins the node after it.
fn damaged_regions(parsed: &Parsed, errors: &[Finding]) -> Vec<Region> {
    let root = parsed.tree.root_node();
    let mut c = root.walk();
    let nodes: Vec<Ts> = root
        .named_children(&mut c)
        .filter(|n| !matches!(n.kind(), "comment" | "diagnostic_comment"))
        .collect();
    let mut starts: Vec<usize> = errors.iter().map(|e| e.loc.start as usize).collect();
    starts.sort_unstable();
    let mut bad = vec![false; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let (s, e) = (n.start_byte(), n.end_byte());
        let first = starts.partition_point(|&p| p < s);
        bad[i] = n.has_error() || starts.get(first).is_some_and(|&p| p <= e);
    }
    // An error between two nodes (or after the last) damages the node before it.
    for &p in &starts {
        // The last node that starts at or before `p` (nodes are in file order).
        let at_or_before = nodes.partition_point(|n| n.start_byte() <= p);
        let inside = at_or_before > 0 && nodes[at_or_before - 1].end_byte() >= p;
        if !inside && !nodes.is_empty() {
            bad[at_or_before.saturating_sub(1)] = true;
        }
    }
    // A statement is a line (or more): nodes on a line with a damaged one are the same
    // statement (`param p string` then an ERROR `= +*`), and so is a decorator list before it.
    let same_line = |a: &Ts, b: &Ts| a.end_position().row == b.start_position().row;
    for i in 1..nodes.len() {
        if bad[i - 1] && same_line(&nodes[i - 1], &nodes[i]) {
            bad[i] = true;
        }
    }
    for i in (0..nodes.len().saturating_sub(1)).rev() {
        if bad[i + 1] && (nodes[i].kind() == "decorators" || same_line(&nodes[i], &nodes[i + 1])) {
            bad[i] = true;
        }
    }
    let mut out: Vec<Region> = Vec::new();
    let mut previous_bad = false;
    for (i, n) in nodes.iter().enumerate() {
        if !bad[i] {
            previous_bad = false;
            continue;
        }
        let range = (n.start_byte(), n.end_byte());
        match out.last_mut() {
            Some(r) if previous_bad => {
                r.end = range.1;
                r.nodes.push(range);
            }
            _ => out.push(Region {
                start: range.0,
                end: range.1,
                nodes: vec![range],
            }),
        }
        previous_bad = true;
    }
    out
}

/// Where statements start in `text[start..end]`: `start` itself, then every line that starts
/// with a decorator or with a statement keyword followed by what a statement has after it; a
/// line right after a decorator's line belongs to the same statement. With the keyword each
/// statement starts with, when it does.
fn statement_starts(text: &str, start: usize, end: usize) -> Vec<(usize, Option<&'static str>)> {
    let mut out: Vec<(usize, Option<&'static str>)> = vec![(start, statement_keyword(text, start))];
    let mut after_decorator = text[start..].trim_start().starts_with('@');
    let mut at = start;
    while let Some(nl) = text[at..end].find('\n') {
        let line = at + nl + 1;
        at = line;
        if line >= end {
            break;
        }
        let first = text[line..end].trim_start_matches([' ', '\t', '\r']);
        let decorator = first.starts_with('@');
        let keyword = statement_keyword(text, line);
        if decorator || keyword.is_some() {
            if after_decorator {
                // The declaration (or next decorator) of the decorated statement.
                if let Some(last) = out.last_mut()
                    && last.1.is_none()
                {
                    last.1 = keyword;
                }
            } else {
                out.push((line, keyword));
            }
            after_decorator = decorator;
        } else if !first.is_empty() && !first.starts_with("//") {
            after_decorator = false;
        }
    }
    out
}

/// The statement keyword the line at `line` starts with, if it is followed by what follows
/// the keyword in a statement (a name, a string, `{` or `*` for `import`, `=` for
/// `targetScope`): `resource: 1` and `type: 'x'` are object properties, not statements.
fn statement_keyword(text: &str, line: usize) -> Option<&'static str> {
    let rest = text[line..].trim_start_matches([' ', '\t', '\r', '\u{feff}']);
    let keyword = syntax::STATEMENT_KEYWORDS.iter().find(|k| {
        rest.starts_with(**k)
            && rest[k.len()..]
                .bytes()
                .next()
                .is_some_and(|b| b == b' ' || b == b'\t')
    })?;
    let after = rest[keyword.len()..].trim_start_matches([' ', '\t']);
    let next = after.bytes().next()?;
    let fits = match *keyword {
        "targetScope" => next == b'=',
        "import" => next == b'{' || next == b'*' || next == b'\'',
        _ => next.is_ascii_alphabetic() || next == b'_' || next == b'\'',
    };
    fits.then_some(*keyword)
}

/// The name a declaration statement declares: the identifier after its keyword.
fn declared_name(text: &str, start: usize, end: usize, keyword: &str) -> Option<String> {
    if !matches!(
        keyword,
        "param" | "var" | "resource" | "module" | "output" | "type" | "func" | "metadata"
    ) {
        return None;
    }
    let piece = &text[start..end];
    let at = piece
        .lines()
        .map(|l| l.trim_start_matches([' ', '\t', '\u{feff}']))
        .find(|l| l.starts_with(keyword))?;
    let name: String = at[keyword.len()..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Byte offsets of line starts, for tree-sitter points.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> Self {
        let mut v = vec![0];
        v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineStarts(v)
    }
    fn point(&self, byte: usize) -> tree_sitter::Point {
        let row = self.0.partition_point(|&s| s <= byte) - 1;
        tree_sitter::Point::new(row, byte - self.0[row])
    }
}

/// Parse `text[start..end]` alone, with the file's positions (tree-sitter's included ranges:
/// the parser reads only that range).
fn parse_piece(
    parser: &mut tree_sitter::Parser,
    text: &str,
    lines: &LineStarts,
    start: usize,
    end: usize,
) -> Option<tree_sitter::Tree> {
    let range = tree_sitter::Range {
        start_byte: start,
        end_byte: end,
        start_point: lines.point(start),
        end_point: lines.point(end),
    };
    parser.set_included_ranges(&[range]).ok()?;
    let bytes = text.as_bytes();
    let mut progress = |_: &tree_sitter::ParseState| {
        PIECE_WORK.with(|w| w.set(w.get() + 1));
        std::ops::ControlFlow::Continue(())
    };
    parser.parse_with_options(
        &mut |i, _| {
            PIECE_WORK.with(|w| w.set(w.get() + 1));
            // Outside the piece there is nothing to read.
            match i >= start {
                true => bytes.get(i..end.max(i)).unwrap_or_default(),
                false => &[],
            }
        },
        None,
        Some(tree_sitter::ParseOptions::new().progress_callback(&mut progress)),
    )
}

thread_local! {
    /// Reads of the input and parser progress reports (every so many operations) while
    /// parsing pieces: the work recovery adds, counted by the linearity test.
    static PIECE_WORK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (kind or "BROKEN <describe>", first line) of each statement of `src`.
    fn statements(src: &str) -> Vec<String> {
        let c = check(src, 0, FileKind::Bicep).unwrap();
        let line = |b: usize| src[..b].matches('\n').count() + 1;
        let mut out: Vec<(usize, String)> = c
            .statements()
            .iter()
            .filter(|n| n.kind() != "comment")
            .map(|n| {
                (
                    n.start_byte(),
                    format!("{} {}", line(n.start_byte()), n.kind()),
                )
            })
            .collect();
        out.extend(c.broken.iter().map(|b| {
            (
                b.start,
                format!("{} BROKEN {}", line(b.start), b.describe()),
            )
        }));
        out.sort();
        out.into_iter().map(|(_, s)| s).collect()
    }

    const ACR: &str = "resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n  name: 'acr'\n  location: location\n}\n";

    #[test]
    fn an_unfinished_call_does_not_swallow_the_next_statement() {
        let src = format!(
            "param location string\nvar broken = concat('a'\n{ACR}output id string = acr.id\n"
        );
        assert_eq!(
            statements(&src),
            [
                "1 parameter_declaration",
                "2 BROKEN var `broken`",
                "3 resource_declaration",
                "7 output_declaration"
            ]
        );
    }

    #[test]
    fn an_unclosed_brace_breaks_its_statement_only() {
        let src = format!(
            "resource kv 'Microsoft.KeyVault/vaults@2024-11-01' = {{\n  name: 'kv'\n\n{ACR}var x = 1\n"
        );
        assert_eq!(
            statements(&src),
            [
                "1 BROKEN resource `kv`",
                "4 resource_declaration",
                "8 variable_declaration"
            ]
        );
    }

    #[test]
    fn an_error_inside_a_resource_body_breaks_that_resource() {
        let src = format!(
            "resource kv 'Microsoft.KeyVault/vaults@2024-11-01' = {{\n  name: 'kv' +* 2\n  resource child 'keys' = {{\n    name: 'k'\n  }}\n}}\n{ACR}"
        );
        let s = statements(&src);
        assert_eq!(s.last().unwrap(), "7 resource_declaration", "{s:?}");
        assert!(s[0].starts_with("1 BROKEN resource `kv`"), "{s:?}");
        // The nested resource is not a statement of its own.
        assert!(!s.iter().any(|x| x.contains("3 resource")), "{s:?}");
    }

    #[test]
    fn an_error_at_the_end_of_the_file() {
        let src = format!("{ACR}var last = ");
        assert_eq!(
            statements(&src),
            ["1 resource_declaration", "5 BROKEN var `last`"]
        );
        let src = format!("{ACR}}}");
        let s = statements(&src);
        assert_eq!(s[0], "1 resource_declaration", "{s:?}");
        assert_eq!(s.len(), 2, "{s:?}");
    }

    #[test]
    fn decorators_stay_with_their_statement_and_garbage_is_a_statement() {
        let src = format!(
            "@description('the location')\nparam location string = +*\n{ACR}wrong\noutput o string = 'x'\n"
        );
        assert_eq!(
            statements(&src),
            [
                "1 BROKEN param `location`",
                "3 resource_declaration",
                "7 BROKEN a statement",
                "8 output_declaration"
            ]
        );
    }

    #[test]
    fn object_properties_named_like_keywords_do_not_cut() {
        let src = "var o = {\n  resource: 1\n  type: 'x'\n  param: +*\n}\nvar ok = 1\n";
        assert_eq!(
            statements(src),
            ["1 BROKEN var `o`", "6 variable_declaration"]
        );
    }

    #[test]
    fn a_file_without_errors_is_one_tree() {
        let src = format!("param location string\n{ACR}");
        let c = check(&src, 0, FileKind::Bicep).unwrap();
        assert!(c.broken.is_empty() && c.pieces.is_empty());
        assert_eq!(c.statements().len(), 2);
    }

    /// Recovery parses each piece once: its work grows with the file, not with the number of
    /// pieces times the file (a re-parse of the whole file per statement would be quadratic).
    #[test]
    fn recovery_work_is_linear() {
        let make = |n: usize| {
            (0..n)
                .map(|i| {
                    format!(
                        "var a{i} = concat('x'\nresource r{i} 'A/b@1' = {{\n  name: 'r{i}'\n}}\n"
                    )
                })
                .collect::<String>()
        };
        let work = |src: &str| {
            let (calls, chars) = tree_sitter_bicep_acr::scanner_work();
            let before = PIECE_WORK.with(|w| w.get());
            let c = check(src, 0, FileKind::Bicep).unwrap();
            // Every `var` is broken, every resource recovered.
            assert_eq!(c.broken.len(), c.statements().len());
            let pieces = PIECE_WORK.with(|w| w.get()) - before;
            assert!(pieces > 0);
            let (calls2, chars2) = tree_sitter_bicep_acr::scanner_work();
            (calls2 - calls) + (chars2 - chars) + pieces * 100
        };
        let (small, large) = (make(200), make(800));
        let (w_small, w_large) = (work(&small), work(&large));
        let ratio = w_large as f64 / w_small as f64;
        assert!(
            ratio < 4.0 * 1.3,
            "{w_small} → {w_large} ({ratio:.1}x for 4x)"
        );
    }
}
