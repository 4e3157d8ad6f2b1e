//! Values that may be unknown.
//!
//! A template's values come from expressions that the tool can often, but not always, evaluate.
//! A [`Value`] is either known (JSON-like) or symbolic ([`Value::Sym`]). Symbolic values are not
//! "anything": they are named, comparable unknowns (`parameters('identity_name')`,
//! `reference(<id>).clientId`, `resourceGroup().name`), so two expressions that denote the same
//! thing compare equal without the tool knowing the value. That is what lets the rules follow a
//! registry to its identity, key, vault and grant in templates full of parameters.
//!
//! Rule of the house: an unknown never becomes a definite finding.

use crate::source::Loc;
use std::fmt;

/// Longest reason kept in a [`Sym::Opaque`].
const MAX_REASON: usize = 120;

/// A value with the location of the source text it came from.
///
/// A value written in one place and used in another (a parameter's value in a parameters file
/// or `.bicepparam`, its default, a variable) keeps `loc` where it is written, so a finding on
/// it points at the text to change; `used_at` is then where it is used (the expression that
/// names it in a resource), which reports show as a second label.
#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub loc: Loc,
    /// Where a value written elsewhere is used (the last use on its way into the resource);
    /// `None` when it is used where it is written.
    pub used_at: Option<Loc>,
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A fully known string.
    Str(String),
    Array(Vec<Node>),
    Object(Object),
    /// A value that is not (fully) known: one symbol, or a string made of literal and symbolic parts.
    Sym(SymStr),
}

/// An object: keys keep their order and their own locations. ARM property names are
/// case-insensitive, so lookups ignore ASCII case.
#[derive(Clone, Debug, Default)]
pub struct Object {
    pub entries: Vec<(Key, Node)>,
}

#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub loc: Loc,
}

/// A string (or value) made of literal parts and symbolic parts, e.g.
/// `concat(parameters('vault'), '/add')` → `[Sym(Param vault), Lit "/add"]`.
/// Adjacent literals are always merged, so equal values have equal part lists.
#[derive(Clone, Debug, Default)]
pub struct SymStr {
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug)]
pub enum Part {
    Lit(String),
    Sym(Sym),
}

/// A named unknown.
#[derive(Clone, Debug)]
pub enum Sym {
    /// A template parameter that has no value (no default, no parameters file).
    Param(String),
    /// A runtime property of a resource. `path` is relative to the resource *root*, so property
    /// values start with `"properties"`: ARM `reference(id).clientId` and Bicep
    /// `uai.properties.clientId` are both `path = ["properties", "clientId"]`;
    /// `reference(id, api, 'Full').identity.principalId` and Bicep `acr.identity.principalId` are
    /// `["identity", "principalId"]`. `id` is the resource's canonical id (see
    /// [`crate::model::resource_id`]). Comparison ignores ASCII case.
    ResourceProp { id: SymStr, path: Vec<String> },
    /// A deterministic but unknown expression, kept as canonical text so equal expressions compare
    /// equal: `subscription().subscriptionId`, `resourceGroup().name`, `guid(...)`, `uniqueString(...)`.
    Expr(String),
    /// Unknown with no identity (a function the evaluator does not model, a loop index out of
    /// range, a value from outside the tool's view). Never equal to anything, even itself.
    Opaque(String),
    /// A placeholder a pipeline substitutes before deploying (`GEN-UNIQUE`, `#_namePrefix_#`;
    /// see `crate::placeholders`), by its text: unknown, and the same value wherever the same
    /// placeholder is written.
    Placeholder(String),
}

