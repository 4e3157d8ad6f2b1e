//! Shared helpers for the build tests: examples, compiling, Bicep parsing, ../shared access.
#![allow(dead_code)]

use acr_cmk::Exit;
use acr_cmk::generate::Generated;
use acr_cmk::generate::validate::{Compiled, compile};
use acr_cmk::report::human::Style;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `(stem, text)` of every example spec, sorted by stem.
pub fn examples() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(root().join("examples"))
        .expect("examples/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

pub fn compile_text(display: &str, text: &str) -> Compiled {
    compile(display, text, "out", Style::plain())
}

/// Build an example (or any clean spec) and return its files; panics with the diagnostics.
pub fn build(display: &str, text: &str) -> Generated {
    let c = compile_text(display, text);
    assert_eq!(
        c.exit,
        Exit::Ok,
        "{display} did not build:\n{}",
        c.diagnostics
    );
    c.generated.expect("a clean build has files")
}

/// `../shared/<rel>`; `None` (with a note) when missing and CI is unset, a panic under CI.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = root().join("..").join("shared").join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing and CI is set: this test must not skip",
            p.display()
        );
    }
    eprintln!(
        "note: skipping, {} is missing (set CI to make this fail)",
        p.display()
    );
    None
}

pub fn parse_bicep(text: &str) -> tree_sitter::Tree {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_bicep_acr::LANGUAGE.into())
        .expect("bicep grammar loads");
    parser.parse(text, None).expect("the parser returns a tree")
}

/// Every ERROR or MISSING node, as "line:col kind".
pub fn bicep_errors(text: &str) -> Vec<String> {
    let tree = parse_bicep(text);
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    walk(&mut cursor, &mut |n| {
        if n.is_error() || n.is_missing() {
            let p = n.start_position();
            out.push(format!("{}:{} {}", p.row + 1, p.column + 1, n.kind()));
        }
    });
    out
}

pub fn walk(cursor: &mut tree_sitter::TreeCursor, f: &mut dyn FnMut(tree_sitter::Node)) {
    loop {
        f(cursor.node());
        if cursor.goto_first_child() {
            walk(cursor, f);
            cursor.goto_parent();
        }
        if !cursor.goto_next_sibling() {
            break;
        }
    }
}

/// Decode a Bicep single-quoted string literal (as the generator writes them).
pub fn bicep_unquote(lit: &str) -> String {
    let inner = &lit[1..lit.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// `(type, apiVersion)` of every resource a Bicep file deploys (not `existing` ones), sorted.
pub fn bicep_resources(text: &str) -> Vec<(String, String)> {
    let tree = parse_bicep(text);
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    walk(&mut cursor, &mut |n| {
        if n.kind() != "resource_declaration" {
            return;
        }
        let mut c = n.walk();
        let children: Vec<_> = n.children(&mut c).collect();
        if children.iter().any(|ch| ch.kind() == "existing") {
            return;
        }
        let lit = children
            .iter()
            .find(|ch| ch.kind() == "string")
            .map(|s| bicep_unquote(&text[s.byte_range()]))
            .expect("a resource declaration has a type string");
        let (t, v) = lit.split_once('@').expect("type@apiVersion");
        out.push((t.to_string(), v.to_string()));
    });
    out.sort();
    out
}

/// `(type, apiVersion)` of every resource an ARM template deploys, nested inline templates
/// included and the nested deployments themselves excluded (Bicep modules are not resources).
pub fn arm_resources(template: &serde_json::Value) -> Vec<(String, String)> {
    fn collect(t: &serde_json::Value, out: &mut Vec<(String, String)>) {
        for r in t["resources"].as_array().into_iter().flatten() {
            let ty = r["type"].as_str().unwrap().to_string();
            if ty == "Microsoft.Resources/deployments" {
                collect(&r["properties"]["template"], out);
            } else {
                out.push((ty, r["apiVersion"].as_str().unwrap().to_string()));
            }
        }
    }
    let mut out = Vec::new();
    collect(template, &mut out);
    out.sort();
    out
}

pub fn path_of(p: &Path) -> String {
    p.display().to_string()
}
