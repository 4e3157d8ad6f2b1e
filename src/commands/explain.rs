//! `acr-cmk explain CODE`: print a rule's documentation.

use crate::exit::Exit;
use crate::rules;

pub fn run(code: &str) -> Exit {
    match rules::find(code) {
        Some(rule) => {
            print!("{}", render(rule.meta()));
            Exit::Ok
        }
        None => {
            eprintln!("error: no rule '{code}'{}", suggestion(code));
            eprintln!("  (`acr-cmk rules` lists them all)");
            Exit::Error
        }
    }
}

/// The text `explain` prints: a header line, then the rule's Markdown docs.
pub fn render(meta: &rules::RuleMeta) -> String {
    let default = if meta.default_enabled {
        "enabled by default"
    } else {
        "off by default"
    };
    format!(
        "{} {} ({}, {default})\n{}\n\n{}",
        meta.code,
        meta.name,
        meta.level.as_str(),
        meta.summary,
        rules::docs(meta)
    )
}

/// "; did you mean CMK003 (content-trust-unsupported)?" for the closest code or slug.
pub fn suggestion(code: &str) -> String {
    let wanted = code.to_ascii_lowercase();
    rules::all()
        .iter()
        .map(|r| r.meta())
        .flat_map(|m| {
            [m.code, m.name].map(|k| (strsim::jaro_winkler(&k.to_ascii_lowercase(), &wanted), m))
        })
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, m)| format!("; did you mean {} ({})?", m.code, m.name))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_code_or_slug() {
        assert_eq!(
            suggestion("CMK0033"),
            "; did you mean CMK003 (content-trust-unsupported)?"
        );
        assert!(suggestion("content-trust").contains("CMK003"));
        assert_eq!(suggestion("zzzzzzzzzzzzzzzz"), "");
    }

    #[test]
    fn renders_header_and_docs() {
        let text = render(rules::meta("CMK017"));
        assert!(text.starts_with("CMK017 cmk-required (error, off by default)\n"));
        assert!(text.contains("\n## What it does\n"));
    }
}
