//! Bicep's operators as the ARM calls the compiler makes of them (`a == b` is `equals(a, b)`,
//! `a != b` is `not(equals(a, b))`, `a =~ b` is `equals(toLower(a), toLower(b))`, `a + b` is
//! `add(a, b)`, `a < b` is `less(a, b)`, …), evaluated by the evaluator core so that a Bicep
//! file and its compiled template agree. The operators whose right operand is evaluated only
//! when needed (`&&`, `||`, `??`, `?:`) are [`crate::eval::lazy`] calls in `eval`.

use crate::eval::functions::{self, Ctx};
use crate::eval::lazy;
use crate::eval::value::opaque;
use crate::model::{Node, Value};
use crate::source::Loc;

/// The ARM function a binary operator compiles to, and whether the result is negated.
fn function_of(op: &str) -> Option<(&'static str, bool)> {
    Some(match op {
        "==" => ("equals", false),
        "!=" => ("equals", true),
        "=~" => ("equals", false),
        "!~" => ("equals", true),
        "+" => ("add", false),
        "-" => ("sub", false),
        "*" => ("mul", false),
        "/" => ("div", false),
        "%" => ("mod", false),
        "<" => ("less", false),
        "<=" => ("lessOrEquals", false),
        ">" => ("greater", false),
        ">=" => ("greaterOrEquals", false),
        _ => return None,
    })
}

/// `a op b` for the operators that evaluate both operands.
pub fn binary(cx: &Ctx, op: &str, a: Node, b: Node, loc: Loc) -> Node {
    let Some((name, negated)) = function_of(op) else {
        return opaque(format!("operator {op}"), loc);
    };
    let call = |name: &str, args: Vec<Node>| {
        let lname = name.to_ascii_lowercase();
        functions::call(cx, &lname, name, args, loc)
            .unwrap_or_else(|_| functions::unmodelled(name, loc))
    };
    let (a, b) = if matches!(op, "=~" | "!~") {
        (call("toLower", vec![a]), call("toLower", vec![b]))
    } else {
        (a, b)
    };
    let v = call(name, vec![a, b]);
    if negated { lazy::not(v, loc) } else { v }
}

/// Unary `-x` on an integer (the compiler folds it into the literal).
pub fn negate(v: &Value) -> Option<Value> {
    match v {
        Value::Int(i) => Some(Value::Int(i.wrapping_neg())),
        _ => None,
    }
}
