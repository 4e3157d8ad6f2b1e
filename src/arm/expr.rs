//! ARM template expressions: the text between `[` and `]` of a string value.
//!
//! Grammar: literals (`'str'` with `''` escape, integers, `true`/`false`/`null`), function calls
//! `name(args)` (names may be namespaced: `ns.fn`), property access `.prop` and index access
//! `[expr]`.

use std::borrow::Cow;

/// Deepest expression nesting accepted (calls inside calls, index inside index).
pub const MAX_DEPTH: usize = crate::eval::limits::MAX_EXPR_DEPTH;

/// The error of an expression nested deeper than [`MAX_DEPTH`] (a limit, not a syntax error).
pub const TOO_DEEP: &str = "expression nested too deeply";

/// An expression; names and escape-free strings borrow from the source text (this is parsed for
/// every expression string of every template, so allocations count).
#[derive(Clone, Debug, PartialEq)]
pub enum Expr<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Bool(bool),
    Null,
    Call(&'a str, Vec<Expr<'a>>),
    Prop(Box<Expr<'a>>, &'a str),
    Index(Box<Expr<'a>>, Box<Expr<'a>>),
}

/// Is this JSON string an expression? `[[...` is an escaped literal.
pub fn is_expression(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('[') && !s.starts_with("[[") && s.ends_with(']')
}

/// The literal value of a string that starts with the `[[` escape.
pub fn unescape_literal(s: &str) -> &str {
    if s.starts_with("[[") { &s[1..] } else { s }
}

/// Parse the text of an expression string including its brackets (`[concat('a', 'b')]`).
pub fn parse(s: &str) -> Result<Expr<'_>, String> {
    let inner = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .ok_or("expression must be enclosed in [ ]")?;
    let mut p = P {
        s: inner.as_bytes(),
        text: inner,
        i: 0,
    };
    let e = p.expr(0)?;
    p.ws();
    if p.i < p.s.len() {
        return Err(format!("unexpected `{}` in expression", &inner[p.i..]));
    }
    Ok(e)
}