impl Node {
    pub fn new(value: Value, loc: Loc) -> Self {
        Node {
            value,
            loc,
            used_at: None,
        }
    }
    pub fn null(loc: Loc) -> Self {
        Node::new(Value::Null, loc)
    }
    /// The same value, used at `at`: it keeps the location where it is written and records the
    /// use, unless it is written inside `at` (a literal used in place).
    pub fn used_at(mut self, at: Loc) -> Self {
        if !at.contains(self.loc) {
            self.used_at = Some(at);
        }
        self
    }
    /// Property lookup on an object (ASCII case-insensitive). `None` if absent or not an object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(o) => o.get(key),
            _ => None,
        }
    }
    /// Follow a dotted path of object keys: `node.path("properties.encryption.status")`.
    pub fn path(&self, dotted: &str) -> Option<&Node> {
        let mut cur = self;
        for k in dotted.split('.') {
            cur = cur.get(k)?;
        }
        Some(cur)
    }
    pub fn as_str(&self) -> Option<&str> {
        self.value.as_str()
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 => Some(f as i64),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Object> {
        match &self.value {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }
    pub fn is_known(&self) -> bool {
        self.value.is_known()
    }
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// True when the value and everything inside it is known.
    pub fn is_known(&self) -> bool {
        match self {
            Value::Sym(_) => false,
            Value::Array(a) => a.iter().all(|n| n.value.is_known()),
            Value::Object(o) => o.entries.iter().all(|(_, n)| n.value.is_known()),
            _ => true,
        }
    }
    /// True when this value itself is symbolic (its contents may still be partly known).
    pub fn is_sym(&self) -> bool {
        matches!(self, Value::Sym(_))
    }
    /// A string value as a [`SymStr`] (known strings become one literal part).
    pub fn to_symstr(&self) -> Option<SymStr> {
        match self {
            Value::Str(s) => Some(SymStr::lit(s)),
            Value::Sym(s) => Some(s.clone()),
            _ => None,
        }
    }
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Sym(_) => "unknown",
        }
    }
    pub fn sym(s: Sym) -> Value {
        Value::Sym(SymStr {
            parts: vec![Part::Sym(s)],
        })
    }
    /// An unknown without identity; `why` is kept short (it is only ever shown, and a reason
    /// that quoted other values could grow with them).
    pub fn opaque(why: impl Into<String>) -> Value {
        let mut why = why.into();
        if why.len() > MAX_REASON {
            let cut = (0..=MAX_REASON)
                .rev()
                .find(|&i| why.is_char_boundary(i))
                .unwrap_or(0);
            why.truncate(cut);
            why.push('…');
        }
        Value::sym(Sym::Opaque(why))
    }
    /// Build a string value from parts: a fully literal result becomes [`Value::Str`].
    pub fn from_symstr(s: SymStr) -> Value {
        match s.as_lit() {
            Some(l) => Value::Str(l.to_string()),
            None => Value::Sym(s),
        }
    }
}

impl Object {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.name.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }
    pub fn get_entry(&self, key: &str) -> Option<(&Key, &Node)> {
        self.entries
            .iter()
            .find(|(k, _)| k.name.eq_ignore_ascii_case(key))
            .map(|(k, v)| (k, v))
    }
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Node)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Insert or replace (case-insensitive key match), keeping first-insertion order.
    pub fn insert(&mut self, key: Key, value: Node) {
        if let Some(slot) = self
            .entries
            .iter_mut()
            .find(|(k, _)| k.name.eq_ignore_ascii_case(&key.name))
        {
            slot.1 = value;
        } else {
            self.entries.push((key, value));
        }
    }
}

