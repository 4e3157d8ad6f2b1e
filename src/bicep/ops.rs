//! Binary operators over possibly unknown values. `None` means "unknown".

use crate::model::Value;

/// Known equality, or `None` when either side is (partly) unknown.
pub fn equal(a: &Value, b: &Value, ignore_case: bool) -> Option<bool> {
    if !a.is_known() || !b.is_known() {
        return None;
    }
    Some(match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Str(x), Value::Str(y)) if ignore_case => x.eq_ignore_ascii_case(y),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| equal(&p.value, &q.value, ignore_case) == Some(true))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.get(&k.name)
                        .is_some_and(|w| equal(&v.value, &w.value, ignore_case) == Some(true))
                })
        }
        _ => false,
    })
}

pub fn binary(op: &str, a: &Value, b: &Value) -> Option<Value> {
    use Value::*;
    Some(match op {
        "==" => Bool(equal(a, b, false)?),
        "!=" => Bool(!equal(a, b, false)?),
        "=~" => Bool(equal(a, b, true)?),
        "!~" => Bool(!equal(a, b, true)?),
        "&&" => match (a, b) {
            (Bool(x), Bool(y)) => Bool(*x && *y),
            (_, Bool(false)) => Bool(false),
            _ => return None,
        },
        "||" => match (a, b) {
            (Bool(x), Bool(y)) => Bool(*x || *y),
            (_, Bool(true)) => Bool(true),
            _ => return None,
        },
        "??" => match a {
            Null => b.clone(),
            _ if crate::arm::eval::known_non_null(a) => a.clone(),
            _ => return None,
        },
        "+" | "-" | "*" | "/" | "%" => match (a, b) {
            (Int(x), Int(y)) => Int(match op {
                "+" => x.checked_add(*y)?,
                "-" => x.checked_sub(*y)?,
                "*" => x.checked_mul(*y)?,
                "/" => x.checked_div(*y)?,
                _ => x.checked_rem(*y)?,
            }),
            _ => return None,
        },
        "<" | "<=" | ">" | ">=" => {
            let ord = match (a, b) {
                (Int(x), Int(y)) => x.cmp(y),
                (Str(x), Str(y)) => x.cmp(y),
                _ => return None,
            };
            Bool(match op {
                "<" => ord.is_lt(),
                "<=" => ord.is_le(),
                ">" => ord.is_gt(),
                _ => ord.is_ge(),
            })
        }
        _ => return None,
    })
}
