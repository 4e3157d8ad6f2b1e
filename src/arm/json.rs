//! A lenient JSON parser that keeps byte spans.
//!
//! ARM accepts more than RFC 8259 and real templates use it: `//` and `/* */` comments, raw
//! newlines and tabs inside strings, a UTF-8 BOM and trailing commas. Every value and every key
//! keeps its byte span so findings point at the source text. Nesting is bounded so hostile input
//! gives an error instead of a stack overflow.

use std::fmt;

/// Deepest array/object nesting accepted.
pub const MAX_DEPTH: usize = crate::eval::limits::MAX_JSON_DEPTH;

/// A byte range in the parsed text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

#[derive(Clone, Debug)]
pub struct JVal {
    pub kind: JKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum JKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<JVal>),
    Obj(Vec<(JKey, JVal)>),
}

#[derive(Clone, Debug)]
pub struct JKey {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset of the problem.
    pub offset: usize,
    pub message: String,
    /// Nesting deeper than [`MAX_DEPTH`]: a limit of the resource policy (LIM001), not a
    /// syntax error.
    pub too_deep: bool,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

impl JVal {
    /// Object member by name, ignoring ASCII case (ARM property names are case-insensitive).
    pub fn get(&self, key: &str) -> Option<&JVal> {
        self.entry(key).map(|(_, v)| v)
    }
    pub fn entry(&self, key: &str) -> Option<(&JKey, &JVal)> {
        match &self.kind {
            JKind::Obj(m) => m
                .iter()
                .find(|(k, _)| k.name.eq_ignore_ascii_case(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            JKind::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_obj(&self) -> Option<&[(JKey, JVal)]> {
        match &self.kind {
            JKind::Obj(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_arr(&self) -> Option<&[JVal]> {
        match &self.kind {
            JKind::Arr(a) => Some(a),
            _ => None,
        }
    }
}

impl<'a> Parser<'a> {
    /// A parser at the first token of a document: past a UTF-8 BOM and leading whitespace and
    /// comments.
    fn at_document_start(text: &'a str) -> Result<Self, ParseError> {
        let mut p = Parser {
            s: text.as_bytes(),
            text,
            i: if text.starts_with('\u{feff}') { 3 } else { 0 },
        };
        p.skip_ws()?;
        Ok(p)
    }
}

/// Parse a whole document (a leading BOM is skipped; trailing content other than whitespace and
/// comments is an error).
pub fn parse(text: &str) -> Result<JVal, ParseError> {
    let mut p = Parser::at_document_start(text)?;
    let v = p.value(0)?;
    p.skip_ws()?;
    if p.i < p.s.len() {
        return Err(p.expected("end of input"));
    }
    Ok(v)
}

/// Check that `text` parses, without building a tree, and return the top-level `$schema` string
/// if the root is an object that has one. Several times cheaper than [`parse`].
pub fn scan_schema(text: &str) -> Result<Option<String>, ParseError> {
    let mut p = Parser::at_document_start(text)?;
    let mut schema = None;
    if p.s.get(p.i) == Some(&b'{') {
        p.skip_object(0, &mut |k: &str, v: &str| {
            if k == "$schema" {
                schema = Some(v.to_string());
            }
        })?;
    } else {
        p.skip_value(0)?;
    }
    p.skip_ws()?;
    if p.i < p.s.len() {
        return Err(p.expected("end of input"));
    }
    Ok(schema)
}

/// Index of the first `"` or `\\` at or after `from` (or a little before it: the caller finishes
/// byte by byte), eight bytes at a time.
fn find_quote_or_backslash(s: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    while let Some(chunk) = s.get(i..i + 8) {
        let v = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        if has_zero(v ^ (ONES * b'"' as u64)) | has_zero(v ^ (ONES * b'\\' as u64)) != 0 {
            break;
        }
        i += 8;
    }
    i
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl<'a> Parser<'a> {
    fn span(&self, start: usize) -> Span {
        Span {
            start: start as u32,
            end: self.i as u32,
        }
    }

    /// Describe what is at the cursor, for "expected X, found Y".
    fn found(&self) -> String {
        match self.text.get(self.i..).and_then(|r| r.chars().next()) {
            None => "end of input".to_string(),
            Some(c) if c.is_control() => format!("{:?}", c),
            Some(c) => format!("'{c}'"),
        }
    }

    fn expected(&self, what: &str) -> ParseError {
        ParseError {
            offset: self.i,
            message: format!("expected {what}, found {}", self.found()),
            too_deep: false,
        }
    }

    fn skip_ws(&mut self) -> Result<(), ParseError> {
        // Indentation is most of the whitespace: skip runs of spaces eight at a time.
        while let Some(chunk) = self.s.get(self.i..self.i + 8) {
            if chunk != b"        " {
                break;
            }
            self.i += 8;
        }
        while self.i < self.s.len() {
            match self.s[self.i] {
                b' ' | b'\t' | b'\n' | b'\r' => self.i += 1,
                b'/' if self.s.get(self.i + 1) == Some(&b'/') => {
                    while self.i < self.s.len() && self.s[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b'/' if self.s.get(self.i + 1) == Some(&b'*') => {
                    let start = self.i;
                    self.i += 2;
                    loop {
                        if self.i + 1 >= self.s.len() {
                            return Err(ParseError {
                                offset: start,
                                message: "expected end of comment `*/`, found end of input".into(),
                                too_deep: false,
                            });
                        }
                        if self.s[self.i] == b'*' && self.s[self.i + 1] == b'/' {
                            self.i += 2;
                            break;
                        }
                        self.i += 1;
                    }
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<JVal, ParseError> {
        let start = self.i;
        let kind = match self.s.get(self.i) {
            None => return Err(self.expected("a value")),
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => JKind::Str(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                JKind::Bool(true)
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                JKind::Bool(false)
            }
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                JKind::Null
            }
            Some(_) => return Err(self.expected("a value")),
        };
        Ok(JVal {
            kind,
            span: self.span(start),
        })
    }

    /// Validate a value without building it.
    fn skip_value(&mut self, depth: usize) -> Result<(), ParseError> {
        match self.s.get(self.i) {
            Some(b'{') => self.skip_object(depth, &mut |_, _| {}),
            Some(b'[') => {
                self.enter(depth)?;
                self.i += 1;
                loop {
                    self.skip_ws()?;
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(());
                    }
                    self.skip_value(depth + 1)?;
                    self.skip_ws()?;
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.expected("',' or ']'")),
                    }
                }
            }
            Some(b'"') => self.skip_string().map(|_| ()),
            _ => self.value(depth).map(|_| ()),
        }
    }

    /// Validate an object; `top` sees every string-valued member (key, raw value).
    fn skip_object(
        &mut self,
        depth: usize,
        top: &mut dyn FnMut(&str, &str),
    ) -> Result<(), ParseError> {
        self.enter(depth)?;
        self.i += 1;
        let mut first = true;
        loop {
            self.skip_ws()?;
            match self.s.get(self.i) {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'"') => {}
                _ => {
                    let what = if first {
                        "a property name or '}'"
                    } else {
                        "a property name"
                    };
                    return Err(self.expected(what));
                }
            }
            first = false;
            let key = self.skip_string()?;
            self.skip_ws()?;
            if self.s.get(self.i) != Some(&b':') {
                return Err(self.expected("':'"));
            }
            self.i += 1;
            self.skip_ws()?;
            if self.s.get(self.i) == Some(&b'"') {
                let v = self.skip_string()?;
                top(&self.text[key.0..key.1], &self.text[v.0..v.1]);
            } else {
                self.skip_value(depth + 1)?;
            }
            self.skip_ws()?;
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.expected("',' or '}'")),
            }
        }
    }

    /// Validate a string; returns the byte range of its raw contents.
    fn skip_string(&mut self) -> Result<(usize, usize), ParseError> {
        let open = self.i;
        self.i += 1;
        let start = self.i;
        loop {
            self.i = find_quote_or_backslash(self.s, self.i);
            match self.s.get(self.i) {
                None => {
                    return Err(ParseError {
                        offset: open,
                        message: "expected closing '\"' of this string, found end of input".into(),
                        too_deep: false,
                    });
                }
                Some(b'"') => {
                    self.i += 1;
                    return Ok((start, self.i - 1));
                }
                Some(b'\\') => {
                    let mut sink = String::new();
                    self.escape(&mut sink)?;
                }
                _ => self.i += 1,
            }
        }
    }

    fn enter(&self, depth: usize) -> Result<(), ParseError> {
        if depth >= MAX_DEPTH {
            return Err(ParseError {
                offset: self.i,
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                too_deep: true,
            });
        }
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Result<JKind, ParseError> {
        self.enter(depth)?;
        self.i += 1;
        let mut members = Vec::new();
        loop {
            self.skip_ws()?;
            match self.s.get(self.i) {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(JKind::Obj(members));
                }
                Some(b'"') => {}
                _ => {
                    let what = if members.is_empty() {
                        "a property name or '}'"
                    } else {
                        "a property name"
                    };
                    return Err(self.expected(what));
                }
            }
            let kstart = self.i;
            let name = self.string()?;
            let key = JKey {
                name,
                span: self.span(kstart),
            };
            self.skip_ws()?;
            if self.s.get(self.i) != Some(&b':') {
                return Err(self.expected("':'"));
            }
            self.i += 1;
            self.skip_ws()?;
            let v = self.value(depth + 1)?;
            members.push((key, v));
            self.skip_ws()?;
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(JKind::Obj(members));
                }
                _ => return Err(self.expected("',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<JKind, ParseError> {
        self.enter(depth)?;
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            if self.s.get(self.i) == Some(&b']') {
                self.i += 1;
                return Ok(JKind::Arr(items));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws()?;
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(JKind::Arr(items));
                }
                _ => return Err(self.expected("',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<JKind, ParseError> {
        let start = self.i;
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        let digits = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if self.i == digits {
            return Err(self.expected("a digit"));
        }
        let mut float = false;
        if self.s.get(self.i) == Some(&b'.') {
            float = true;
            self.i += 1;
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            float = true;
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
        }
        let lit = &self.text[start..self.i];
        if !float && let Ok(n) = lit.parse::<i64>() {
            return Ok(JKind::Int(n));
        }
        lit.parse::<f64>()
            .map(JKind::Float)
            .map_err(|_| ParseError {
                offset: start,
                message: format!("expected a number, found `{lit}`"),
                too_deep: false,
            })
    }

    /// A string starting at the opening quote. Raw control characters are accepted (ARM does).
    fn string(&mut self) -> Result<String, ParseError> {
        let open = self.i;
        self.i += 1;
        let start = self.i;
        // Fast path: no escapes. Scan eight bytes at a time for a quote or a backslash.
        self.i = find_quote_or_backslash(self.s, self.i);
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'"' => {
                    let out = self.text[start..self.i].to_string();
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => break,
                _ => self.i += 1,
            }
        }
        let mut out = String::from(&self.text[start..self.i]);
        loop {
            let run = self.i;
            while self.i < self.s.len() && !matches!(self.s[self.i], b'"' | b'\\') {
                self.i += 1;
            }
            out.push_str(&self.text[run..self.i]);
            match self.s.get(self.i) {
                None => {
                    return Err(ParseError {
                        offset: open,
                        message: "expected closing '\"' of this string, found end of input".into(),
                        too_deep: false,
                    });
                }
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                _ => self.escape(&mut out)?,
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        self.i += 1;
        let c = match self.s.get(self.i) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.i += 1;
                let hi = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&hi)
                    && self.s[self.i..].starts_with(b"\\u")
                    && let Some(lo) = {
                        let save = self.i;
                        self.i += 2;
                        let lo = self.hex4().ok().filter(|lo| (0xDC00..0xE000).contains(lo));
                        if lo.is_none() {
                            self.i = save;
                        }
                        lo
                    } {
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                } else {
                    char::from_u32(hi)
                };
                out.push(c.unwrap_or('\u{fffd}'));
                return Ok(());
            }
            _ => return Err(self.expected("an escape character")),
        };
        out.push(c);
        self.i += 1;
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.expected("4 hex digits"))?;
        self.i += 4;
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_comments_bom_raw_newlines_and_trailing_commas() {
        let text = "\u{feff}{ // c\n \"a\": /* x */ \"l1\nl2\t\", \"b\": [1, 2.5, true, null,],\n}";
        let v = parse(text).unwrap();
        assert_eq!(v.get("A").unwrap().as_str(), Some("l1\nl2\t"));
        let b = v.get("b").unwrap().as_arr().unwrap();
        assert_eq!(b.len(), 4);
        assert!(matches!(b[0].kind, JKind::Int(1)));
        assert!(matches!(b[1].kind, JKind::Float(f) if f == 2.5));
    }

    #[test]
    fn keeps_spans_of_keys_and_values() {
        let text = r#"{"key": "value"}"#;
        let v = parse(text).unwrap();
        let (k, val) = v.entry("key").unwrap();
        assert_eq!(&text[k.span.start as usize..k.span.end as usize], "\"key\"");
        assert_eq!(
            &text[val.span.start as usize..val.span.end as usize],
            "\"value\""
        );
    }

    #[test]
    fn decodes_escapes_and_surrogates() {
        let v = parse(r#""a\"b\\\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(v.as_str(), Some("a\"b\\é😀"));
    }

    #[test]
    fn errors_are_located_and_say_what_was_expected() {
        let e = parse("{\"a\": 1 \"b\": 2}").unwrap_err();
        assert_eq!(e.offset, 8);
        assert_eq!(e.message, "expected ',' or '}', found '\"'");
        let e = parse("[1, }").unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(e.message.starts_with("expected a value"), "{}", e.message);
        let e = parse("{\"a\": \"open").unwrap_err();
        assert_eq!(e.offset, 6);
        assert!(parse("{} x").is_err());
        assert!(parse("").is_err());
        assert!(parse("/* never closed").is_err());
    }

    #[test]
    fn scan_agrees_with_parse() {
        let ok = "\u{feff}{ /* c */ \"$schema\": \"s\", \"a\": [1, {\"b\": \"x\\\"y\"},], }";
        assert_eq!(scan_schema(ok).unwrap().as_deref(), Some("s"));
        assert!(parse(ok).is_ok());
        for bad in [
            "{\"a\": 1 \"b\": 2}",
            "[1, }",
            "{\"a\": \"open",
            "{} x",
            "",
            "{\"a\" 1}",
        ] {
            assert_eq!(
                scan_schema(bad).unwrap_err(),
                parse(bad).unwrap_err(),
                "{bad}"
            );
        }
        assert_eq!(scan_schema("[1]").unwrap(), None);
        assert!(scan_schema(&"[".repeat(10_000)).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let e = parse(&text).unwrap_err();
        assert!(e.message.contains("nesting"), "{}", e.message);
        let ok = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse(&ok).is_ok());
    }
}
