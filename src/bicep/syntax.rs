//! Parsing: tree-sitter-bicep, after a length-preserving rewrite of the constructs its 1.1
//! grammar does not know, plus located syntax errors.
//!
//! tree-sitter-bicep 1.1 predates several constructs that real, valid Bicep uses (measured on
//! the 647 `.bicep` files of the corpus): the spread operator `...`, the postfix non-null
//! assertion after a call (`last(split(id, '/'))!`), `resourceInput<'T@v'>.path` types, a
//! nullable parameter type (`param lock lockType?`) followed by another declaration (the `?` is
//! read as a ternary), typed variables (`var x string = …`) and `extension` statements. Rather
//! than rejecting those files, [`rewrite`] replaces each construct by text of the *same byte
//! length* that the grammar accepts and that means the same for evaluation (a type becomes
//! `object`, `!` becomes a space, a spread in an object becomes a property named `_` whose
//! offset is remembered). Spans in the tree are therefore spans in the original text.

use crate::finding::Finding;
use crate::source::{FileId, Loc};
use std::collections::HashSet;

/// The rewritten text and where spreads were.
pub struct Rewritten {
    pub text: String,
    /// Byte offsets of spread operands (the expression after `...`): in an object the operand is
    /// the value of a property named `_`, in an array it is an element.
    pub spreads: HashSet<usize>,
}

/// A parsed Bicep file. Cloning is cheap: the tree is shared (tree-sitter copies are
/// reference-counted), which is what lets [`share_parses`] hand one parse to many units.
#[derive(Clone)]
pub struct Parsed {
    pub tree: tree_sitter::Tree,
    pub spreads: HashSet<usize>,
}

