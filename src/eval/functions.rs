//! The template function library: ARM's functions over evaluated arguments, shared by both front
//! ends (Bicep emits its built-in functions verbatim into the compiled template, so a Bicep call
//! must mean what the ARM call means). The functions that evaluate their arguments lazily are in
//! [`super::lazy`]; those that need a front end's context (`parameters()`, `variables()`,
//! `reference()`, `copyIndex()`, lambdas, user-defined functions) stay in the front ends.
//!
//! A function of unknowns that cannot be computed is deterministic all the same: it gives the
//! canonical [`Sym::Expr`] of the call ([`expr_of`]), so equal calls compare equal.

use super::access::index;
use super::canon::expr_of;
use super::equality::equals;
use super::limits::{Limit, MAX_ITEMS, MAX_STRING, Meter};
use super::scope;
use super::text::{Text, text_of, to_json};
use super::value::{bounded, opaque, produced};
use crate::model::{Key, Node, Object, Part, Scope, Sym, SymStr, Value, extension_resource_id};
use crate::source::Loc;

/// What the library needs from the front end calling it.
pub struct Ctx<'a> {
    /// The unit's meter: values produced and limits hit are charged to it.
    pub meter: &'a Meter,
    /// The scope expressions see: `resourceGroup()`, `subscription()`, `resourceId()`.
    pub scope: &'a Scope,
    /// `json()`: JSON text as a value (the ARM front end's parser, as ARM reads JSON), or `None`
    /// when it does not parse.
    pub parse_json: fn(&str, Loc) -> Option<Node>,
}

/// An unknown in place of a value too large to build, with the limit recorded.
fn too_large(m: &Meter, limit: Limit, why: &str, loc: Loc) -> Node {
    m.hit(limit, loc);
    opaque(why, loc)
}

fn too_many(n: usize) -> bool {
    n > MAX_ITEMS
}

fn empty(v: &Value) -> Option<bool> {
    match v {
        Value::Null => Some(true),
        Value::Str(s) => Some(s.is_empty()),
        Value::Array(a) => Some(a.is_empty()),
        Value::Object(o) => Some(o.is_empty()),
        Value::Sym(s) => s
            .parts
            .iter()
            .any(|p| matches!(p, Part::Lit(l) if !l.is_empty()))
            .then_some(false),
        _ => Some(false),
    }
}

fn num(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
        _ => None,
    }
}

fn strs(args: &[Node]) -> Option<Vec<&str>> {
    args.iter().map(|a| a.as_str()).collect()
}

/// Split the arguments of the `resourceId` family into (scope args, type, name segments).
fn split_id_args(args: &[Node]) -> Option<(&[Node], String, Vec<SymStr>)> {
    let at = args
        .iter()
        .position(|a| a.as_str().is_some_and(|s| s.contains('/')))?;
    let ty = args[at].as_str()?.to_string();
    let mut names = Vec::new();
    for a in &args[at + 1..] {
        let t = text_of(&a.value)?;
        names.extend(t.split('/'));
    }
    Some((&args[..at], ty, names))
}

/// `resourceId()` and `subscriptionResourceId()`: ids that default to the deployment scope.
fn scoped_resource_id(deployment: &Scope, lname: &str, args: &[Node], loc: Loc) -> Node {
    let Some((pre, ty, names)) = split_id_args(args) else {
        return opaque(format!("{lname}() with an unknown type"), loc);
    };
    let sym = |n: &Node| n.value.to_symstr();
    let scope = if lname == "resourceid" {
        let mut scope = deployment.clone();
        match pre {
            [] => {}
            [rg] => scope.resource_group = sym(rg),
            [sub, rg, ..] => {
                scope.subscription = sym(sub);
                scope.resource_group = sym(rg);
            }
        }
        // At subscription scope (no resource group) resourceId() gives a subscription-level id.
        scope
    } else {
        let subscription = match pre {
            [sub, ..] => sym(sub),
            [] => deployment.subscription.clone().or_else(|| {
                Some(SymStr::sym(Sym::Expr(
                    "subscription().subscriptionId".into(),
                )))
            }),
        };
        Scope {
            subscription,
            resource_group: None,
        }
    };
    Node::new(
        Value::from_symstr(crate::model::resource_id(&scope, &ty, &names)),
        loc,
    )
}

