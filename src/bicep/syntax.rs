//! Parsing: acr-cmk's own tree-sitter grammar for Bicep (`grammar/`, a maintained fork of
//! tree-sitter-bicep that knows today's syntax), plus located syntax errors.
//!
//! The tree is parsed from the original text, so every span is a byte range of the file. What
//! the grammar accepts is a little wider than Bicep in two places, both checked here
//! ([`file_errors`]): `.bicep` and `.bicepparam` files share one grammar, so a statement of one
//! kind of file in the other is reported; and newlines are whitespace to the grammar, while
//! the compiler wants a statement per line.

use crate::finding::Finding;
use crate::source::{FileId, Loc};

/// A parsed Bicep file. Cloning is cheap: the tree is shared (tree-sitter copies are
/// reference-counted), which is what lets [`share_parses`] hand one parse to many units.
#[derive(Clone)]
pub struct Parsed {
    pub tree: tree_sitter::Tree,
}

/// Which grammar a file follows: a template or a parameters file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Bicep,
    BicepParam,
}

pub fn parser() -> tree_sitter::Parser {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_bicep_acr::LANGUAGE.into())
        .expect("the Bicep grammar is compatible with the tree-sitter crate in Cargo.toml");
    p
}

/// Parse a file. `None` only if tree-sitter gives up (it does not for text input).
/// While a [`share_parses`] guard is alive, the same text is parsed once.
pub fn parse(text: &str) -> Option<Parsed> {
    if let Some(hit) = parse_cache::get(text) {
        return Some(hit);
    }
    let parsed = Parsed {
        tree: parser().parse(text, None)?,
    };
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

/// BICEP000 findings for the ERROR/MISSING nodes of a tree (the first few, in file order).
pub fn syntax_errors(tree: &tree_sitter::Tree, text: &str, file: FileId) -> Vec<Finding> {
    let mut out = tree_errors(tree, text, file, MAX_SYNTAX_ERRORS);
    out.truncate(MAX_SYNTAX_ERRORS);
    out
}

/// The first `limit` ERROR/MISSING findings of a tree, and its statements cut short, in file
/// order.
fn tree_errors(tree: &tree_sitter::Tree, text: &str, file: FileId, limit: usize) -> Vec<Finding> {
    let mut out = Vec::new();
    if !tree.root_node().has_error() {
        return out;
    }
    collect_errors(tree.root_node(), text, file, limit, &mut out);
    statements_cut_short(tree.root_node(), text, file, &mut out);
    out.sort_by_key(|f| f.loc.start);
    out
}

/// Words that begin a statement (of a `.bicep` or a `.bicepparam` file).
pub const STATEMENT_KEYWORDS: &[&str] = &[
    "metadata",
    "targetScope",
    "import",
    "provider",
    "extension",
    "using",
    "extends",
    "extensionConfig",
    "param",
    "var",
    "resource",
    "module",
    "output",
    "type",
    "func",
    "test",
    "assert",
];

/// In a file with syntax errors: statements that end unfinished at a line break (`var a = b +`
/// then `var c = 1`). Keywords are valid names, so the grammar, to which a line break is
/// space, reads the next statement's keyword as the missing operand and reports the error a
/// line late. Such a keyword, first on its line, followed by a name or a string as a statement
/// is, and inside a top-level statement but outside brackets (where a line break would end the
/// statement), marks where the compiler stops: right after the token before it.
///
/// One walk in document order (a cursor; no recursion, no walk back up): any depth, linear.
fn statements_cut_short(root: tree_sitter::Node, text: &str, file: FileId, out: &mut Vec<Finding>) {
    const BRACKETS: &[&str] = &[
        "object",
        "array",
        "arguments",
        "parenthesized_expression",
        "object_type",
        "tuple_type",
        "for_statement",
        "if_statement",
        "interpolation",
        "parameters",
        "import_functionality",
    ];
    let mut cursor = root.walk();
    // Whether each ancestor of the current node is a bracket, how many are, and the last token.
    let mut brackets: Vec<bool> = Vec::new();
    let mut open_brackets = 0usize;
    let mut previous: Option<tree_sitter::Node> = None;
    loop {
        let node = cursor.node();
        if node.child_count() == 0 && !node.is_extra() {
            // Two levels down at least: inside a top-level statement, not its first token.
            if brackets.len() >= 2
                && open_brackets == 0
                && node.kind() == "identifier"
                && STATEMENT_KEYWORDS.contains(&&text[node.byte_range()])
                && let Some(before) = previous
                && before.end_position().row < node.start_position().row
                && starts_line_and_statement(text, node)
            {
                let at = before.end_byte();
                out.push(
                    Finding::new(
                        crate::rules::meta("BICEP000"),
                        Loc::new(file, at, at),
                        format!(
                            "syntax error: the statement ends unfinished before `{}` on a later line",
                            &text[node.byte_range()]
                        ),
                    )
                    .label("the statement ends here")
                    .help("complete the statement on its line (`az bicep build` shows the compiler's own message)"),
                );
            }
            previous = Some(node);
        }
        let bracket = BRACKETS.contains(&node.kind());
        if cursor.goto_first_child() {
            open_brackets += usize::from(bracket);
            brackets.push(bracket);
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return;
            }
            if brackets.pop() == Some(true) {
                open_brackets -= 1;
            }
        }
    }
}

