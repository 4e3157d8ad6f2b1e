//! Equality: ARM's `equals()`, which is also Bicep's `==` / `!=` / `=~` / `!~`.
//!
//! The Bicep compiler turns `a == b` into `[equals(a, b)]`, `a != b` into `[not(equals(a, b))]`
//! and `a =~ b` into `[equals(toLower(a), toLower(b))]` (see the compiler's own baseline,
//! `bicep-compiler-samples/baselines/Variables_LF/main.json`, from `'a' =~ 'b'` and
//! `'two' !~ 'three'`), so one function decides all of them and a Bicep file gets the verdict its
//! compiled template gets. Its semantics are those of ARM `equals()`
//! (<https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-comparison#equals>):
//! deep equality of arrays and objects, strings compared case-sensitively (Bicep documents `==`
//! as case-sensitive and needs `=~`, i.e. `toLower`, for the other:
//! <https://learn.microsoft.com/azure/azure-resource-manager/bicep/operators-comparison>),
//! integers equal to floats of the same value. Unknowns follow the house rule: two unknowns are
//! equal when they are the same deterministic expression (`equals(parameters('p'),
//! parameters('p'))` is true whatever `p` holds); anything else involving an unknown is
//! undecided.

use super::canon::same_text;
use crate::model::{Part, Sym, SymStr, Value};

/// `equals(a, b)`: `Some` when it can be decided.
pub fn equals(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Sym(x), Value::Sym(y)) if identical(x, y) => Some(true),
        (Value::Sym(_), _) | (_, Value::Sym(_)) => None,
        (Value::Null, Value::Null) => Some(true),
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        (Value::Int(x), Value::Int(y)) => Some(x == y),
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => {
            Some(*x as f64 == *y)
        }
        (Value::Float(x), Value::Float(y)) => Some(x == y),
        (Value::Str(x), Value::Str(y)) => Some(x == y),
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut all = Some(true);
            for (p, q) in x.iter().zip(y) {
                match equals(&p.value, &q.value) {
                    Some(false) => return Some(false),
                    None => all = None,
                    _ => {}
                }
            }
            all
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut all = Some(true);
            // ARM property names ignore case.
            for (k, p) in x.iter() {
                match y.get(&k.name).map(|q| equals(&p.value, &q.value)) {
                    None | Some(Some(false)) => return Some(false),
                    Some(None) => all = None,
                    _ => {}
                }
            }
            all
        }
        _ => Some(false),
    }
}

/// Are two partly unknown values certainly the same value? Literal parts compare exactly (unlike
/// [`SymStr::same`], the case-insensitive equality of resource ids and names); parameter names
/// and property paths ignore case as ARM does; expressions compare by canonical text; an unknown
/// without identity is never identical to anything.
pub fn identical(a: &SymStr, b: &SymStr) -> bool {
    a.parts.len() == b.parts.len()
        && a.parts.iter().zip(&b.parts).all(|(x, y)| match (x, y) {
            (Part::Lit(x), Part::Lit(y)) => x == y,
            (Part::Sym(x), Part::Sym(y)) => identical_sym(x, y),
            _ => false,
        })
}

fn identical_sym(a: &Sym, b: &Sym) -> bool {
    match (a, b) {
        (Sym::Param(x), Sym::Param(y)) => x.eq_ignore_ascii_case(y),
        (Sym::Expr(x), Sym::Expr(y)) => same_text(x, y),
        // A resource id names one resource whatever its case, and so one runtime property.
        (Sym::ResourceProp { id: i, path: p }, Sym::ResourceProp { id: j, path: q }) => {
            i.same(j)
                && p.len() == q.len()
                && p.iter().zip(q).all(|(x, y)| x.eq_ignore_ascii_case(y))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Node;
    use crate::source::Loc;

    fn param(p: &str) -> Value {
        Value::sym(Sym::Param(p.into()))
    }

    #[test]
    fn strings_are_case_sensitive_numbers_compare_by_value() {
        assert_eq!(
            equals(&Value::Str("a".into()), &Value::Str("A".into())),
            Some(false)
        );
        assert_eq!(equals(&Value::Int(2), &Value::Float(2.0)), Some(true));
        assert_eq!(equals(&Value::Null, &Value::Int(0)), Some(false));
    }

    #[test]
    fn the_same_unknown_is_equal_to_itself_and_nothing_else_is_decided() {
        assert_eq!(equals(&param("p"), &param("P")), Some(true));
        assert_eq!(equals(&param("p"), &param("q")), None);
        assert_eq!(equals(&param("p"), &Value::Str("x".into())), None);
        let o = Value::opaque("x");
        assert_eq!(equals(&o, &o.clone()), None);
        // Literal parts are compared exactly: `concat(p, 'A')` is not `concat(p, 'a')`.
        let mut x = SymStr::sym(Sym::Param("p".into()));
        x.push_lit("A");
        let mut y = SymStr::sym(Sym::Param("p".into()));
        y.push_lit("a");
        assert!(x.same(&y) && !identical(&x, &y));
        assert_eq!(equals(&Value::Sym(x), &Value::Sym(y)), None);
    }

    #[test]
    fn a_known_difference_decides_a_partly_unknown_array() {
        let n = |v| Node::new(v, Loc::default());
        let a = Value::Array(vec![n(param("p")), n(Value::Int(1))]);
        let b = Value::Array(vec![n(param("q")), n(Value::Int(2))]);
        assert_eq!(equals(&a, &b), Some(false));
        let c = Value::Array(vec![n(param("q")), n(Value::Int(1))]);
        assert_eq!(equals(&a, &c), None);
    }
}