/// `tenantResourceId()`, `extensionResourceId()`, `managementGroupResourceId()`: ids that do not
/// depend on the deployment scope.
fn unscoped_resource_id(lname: &str, args: &[Node], loc: Loc) -> Node {
    let Some((pre, ty, names)) = split_id_args(args) else {
        return opaque(format!("{lname}() with an unknown type"), loc);
    };
    let sym = |n: &Node| n.value.to_symstr();
    let id = match lname {
        "tenantresourceid" => crate::model::resource_id(
            &Scope {
                subscription: None,
                resource_group: None,
            },
            &ty,
            &names,
        ),
        "extensionresourceid" => match pre.first().and_then(sym) {
            Some(base) => extension_resource_id(&base, &ty, &names),
            None => return opaque("extensionResourceId() of an unknown scope", loc),
        },
        _ => {
            // managementGroupResourceId
            let mut base = SymStr::lit("/providers/Microsoft.Management/managementGroups/");
            match pre.first().and_then(sym) {
                Some(mg) => base.append(&mg),
                None => base.push_sym(Sym::Expr("managementGroup().name".into())),
            }
            extension_resource_id(&base, &ty, &names)
        }
    };
    Node::new(Value::from_symstr(id), loc)
}

fn format_fn(m: &Meter, args: &[Node], loc: Loc) -> Node {
    let Some(fmt) = args.first().and_then(|a| a.as_str()) else {
        return opaque("format() with an unknown format string", loc);
    };
    let mut out = Text::new(m, loc);
    let mut rest = fmt;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_lit(&rest[..open]);
        let tail = &rest[open..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_lit(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let Some(close) = tail.find('}').filter(|_| tail.starts_with('{')) else {
            return opaque("format() with a malformed format string", loc);
        };
        let spec = &tail[1..close];
        let (idx, spec) = spec.split_once(':').unwrap_or((spec, ""));
        let Some(arg) = idx
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|i| args.get(i + 1))
        else {
            return opaque("format() index out of range", loc);
        };
        // `{0:D3}`, `{0:N2}` reformat numbers (.NET format strings), which is not modelled;
        // a string ignores its specifier.
        if !spec.is_empty() && !matches!(arg.value, Value::Str(_)) {
            return opaque("format() with a format specifier", loc);
        }
        if !out.push_value(&arg.value) {
            return opaque("format() of an unknown", loc);
        }
        rest = &tail[close + 1..];
    }
    out.push_lit(rest);
    out.into_node()
}

fn concat(m: &Meter, args: Vec<Node>, loc: Loc) -> Node {
    if args.iter().any(|a| matches!(a.value, Value::Array(_))) {
        let mut out = Vec::new();
        for a in args {
            match a.value {
                Value::Array(items) => out.extend(items),
                Value::Null => {}
                _ => return opaque("concat() of an unknown array", loc),
            }
            if too_many(out.len()) {
                return too_large(m, Limit::ValueSize, "array too large", loc);
            }
        }
        return bounded(m, Node::new(Value::Array(out), loc));
    }
    let mut out = Text::new(m, loc);
    for a in &args {
        if !out.push_value(&a.value) {
            return opaque("concat() of an unknown", loc);
        }
    }
    out.into_node()
}

