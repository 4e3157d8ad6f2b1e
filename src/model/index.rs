//! The model's lookup index: resources by canonical id and by type.
//!
//! Ids are compared with [`SymStr::same`]: literal parts without ASCII case, symbols by what
//! they denote (`Param`/`Expr` text without case, `ResourceProp` by id and path), and an
//! `Opaque` symbol equal to nothing, not even itself. The index keys ids by a normalised
//! encoding that agrees with `same`: two ids get the same key exactly when they are the same,
//! and an id with an opaque part gets no key (a lookup of it finds nothing, as a scan would).

use super::{Part, Resource, Sym, SymStr};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Default)]
pub struct Index {
    /// Number of resources indexed (the model must not have changed since).
    pub len: usize,
    by_id: HashMap<String, usize>,
    by_type: HashMap<String, Vec<usize>>,
    visits: AtomicUsize,
}

impl Clone for Index {
    fn clone(&self) -> Self {
        Index {
            len: self.len,
            by_id: self.by_id.clone(),
            by_type: self.by_type.clone(),
            visits: AtomicUsize::new(self.visits()),
        }
    }
}

impl Index {
    pub fn new(resources: &[Resource]) -> Index {
        let mut index = Index {
            len: resources.len(),
            ..Index::default()
        };
        for (i, r) in resources.iter().enumerate() {
            if let Some(key) = key(&r.id) {
                // The first resource with an id is the one a scan finds.
                index.by_id.entry(key).or_insert(i);
            }
            index
                .by_type
                .entry(r.ty.to_ascii_lowercase())
                .or_default()
                .push(i);
        }
        index
    }

    pub fn by_id(&self, id: &SymStr) -> Option<usize> {
        let found = self.by_id.get(&key(id)?).copied();
        self.visits.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub fn of_type(&self, ty: &str) -> &[usize] {
        let found = self
            .by_type
            .get(&ty.to_ascii_lowercase())
            .map_or(&[][..], Vec::as_slice);
        self.visits.fetch_add(found.len(), Ordering::Relaxed);
        found
    }

    pub fn visited(&self, n: usize) {
        self.visits.fetch_add(n, Ordering::Relaxed);
    }

    pub fn visits(&self) -> usize {
        self.visits.load(Ordering::Relaxed)
    }
}

/// A key two [`SymStr`]s share exactly when they are the [same](SymStr::same); `None` for one
/// with an opaque part (the same as nothing). For indexing values by what they denote.
pub fn same_key(id: &SymStr) -> Option<String> {
    key(id)
}

/// The normalised encoding of an id, or `None` when it has an opaque part.
fn key(id: &SymStr) -> Option<String> {
    let mut out = String::new();
    push_symstr(&mut out, id)?;
    Some(out)
}

/// Each part as a tag, its length and its case-folded text, so that no two different part
/// lists encode alike.
fn push_symstr(out: &mut String, s: &SymStr) -> Option<()> {
    out.push('[');
    out.push_str(&s.parts.len().to_string());
    for p in &s.parts {
        match p {
            Part::Lit(l) => push_text(out, 'L', l),
            Part::Sym(Sym::Param(p)) => push_text(out, 'P', p),
            Part::Sym(Sym::Expr(e)) => push_text(out, 'E', e),
            Part::Sym(Sym::ResourceProp { id, path }) => {
                out.push('R');
                push_symstr(out, id)?;
                out.push_str(&path.len().to_string());
                for segment in path {
                    push_text(out, 'S', segment);
                }
            }
            Part::Sym(Sym::Placeholder(t)) => push_text(out, 'H', t),
            Part::Sym(Sym::Opaque(_)) => return None,
        }
    }
    out.push(']');
    Some(())
}

fn push_text(out: &mut String, tag: char, text: &str) {
    use std::fmt::Write as _;
    let _ = write!(out, "{tag}{}:", text.len());
    let start = out.len();
    out.push_str(text);
    out[start..].make_ascii_lowercase();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> SymStr {
        SymStr::lit(s)
    }
    fn param(p: &str) -> SymStr {
        SymStr::sym(Sym::Param(p.into()))
    }
    fn concat(a: &SymStr, b: &SymStr) -> SymStr {
        let mut s = a.clone();
        s.append(b);
        s
    }

    #[test]
    fn keys_agree_with_same() {
        let prop = |id: SymStr, path: &[&str]| {
            SymStr::sym(Sym::ResourceProp {
                id,
                path: path.iter().map(|s| s.to_string()).collect(),
            })
        };
        let ids = vec![
            lit("/a/B"),
            lit("/A/b"),
            lit("/a/b/"),
            param("x"),
            param("X"),
            concat(&lit("/a/"), &param("x")),
            concat(&lit("/A/"), &param("X")),
            concat(&param("x"), &lit("/a")),
            SymStr::sym(Sym::Expr("resourceGroup().name".into())),
            SymStr::sym(Sym::Expr("RESOURCEGROUP().NAME".into())),
            prop(lit("/id"), &["properties", "clientId"]),
            prop(lit("/ID"), &["Properties", "CLIENTID"]),
            prop(lit("/id"), &["properties"]),
            // A literal that looks like the encoding of something else.
            lit("P1:x"),
            lit("L1:x]"),
        ];
        for a in &ids {
            for b in &ids {
                assert_eq!(
                    key(a) == key(b),
                    a.same(b),
                    "{a} vs {b}: keys {:?} {:?}",
                    key(a),
                    key(b)
                );
            }
        }
        let opaque = concat(&lit("/a/"), &SymStr::sym(Sym::Opaque("x".into())));
        assert!(!opaque.same(&opaque) && key(&opaque).is_none());
    }
}
