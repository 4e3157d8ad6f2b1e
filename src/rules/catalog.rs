//! Rule metadata lookups that never panic: configuration names rules, SARIF describes them.

use crate::rules::{self, RuleMeta};

/// Every rule the configuration may name, by code: the whole catalogue, including the codes
/// the front ends and the engine report themselves (ARM000, BICEP000, SPEC001, SUP001).
pub fn known() -> Vec<&'static RuleMeta> {
    let mut all: Vec<&'static RuleMeta> = rules::all().iter().map(|r| r.meta()).collect();
    all.sort_by_key(|m| m.code);
    all
}

/// A rule by code (any case) or slug name.
pub fn lookup(name: &str) -> Option<&'static RuleMeta> {
    rules::find(name).map(|r| r.meta())
}

/// The known name closest to `name` if it is close enough to be a likely typo (Jaro-Winkler
/// similarity above 0.8, ignoring ASCII case): the one measure behind every "did you mean"
/// about rules and settings.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = name.to_ascii_lowercase();
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(&wanted, &k.to_ascii_lowercase()), k))
        .filter(|(score, _)| *score > 0.8)
        // The first of equally close names: the catalogue's order, not the last one seen.
        .fold(None, |best: Option<(f64, &str)>, (score, k)| match best {
            Some((b, _)) if b >= score => best,
            _ => Some((score, k)),
        })
        .map(|(_, k)| k)
}

/// The rule a misspelt code or name most likely means. A code with the right prefix and the
/// number written with too few or too many zeros (`CMK08`, `CMK0008`) is that rule; otherwise
/// the closest code or slug ([`closest`]).
pub fn closest_rule(name: &str) -> Option<&'static RuleMeta> {
    let all = known();
    let digits = name.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let prefix = &name[..name.len() - digits.len()];
    if !prefix.is_empty()
        && !digits.is_empty()
        && let Ok(number) = digits.parse::<u32>()
    {
        let same = all.iter().find(|m| {
            let d = m.code.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            m.code[..m.code.len() - d.len()].eq_ignore_ascii_case(prefix)
                && d.parse::<u32>() == Ok(number)
        });
        if let Some(m) = same {
            return Some(m);
        }
    }
    let names = all.iter().flat_map(|m| [m.code, m.name]);
    let best = closest(name, names)?;
    all.into_iter().find(|m| m.code == best || m.name == best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_codes_and_names_find_their_rule() {
        let code = |n: &str| closest_rule(n).map(|m| m.code);
        // A dropped zero is the same number, not the code that happens to look alike (CMK018).
        assert_eq!(code("CMK08"), Some("CMK008"));
        assert_eq!(code("cmk0008"), Some("CMK008"));
        assert_eq!(code("CMK0033"), Some("CMK003"));
        assert_eq!(code("SUP01"), Some("SUP001"));
        assert_eq!(code("key-acess-missing"), Some("CMK007"));
        assert_eq!(code("no-unused-params"), None);
        assert_eq!(code("zzzzzzzz"), None);
    }

    #[test]
    fn closest_prefers_the_first_of_equals() {
        assert_eq!(closest("ab", ["abc", "abd"]), Some("abc"));
        assert_eq!(
            closest("warn", ["off", "note", "warning", "error"]),
            Some("warning")
        );
    }
}