fn union(args: Vec<Node>, loc: Loc) -> Node {
    match args.first().map(|a| &a.value) {
        Some(Value::Object(_)) => {
            let mut out = Object::default();
            for a in args {
                match a.value {
                    Value::Object(o) => {
                        for (k, v) in o.entries {
                            // ARM merges nested objects deeply.
                            let merged = match (out.get(&k.name), &v.value) {
                                (Some(prev), Value::Object(_))
                                    if matches!(prev.value, Value::Object(_)) =>
                                {
                                    union(vec![prev.clone(), v.clone()], v.loc)
                                }
                                _ => v,
                            };
                            out.insert(k, merged);
                        }
                    }
                    Value::Null => {}
                    _ => return opaque("union() of an unknown", loc),
                }
            }
            Node::new(Value::Object(out), loc)
        }
        Some(Value::Array(_)) => {
            let mut out: Vec<Node> = Vec::new();
            for a in args {
                match a.value {
                    Value::Array(items) => {
                        for x in items {
                            match dedup_pos(&out, &x) {
                                Some(true) => {}
                                Some(false) => out.push(x),
                                None => return opaque("union() of unknown items", loc),
                            }
                        }
                    }
                    _ => return opaque("union() of an unknown", loc),
                }
            }
            Node::new(Value::Array(out), loc)
        }
        _ => opaque("union() of an unknown", loc),
    }
}

/// Is `x` already in `items`? None when it cannot be decided.
fn dedup_pos(items: &[Node], x: &Node) -> Option<bool> {
    let mut unknown = false;
    for i in items {
        match equals(&i.value, &x.value) {
            Some(true) => return Some(true),
            None => unknown = true,
            _ => {}
        }
    }
    if unknown { None } else { Some(false) }
}

fn contains(args: &[Node], loc: Loc) -> Node {
    let b = |v| Node::new(Value::Bool(v), loc);
    match (
        args.first().map(|a| &a.value),
        args.get(1).map(|a| &a.value),
    ) {
        (Some(Value::Str(s)), Some(Value::Str(x))) => b(s.contains(x.as_str())),
        (Some(Value::Str(s)), Some(Value::Int(x))) => b(s.contains(&x.to_string())),
        (Some(Value::Object(o)), Some(Value::Str(k))) => b(o.get(k).is_some()),
        (Some(Value::Array(a)), Some(x)) => match dedup_pos(a, &Node::new(x.clone(), loc)) {
            Some(r) => b(r),
            None => opaque("contains() of unknown items", loc),
        },
        (Some(Value::Sym(s)), Some(Value::Str(x))) => {
            // A literal part that contains the needle decides it.
            if s.parts
                .iter()
                .any(|p| matches!(p, Part::Lit(l) if l.contains(x.as_str())))
            {
                b(true)
            } else {
                expr_of("contains", args, loc)
            }
        }
        _ => expr_of("contains", args, loc),
    }
}

fn compare(lname: &str, args: &[Node], loc: Loc) -> Node {
    let ord = match (
        args.first().map(|a| &a.value),
        args.get(1).map(|a| &a.value),
    ) {
        (Some(Value::Int(a)), Some(Value::Int(b))) => a.cmp(b),
        (Some(Value::Str(a)), Some(Value::Str(b))) => a.cmp(b),
        _ => return expr_of(lname, args, loc),
    };
    use std::cmp::Ordering::*;
    let r = match lname {
        "greater" => ord == Greater,
        "greaterorequals" => ord != Less,
        "less" => ord == Less,
        _ => ord != Greater,
    };
    Node::new(Value::Bool(r), loc)
}

fn arith(lname: &str, args: &[Node], loc: Loc) -> Node {
    let (Some(a), Some(b)) = (
        args.first().and_then(|a| num(&a.value)),
        args.get(1).and_then(|a| num(&a.value)),
    ) else {
        return expr_of(lname, args, loc);
    };
    let r = match lname {
        "add" => a.checked_add(b),
        "sub" => a.checked_sub(b),
        "mul" => a.checked_mul(b),
        "div" => a.checked_div(b),
        _ => a.checked_rem(b),
    };
    match r {
        Some(r) => Node::new(Value::Int(r), loc),
        None => opaque("arithmetic overflow or division by zero", loc),
    }
}

