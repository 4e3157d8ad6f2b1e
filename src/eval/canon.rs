//! Canonical expression text: the name of a deterministic unknown.
//!
//! A function of unknowns whose result the tool cannot compute is still deterministic: the same
//! call on the same arguments gives the same value. It becomes a [`Sym::Expr`] holding the text
//! ARM would evaluate for it (strings quoted, arrays and objects as `createArray`/`createObject`,
//! partly known strings as `concat(…)`), so that two expressions that denote the same value
//! compare equal — also across front ends, since the Bicep front end names an expression by the
//! text of the ARM expression the compiler makes of it.

use super::limits::MAX_CANON;
use super::value::{opaque, sym_node};
use crate::model::{Node, Part, Sym, Value};
use crate::source::Loc;

/// Append the canonical text of `v` to `out`. False when the value contains an unknown without
/// identity (then nothing built from it has one) or the text grows past [`MAX_CANON`].
pub fn canon(v: &Value, out: &mut String) -> bool {
    if out.len() > MAX_CANON {
        return false;
    }
    match v {
        Value::Null => out.push_str("null()"),
        Value::Bool(b) => out.push_str(if *b { "true()" } else { "false()" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&f.to_string()),
        Value::Str(s) => quoted(s, out),
        Value::Array(a) => {
            out.push_str("createArray(");
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if !canon(&x.value, out) {
                    return false;
                }
            }
            out.push(')');
        }
        Value::Object(o) => {
            out.push_str("createObject(");
            for (i, (k, x)) in o.entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                quoted(&k.name, out);
                out.push_str(", ");
                if !canon(&x.value, out) {
                    return false;
                }
            }
            out.push(')');
        }
        Value::Sym(s) => {
            if let Some(sym) = s.as_single_sym() {
                if matches!(sym, Sym::Opaque(_)) {
                    return false;
                }
                out.push_str(&sym.to_string());
            } else {
                out.push_str("concat(");
                for (i, p) in s.parts.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    match p {
                        Part::Lit(l) => quoted(l, out),
                        Part::Sym(Sym::Opaque(_)) => return false,
                        Part::Sym(sym) => out.push_str(&sym.to_string()),
                    }
                    if out.len() > MAX_CANON {
                        return false;
                    }
                }
                out.push(')');
            }
        }
    }
    out.len() <= MAX_CANON
}

/// An ARM string literal: `'it''s'`.
fn quoted(s: &str, out: &mut String) {
    out.push('\'');
    out.push_str(&s.replace('\'', "''"));
    out.push('\'');
}

/// The canonical text of the call `name(args…)`, if every argument has one.
pub fn call_text(name: &str, args: &[Node]) -> Option<String> {
    let mut text = String::new();
    text.push_str(name);
    text.push('(');
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        if !canon(&a.value, &mut text) {
            return None;
        }
    }
    text.push(')');
    (text.len() <= MAX_CANON).then_some(text)
}

/// A deterministic function of values some of which are unknown: `Sym::Expr("name(args)")`, or
/// opaque when an argument has no identity.
pub fn expr_of(name: &str, args: &[Node], loc: Loc) -> Node {
    match call_text(name, args) {
        Some(text) => sym_node(Sym::Expr(text), loc),
        None => opaque(format!("{name}() of an unknown"), loc),
    }
}

/// Do two canonical texts denote the same expression? Function names and the rest of the
/// syntax ignore case (ARM function names are case-insensitive); quoted string literals do not.
pub fn same_text(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut quoted = false;
    for (x, y) in a.bytes().zip(b.bytes()) {
        if x == b'\'' {
            quoted = !quoted;
        }
        let equal = if quoted {
            x == y
        } else {
            x.eq_ignore_ascii_case(&y)
        };
        if !equal {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SymStr;

    #[test]
    fn partly_known_strings_are_concat_calls_and_opaque_parts_have_no_text() {
        let mut s = SymStr::lit("kv-");
        s.push_sym(Sym::Param("p".into()));
        let n = expr_of(
            "guid",
            &[Node::new(Value::Sym(s), Loc::default())],
            Loc::default(),
        );
        assert_eq!(
            n.value.to_symstr().unwrap().to_string(),
            "{guid(concat('kv-', parameters('p')))}"
        );
        let o = Node::new(Value::opaque("x"), Loc::default());
        assert!(super::super::value::is_opaque(
            &expr_of("guid", &[o], Loc::default()).value
        ));
    }

    #[test]
    fn names_ignore_case_string_literals_do_not() {
        assert!(same_text("toLower('A')", "tolower('A')"));
        assert!(!same_text("tolower('A')", "tolower('a')"));
    }
}
