//! Values as text, and building strings within the string limits: ARM `concat()`, `format()`,
//! `join()` and Bicep's `'${…}'` interpolation (which compiles to `format()`).
//!
//! A partly unknown string is a list of parts (literal runs and unknowns). Concatenating two
//! such strings concatenates their parts, so a chain of `concat(x, x)` or `'${x}${x}'` doubles
//! the parts at every step; the [`Text`] builder caps both the bytes ([`MAX_STRING`]) and the
//! weight ([`MAX_STRING_PARTS`], nested resource ids included) of what it builds. Past a cap the
//! rest of the string is an unknown without identity (so the string stays unknown, never
//! "clean") and the limit is recorded.

use super::limits::{Limit, MAX_STRING, MAX_STRING_PARTS, Meter};
use crate::model::{Node, Part, Sym, SymStr, Value};
use crate::source::Loc;

/// A value as text for `concat`/`format`/interpolation: strings and numbers as ARM prints them
/// (`True`/`False` for booleans, compact JSON for known arrays and objects); unknowns keep their
/// parts. `None` for a partly unknown array or object.
pub fn text_of(v: &Value) -> Option<SymStr> {
    match v {
        Value::Str(s) => Some(SymStr::lit(s)),
        Value::Int(i) => Some(SymStr::lit(&i.to_string())),
        Value::Float(f) => Some(SymStr::lit(&f.to_string())),
        Value::Bool(b) => Some(SymStr::lit(if *b { "True" } else { "False" })),
        Value::Null => Some(SymStr::default()),
        Value::Sym(s) => Some(s.clone()),
        Value::Array(_) | Value::Object(_) => v.is_known().then(|| SymStr::lit(&to_json(v))),
    }
}

/// Compact JSON text of a known value (the `string()` function).
pub fn to_json(v: &Value) -> String {
    fn go(v: &Value, out: &mut String) {
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Float(f) => out.push_str(&f.to_string()),
            Value::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
            Value::Sym(s) => {
                out.push_str(&serde_json::to_string(&s.to_string()).unwrap_or_default())
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    go(&x.value, out);
                }
                out.push(']');
            }
            Value::Object(o) => {
                out.push('{');
                for (i, (k, x)) in o.entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    go(&Value::Str(k.name.clone()), out);
                    out.push(':');
                    go(&x.value, out);
                }
                out.push('}');
            }
        }
    }
    let mut s = String::new();
    go(v, &mut s);
    s
}

/// How much a partly unknown string weighs: one per part, plus the ids and paths of runtime
/// properties inside it (`reference(concat(x, x)).p` nests a string in a part).
pub fn weight(s: &SymStr) -> usize {
    s.parts
        .iter()
        .map(|p| match p {
            Part::Sym(sym) => sym_weight(sym),
            Part::Lit(_) => 1,
        })
        .fold(0, usize::saturating_add)
}

fn sym_weight(s: &Sym) -> usize {
    match s {
        Sym::ResourceProp { id, path } => 1 + weight(id) + path.len(),
        _ => 1,
    }
}

/// A string under construction, kept within [`MAX_STRING`] bytes and [`MAX_STRING_PARTS`]
/// weight. Once a piece does not fit, the rest is an unknown without identity and the limit is
/// recorded at the builder's location.
pub struct Text<'m> {
    out: SymStr,
    bytes: usize,
    weight: usize,
    full: bool,
    meter: &'m Meter,
    loc: Loc,
}

impl<'m> Text<'m> {
    pub fn new(meter: &'m Meter, loc: Loc) -> Self {
        Text {
            out: SymStr::default(),
            bytes: 0,
            weight: 0,
            full: false,
            meter,
            loc,
        }
    }

    /// Append literal text.
    pub fn push_lit(&mut self, s: &str) {
        if self.full || s.is_empty() {
            return;
        }
        if self.bytes + s.len() > MAX_STRING {
            return self.overflow();
        }
        // A literal merges into a preceding literal, else it is one more part.
        let new_part = !matches!(self.out.parts.last(), Some(Part::Lit(_)));
        if new_part && self.weight + 1 >= MAX_STRING_PARTS {
            return self.overflow();
        }
        self.bytes += s.len();
        self.weight += usize::from(new_part);
        self.out.push_lit(s);
    }

    /// Append a partly unknown string.
    pub fn push(&mut self, s: &SymStr) {
        for p in &s.parts {
            if self.full {
                return;
            }
            match p {
                Part::Lit(l) => self.push_lit(l),
                // Unknowns without identity side by side are one such unknown.
                Part::Sym(Sym::Opaque(_)) if self.ends_opaque() => {}
                Part::Sym(sym) => {
                    let w = sym_weight(sym);
                    if self.weight + w >= MAX_STRING_PARTS {
                        return self.overflow();
                    }
                    self.weight += w;
                    self.out.push_sym(sym.clone());
                }
            }
        }
    }

    /// Append a value as `format()` prints it; false (nothing appended) for a partly unknown
    /// array or object.
    pub fn push_value(&mut self, v: &Value) -> bool {
        match v {
            Value::Sym(s) => self.push(s),
            Value::Str(s) => self.push_lit(s),
            _ => match text_of(v) {
                Some(t) => self.push(&t),
                None => return false,
            },
        }
        true
    }

    fn ends_opaque(&self) -> bool {
        matches!(self.out.parts.last(), Some(Part::Sym(Sym::Opaque(_))))
    }

    /// Append an unknown without identity.
    pub fn push_opaque(&mut self, why: &str) {
        if !self.full && !self.ends_opaque() {
            self.weight += 1;
            self.out.push_sym(Sym::Opaque(why.into()));
        }
    }

    fn overflow(&mut self) {
        self.full = true;
        self.meter.hit(Limit::StringSize, self.loc);
        if !self.ends_opaque() {
            self.out.push_sym(Sym::Opaque("string too large".into()));
        }
    }

    /// The string built: known when it has no unknown part.
    pub fn finish(self) -> Value {
        Value::from_symstr(self.out)
    }

    pub fn into_node(self) -> Node {
        let loc = self.loc;
        Node::new(self.finish(), loc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_unknown_parts_stop_at_the_cap_and_stay_unknown() {
        let meter = Meter::new();
        let mut v = SymStr::sym(Sym::Param("p".into()));
        for _ in 0..40 {
            let mut t = Text::new(&meter, Loc::default());
            t.push(&v);
            t.push_lit("-");
            t.push(&v);
            v = match t.finish() {
                Value::Sym(s) => s,
                other => panic!("became known: {other:?}"),
            };
            assert!(weight(&v) <= MAX_STRING_PARTS);
        }
        assert!(matches!(v.parts.last(), Some(Part::Sym(Sym::Opaque(_)))));
        assert!(meter.was_hit(Limit::StringSize, 0));
    }

    #[test]
    fn known_strings_stop_at_the_byte_limit() {
        let meter = Meter::new();
        let mut s = "x".repeat(1000);
        for _ in 0..20 {
            let mut t = Text::new(&meter, Loc::default());
            t.push_lit(&s);
            t.push_lit(&s);
            match t.finish() {
                Value::Str(x) => s = x,
                Value::Sym(x) => {
                    let lit_len: usize = x
                        .parts
                        .iter()
                        .map(|p| if let Part::Lit(l) = p { l.len() } else { 0 })
                        .sum();
                    assert!(lit_len <= MAX_STRING);
                    return;
                }
                other => panic!("{other:?}"),
            }
        }
        panic!("never reached the limit");
    }
}
