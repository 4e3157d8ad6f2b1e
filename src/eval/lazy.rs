//! The functions whose arguments are evaluated only as far as needed: ARM `if()`, `and()`,
//! `or()`, `coalesce()` and `not()`, which are also Bicep's `c ? a : b`, `&&`, `||`, `??` and `!`
//! (the compiler emits exactly these calls). The front ends pass the arguments as closures or
//! lazy iterators; an unknown that decides nothing keeps the canonical text of the call.

use super::canon::expr_of;
use super::value::{has_opaque, known_non_null, opaque};
use crate::model::{Node, Value};
use crate::source::Loc;

/// `if(cond, then, else)`: the branch when the condition is known, else the canonical
/// `if(…)` of both branches (deterministic even when unknown). The branches are evaluated with
/// the front end's evaluator `ev`, which both may need.
pub fn if_<E: ?Sized>(
    ev: &mut E,
    cond: Node,
    then: impl FnOnce(&mut E) -> Node,
    otherwise: impl FnOnce(&mut E) -> Node,
    loc: Loc,
) -> Node {
    match cond.value {
        Value::Bool(true) => then(ev),
        Value::Bool(false) => otherwise(ev),
        Value::Sym(ref c) if has_opaque(c) => opaque("if() of an unknown", loc),
        Value::Sym(_) => {
            let a = then(ev);
            let b = otherwise(ev);
            expr_of("if", &[cond, a, b], loc)
        }
        _ => opaque("if() with a non-boolean condition", loc),
    }
}

/// `and(…)` (`and` true) or `or(…)`: the first argument that decides wins; unknowns that
/// decide nothing remain (`and(true, x)` is `x`).
pub fn logic(and: bool, args: impl Iterator<Item = Node>, loc: Loc) -> Node {
    let mut unknowns = Vec::new();
    for v in args {
        match v.value {
            Value::Bool(b) if b != and => return Node::new(Value::Bool(b), loc),
            Value::Bool(_) => {}
            Value::Sym(_) => unknowns.push(v),
            _ => return opaque("and()/or() of a non-boolean", loc),
        }
    }
    match unknowns.len() {
        0 => Node::new(Value::Bool(and), loc),
        1 => unknowns.pop().unwrap_or_else(|| Node::null(loc)),
        _ => expr_of(if and { "and" } else { "or" }, &unknowns, loc),
    }
}

/// `not(x)`.
pub fn not(v: Node, loc: Loc) -> Node {
    match v.value {
        Value::Bool(b) => Node::new(Value::Bool(!b), loc),
        Value::Sym(_) => expr_of("not", &[v], loc),
        _ => opaque("not() of a non-boolean", loc),
    }
}

/// `coalesce(…)`: the first argument that is certainly not null; an unknown that may be null
/// gives the canonical `coalesce(…)` of the rest.
pub fn coalesce(args: impl Iterator<Item = Node>, loc: Loc) -> Node {
    let mut args = args.peekable();
    while let Some(v) = args.next() {
        match v.value {
            Value::Null => continue,
            // The last candidate is the result whatever it is (null included).
            _ if args.peek().is_none() => return v,
            ref x if known_non_null(x) => return v,
            Value::Sym(ref s) if has_opaque(s) => return opaque("coalesce() of an unknown", loc),
            Value::Sym(_) => {
                let mut rest = vec![v];
                rest.extend(args);
                return expr_of("coalesce", &rest, loc);
            }
            _ => return v,
        }
    }
    Node::null(loc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sym;

    fn n(v: Value) -> Node {
        Node::new(v, Loc::default())
    }

    #[test]
    fn the_deciding_argument_stops_evaluation() {
        let mut seen = 0;
        let args = [Value::Bool(false), Value::Bool(true)]
            .into_iter()
            .map(|v| {
                seen += 1;
                n(v)
            });
        assert_eq!(logic(true, args, Loc::default()).as_bool(), Some(false));
        assert_eq!(seen, 1);
    }

    #[test]
    fn an_unknown_that_may_be_null_keeps_the_call() {
        let p = n(Value::sym(Sym::Param("p".into())));
        let v = coalesce([p, n(Value::Str("x".into()))].into_iter(), Loc::default());
        assert_eq!(
            v.value.to_symstr().unwrap().to_string(),
            "{coalesce(parameters('p'), 'x')}"
        );
    }
}