/// Which bytes are code (not inside a string literal or comment). Interpolations `${…}` inside
/// strings are code again.
fn code_mask(text: &str) -> (Vec<bool>, Vec<bool>) {
    #[derive(Clone, Copy, PartialEq)]
    enum St {
        Code,
        Str,
        MultiStr,
        LineComment,
        BlockComment,
    }
    let b = text.as_bytes();
    let mut mask = vec![true; b.len()];
    let mut comment = vec![false; b.len()];
    // Stack of states to return to when an interpolation's closing brace is met; each entry
    // counts the open braces inside that interpolation.
    let mut interp: Vec<usize> = Vec::new();
    let mut st = St::Code;
    let mut i = 0;
    while i < b.len() {
        match st {
            St::Code => {
                if b[i..].starts_with(b"'''") {
                    st = St::MultiStr;
                    mask[i..i + 3].fill(false);
                    i += 3;
                    continue;
                }
                match b[i] {
                    b'\'' => st = St::Str,
                    b'/' if b.get(i + 1) == Some(&b'/') => st = St::LineComment,
                    b'/' if b.get(i + 1) == Some(&b'*') => st = St::BlockComment,
                    b'{' => {
                        if let Some(n) = interp.last_mut() {
                            *n += 1;
                        }
                    }
                    b'}' => {
                        if let Some(n) = interp.last_mut() {
                            if *n == 0 {
                                interp.pop();
                                st = St::Str;
                            } else {
                                *n -= 1;
                            }
                        }
                    }
                    _ => {}
                }
                if st != St::Code {
                    mask[i] = false;
                    comment[i] = matches!(st, St::LineComment | St::BlockComment);
                }
            }
            St::Str => {
                mask[i] = false;
                match b[i] {
                    b'\\' => {
                        if i + 1 < b.len() {
                            mask[i + 1] = false;
                        }
                        i += 2;
                        continue;
                    }
                    b'\'' => st = St::Code,
                    b'$' if b.get(i + 1) == Some(&b'{') => {
                        mask[i + 1] = false;
                        interp.push(0);
                        st = St::Code;
                        i += 2;
                        continue;
                    }
                    _ => {}
                }
            }
            St::MultiStr => {
                mask[i] = false;
                if b[i..].starts_with(b"'''") {
                    mask[i..i + 3].fill(false);
                    st = St::Code;
                    i += 3;
                    continue;
                }
            }
            St::LineComment => {
                if b[i] == b'\n' {
                    st = St::Code;
                } else {
                    mask[i] = false;
                    comment[i] = true;
                }
            }
            St::BlockComment => {
                mask[i] = false;
                comment[i] = true;
                if b[i..].starts_with(b"*/") {
                    mask[i + 1] = false;
                    st = St::Code;
                    i += 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    (mask, comment)
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Length-preserving rewrite of the constructs tree-sitter-bicep 1.1 does not parse.
pub fn rewrite(text: &str) -> Rewritten {
    let (mask, comment) = code_mask(text);
    let mut out = text.as_bytes().to_vec();
    let mut spreads = HashSet::new();
    let b = text.as_bytes();
    // Bracket stack of code bytes, to tell an object spread from an array spread.
    let mut brackets: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let inner = brackets.last().copied();
        if !mask[i] {
            // The grammar lexes `//` or `/*` at the start of a string's content as a comment
            // (`'//'`). The evaluator reads strings from the original text, so the value is
            // unaffected by blanking the first character inside the string.
            if !comment[i] && b[i] == b'/' && matches!(b.get(i + 1), Some(b'/' | b'*')) {
                out[i] = b'_';
            }
            // A line comment inside a call's parentheses would swallow the arguments once
            // the newlines there are joined (below): blank it.
            if inner == Some(b'(') && comment[i] && b[i] != b'\n' {
                out[i] = b' ';
            }
            i += 1;
            continue;
        }
        let c = b[i];
        match c {
            // The grammar does not allow line breaks between a call's arguments; joining them
            // keeps every byte offset.
            b'\n' | b'\r' if inner == Some(b'(') => out[i] = b' ',
            // `import {` with one name per line and no commas.
            b'\n' if inner == Some(b'i') => {
                let prev = b[..i].iter().rposition(|c| !c.is_ascii_whitespace());
                let next = b[i..].iter().position(|c| !c.is_ascii_whitespace());
                let ident = |k: Option<usize>| k.is_some_and(|k| is_ident_byte(b[k]));
                out[i] = if ident(prev) && ident(next.map(|n| n + i)) {
                    b','
                } else {
                    b' '
                };
            }
            // A union type written with a leading `|` after `(`.
            b'|' if inner == Some(b'(')
                && b[..i].iter().rev().find(|c| !c.is_ascii_whitespace()) == Some(&b'(')
                && b.get(i + 1) != Some(&b'|') =>
            {
                out[i] = b' ';
            }
            // Index from the end `a[^1]`: a negative index, which the evaluator reads so.
            b'^' if i > 0
                && (b[i - 1] == b'[' || (b[i - 1] == b'?' && i > 1 && b[i - 2] == b'[')) =>
            {
                out[i] = b'-'
            }
            b'{' if text[..i].trim_end().ends_with("import")
                && !text[..i].trim_end().ends_with("_import") =>
            {
                brackets.push(b'i')
            }
            b'{' | b'[' | b'(' => brackets.push(c),
            b'}' | b']' | b')' => {
                brackets.pop();
            }
            b'.' if b[i..].starts_with(b"...") => {
                let operand = i + 3;
                if brackets.last() == Some(&b'{') {
                    out[i..i + 3].copy_from_slice(b"_: ");
                } else {
                    out[i..i + 3].copy_from_slice(b"   ");
                }
                spreads.insert(operand);
                i += 3;
                continue;
            }
            // Postfix non-null assertion: `x!`, `f(x)!`, `a[0]!` (but not `!=`).
            b'!' if i > 0
                && (is_ident_byte(b[i - 1]) || b[i - 1] == b')' || b[i - 1] == b']')
                && b.get(i + 1) != Some(&b'=') =>
            {
                out[i] = b' ';
            }
            b'r' if (b[i..].starts_with(b"resourceInput<")
                || b[i..].starts_with(b"resourceOutput<"))
                && (i == 0 || !is_ident_byte(b[i - 1])) =>
            {
                let end = resource_type_end(b, i);
                blank_as(&mut out, i, end, b"object");
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    rewrite_lines(text, &mask, &mut out);
    // Only ASCII bytes were replaced by ASCII bytes at ASCII positions.
    let text = String::from_utf8(out).unwrap_or_else(|_| text.to_string());
    Rewritten { text, spreads }
}

/// End of `resourceInput<'…'>.a.b` (the `<…>` then any `.ident` path).
fn resource_type_end(b: &[u8], start: usize) -> usize {
    let mut j = start;
    while j < b.len() && b[j] != b'>' && b[j] != b'\n' {
        j += 1;
    }
    if j < b.len() && b[j] == b'>' {
        j += 1;
    }
    loop {
        if b[j..].starts_with(b"[*]") {
            j += 3;
        } else if j + 1 < b.len() && b[j] == b'.' && is_ident_byte(b[j + 1]) {
            j += 1;
            while j < b.len() && is_ident_byte(b[j]) {
                j += 1;
            }
        } else {
            break;
        }
    }
    j
}

fn blank_as(out: &mut [u8], start: usize, end: usize, with: &[u8]) {
    for (k, slot) in out[start..end].iter_mut().enumerate() {
        *slot = with.get(k).copied().unwrap_or(b' ');
    }
}

/// Line-level rewrites: typed `var`s, trailing nullable `?` on parameter types without default,
/// and `extension` statements.
fn rewrite_lines(text: &str, mask: &[bool], out: &mut [u8]) {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        if mask.get(start + line.len() - line.trim_start().len()) == Some(&true) {
            rewrite_line(text, start, end, mask, out);
        }
        start = end;
    }
}

fn rewrite_line(text: &str, start: usize, end: usize, mask: &[bool], out: &mut [u8]) {
    let line = &text[start..end];
    let indent = line.len() - line.trim_start().len();
    let body = line.trim_start();
    // Code part of the line (up to a trailing comment), trimmed.
    let mut code_end = end;
    for k in (start..end).rev() {
        if mask[k] && !text.as_bytes()[k].is_ascii_whitespace() {
            code_end = k + 1;
            break;
        }
    }
    let words: Vec<&str> = body.split_whitespace().collect();
    if body.starts_with("var ") && words.len() >= 4 && words[2] != "=" {
        // `var name type = value` → blank the type.
        let name_at = start + indent + 4 + body[4..].find(words[1]).unwrap_or(0);
        let type_from = name_at + words[1].len();
        if let Some(eq) = text[type_from..end].find('=') {
            let eq = type_from + eq;
            if mask[eq] && is_plain_type(&text[type_from..eq]) {
                out[type_from..eq].fill(b' ');
            }
        }
    } else if body.starts_with("param ") && !line.contains('=') && code_end > start {
        if text.as_bytes()[code_end - 1] == b'?' {
            out[code_end - 1] = b' ';
        }
    } else if body.starts_with("extension ") && words.len() == 2 {
        out[start + indent..code_end].fill(b' ');
    }
}

fn is_plain_type(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.bytes()
            .all(|c| is_ident_byte(c) || matches!(c, b'.' | b'[' | b']' | b'?' | b' '))
}

pub fn parser() -> tree_sitter::Parser {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_bicep_acr::LANGUAGE.into())
        .expect("tree-sitter-bicep is compatible with the tree-sitter crate in Cargo.toml");
    p
}

/// Parse after [`rewrite`]. `None` only if tree-sitter gives up (it does not for text input).
/// While a [`share_parses`] guard is alive, the same text is parsed once.
pub fn parse(text: &str) -> Option<Parsed> {
    if let Some(hit) = parse_cache::get(text) {
        return Some(hit);
    }
    let parsed = parse_uncached(text)?;
    parse_cache::put(text, &parsed);
    Some(parsed)
}

/// Share parses between the units of a lint run until the guard is dropped. A module such as
/// an AVM `main.bicep` is evaluated by every unit that uses it (its e2e tests, its parents): the
/// cache turns those repeated parses (most of the Bicep lint time on the corpus) into one.
/// Keyed by the text itself, so a file that changed is parsed again.
pub fn share_parses() -> parse_cache::Guard {
    parse_cache::Guard::new()
}

pub mod parse_cache {
    use super::Parsed;
    use std::collections::HashMap;
    use std::sync::{Mutex, MutexGuard};

    #[derive(Default)]
    struct Cache {
        /// Live guards; the cache is emptied when the last one goes.
        users: usize,
        parsed: HashMap<Box<str>, Parsed>,
    }

    static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

    fn lock() -> MutexGuard<'static, Option<Cache>> {
        // Parsing never happens under the lock, so a poisoned lock only means another thread
        // panicked between two map operations: the map is still consistent.
        CACHE.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps the cache alive; see [`super::share_parses`].
    pub struct Guard(());

    impl Guard {
        pub(super) fn new() -> Self {
            lock().get_or_insert_with(Cache::default).users += 1;
            Guard(())
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            let mut cache = lock();
            if let Some(c) = cache.as_mut() {
                c.users -= 1;
                if c.users == 0 {
                    *cache = None;
                }
            }
        }
    }

    pub(super) fn get(text: &str) -> Option<Parsed> {
        lock().as_ref()?.parsed.get(text).cloned()
    }

    pub(super) fn put(text: &str, parsed: &Parsed) {
        if let Some(c) = lock().as_mut() {
            c.parsed.insert(text.into(), parsed.clone());
        }
    }
}

fn parse_uncached(text: &str) -> Option<Parsed> {
    let rw = rewrite(text);
    let tree = parser().parse(&rw.text, None)?;
    Some(Parsed {
        tree,
        spreads: rw.spreads,
    })
}

/// BICEP000 findings for the ERROR/MISSING nodes of a tree (the first few, outermost first).
pub fn syntax_errors(tree: &tree_sitter::Tree, text: &str, file: FileId) -> Vec<Finding> {
    let mut out = Vec::new();
    if !tree.root_node().has_error() {
        return out;
    }
    collect_errors(tree.root_node(), text, file, &mut out);
    out
}

const MAX_SYNTAX_ERRORS: usize = 5;

/// Iterative (hostile input may nest thousands of levels deep), outermost errors first.
fn collect_errors(root: tree_sitter::Node, text: &str, file: FileId, out: &mut Vec<Finding>) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if out.len() >= MAX_SYNTAX_ERRORS {
            return;
        }
        if !node.has_error() {
            continue;
        }
        if node.is_missing() {
            let loc = Loc::new(file, node.start_byte(), node.start_byte());
            out.push(
                Finding::new(
                    crate::rules::meta("BICEP000"),
                    loc,
                    format!("syntax error: expected {}", describe_kind(node.kind())),
                )
                .label(format!("{} expected here", describe_kind(node.kind()))),
            );
            continue;
        }
        // Types do not affect values: the grammar's gaps in type syntax (`(-1 | 1)`, …) are
        // tolerated inside type declarations.
        if node.kind() == "type_declaration" {
            continue;
        }
        if node.is_error() {
            out.push(error_finding(node, text, file));
            continue;
        }
        let mut cursor = node.walk();
        let children: Vec<_> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
}

fn error_finding(node: tree_sitter::Node, text: &str, file: FileId) -> Finding {
    // Point at the first token tree-sitter could not place, not the whole skipped region.
    let first = first_leaf(node);
    let loc = Loc::new(
        file,
        first.start_byte(),
        first.end_byte().max(first.start_byte()),
    );
    let what = text
        .get(first.byte_range())
        .map(|t| t.chars().take(40).collect::<String>())
        .unwrap_or_default();
    let context = node
        .parent()
        .map(|p| describe_kind(p.kind()))
        .unwrap_or("file");
    let mut message = if what.trim().is_empty() {
        format!("syntax error in {context}")
    } else {
        format!("syntax error: unexpected `{}` in {context}", what.trim())
    };
    let expected = expected_tokens(node);
    if !expected.is_empty() {
        message.push_str(&format!("; expected {}", expected.join(" or ")));
    }
    Finding::new(crate::rules::meta("BICEP000"), loc, message)
        .label("not valid Bicep here")
        .help("fix the Bicep syntax (`az bicep build` shows the compiler's own message)")
}

/// What the grammar would have accepted where an error starts: the lookahead symbols of the
/// parse state after the preceding node (only when they are few enough to help).
fn expected_tokens(node: tree_sitter::Node) -> Vec<String> {
    let Some(prev) = node.prev_sibling() else {
        return Vec::new();
    };
    // After a parameter's name the grammar accepts any of a dozen type forms.
    if prev.kind() == "identifier"
        && node.parent().map(|p| p.kind()) == Some("parameter_declaration")
    {
        return vec!["a type (`param name string = …`)".to_string()];
    }
    let lang = node.language();
    let Some(mut it) = lang.lookahead_iterator(prev.next_parse_state()) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for sym in it.by_ref() {
        if sym == 0 || !lang.node_kind_is_visible(sym) {
            continue;
        }
        let Some(kind) = lang.node_kind_for_id(sym) else {
            continue;
        };
        if matches!(kind, "ERROR" | "comment" | "diagnostic_comment") || kind.starts_with('_') {
            continue;
        }
        let text = if lang.node_kind_is_named(sym) {
            describe_kind(kind).to_string()
        } else {
            format!("`{kind}`")
        };
        if !out.contains(&text) {
            out.push(text);
        }
        if out.len() > 5 {
            return Vec::new();
        }
    }
    out
}

fn first_leaf(node: tree_sitter::Node) -> tree_sitter::Node {
    let mut n = node;
    while let Some(c) = n.child(0) {
        n = c;
    }
    n
}

/// Grammar node kinds in words.
fn describe_kind(kind: &str) -> &str {
    match kind {
        "infrastructure" => "the file",
        "identifier" => "an identifier",
        "property_identifier" => "a property name",
        "object" => "an object",
        "object_property" => "an object property",
        "array" => "an array",
        "string" => "a string",
        "parameter_declaration" => "a param declaration",
        "variable_declaration" => "a var declaration",
        "resource_declaration" => "a resource declaration",
        "module_declaration" => "a module declaration",
        "output_declaration" => "an output declaration",
        "type_declaration" => "a type declaration",
        "ternary_expression" => "a conditional expression",
        "binary_expression" => "an expression",
        "call_expression" | "arguments" => "a function call",
        "decorator" | "decorators" => "a decorator",
        "parenthesized_expression" => "a parenthesized expression",
        "member_expression" => "a property access",
        "for_statement" => "a for expression",
        "if_statement" => "an if condition",
        "interpolation" => "a string interpolation",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) {
        let p = parse(src).unwrap();
        assert!(
            !p.tree.root_node().has_error(),
            "{src}\n{}",
            p.tree.root_node().to_sexp()
        );
    }

    #[test]
    fn rewrite_keeps_length() {
        let src = "var a = {\n  ...b\n  c: 'x...y'\n}\nvar d = [...e, 1]\nvar f = last(g)!\n";
        let rw = rewrite(src);
        assert_eq!(rw.text.len(), src.len());
        assert!(rw.text.contains("_: b"));
        assert!(rw.text.contains("'x...y'"), "strings are untouched");
        ok("var a = g(x ? y : '//')\nvar b = '/*'\n");
        assert_eq!(rw.spreads.len(), 2);
        ok(src);
    }

    #[test]
    fn grammar_gaps_are_rewritten() {
        ok("param tags resourceInput<'Microsoft.X/y@2024-01-01'>.tags?\nparam b string\n");
        ok("param lock lockType?\nparam tags object = {}\n");
        ok("var s string = 'x'\n");
        ok("extension microsoftGraphV1_0\nvar s = 'x'\n");
        ok("var s = '${a.?b!}'\nvar t = x != y\n");
    }

    #[test]
    fn real_errors_are_located() {
        let src = "param p string =\nresource r 'A/b@1' = {\n";
        let p = parse(src).unwrap();
        let errs = syntax_errors(&p.tree, src, 0);
        assert!(!errs.is_empty());
        assert_eq!(errs[0].code, "BICEP000");
        let src = "param storageAccountType = 'Standard_LRS'\n";
        let p = parse(src).unwrap();
        let errs = syntax_errors(&p.tree, src, 0);
        assert!(
            errs[0].message.contains("expected a type"),
            "{}",
            errs[0].message
        );
        assert_eq!(errs[0].loc.start as usize, src.find('=').unwrap());
    }
}