/// Character-based substring with ARM's bounds.
fn substring(args: &[Node], loc: Loc) -> Node {
    let Some(s) = args.first().and_then(|a| a.as_str()) else {
        return expr_of("substring", args, loc);
    };
    let chars: Vec<char> = s.chars().collect();
    let start = args.get(1).and_then(|a| num(&a.value)).unwrap_or(0);
    let len = match args.get(2) {
        Some(a) => match num(&a.value) {
            Some(n) => n,
            None => return expr_of("substring", args, loc),
        },
        None => chars.len() as i64 - start,
    };
    if start < 0 || len < 0 || (start + len) as usize > chars.len() {
        return opaque("substring() out of range", loc);
    }
    let out: String = chars[start as usize..(start + len) as usize]
        .iter()
        .collect();
    Node::new(Value::Str(out), loc)
}

fn take_skip(take: bool, args: &[Node], loc: Loc) -> Node {
    let Some(n) = args.get(1).and_then(|a| num(&a.value)) else {
        return opaque("take/skip count unknown", loc);
    };
    let n = n.max(0) as usize;
    match args.first().map(|a| &a.value) {
        Some(Value::Array(a)) => {
            let n = n.min(a.len());
            let out = if take {
                a[..n].to_vec()
            } else {
                a[n..].to_vec()
            };
            Node::new(Value::Array(out), loc)
        }
        Some(Value::Str(s)) => {
            let out: String = if take {
                s.chars().take(n).collect()
            } else {
                s.chars().skip(n).collect()
            };
            Node::new(Value::Str(out), loc)
        }
        // Deterministic: keep the canonical call, as the Bicep front end does for `take(…)`.
        Some(Value::Sym(_)) => expr_of(if take { "take" } else { "skip" }, args, loc),
        _ => opaque("take/skip of an unknown", loc),
    }
}

fn first_last(first: bool, args: &[Node], loc: Loc) -> Node {
    match args.first().map(|a| &a.value) {
        Some(Value::Array(a)) => {
            let x = if first { a.first() } else { a.last() };
            x.cloned().unwrap_or_else(|| Node::null(loc))
        }
        Some(Value::Str(s)) => {
            let c = if first {
                s.chars().next()
            } else {
                s.chars().last()
            };
            Node::new(Value::Str(c.map(String::from).unwrap_or_default()), loc)
        }
        // A named unknown keeps its identity: `last(split(parameters('id'), '/'))`.
        Some(Value::Sym(_)) => expr_of(if first { "first" } else { "last" }, args, loc),
        _ => opaque("first/last of a non-array", loc),
    }
}

fn split(m: &Meter, args: &[Node], loc: Loc) -> Node {
    let Some(seps) = args.get(1).map(|a| match &a.value {
        Value::Str(s) => Some(vec![s.clone()]),
        Value::Array(a) => a.iter().map(|x| x.as_str().map(String::from)).collect(),
        _ => None,
    }) else {
        return opaque("split() without separator", loc);
    };
    let Some(seps) = seps.filter(|s| s.iter().all(|s| !s.is_empty())) else {
        return expr_of("split", args, loc);
    };
    match args.first().map(|a| &a.value) {
        Some(Value::Str(s)) => {
            let mut pieces = vec![s.as_str()];
            for sep in &seps {
                pieces = pieces.iter().flat_map(|p| p.split(sep.as_str())).collect();
            }
            if too_many(pieces.len()) {
                return too_large(m, Limit::ValueSize, "array too large", loc);
            }
            let out = pieces
                .into_iter()
                .map(|p| Node::new(Value::Str(p.to_string()), loc))
                .collect();
            Node::new(Value::Array(out), loc)
        }
        // Splitting a partly known string on a one-character separator: symbols are atoms,
        // except when the whole string is one symbol (its pieces are unknown).
        Some(Value::Sym(s))
            if seps.len() == 1
                && seps[0].chars().count() == 1
                && s.as_single_sym().is_none()
                && !s
                    .parts
                    .iter()
                    .any(|p| matches!(p, Part::Sym(Sym::Opaque(_)))) =>
        {
            let sep = seps[0].chars().next().unwrap_or('/');
            let out = s
                .split(sep)
                .into_iter()
                .map(|p| Node::new(Value::from_symstr(p), loc))
                .collect();
            Node::new(Value::Array(out), loc)
        }
        _ => expr_of("split", args, loc),
    }
}

