//! Placeholders: parameter values that stand for what a pipeline substitutes before deploying
//! (`GEN-UNIQUE` in an Azure quickstart parameters file, `#_namePrefix_#` in an Azure Verified
//! Modules test). Read as values they are wrong (a registry named `GEN-UNIQUE` breaks the naming
//! rules); they are unknowns: each match becomes a [`Sym::Placeholder`] ("placeholder
//! GEN-UNIQUE"), never a definite finding, and equal to the same placeholder elsewhere (the
//! pipeline substitutes one value per token, so `#_namePrefix_#` in two names is one prefix).
//!
//! Applied by the front ends to the values of the deployed template's parameters — from
//! parameters files, `.bicepparam` files and top-level defaults — where pipelines put them.
//! Every match of a pattern in a string value is replaced (a pattern anchored with `^…$` only
//! matches whole values); the rest of the string stays known. Users add patterns with
//! `placeholders = ["…"]` in `acr-cmk.toml` (regular expressions, [`regex`] syntax: linear
//! time, so no pattern can make a lint hang).

use crate::model::{Node, Object, Sym, SymStr, Value};
use regex::Regex;
use std::sync::{Arc, OnceLock};

/// The conventions acr-cmk knows: (pattern, where it comes from).
pub const BUILTIN: [(&str, &str); 3] = [
    (
        r"^GEN-[A-Z0-9]+(?:-[A-Z0-9]+)*$",
        "Azure quickstart test values: GEN-UNIQUE, GEN-UNIQUE-8, GEN-PASSWORD, GEN-GUID, GEN-SSH-PUB-KEY, …",
    ),
    (
        r"^GET-PREREQ-[A-Za-z0-9_-]+$",
        "Azure quickstart outputs of the prerequisite deployment: GET-PREREQ-<output name>",
    ),
    (
        r"#_[A-Za-z0-9]+_#",
        "Azure Verified Modules pipeline tokens: #_namePrefix_#",
    ),
];

/// Compiled patterns; cheap to clone (the front ends keep one per unit).
#[derive(Clone, Debug)]
pub struct Placeholders {
    patterns: Arc<Vec<Regex>>,
}

impl Default for Placeholders {
    fn default() -> Self {
        Placeholders::builtin()
    }
}

impl Placeholders {
    /// The built-in conventions (compiled once per process).
    pub fn builtin() -> Self {
        static BUILT: OnceLock<Arc<Vec<Regex>>> = OnceLock::new();
        let patterns = BUILT.get_or_init(|| {
            Arc::new(
                BUILTIN
                    .iter()
                    // Constants of the program, covered by the tests.
                    .map(|(p, _)| Regex::new(p).expect("built-in placeholder pattern"))
                    .collect(),
            )
        });
        Placeholders {
            patterns: patterns.clone(),
        }
    }

    /// The built-in conventions and the user's patterns. `Err((i, why))` for the first user
    /// pattern that is not a regular expression or that matches the empty string (it would
    /// turn every value into unknowns).
    pub fn with_user(user: &[String]) -> Result<Self, (usize, String)> {
        let mut all: Vec<Regex> = Placeholders::builtin().patterns.as_ref().clone();
        for (i, p) in user.iter().enumerate() {
            let re = Regex::new(p).map_err(|e| (i, last_line(&e.to_string())))?;
            if re.is_match("") {
                return Err((i, "the pattern matches the empty string".into()));
            }
            all.push(re);
        }
        Ok(Placeholders {
            patterns: Arc::new(all),
        })
    }

    /// Does the string hold a placeholder?
    pub fn matches(&self, s: &str) -> bool {
        self.patterns.iter().any(|re| re.is_match(s))
    }

    /// The value with every placeholder in its strings replaced by an unknown.
    pub fn apply(&self, node: Node) -> Node {
        let Node {
            value,
            loc,
            used_at,
        } = node;
        let value = match value {
            Value::Str(s) => match self.split(&s) {
                Some(parts) => Value::from_symstr(parts),
                None => Value::Str(s),
            },
            Value::Array(items) => Value::Array(items.into_iter().map(|n| self.apply(n)).collect()),
            Value::Object(o) => Value::Object(Object {
                entries: o
                    .entries
                    .into_iter()
                    .map(|(k, v)| (k, self.apply(v)))
                    .collect(),
            }),
            other => other,
        };
        Node {
            value,
            loc,
            used_at,
        }
    }

    /// `s` as literal and placeholder parts, `None` when no pattern matches.
    fn split(&self, s: &str) -> Option<SymStr> {
        let mut hits: Vec<(usize, usize)> = self
            .patterns
            .iter()
            .flat_map(|re| re.find_iter(s).map(|m| (m.start(), m.end())))
            .collect();
        if hits.is_empty() {
            return None;
        }
        hits.sort_unstable();
        let mut out = SymStr::default();
        let mut at = 0;
        for (start, end) in hits {
            if end <= at {
                continue;
            }
            let start = start.max(at);
            out.push_lit(&s[at..start]);
            out.push_sym(Sym::Placeholder(s[start..end].to_string()));
            at = end;
        }
        out.push_lit(&s[at..]);
        Some(out)
    }
}

/// The last non-empty line of a regex error: the line that says what is wrong (the lines
/// before it repeat the pattern and draw a caret).
fn last_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Loc;

    fn shown(p: &Placeholders, s: &str) -> String {
        match p
            .apply(Node::new(Value::Str(s.into()), Loc::default()))
            .value
        {
            Value::Str(s) => format!("known {s}"),
            Value::Sym(s) => s.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn quickstart_and_avm_conventions_are_unknowns() {
        let p = Placeholders::builtin();
        assert_eq!(shown(&p, "GEN-UNIQUE"), "{<placeholder GEN-UNIQUE>}");
        assert_eq!(shown(&p, "GEN-UNIQUE-8"), "{<placeholder GEN-UNIQUE-8>}");
        assert_eq!(
            shown(&p, "GET-PREREQ-outKeyVaultName"),
            "{<placeholder GET-PREREQ-outKeyVaultName>}"
        );
        assert_eq!(
            shown(&p, "#_namePrefix_#acr"),
            "{<placeholder #_namePrefix_#>}acr"
        );
        // Whole values only for the quickstart tokens; ordinary text stays known.
        assert_eq!(shown(&p, "my-GEN-UNIQUE"), "known my-GEN-UNIQUE");
        assert_eq!(shown(&p, "contosoregistry"), "known contosoregistry");
    }

    #[test]
    fn user_patterns_replace_every_match_and_bad_ones_are_refused() {
        let p = Placeholders::with_user(&["__[a-z]+__".into()]).unwrap();
        assert_eq!(shown(&p, "acr__env__01"), "acr{<placeholder __env__>}01");
        let nested = p.apply(Node::new(
            Value::Array(vec![Node::new(Value::Str("__x__".into()), Loc::default())]),
            Loc::default(),
        ));
        assert!(!nested.is_known());
        let (i, why) = Placeholders::with_user(&["ok".into(), "(".into()]).unwrap_err();
        assert_eq!(i, 1);
        assert!(why.contains("unclosed group"), "{why}");
        let (_, why) = Placeholders::with_user(&["x*".into()]).unwrap_err();
        assert_eq!(why, "the pattern matches the empty string");
    }
}
