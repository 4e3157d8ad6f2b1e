//! Escaping for every target language the generator writes user values into.

/// An ARM template literal string. ARM evaluates a string that starts with `[` and ends with `]`
/// as a template expression; `[[` at the start makes it literal again (and ARM drops one `[`).
/// A string that starts with `[` but does not end with `]` is already a literal, and ARM keeps
/// a doubled bracket there, so it must not be escaped (Microsoft's "Template syntax and
/// expressions — escape characters").
pub fn arm_literal(s: &str) -> String {
    if s.starts_with('[') && s.ends_with(']') {
        format!("[{s}")
    } else {
        s.to_string()
    }
}

/// A Bicep single-quoted string literal, quotes included. Bicep strings interpolate `${…}` and
/// know the escapes `\\ \' \n \r \t \$ \u{…}`; anything else is written as is (Bicep files
/// are UTF-8, so non-ASCII text stays verbatim).
pub fn bicep_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A POSIX shell word: single quotes, with `'` written as `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_escapes_expression_shaped_strings_only() {
        assert_eq!(arm_literal("[parameters('x')]"), "[[parameters('x')]");
        assert_eq!(arm_literal("[draft] value"), "[draft] value");
        assert_eq!(arm_literal("plain"), "plain");
        assert_eq!(arm_literal("[]"), "[[]");
    }

    #[test]
    fn bicep_strings_escape_quotes_backslashes_interpolation_and_newlines() {
        assert_eq!(bicep_string("it's"), r"'it\'s'");
        assert_eq!(bicep_string(r"a\b"), r"'a\\b'");
        assert_eq!(bicep_string("${x}"), r"'\${x}'");
        assert_eq!(bicep_string("$x"), "'$x'");
        assert_eq!(bicep_string("a\nb"), r"'a\nb'");
        assert_eq!(bicep_string("Zürich"), "'Zürich'");
        assert_eq!(bicep_string("\u{1}"), r"'\u{1}'");
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_quote("abc"), "'abc'");
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }
}