fn string_fn(m: &Meter, lname: &str, args: &[Node], loc: Loc) -> Node {
    let s = |v: String| Node::new(Value::Str(v), loc);
    let b = |v: bool| Node::new(Value::Bool(v), loc);
    let i = |v: i64| Node::new(Value::Int(v), loc);
    let Some(a) = strs(args) else {
        return expr_of(lname, args, loc);
    };
    let a0 = a.first().copied().unwrap_or("");
    let a1 = a.get(1).copied().unwrap_or("");
    match lname {
        "tolower" => s(a0.to_lowercase()),
        "toupper" => s(a0.to_uppercase()),
        "trim" => s(a0.trim().to_string()),
        "replace" => {
            if a1.is_empty() {
                return s(a0.to_string());
            }
            let out = a0.replace(a1, a.get(2).copied().unwrap_or(""));
            if out.len() > MAX_STRING {
                return too_large(m, Limit::StringSize, "string too large", loc);
            }
            s(out)
        }
        "startswith" => b(a0.to_lowercase().starts_with(&a1.to_lowercase())),
        "endswith" => b(a0.to_lowercase().ends_with(&a1.to_lowercase())),
        // ASCII case folding keeps byte offsets, so the offset is valid in the original.
        "indexof" => i(a0
            .to_ascii_lowercase()
            .find(&a1.to_ascii_lowercase())
            .map_or(-1, |p| a0[..p].chars().count() as i64)),
        "lastindexof" => i(a0
            .to_ascii_lowercase()
            .rfind(&a1.to_ascii_lowercase())
            .map_or(-1, |p| a0[..p].chars().count() as i64)),
        "base64" => s(base64(a0.as_bytes())),
        "uricomponent" => s(uri_component(a0)),
        "uri" => {
            let base = match a0.rfind('/') {
                Some(p) if !a1.starts_with('/') => &a0[..=p],
                _ => a0.trim_end_matches('/'),
            };
            s(format!("{base}{a1}"))
        }
        _ => opaque(format!("{lname}() is not modelled"), loc),
    }
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            if k <= c.len() {
                out.push(T[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn uri_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn length(args: &[Node], loc: Loc) -> Node {
    let n = match args.first().map(|a| &a.value) {
        Some(Value::Str(s)) => s.chars().count(),
        Some(Value::Array(a)) => a.len(),
        Some(Value::Object(o)) => o.len(),
        _ => return expr_of("length", args, loc),
    };
    Node::new(Value::Int(n as i64), loc)
}

fn min_max(max: bool, args: &[Node], loc: Loc) -> Node {
    let items: Vec<&Node> = match args {
        [
            Node {
                value: Value::Array(a),
                ..
            },
        ] => a.iter().collect(),
        _ => args.iter().collect(),
    };
    let nums: Option<Vec<i64>> = items.iter().map(|n| num(&n.value)).collect();
    match nums.and_then(|n| {
        if max {
            n.into_iter().max()
        } else {
            n.into_iter().min()
        }
    }) {
        Some(v) => Node::new(Value::Int(v), loc),
        None => expr_of(if max { "max" } else { "min" }, args, loc),
    }
}

fn range(m: &Meter, args: &[Node], loc: Loc) -> Node {
    let (Some(start), Some(count)) = (
        args.first().and_then(|a| num(&a.value)),
        args.get(1).and_then(|a| num(&a.value)),
    ) else {
        return expr_of("range", args, loc);
    };
    if count < 0 {
        return opaque("range() of a negative count", loc);
    }
    if too_many(count as usize) {
        return too_large(m, Limit::ValueSize, "range() too large", loc);
    }
    let out = (0..count)
        .map(|i| Node::new(Value::Int(start.saturating_add(i)), loc))
        .collect();
    Node::new(Value::Array(out), loc)
}

fn create_object(args: Vec<Node>, loc: Loc) -> Node {
    let mut obj = Object::default();
    let mut it = args.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        match k.value {
            Value::Str(name) => obj.insert(Key { name, loc: k.loc }, v),
            _ => return opaque("createObject() with an unknown key", loc),
        }
    }
    Node::new(Value::Object(obj), loc)
}

/// `items(object)`: `[{key, value}, …]` sorted by key.
pub fn items_of(o: &Object, loc: Loc) -> Vec<Node> {
    let mut entries: Vec<_> = o.entries.iter().collect();
    entries.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    entries
        .into_iter()
        .map(|(k, v)| {
            let mut obj = Object::default();
            obj.insert(
                Key {
                    name: "key".into(),
                    loc,
                },
                Node::new(Value::Str(k.name.clone()), k.loc),
            );
            obj.insert(
                Key {
                    name: "value".into(),
                    loc,
                },
                v.clone(),
            );
            Node::new(Value::Object(obj), loc)
        })
        .collect()
}

fn items(args: &[Node], loc: Loc) -> Node {
    match args.first().map(|a| &a.value) {
        Some(Value::Object(o)) => Node::new(Value::Array(items_of(o, loc)), loc),
        _ => expr_of("items", args, loc),
    }
}

fn intersection(args: Vec<Node>, loc: Loc) -> Node {
    let mut it = args.into_iter();
    let Some(first) = it.next() else {
        return opaque("intersection() without arguments", loc);
    };
    match first.value {
        Value::Array(mut acc) => {
            for a in it {
                let Value::Array(other) = a.value else {
                    return opaque("intersection() of an unknown", loc);
                };
                let mut keep = Vec::new();
                for x in acc {
                    match dedup_pos(&other, &x) {
                        Some(true) => keep.push(x),
                        Some(false) => {}
                        None => return opaque("intersection() of unknown items", loc),
                    }
                }
                acc = keep;
            }
            Node::new(Value::Array(acc), loc)
        }
        Value::Object(mut acc) => {
            for a in it {
                let Value::Object(other) = a.value else {
                    return opaque("intersection() of an unknown", loc);
                };
                let mut keep = Object::default();
                for (k, v) in acc.entries {
                    match other.get(&k.name).map(|o| equals(&o.value, &v.value)) {
                        Some(Some(true)) => keep.insert(k, v),
                        Some(None) => return opaque("intersection() of unknown values", loc),
                        _ => {}
                    }
                }
                acc = keep;
            }
            Node::new(Value::Object(acc), loc)
        }
        _ => opaque("intersection() of an unknown", loc),
    }
}

fn join(m: &Meter, args: &[Node], loc: Loc) -> Node {
    match (
        args.first().map(|a| &a.value),
        args.get(1).and_then(|a| a.as_str()),
    ) {
        (Some(Value::Array(a)), Some(sep)) => {
            let mut out = Text::new(m, loc);
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_lit(sep);
                }
                if !out.push_value(&x.value) {
                    return opaque("join() of unknown items", loc);
                }
            }
            out.into_node()
        }
        _ => expr_of("join", args, loc),
    }
}

/// `padLeft(value, width, [char])`.
fn pad_left(m: &Meter, args: &[Node], loc: Loc) -> Node {
    match (
        args.first()
            .and_then(|a| text_of(&a.value))
            .and_then(|t| t.as_lit().map(String::from)),
        args.get(1).and_then(|a| num(&a.value)),
    ) {
        (Some(_), Some(w)) if w > MAX_STRING as i64 => {
            too_large(m, Limit::StringSize, "padLeft() too wide", loc)
        }
        (Some(s), Some(w)) if w >= 0 => {
            let pad = args
                .get(2)
                .and_then(|a| a.as_str())
                .and_then(|p| p.chars().next())
                .unwrap_or(' ');
            let n = (w as usize).saturating_sub(s.chars().count());
            Node::new(
                Value::Str(std::iter::repeat_n(pad, n).chain(s.chars()).collect()),
                loc,
            )
        }
        _ => expr_of("padleft", args, loc),
    }
}

/// `tryGet(value, key, …)`: null where a key or index is missing.
fn try_get(args: Vec<Node>, loc: Loc) -> Node {
    let mut it = args.into_iter();
    let Some(mut cur) = it.next() else {
        return opaque("tryGet() without arguments", loc);
    };
    for k in it {
        cur = index(cur, &k, loc, true);
    }
    cur
}

/// Call the library function `name` (`lname` is it lower-cased) on evaluated arguments. `Err`
/// gives the arguments back when it is not a library function: the front end's own functions
/// (`parameters()`, `reference()`, lambdas, user-defined functions), then [`unmodelled`].
pub fn call(
    cx: &Ctx,
    lname: &str,
    name: &str,
    args: Vec<Node>,
    loc: Loc,
) -> Result<Node, Vec<Node>> {
    let m = cx.meter;
    let b = |v: bool| Node::new(Value::Bool(v), loc);
    let out = match lname {
        "resourcegroup" => scope::resource_group(cx.scope, &args, loc),
        "subscription" => scope::subscription(cx.scope, &args, loc),
        "tenant" => scope::tenant(loc),
        "managementgroup" => scope::management_group(&args, loc),
        "deployment" => scope::deployment(cx.scope, loc),
        "environment" => scope::environment(loc),
        "resourceid" | "subscriptionresourceid" => scoped_resource_id(cx.scope, lname, &args, loc),
        "concat" => concat(m, args, loc),
        "format" => format_fn(m, &args, loc),
        "tryget" => try_get(args, loc),
        "string" => match args.first().map(|a| &a.value) {
            Some(Value::Str(_)) => args.into_iter().next().unwrap_or_else(|| Node::null(loc)),
            Some(Value::Sym(s)) => Node::new(Value::Sym(s.clone()), loc),
            Some(v) if v.is_known() => Node::new(Value::Str(to_json(v)), loc),
            _ => expr_of(lname, &args, loc),
        },
        "tolower" | "toupper" | "trim" | "replace" | "startswith" | "endswith" | "indexof"
        | "lastindexof" | "base64" | "uri" | "uricomponent" => string_fn(m, lname, &args, loc),
        "substring" => substring(&args, loc),
        "padleft" => pad_left(m, &args, loc),
        "split" => split(m, &args, loc),
        "first" => first_last(true, &args, loc),
        "last" => first_last(false, &args, loc),
        "take" => take_skip(true, &args, loc),
        "skip" => take_skip(false, &args, loc),
        "join" => join(m, &args, loc),
        "equals" => match (args.first(), args.get(1)) {
            (Some(x), Some(y)) => match equals(&x.value, &y.value) {
                Some(r) => b(r),
                None => expr_of("equals", &args, loc),
            },
            _ => opaque("equals() needs two arguments", loc),
        },
        "empty" | "isempty" => match args.first().and_then(|a| empty(&a.value)) {
            Some(r) => b(r),
            None => expr_of("empty", &args, loc),
        },
        "contains" => contains(&args, loc),
        "greater" | "greaterorequals" | "less" | "lessorequals" => compare(lname, &args, loc),
        "add" | "sub" | "mul" | "div" | "mod" => arith(lname, &args, loc),
        "min" | "max" => min_max(lname == "max", &args, loc),
        "createobject" => bounded(m, create_object(args, loc)),
        "createarray" => bounded(m, Node::new(Value::Array(args), loc)),
        "array" => match args.into_iter().next() {
            Some(Node {
                value: Value::Array(a),
                ..
            }) => Node::new(Value::Array(a), loc),
            Some(n) if n.value.is_known() => Node::new(Value::Array(vec![n]), loc),
            _ => opaque("array() of an unknown", loc),
        },
        "union" => bounded(m, union(args, loc)),
        "shallowmerge" => match args.into_iter().next().map(|a| a.value) {
            Some(Value::Array(items)) => {
                let mut out = Object::default();
                for it in items {
                    match it.value {
                        Value::Object(o) => {
                            o.entries.into_iter().for_each(|(k, v)| out.insert(k, v))
                        }
                        Value::Null => {}
                        // An unknown item may override any key.
                        _ => return Ok(opaque("shallowMerge() of unknowns", loc)),
                    }
                }
                bounded(m, Node::new(Value::Object(out), loc))
            }
            _ => opaque("shallowMerge() of an unknown", loc),
        },
        "intersection" => intersection(args, loc),
        "items" => items(&args, loc),
        "objectkeys" => match args.first().map(|a| &a.value) {
            Some(Value::Object(o)) => Node::new(
                Value::Array(
                    o.entries
                        .iter()
                        .map(|(k, _)| Node::new(Value::Str(k.name.clone()), k.loc))
                        .collect(),
                ),
                loc,
            ),
            _ => expr_of(lname, &args, loc),
        },
        "flatten" => match args.first().map(|a| &a.value) {
            Some(Value::Array(a)) => {
                let mut out = Vec::new();
                for x in a {
                    match &x.value {
                        Value::Array(inner) => out.extend(inner.iter().cloned()),
                        _ => return Ok(opaque("flatten() of unknown items", loc)),
                    }
                }
                bounded(m, Node::new(Value::Array(out), loc))
            }
            _ => opaque("flatten() of an unknown", loc),
        },
        "json" => match args.first().map(|a| &a.value) {
            Some(Value::Str(s)) => match (cx.parse_json)(s, loc) {
                Some(n) => bounded(m, n),
                None => opaque("json() of invalid JSON", loc),
            },
            _ => opaque("json() of an unknown", loc),
        },
        "length" => length(&args, loc),
        "int" => match args.first().map(|a| &a.value) {
            Some(Value::Int(i)) => Node::new(Value::Int(*i), loc),
            Some(Value::Float(f)) => Node::new(Value::Int(*f as i64), loc),
            Some(Value::Str(s)) => match s.trim().parse() {
                Ok(i) => Node::new(Value::Int(i), loc),
                Err(_) => opaque("int() of a non-number", loc),
            },
            _ => expr_of(lname, &args, loc),
        },
        "bool" => match args.first().map(|a| &a.value) {
            Some(Value::Bool(v)) => b(*v),
            Some(Value::Int(i)) => b(*i != 0),
            Some(Value::Str(s)) if s.eq_ignore_ascii_case("true") => b(true),
            Some(Value::Str(s)) if s.eq_ignore_ascii_case("false") => b(false),
            _ => expr_of(lname, &args, loc),
        },
        "range" => range(m, &args, loc),
        "tenantresourceid" | "extensionresourceid" | "managementgroupresourceid" => {
            unscoped_resource_id(lname, &args, loc)
        }
        "guid" | "uniquestring" => {
            let canonical = if lname == "guid" {
                "guid"
            } else {
                "uniqueString"
            };
            expr_of(canonical, &args, loc)
        }
        "base64tostring"
        | "datauri"
        | "datauritostring"
        | "uricomponenttostring"
        | "pickzones"
        | "cidrsubnet"
        | "cidrhost"
        | "parsecidr"
        | "loadtextcontent"
        | "datetimeadd"
        | "datetimefromepoch"
        | "datetimetoepoch"
        | "builduri"
        | "parseuri"
        | "indexfromend"
        | "tryindexfromend" => expr_of(name, &args, loc),
        _ => return Err(args),
    };
    // What the function built counts against the unit's budget.
    Ok(produced(m, out))
}

/// A function neither the library nor the front end models (or a name ARM does not know):
/// an unknown without identity. Functions that read the world (`utcNow()`, `newGuid()`,
/// `list*()`, Bicep's `getSecret()` and file loads) are among them.
pub fn unmodelled(name: &str, loc: Loc) -> Node {
    opaque(format!("function {name}() is not modelled"), loc)
}