struct P<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl<'a> P<'a> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr<'a>, String> {
        if depth > MAX_DEPTH {
            return Err(TOO_DEEP.into());
        }
        self.ws();
        let mut e = self.primary(depth)?;
        // Each `.x` / `[i]` nests the tree one level deeper.
        let mut nesting = depth;
        loop {
            self.ws();
            if matches!(self.s.get(self.i), Some(b'.' | b'[')) {
                nesting += 1;
                if nesting > MAX_DEPTH {
                    return Err(TOO_DEEP.into());
                }
            }
            match self.s.get(self.i) {
                Some(b'.') => {
                    self.i += 1;
                    self.ws();
                    let name = self.ident().ok_or("expected a property name after '.'")?;
                    e = Expr::Prop(Box::new(e), name);
                }
                Some(b'[') => {
                    self.i += 1;
                    let idx = self.expr(depth + 1)?;
                    self.ws();
                    if self.s.get(self.i) != Some(&b']') {
                        return Err("expected ']'".into());
                    }
                    self.i += 1;
                    e = Expr::Index(Box::new(e), Box::new(idx));
                }
                _ => return Ok(e),
            }
        }
    }

    fn ident(&mut self) -> Option<&'a str> {
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || matches!(self.s[self.i], b'_' | b'$'))
        {
            self.i += 1;
        }
        (self.i > start).then(|| &self.text[start..self.i])
    }

    fn primary(&mut self, depth: usize) -> Result<Expr<'a>, String> {
        match self.s.get(self.i) {
            None => Err("expected an expression, found end of expression".into()),
            Some(b'\'') => self.string().map(Expr::Str),
            Some(b'-' | b'0'..=b'9') => self.int(),
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let start = self.i;
                self.ident();
                // Namespaced user-defined functions: `ns.fn(...)`.
                let save = self.i;
                if self.s.get(self.i) == Some(&b'.') {
                    self.i += 1;
                    if self.ident().is_none() || self.s.get(self.i) != Some(&b'(') {
                        self.i = save;
                    }
                }
                let name = &self.text[start..self.i];
                self.ws();
                if self.s.get(self.i) != Some(&b'(') {
                    return match name.to_ascii_lowercase().as_str() {
                        "true" => Ok(Expr::Bool(true)),
                        "false" => Ok(Expr::Bool(false)),
                        "null" => Ok(Expr::Null),
                        _ => Err(format!("expected '(' after `{name}`")),
                    };
                }
                self.i += 1;
                let args = self.args(depth)?;
                Ok(Expr::Call(name, args))
            }
            Some(_) => Err(format!(
                "expected an expression, found `{}`",
                self.text[self.i..].chars().next().unwrap_or(' ')
            )),
        }
    }

    fn args(&mut self, depth: usize) -> Result<Vec<Expr<'a>>, String> {
        let mut args = Vec::with_capacity(4);
        self.ws();
        if self.s.get(self.i) == Some(&b')') {
            self.i += 1;
            return Ok(args);
        }
        loop {
            args.push(self.expr(depth + 1)?);
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b')') => {
                    self.i += 1;
                    return Ok(args);
                }
                _ => return Err("expected ',' or ')' in function arguments".into()),
            }
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, String> {
        self.i += 1;
        let start = self.i;
        let mut owned: Option<String> = None;
        loop {
            let run = self.i;
            while self.i < self.s.len() && self.s[self.i] != b'\'' {
                self.i += 1;
            }
            if self.i >= self.s.len() {
                return Err("unterminated string literal".into());
            }
            self.i += 1;
            if self.s.get(self.i) == Some(&b'\'') {
                // `''` is an escaped quote: from here on the value differs from the source.
                let o = owned.get_or_insert_with(String::new);
                o.push_str(&self.text[run..self.i]);
                self.i += 1;
            } else {
                return Ok(match owned {
                    None => Cow::Borrowed(&self.text[start..self.i - 1]),
                    Some(mut o) => {
                        o.push_str(&self.text[run..self.i - 1]);
                        Cow::Owned(o)
                    }
                });
            }
        }
    }

    fn int(&mut self) -> Result<Expr<'a>, String> {
        let start = self.i;
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        self.text[start..self.i]
            .parse()
            .map(Expr::Int)
            .map_err(|_| format!("invalid number `{}`", &self.text[start..self.i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'a>(name: &'a str, args: Vec<Expr<'a>>) -> Expr<'a> {
        Expr::Call(name, args)
    }

    #[test]
    fn parses_calls_properties_and_indexes() {
        let e = parse("[reference(parameters('id'), '2020-01-01').outputs['x'][0]]").unwrap();
        let r = call(
            "reference",
            vec![
                call("parameters", vec![Expr::Str("id".into())]),
                Expr::Str("2020-01-01".into()),
            ],
        );
        let expected = Expr::Index(
            Box::new(Expr::Index(
                Box::new(Expr::Prop(Box::new(r), "outputs")),
                Box::new(Expr::Str("x".into())),
            )),
            Box::new(Expr::Int(0)),
        );
        assert_eq!(e, expected);
    }

    #[test]
    fn string_escapes_and_literals() {
        assert_eq!(
            parse("[concat('it''s', -1, true)]").unwrap(),
            call(
                "concat",
                vec![Expr::Str("it's".into()), Expr::Int(-1), Expr::Bool(true)]
            )
        );
        assert_eq!(parse("['a''b''''c']").unwrap(), Expr::Str("a'b''c".into()));
        assert_eq!(parse("['''']").unwrap(), Expr::Str("'".into()));
        assert_eq!(
            parse("[ns.fn( 1 )]").unwrap(),
            call("ns.fn", vec![Expr::Int(1)])
        );
    }

    #[test]
    fn detects_expressions_and_escapes() {
        assert!(is_expression("[a()]"));
        assert!(!is_expression("[[a()]"));
        assert!(!is_expression("plain"));
        assert_eq!(unescape_literal("[[x]"), "[x]");
    }

    #[test]
    fn errors_and_depth_limit() {
        assert!(parse("[concat('a']").is_err());
        assert!(parse("['open]").is_err());
        assert!(parse("[foo]").is_err());
        let deep = format!("[{}1{}]", "f(".repeat(1000), ")".repeat(1000));
        assert!(parse(&deep).unwrap_err().contains("deeply"));
        let chain = format!("[f(){}]", ".a".repeat(100_000));
        assert!(parse(&chain).unwrap_err().contains("deeply"));
    }
}
