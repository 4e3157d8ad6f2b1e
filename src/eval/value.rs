//! Building values that may be unknown, and measuring them.
//!
//! The conventions are those of [`crate::model::value`]: a value the tool cannot know is a
//! [`Value::Sym`]; a deterministic unknown is a named [`Sym::Expr`] (see [`super::canon`]), an
//! unknown without identity is [`Sym::Opaque`].

use super::limits::{Limit, MAX_VALUE_DEPTH, MAX_VALUE_NODES, Meter};
use crate::model::{Key, Node, Object, Part, Sym, SymStr, Value};
use crate::source::Loc;

/// An unknown without identity (never equal to anything), saying why it is unknown.
pub fn opaque(why: impl Into<String>, loc: Loc) -> Node {
    Node::new(Value::opaque(why), loc)
}

/// A node holding one symbol.
pub fn sym_node(s: Sym, loc: Loc) -> Node {
    Node::new(Value::sym(s), loc)
}

/// A deterministic unknown named by its canonical expression text (`resourceGroup().location`).
pub fn expr(text: impl Into<String>) -> SymStr {
    SymStr::sym(Sym::Expr(text.into()))
}

/// The same value, located at the use site (inner values keep their own locations).
pub fn relocate(mut n: Node, at: Loc) -> Node {
    n.loc = at;
    n
}

/// An object with these entries, every key and value located at `loc`.
pub fn object(entries: Vec<(&str, Value)>, loc: Loc) -> Node {
    let mut o = Object::default();
    for (k, v) in entries {
        o.insert(
            Key {
                name: k.to_string(),
                loc,
            },
            Node::new(v, loc),
        );
    }
    Node::new(Value::Object(o), loc)
}

/// Does the string have a part without identity (then nothing built from it has one either)?
pub fn has_opaque(s: &SymStr) -> bool {
    s.parts
        .iter()
        .any(|p| matches!(p, Part::Sym(Sym::Opaque(_))))
}

/// Is the value exactly one unknown without identity?
pub fn is_opaque(v: &Value) -> bool {
    matches!(v, Value::Sym(s) if matches!(s.as_single_sym(), Some(Sym::Opaque(_))))
}

/// Is the value certainly not null, even if partly unknown? Anything but a symbol is; so is a
/// string made of several parts or with a literal part (`'kv-${x}'`, `concat('a', x)`): only
/// a lone symbol (a parameter, a property, an expression) may be null. ARM `coalesce()` and
/// Bicep `??` decide with it.
pub fn known_non_null(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Sym(s) => s.parts.len() > 1 || s.parts.iter().any(|p| matches!(p, Part::Lit(_))),
        _ => true,
    }
}

/// Nodes of a value (itself, array items and object members, recursively), counted up to
/// [`MAX_VALUE_NODES`] + 1 so that measuring a huge value costs no more than the limit.
pub fn nodes(v: &Value) -> usize {
    fn walk(v: &Value, left: &mut usize) {
        if *left == 0 {
            return;
        }
        *left -= 1;
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(&x.value, left)),
            Value::Object(o) => o.entries.iter().for_each(|(_, x)| walk(&x.value, left)),
            _ => {}
        }
    }
    let cap = MAX_VALUE_NODES + 1;
    let mut left = cap;
    walk(v, &mut left);
    cap - left
}

/// Is the value within [`MAX_VALUE_NODES`] nodes and [`MAX_VALUE_DEPTH`] levels? Stops counting
/// at the limit.
pub fn within_size(v: &Value) -> bool {
    fn walk(v: &Value, left: &mut usize, depth: usize) -> bool {
        if *left == 0 || depth > MAX_VALUE_DEPTH {
            return false;
        }
        *left -= 1;
        match v {
            Value::Array(a) => a.iter().all(|x| walk(&x.value, left, depth + 1)),
            Value::Object(o) => o
                .entries
                .iter()
                .all(|(_, x)| walk(&x.value, left, depth + 1)),
            _ => true,
        }
    }
    let mut left = MAX_VALUE_NODES;
    walk(v, &mut left, 0)
}

/// The value, or an unknown (with the limit recorded) when it is larger than one value may be.
pub fn bounded(meter: &Meter, n: Node) -> Node {
    if within_size(&n.value) {
        n
    } else {
        meter.hit(Limit::ValueSize, n.loc);
        opaque("value too large", n.loc)
    }
}

/// Account for a value produced at `loc` (a function's result, a copy of a variable or loop
/// item): the value, or an unknown once the unit's budget of values is spent.
pub fn produced(meter: &Meter, n: Node) -> Node {
    if meter.produced(nodes(&n.value), n.loc) {
        n
    } else {
        opaque("evaluation budget spent", n.loc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lone_symbol_may_be_null() {
        let p = Value::sym(Sym::Param("p".into()));
        assert!(!known_non_null(&p));
        let mut s = SymStr::lit("kv-");
        s.push_sym(Sym::Param("p".into()));
        assert!(known_non_null(&Value::Sym(s)));
        assert!(!known_non_null(&Value::Null));
    }

    #[test]
    fn measuring_stops_at_the_limit() {
        let items = (0..MAX_VALUE_NODES + 10)
            .map(|i| Node::new(Value::Int(i as i64), Loc::default()))
            .collect();
        let v = Value::Array(items);
        assert_eq!(nodes(&v), MAX_VALUE_NODES + 1);
        assert!(!within_size(&v));
        let m = Meter::new();
        let n = bounded(&m, Node::new(v, Loc::default()));
        assert!(is_opaque(&n.value));
        assert!(m.was_hit(Limit::ValueSize, 0));
    }
}
