//! Quoting user text in messages, shortened.
//!
//! A message names what is wrong, it does not repeat the input: a finding about a 12 MB string
//! must not be a 12 MB line in a CI log (or a 12 MB SARIF `message.text`). Rules quote user
//! values with [`value`]; every report writer caps whole messages with [`message`] as a
//! backstop, so no format carries an unbounded message whatever a rule wrote.

use std::borrow::Cow;

/// A quoted user value is cut after this many characters.
pub const MAX_VALUE_CHARS: usize = 80;
/// A message, label or help text is cut after this many characters (a backstop: messages
/// written by the rules are one line).
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// `s` cut to at most `max` characters, followed by `…` and the full length when it was cut.
pub fn shorten(s: &str, max: usize) -> Cow<'_, str> {
    // Cheap test first: a string of at most `max` bytes has at most `max` characters.
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => {
            let total = s.chars().count();
            Cow::Owned(format!("{}… ({total} characters)", &s[..cut]))
        }
    }
}

/// A user value as quoted in a message (the caller adds the quotes).
pub fn value(s: &str) -> Cow<'_, str> {
    shorten(s, MAX_VALUE_CHARS)
}

/// A whole message, label or help text as a report writer shows it.
pub fn message(s: &str) -> Cow<'_, str> {
    shorten(s, MAX_MESSAGE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_borrowed_long_text_is_cut_on_a_character_boundary() {
        assert!(matches!(value("abc"), Cow::Borrowed("abc")));
        let long = "é".repeat(100);
        let v = value(&long);
        assert_eq!(v, format!("{}… (100 characters)", "é".repeat(80)));
        // Exactly the limit in characters but more bytes: not cut.
        assert_eq!(value(&"é".repeat(80)), "é".repeat(80));
        assert_eq!(message(&"x".repeat(5000)).chars().count(), 1000 + 19);
    }
}