/// `node` is the first token of its line and is followed, on that line, by a name or a string.
fn starts_line_and_statement(text: &str, node: tree_sitter::Node) -> bool {
    let line_start = text[..node.start_byte()].rfind('\n').map_or(0, |i| i + 1);
    let first_on_line = text[line_start..node.start_byte()]
        .trim_start_matches('\u{feff}')
        .bytes()
        .all(|b| b == b' ' || b == b'\t');
    let after = text[node.end_byte()..].trim_start_matches([' ', '\t']);
    first_on_line
        && after
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'\'')
}

/// Every syntax error of a file of `kind` (the first few, in file order): the grammar's ERROR
/// and MISSING nodes, statements that belong to the other kind of file, two statements on one
/// line, and a comma followed by a line break.
pub fn file_errors(parsed: &Parsed, text: &str, file: FileId, kind: FileKind) -> Vec<Finding> {
    let mut out = every_file_error(&parsed.tree, text, file, kind, MAX_SYNTAX_ERRORS);
    out.truncate(MAX_SYNTAX_ERRORS);
    out
}

/// [`file_errors`] with the first `limit` ERROR/MISSING nodes of the tree (each costs a walk
/// up the tree, so they are never all described) and every error of the checks the grammar
/// leaves to this module: where those are tells per-statement recovery ([`super::recover`])
/// which statements are broken (an ERROR or MISSING node is seen in its statement's
/// `has_error`). Linear in the tree.
pub fn every_file_error(
    tree: &tree_sitter::Tree,
    text: &str,
    file: FileId,
    kind: FileKind,
    limit: usize,
) -> Vec<Finding> {
    let mut out = tree_errors(tree, text, file, limit);
    let root = tree.root_node();
    let mut c = root.walk();
    let mut previous: Option<tree_sitter::Node> = None;
    for st in root.named_children(&mut c) {
        if matches!(st.kind(), "comment" | "diagnostic_comment" | "ERROR") {
            continue;
        }
        if let Some(f) = misplaced_statement(st, file, kind) {
            out.push(f);
        }
        if let Some(prev) = previous
            && prev.kind() != "decorators"
            && !prev.has_error()
            && prev.end_position().row == st.start_position().row
        {
            out.push(
                Finding::new(
                    crate::rules::meta("BICEP000"),
                    Loc::new(file, st.start_byte(), st.start_byte()),
                    "syntax error: expected a new line before the next statement",
                )
                .label("a new statement starts here")
                .help("put each statement on a line of its own"),
            );
        }
        previous = Some(st);
    }
    comma_then_line_break(root, file, &mut out);
    out.sort_by_key(|f| f.loc.start);
    out
}