impl SymStr {
    pub fn lit(s: &str) -> SymStr {
        SymStr {
            parts: vec![Part::Lit(s.to_string())],
        }
    }
    pub fn sym(s: Sym) -> SymStr {
        SymStr {
            parts: vec![Part::Sym(s)],
        }
    }
    /// Append a literal, merging with a preceding literal.
    pub fn push_lit(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some(Part::Lit(prev)) = self.parts.last_mut() {
            prev.push_str(s);
        } else {
            self.parts.push(Part::Lit(s.to_string()));
        }
    }
    pub fn push_sym(&mut self, s: Sym) {
        self.parts.push(Part::Sym(s));
    }
    pub fn append(&mut self, other: &SymStr) {
        for p in &other.parts {
            match p {
                Part::Lit(l) => self.push_lit(l),
                Part::Sym(s) => self.push_sym(s.clone()),
            }
        }
    }
    /// The whole string if it has no symbolic part.
    pub fn as_lit(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Lit(s)] => Some(s),
            _ => None,
        }
    }
    /// The single symbol, when the value is exactly one unknown.
    pub fn as_single_sym(&self) -> Option<&Sym> {
        match self.parts.as_slice() {
            [Part::Sym(s)] => Some(s),
            _ => None,
        }
    }
    /// Known literal prefix (useful to check a URI scheme even when the rest is unknown).
    pub fn lit_prefix(&self) -> &str {
        match self.parts.first() {
            Some(Part::Lit(s)) => s,
            _ => "",
        }
    }
    /// Split on a literal separator; each piece is its own SymStr. Symbols never contain the
    /// separator (they are atoms), so `vault/keys/<sym>` splits into 3 pieces.
    pub fn split(&self, sep: char) -> Vec<SymStr> {
        let mut out = vec![SymStr::default()];
        for p in &self.parts {
            match p {
                Part::Sym(s) => out.last_mut().unwrap().push_sym(s.clone()),
                Part::Lit(l) => {
                    let mut first = true;
                    for piece in l.split(sep) {
                        if !first {
                            out.push(SymStr::default());
                        }
                        first = false;
                        out.last_mut().unwrap().push_lit(piece);
                    }
                }
            }
        }
        out
    }
    /// Case-insensitive equality of literals, structural equality of symbols. `Opaque` symbols are
    /// never equal. This is the equality of resource ids and names in ARM.
    pub fn same(&self, other: &SymStr) -> bool {
        self.parts.len() == other.parts.len()
            && self
                .parts
                .iter()
                .zip(&other.parts)
                .all(|(a, b)| match (a, b) {
                    (Part::Lit(x), Part::Lit(y)) => x.eq_ignore_ascii_case(y),
                    (Part::Sym(x), Part::Sym(y)) => x.same(y),
                    _ => false,
                })
    }
}

impl Sym {
    pub fn same(&self, other: &Sym) -> bool {
        match (self, other) {
            (Sym::Param(a), Sym::Param(b)) => a.eq_ignore_ascii_case(b),
            (Sym::Expr(a), Sym::Expr(b)) => a.eq_ignore_ascii_case(b),
            (Sym::Placeholder(a), Sym::Placeholder(b)) => a == b,
            (Sym::ResourceProp { id: i1, path: p1 }, Sym::ResourceProp { id: i2, path: p2 }) => {
                i1.same(i2)
                    && p1.len() == p2.len()
                    && p1.iter().zip(p2).all(|(a, b)| a.eq_ignore_ascii_case(b))
            }
            _ => false,
        }
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sym::Param(p) => write!(f, "parameters('{p}')"),
            Sym::ResourceProp { id, path } => {
                write!(f, "reference('{id}')")?;
                for p in path {
                    write!(f, ".{p}")?;
                }
                Ok(())
            }
            Sym::Expr(e) => f.write_str(e),
            Sym::Opaque(why) => write!(f, "<unknown: {why}>"),
            Sym::Placeholder(text) => write!(f, "<placeholder {text}>"),
        }
    }
}

impl fmt::Display for SymStr {
    /// Human-readable: literals as they are, symbols in `{…}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.parts {
            match p {
                Part::Lit(l) => f.write_str(l)?,
                Part::Sym(s) => write!(f, "{{{s}}}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symstr_merges_literals_and_compares_case_insensitively() {
        let mut a = SymStr::sym(Sym::Param("vault".into()));
        a.push_lit("/ad");
        a.push_lit("d");
        let mut b = SymStr::sym(Sym::Param("VAULT".into()));
        b.push_lit("/ADD");
        assert!(a.same(&b));
        assert_eq!(a.parts.len(), 2);
    }

    #[test]
    fn opaque_is_never_equal() {
        let a = SymStr::sym(Sym::Opaque("x".into()));
        assert!(!a.same(&a.clone()));
    }

    #[test]
    fn split_keeps_symbols_whole() {
        let mut s = SymStr::lit("https://");
        s.push_sym(Sym::Param("v".into()));
        s.push_lit(".vault.azure.net/keys/k");
        let parts = s.split('/');
        assert_eq!(parts.len(), 5);
        assert!(parts[2].as_single_sym().is_none());
        assert_eq!(parts[4].as_lit(), Some("k"));
    }
}
