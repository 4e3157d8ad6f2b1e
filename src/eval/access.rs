//! Property and index access: ARM `x.p`, `x[i]`, `tryGet()`; Bicep `x.p`, `x.?p`, `x[i]`.

use super::limits::MAX_CANON;
use super::value::{opaque, sym_node};
use crate::model::{Node, Sym, SymStr, Value};
use crate::source::Loc;

/// `.name` access (property names ignore case). `lenient` (`tryGet`, Bicep `.?`) gives null for a
/// missing property instead of an unknown.
pub fn property(base: Node, name: &str, loc: Loc, lenient: bool) -> Node {
    match base.value {
        Value::Object(o) => match o.get(name) {
            Some(v) => v.clone(),
            None if lenient => Node::null(loc),
            None => opaque(format!("no property `{name}`"), loc),
        },
        Value::Null if lenient => Node::null(loc),
        Value::Sym(s) => sym_node(sym_access(&s, name, &format!(".{name}")), loc),
        _ => opaque(format!("property `{name}` of a non-object"), loc),
    }
}

/// `[i]` access on arrays, objects and unknowns. A negative index is out of range (ARM); Bicep's
/// `[^i]` is resolved by its front end before.
pub fn index(base: Node, idx: &Node, loc: Loc, lenient: bool) -> Node {
    match (&base.value, &idx.value) {
        (Value::Array(a), Value::Int(i)) => match usize::try_from(*i).ok().and_then(|i| a.get(i)) {
            Some(v) => v.clone(),
            None if lenient => Node::null(loc),
            None => opaque("index out of range", loc),
        },
        (Value::Object(_) | Value::Null, Value::Str(k)) => property(base, k, loc, lenient),
        (Value::Null, _) if lenient => Node::null(loc),
        (Value::Sym(s), Value::Str(k)) => sym_node(sym_access(s, k, &format!(".{k}")), loc),
        (Value::Sym(s), Value::Int(i)) => {
            sym_node(sym_access(s, &i.to_string(), &format!("[{i}]")), loc)
        }
        _ => opaque("index of an unknown or wrong type", loc),
    }
}

/// Property of an unknown: a runtime property extends its path, a named unknown becomes the
/// canonical expression of the access (`parameters('p').x`, so equal accesses compare equal),
/// anything else stays without identity.
fn sym_access(s: &SymStr, key: &str, suffix: &str) -> Sym {
    match s.as_single_sym() {
        Some(Sym::ResourceProp { id, path }) => {
            let mut path = path.clone();
            path.push(key.to_string());
            Sym::ResourceProp {
                id: id.clone(),
                path,
            }
        }
        Some(sym @ (Sym::Param(_) | Sym::Expr(_))) => {
            let text = format!("{sym}{suffix}");
            if text.len() > MAX_CANON {
                Sym::Opaque("expression too long".into())
            } else {
                Sym::Expr(text)
            }
        }
        _ => Sym::Opaque(format!("property {key} of an unknown")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Object;

    #[test]
    fn named_unknowns_give_canonical_accesses() {
        let p = sym_node(Sym::Param("p".into()), Loc::default());
        let x = property(p.clone(), "x", Loc::default(), false);
        assert_eq!(
            x.value.to_symstr().unwrap().to_string(),
            "{parameters('p').x}"
        );
        let i = index(
            p,
            &Node::new(Value::Int(2), Loc::default()),
            Loc::default(),
            false,
        );
        assert_eq!(
            i.value.to_symstr().unwrap().to_string(),
            "{parameters('p')[2]}"
        );
    }

    #[test]
    fn lenient_access_gives_null() {
        let o = Node::new(Value::Object(Object::default()), Loc::default());
        assert!(property(o.clone(), "x", Loc::default(), true).is_null());
        assert!(!property(o, "x", Loc::default(), false).is_known());
    }
}