/// Items of an array, object or import list are separated by a comma or by a line break, not
/// both: `a: 1,` followed by a new line is an error to the compiler (BCP238), though not to the
/// grammar. One walk over the tree (a cursor, no recursion: any depth).
fn comma_then_line_break(root: tree_sitter::Node, file: FileId, out: &mut Vec<Finding>) {
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        let is_list = matches!(
            node.kind(),
            "object" | "array" | "object_type" | "tuple_type" | "import_functionality"
        );
        if is_list && !node.has_error() {
            let mut c = node.walk();
            let children: Vec<tree_sitter::Node> =
                node.children(&mut c).filter(|ch| !ch.is_extra()).collect();
            for pair in children.windows(2) {
                let (comma, next) = (pair[0], pair[1]);
                if comma.kind() == "," && next.start_position().row > comma.end_position().row {
                    out.push(
                        Finding::new(
                            crate::rules::meta("BICEP000"),
                            Loc::new(file, comma.start_byte(), comma.end_byte()),
                            "syntax error: unexpected new line after a comma",
                        )
                        .label("a comma, then a new line")
                        .help("separate items by a comma or by a new line, not both"),
                    );
                }
            }
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}
/// A statement valid in one kind of file only, met in the other.
fn misplaced_statement(st: tree_sitter::Node, file: FileId, kind: FileKind) -> Option<Finding> {
    let keyword = st.child(0)?;
    let at_keyword = Loc::new(file, keyword.start_byte(), keyword.end_byte());
    let meta = crate::rules::meta("BICEP000");
    match (kind, st.kind()) {
        (FileKind::Bicep, "parameter_assignment") => {
            let eq = (0..st.child_count())
                .filter_map(|i| st.child(i))
                .find(|c| c.kind() == "=")?;
            Some(
                Finding::new(
                    meta,
                    Loc::new(file, eq.start_byte(), eq.end_byte()),
                    "syntax error: expected a type (`param name string = …`)",
                )
                .label("a type expected here")
                .help("a .bicep file declares parameters with a type; `param name = value` belongs in a .bicepparam file"),
            )
        }
        (FileKind::Bicep, "using_statement" | "extends_statement" | "extension_config_assignment") => {
            Some(
                Finding::new(
                    meta,
                    at_keyword,
                    format!(
                        "syntax error: `{}` is only valid in a .bicepparam file",
                        keyword.kind()
                    ),
                )
                .label("not valid in a .bicep file")
                .help("move the statement to the .bicepparam file"),
            )
        }
        (FileKind::BicepParam, "parameter_declaration") => {
            let ty = st.named_child(1).unwrap_or(keyword);
            Some(
                Finding::new(
                    meta,
                    Loc::new(file, ty.start_byte(), ty.end_byte()),
                    "syntax error: a .bicepparam file assigns parameters (`param name = value`); the type belongs in the .bicep file",
                )
                .label("unexpected type")
                .help("write `param name = value`"),
            )
        }
        (
            FileKind::BicepParam,
            "using_statement" | "extends_statement" | "parameter_assignment" | "variable_declaration"
            | "type_declaration" | "extension_config_assignment" | "import_functionality"
            | "decorators",
        ) => None,
        (FileKind::BicepParam, _) => Some(
            Finding::new(
                meta,
                at_keyword,
                format!(
                    "syntax error: `{}` is not valid in a .bicepparam file",
                    keyword.kind()
                ),
            )
            .label("not valid in a .bicepparam file")
            .help("a .bicepparam file holds `using`, `extends`, `param`, `var`, `type`, `import` and `extensionConfig` statements"),
        ),
        (FileKind::Bicep, _) => None,
    }
}

pub const MAX_SYNTAX_ERRORS: usize = 5;

/// Iterative (hostile input may nest thousands of levels deep), in document order.
fn collect_errors(
    root: tree_sitter::Node,
    text: &str,
    file: FileId,
    limit: usize,
    out: &mut Vec<Finding>,
) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if out.len() >= limit {
            return;
        }
        if !node.has_error() {
            continue;
        }
        if node.is_missing() {
            // Right after what precedes it (`var a = b +⸱`), not at the next token, which may be
            // lines further down.
            let at = previous_token_end(node);
            let loc = Loc::new(file, at, at);
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
        // An ERROR node that holds the errors of its parts (tree-sitter wraps a whole file in
        // one when recovery cannot rebuild the top level) is reported by those parts: they
        // say where.
        let mut c = node.walk();
        let inner_errors = node.is_error() && node.children(&mut c).any(|ch| ch.has_error());
        if node.is_error() && !inner_errors {
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
    let context = node
        .parent()
        .map(|p| describe_kind(p.kind()))
        .unwrap_or("file");
    let expected = expected_tokens(node);
    let expected = if expected.is_empty() {
        String::new()
    } else {
        format!("; expected {}", expected.join(" or "))
    };
    if let Some(end) = unfinished_statement_end(node, first) {
        // A statement ends at the end of its line: tree-sitter, to which a line break is
        // space, went on into the next line; the compiler stops here.
        return Finding::new(
            crate::rules::meta("BICEP000"),
            Loc::new(file, end, end),
            format!("syntax error: {context} ends unfinished{expected}"),
        )
        .label("the statement ends here")
        .help("complete the statement on its line (`az bicep build` shows the compiler's own message)");
    }
    let loc = Loc::new(
        file,
        first.start_byte(),
        first.end_byte().max(first.start_byte()),
    );
    let what = text
        .get(first.byte_range())
        .map(|t| t.chars().take(40).collect::<String>())
        .unwrap_or_default();
    let message = if what.trim().is_empty() {
        format!("syntax error in {context}{expected}")
    } else {
        format!(
            "syntax error: unexpected `{}` in {context}{expected}",
            what.trim()
        )
    };
    Finding::new(crate::rules::meta("BICEP000"), loc, message)
        .label("not valid Bicep here")
        .help("fix the Bicep syntax (`az bicep build` shows the compiler's own message)")
}

/// For an ERROR directly inside a top-level statement that starts a line below the statement's
/// previous token (outside any bracket, where a line break ends a statement): where that
/// previous token ends, which is where the statement was cut short.
fn unfinished_statement_end(error: tree_sitter::Node, first: tree_sitter::Node) -> Option<usize> {
    let statement = error.parent()?;
    let top_level = statement
        .parent()
        .is_some_and(|root| root.parent().is_none());
    if !top_level || statement.start_position().row >= first.start_position().row {
        return None;
    }
    let previous = error.prev_sibling()?;
    (previous.end_position().row < first.start_position().row).then(|| previous.end_byte())
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

/// Where the token before `node` ends.
fn previous_token_end(node: tree_sitter::Node) -> usize {
    let mut n = node;
    loop {
        if let Some(p) = n.prev_sibling() {
            return p.end_byte();
        }
        match n.parent() {
            Some(p) => n = p,
            None => return node.start_byte(),
        }
    }
}

/// The first token of `node` that is not a comment.
fn first_leaf(node: tree_sitter::Node) -> tree_sitter::Node {
    let mut n = node;
    loop {
        let mut c = n.walk();
        let next = n
            .children(&mut c)
            .find(|ch| !ch.is_extra())
            .or_else(|| n.child(0));
        match next {
            Some(ch) => n = ch,
            None => return n,
        }
    }
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
        "parameter_assignment" => "a param assignment",
        "extension_statement" => "an extension statement",
        "extension_config_assignment" => "an extensionConfig statement",
        "using_statement" => "a using statement",
        "extends_statement" => "an extends statement",
        "import_functionality" => "an import statement",
        "spread_element" => "a spread",
        "non_null_expression" => "a non-null assertion",
        "type" => "a type",
        "object_type" => "an object type",
        "tuple_type" => "a tuple type",
        "union_type" => "a union type",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(src: &str) -> String {
        parse(src).unwrap().tree.root_node().to_sexp()
    }

    fn ok(src: &str) {
        let p = parse(src).unwrap();
        assert!(
            !p.tree.root_node().has_error(),
            "{src}\n{}",
            p.tree.root_node().to_sexp()
        );
    }

    #[test]
    fn todays_syntax_parses() {
        for src in [
            // Spread, postfix `!`, index from the end, safe access.
            "var a = {\n  ...b\n  c: 'x...y'\n}\nvar d = [...e, 1]\nvar f = last(g)!\n",
            "var s = '${a.?b!}'\nvar t = x != y\nvar u = a[^1]\nvar v = a[?0].b!.c\n",
            // Types: resource-derived, nullable before another declaration, unions, tuples.
            "param tags resourceInput<'Microsoft.X/y@2024-01-01'>.tags?\nparam b string\n",
            "param lock lockType?\nparam tags object = {}\n",
            "type t = (\n  | 'a'\n  | 'b'\n)\ntype n = -1 | 1\ntype u = [string, int?]\n",
            "type o = {\n  @description('d')\n  name?: string\n  *: int\n}\ntype e = t.*\ntype i = t[*]\n",
            "output sa resource 'Microsoft.Storage/storageAccounts@2023-01-01' = sa\n",
            // Typed variables, also exported with an inline object type.
            "var s string = 'x'\n@export()\nvar o {a: string, b: int?} = {a: 'x'}\n",
            // Extensions.
            "extension microsoftGraphV1_0\nextension kubernetes with {\n  namespace: 'default'\n} as k8s\n",
            "extension 'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:0.1.8-preview' as graph\n",
            // Compile-time imports: quoted names, one name per line.
            "import {'quoted-name' as x, y} from './m.bicep'\nimport {\n  a\n  b as c\n} from 'x.bicep'\nimport * as ns from 'y.bicep'\n",
            // Strings: comment openers, extra quotes, interpolated multi-line strings.
            "var a = g(x ? y : '//')\nvar b = '/*'\nvar c = ''''abc''''\nvar d = ''''''\n",
            "var m = $'''\nHello ${name}\n'''\nvar n = $$'''a${b}$${c}$$${d}'''\nvar e = $''''''\n",
            // Block comments anywhere, call arguments over several lines.
            "var c = f(/* c */ x, /* d */\n  y // e\n)\n",
            // `.bicepparam` statements.
            "using 'main.bicep' with {\n  mode: 'stack'\n}\nextends 'base.bicepparam'\nparam x = 1\nextensionConfig k with {\n  a: 1\n}\n",
            "using none\nparam y = x\n",
            // Keywords are names where a name is expected.
            "param type string\nvar test = [for module in modules: module.type]\nvar o = { resource: 1, if: 2 }\n",
        ] {
            ok(src);
        }
    }

    #[test]
    fn operators_bind_as_in_bicep() {
        // Property accesses bind tightest: `a && (b.c)`, `!(x.y)`, `c ? t : (f.p)`.
        let t = tree("var v = a && b.c\n");
        assert!(t.contains("right: (member_expression"), "{t}");
        let t = tree("var v = !x.y\n");
        assert!(
            t.contains("(unary_expression argument: (member_expression"),
            "{t}"
        );
        let t = tree("var v = c ? t : f.p\n");
        assert!(t.contains("alternative: (member_expression"), "{t}");
        // `*` before `+`, `??` below `||`.
        let t = tree("var v = a + b * c\n");
        assert!(
            t.contains("right: (binary_expression left: (identifier) right: (identifier))"),
            "{t}"
        );
        let t = tree("var v = a ?? b || c\n");
        assert!(
            t.contains("(binary_expression left: (identifier) right: (binary_expression"),
            "{t}"
        );
        // A lambda's body is the whole expression after `=>`.
        let t = tree("var v = map(xs, x => x.id)\n");
        assert!(
            t.contains("(lambda_expression (identifier) (member_expression"),
            "{t}"
        );
    }

    #[test]
    fn string_contents_are_exact() {
        let src = "var a = '//x'\nvar b = ''''abc''''\nvar c = ' ${x} $'\n";
        let p = parse(src).unwrap();
        let mut contents = Vec::new();
        let mut stack = vec![p.tree.root_node()];
        while let Some(n) = stack.pop() {
            if n.kind() == "string_content" {
                contents.push(&src[n.byte_range()]);
            }
            let mut c = n.walk();
            stack.extend(n.children(&mut c));
        }
        contents.sort();
        assert_eq!(contents, [" ", " $", "'abc", "//x"]);
    }

    #[test]
    fn real_errors_are_located() {
        let src = "param p string =\nresource r 'A/b@1' = {\n";
        let p = parse(src).unwrap();
        let errs = file_errors(&p, src, 0, FileKind::Bicep);
        assert!(!errs.is_empty());
        assert_eq!(errs[0].code, "BICEP000");
        // Valid in a .bicepparam file only.
        let src = "param storageAccountType = 'Standard_LRS'\n";
        let p = parse(src).unwrap();
        let errs = file_errors(&p, src, 0, FileKind::Bicep);
        assert!(
            errs[0].message.contains("expected a type"),
            "{}",
            errs[0].message
        );
        assert_eq!(errs[0].loc.start as usize, src.find('=').unwrap());
        assert!(file_errors(&p, src, 0, FileKind::BicepParam).is_empty());
        let src = "using 'main.bicep'\nparam p string = 'x'\nresource r 'A/b@1' = {}\n";
        let p = parse(src).unwrap();
        let errs = file_errors(&p, src, 0, FileKind::BicepParam);
        let at: Vec<usize> = errs.iter().map(|e| e.loc.start as usize).collect();
        assert_eq!(
            at,
            [src.find("string").unwrap(), src.find("resource").unwrap()]
        );
        // Two statements on one line.
        let src = "var a = 1 var b = 2\n";
        let p = parse(src).unwrap();
        let errs = file_errors(&p, src, 0, FileKind::Bicep);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].loc.start as usize, src.find("var b").unwrap());
    }

    /// Work to parse `text`: parser operations (tree-sitter reports progress every 100) plus
    /// the external scanner's calls and characters read.
    fn parse_work(text: &str) -> u64 {
        let mut callbacks = 0u64;
        let mut progress = |_: &tree_sitter::ParseState| {
            callbacks += 1;
            std::ops::ControlFlow::Continue(())
        };
        let (calls, chars) = tree_sitter_bicep_acr::scanner_work();
        let bytes = text.as_bytes();
        let tree = parser().parse_with_options(
            &mut |i, _| bytes.get(i..).unwrap_or_default(),
            None,
            Some(tree_sitter::ParseOptions::new().progress_callback(&mut progress)),
        );
        assert!(
            tree.is_some_and(|t| t.root_node().has_error()),
            "broken input"
        );
        let (calls_after, chars_after) = tree_sitter_bicep_acr::scanner_work();
        callbacks * 100 + (calls_after - calls) + (chars_after - chars)
    }

    /// Broken input of growing size: work must grow linearly (issue 11 item 5, issue 8 class
    /// 11). Upstream's scanner rescanned to the end of the file at every position while
    /// tree-sitter recovered from an error: one unclosed parenthesis made 340 KB take > 20 s.
    #[test]
    fn parse_work_is_linear_in_the_size_of_broken_input() {
        let statements = |n: usize| {
            (0..n)
                .map(|i| {
                    format!("resource sa{i} 'Microsoft.Storage/storageAccounts@2023-01-01' = {{\n  name: 'st${{prefix}}{i}'\n  properties: {{\n    minimumTlsVersion: 'TLS1_2'\n  }}\n}}\n")
                })
                .collect::<String>()
        };
        let cases: [(&str, &dyn Fn(usize) -> String); 6] = [
            ("one unclosed parenthesis", &|n| {
                format!("var broken = concat('a'\n{}", statements(n))
            }),
            ("nested brackets", &|n| {
                format!("var x = {}\n", "[".repeat(n * 60))
            }),
            ("nested parentheses", &|n| {
                format!("var x = {}\n", "(".repeat(n * 60))
            }),
            ("an unterminated multi-line string", &|n| {
                format!("var s = '''\n{}", statements(n))
            }),
            ("an unterminated interpolated string", &|n| {
                format!("var s = $$'''\n{}", statements(n).replace('{', "$${"))
            }),
            ("a stray quote on every line", &|n| {
                statements(n).replace("\n", "'\n")
            }),
        ];
        for (name, make) in cases {
            let small = make(300);
            let large = make(1200);
            let (w_small, w_large) = (parse_work(&small), parse_work(&large));
            let size_ratio = large.len() as f64 / small.len() as f64;
            let work_ratio = w_large as f64 / w_small as f64;
            assert!(
                work_ratio < size_ratio * 1.3,
                "{name}: {} bytes cost {w_small}, {} bytes cost {w_large} ({work_ratio:.1}x for {size_ratio:.1}x the size)",
                small.len(),
                large.len()
            );
        }
    }

    /// A broken statement among good ones: the error stays inside that statement, the others
    /// parse whole (what per-statement recovery builds on).
    #[test]
    fn a_broken_statement_is_confined() {
        let src = "param location string = 'westeurope'\nvar broken = 'a' +* 2\nresource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n  name: 'acr'\n  location: location\n}\nwrong\noutput id string = acr.id\n";
        let p = parse(src).unwrap();
        let root = p.tree.root_node();
        let mut c = root.walk();
        let statements: Vec<(&str, bool)> = root
            .named_children(&mut c)
            .map(|n| (n.kind(), n.has_error()))
            .collect();
        assert_eq!(
            statements,
            [
                ("parameter_declaration", false),
                ("variable_declaration", true),
                ("resource_declaration", false),
                ("ERROR", true),
                ("output_declaration", false),
            ]
        );
        let errs = file_errors(&p, src, 0, FileKind::Bicep);
        let lines: Vec<usize> = errs
            .iter()
            .map(|e| src[..e.loc.start as usize].matches('\n').count() + 1)
            .collect();
        assert_eq!(lines, [2, 7]);
    }
}
