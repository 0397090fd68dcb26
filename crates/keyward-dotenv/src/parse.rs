//! The line parser. It works on byte offsets into the text (BOM already removed)
//! and returns, for each item, where it ends, so the document can keep the exact
//! original text of every line.

use crate::error::{ParseError, ParseErrorKind};
use std::fmt;

/// How a value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    /// `KEY=value` or `KEY=`.
    None,
    /// `KEY='value'`: literal, never expanded.
    Single,
    /// `KEY="value"`: escapes processed, references expandable.
    Double,
}

/// One piece of a value: literal text or a variable reference.
#[derive(Clone)]
pub(crate) enum Piece {
    Text(String),
    Var {
        name: String,
        default: Option<String>,
        /// The reference exactly as written (`$X`, `${X}`, `${X:-d}`), used when
        /// expansion is off.
        source: String,
    },
}

/// A parsed value. Its `Debug` never shows the text.
#[derive(Clone, Default)]
pub(crate) struct Value {
    pub(crate) pieces: Vec<Piece>,
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Value([REDACTED])")
    }
}

impl Value {
    fn push_char(&mut self, c: char) {
        if let Some(Piece::Text(s)) = self.pieces.last_mut() {
            s.push(c);
        } else {
            self.pieces.push(Piece::Text(c.to_string()));
        }
    }
    fn push_str(&mut self, t: &str) {
        if t.is_empty() {
            return;
        }
        if let Some(Piece::Text(s)) = self.pieces.last_mut() {
            s.push_str(t);
        } else {
            self.pieces.push(Piece::Text(t.to_owned()));
        }
    }
    /// The value with references left as written.
    pub(crate) fn literal(&self) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var { source, .. } => out.push_str(source),
            }
        }
        out
    }
    pub(crate) fn has_references(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Var { .. }))
    }
}

/// A parsed `KEY=value` entry. Offsets are relative to the item's own raw text.
#[derive(Debug, Clone)]
pub(crate) struct ParsedEntry {
    pub(crate) key: String,
    pub(crate) export: bool,
    pub(crate) quote: Quote,
    pub(crate) value: Value,
    /// Byte range of the value token (including its quotes) inside the raw text.
    pub(crate) value_start: usize,
    pub(crate) value_end: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum ParsedKind {
    Blank,
    Comment,
    Entry(ParsedEntry),
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}
fn is_key_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}
/// `-` and `.` appear in real .env files (python-dotenv and docker compose accept
/// them); whether such a name is usable is up to the consumer.
fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-'
}
fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// End of the line content starting at or before `from` (the `\n` position, or the
/// text's end) and the end of the item including the line terminator.
fn line_bounds(src: &str, from: usize) -> (usize, usize) {
    match src[from..].find('\n') {
        Some(rel) => {
            let nl = from + rel;
            let content_end = if nl > from && src.as_bytes()[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            (content_end, nl + 1)
        }
        None => (src.len(), src.len()),
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
pub(crate) fn location(src: &str, at: usize) -> (usize, usize) {
    let at = at.min(src.len());
    let mut at = at;
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, src[line_start..at].chars().count() + 1)
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    name: &'a str,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str, name: &'a str) -> Self {
        Self { src, name }
    }

    fn err(&self, at: usize, kind: ParseErrorKind) -> ParseError {
        let (line, column) = location(self.src, at);
        ParseError {
            name: self.name.to_owned(),
            line,
            column,
            kind,
        }
    }

    /// Parses one item starting at `start`; returns it and the offset just past it.
    pub(crate) fn item(&self, start: usize) -> Result<(ParsedKind, usize), ParseError> {
        let src = self.src;
        let b = src.as_bytes();
        let (content_end, item_end) = line_bounds(src, start);
        let mut i = start;
        while i < content_end && is_ws(b[i]) {
            i += 1;
        }
        if i == content_end {
            return Ok((ParsedKind::Blank, item_end));
        }
        if b[i] == b'#' {
            return Ok((ParsedKind::Comment, item_end));
        }
        let mut export = false;
        if src[i..content_end].starts_with("export") {
            let mut j = i + "export".len();
            if j < content_end && is_ws(b[j]) {
                while j < content_end && is_ws(b[j]) {
                    j += 1;
                }
                if j < content_end && is_key_start(b[j]) {
                    export = true;
                    i = j;
                }
            }
        }
        if !is_key_start(b[i]) {
            return Err(self.err(i, ParseErrorKind::InvalidKeyStart));
        }
        let key_start = i;
        while i < content_end && is_key_char(b[i]) {
            i += 1;
        }
        let key = src[key_start..i].to_owned();
        while i < content_end && is_ws(b[i]) {
            i += 1;
        }
        if i >= content_end || b[i] != b'=' {
            return Err(self.err(i, ParseErrorKind::ExpectedEquals));
        }
        i += 1;
        let after_eq = i;
        while i < content_end && is_ws(b[i]) {
            i += 1;
        }
        let value_start = i;
        let (quote, value, value_end, end) = if i < content_end && b[i] == b'\'' {
            let close = src[i + 1..]
                .find('\'')
                .map(|r| i + 1 + r)
                .ok_or_else(|| self.err(i, ParseErrorKind::UnterminatedSingleQuote))?;
            let mut v = Value::default();
            v.push_str(&src[i + 1..close].replace("\r\n", "\n"));
            let end = self.after_quote(close + 1)?;
            (Quote::Single, v, close + 1, end)
        } else if i < content_end && b[i] == b'"' {
            let (v, close) = self.double_quoted(i)?;
            let end = self.after_quote(close + 1)?;
            (Quote::Double, v, close + 1, end)
        } else {
            // Unquoted: up to a '#' preceded by whitespace, then trimmed.
            let region = &src[i..content_end];
            let rb = region.as_bytes();
            let mut stop = region.len();
            for (k, &c) in rb.iter().enumerate() {
                let preceded_by_ws = if k == 0 {
                    value_start > after_eq
                } else {
                    is_ws(rb[k - 1])
                };
                if c == b'#' && preceded_by_ws {
                    stop = k;
                    break;
                }
            }
            let text = region[..stop].trim_end_matches([' ', '\t']);
            (Quote::None, unquoted(text), i + text.len(), item_end)
        };
        let entry = ParsedEntry {
            key,
            export,
            quote,
            value,
            value_start: value_start - start,
            value_end: value_end - start,
        };
        Ok((ParsedKind::Entry(entry), end))
    }

    /// After a closing quote: whitespace and an optional comment to the line's end.
    fn after_quote(&self, from: usize) -> Result<usize, ParseError> {
        let (content_end, item_end) = line_bounds(self.src, from);
        let rest = &self.src[from..content_end];
        let trimmed = rest.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            Ok(item_end)
        } else {
            Err(self.err(
                content_end - trimmed.len(),
                ParseErrorKind::TrailingCharacters,
            ))
        }
    }

    /// Parses a double-quoted value whose opening quote is at `open`; returns the
    /// value and the offset of the closing quote.
    fn double_quoted(&self, open: usize) -> Result<(Value, usize), ParseError> {
        let src = self.src;
        let mut v = Value::default();
        let mut it = src[open + 1..].char_indices().peekable();
        while let Some((rel, c)) = it.next() {
            let at = open + 1 + rel;
            match c {
                '"' => return Ok((v, at)),
                '\\' => match it.next() {
                    Some((_, e)) => match e {
                        'n' => v.push_char('\n'),
                        't' => v.push_char('\t'),
                        'r' => v.push_char('\r'),
                        '"' | '\\' | '$' | '\'' => v.push_char(e),
                        other => {
                            v.push_char('\\');
                            if other == '\r' && it.peek().map(|&(_, n)| n) == Some('\n') {
                                continue; // CRLF after a backslash: keep "\\\n"
                            }
                            v.push_char(other);
                        }
                    },
                    None => break,
                },
                '\r' if it.peek().map(|&(_, n)| n) == Some('\n') => {}
                '$' => {
                    let rest = &src[at..];
                    match reference(rest, true) {
                        Some((piece, len)) => {
                            v.pieces.push(piece);
                            // Skip the reference's remaining characters.
                            while let Some(&(r, _)) = it.peek() {
                                if open + 1 + r < at + len {
                                    it.next();
                                } else {
                                    break;
                                }
                            }
                        }
                        None => v.push_char('$'),
                    }
                }
                other => v.push_char(other),
            }
        }
        Err(self.err(open, ParseErrorKind::UnterminatedDoubleQuote))
    }
}

/// Processes an unquoted value's text: `\$` escapes a dollar, `$NAME` and `${...}`
/// are references, everything else is literal.
fn unquoted(text: &str) -> Value {
    let mut v = Value::default();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with("\\$") {
            v.push_char('$');
            i += 2;
        } else if rest.starts_with('$') {
            match reference(rest, false) {
                Some((piece, len)) => {
                    v.pieces.push(piece);
                    i += len;
                }
                None => {
                    v.push_char('$');
                    i += 1;
                }
            }
        } else {
            let c = rest.chars().next().unwrap_or('\0');
            v.push_char(c);
            i += c.len_utf8().max(1);
        }
    }
    v
}

/// Parses a reference at the start of `s` (which starts with `$`). Returns the
/// piece and its length in bytes, or `None` if this `$` is literal.
fn reference(s: &str, in_double: bool) -> Option<(Piece, usize)> {
    let body = s.strip_prefix('$')?;
    if let Some(inner) = body.strip_prefix('{') {
        let name_len = inner
            .find(|c: char| !is_name_char(c))
            .unwrap_or(inner.len());
        let name = &inner[..name_len];
        if name.is_empty() || !name.starts_with(is_name_start) {
            return None;
        }
        let after = &inner[name_len..];
        let (default, tail_len) = if after.starts_with('}') {
            (None, 1)
        } else if let Some(d) = after.strip_prefix(":-") {
            let end = d.find(|c: char| {
                c == '}'
                    || c == '\n'
                    || c == '\r'
                    || c == '$'
                    || c == '\\'
                    || (in_double && c == '"')
            })?;
            if !d[end..].starts_with('}') {
                return None;
            }
            (Some(d[..end].to_owned()), 2 + end + 1)
        } else {
            return None;
        };
        let len = 2 + name_len + tail_len;
        Some((
            Piece::Var {
                name: name.to_owned(),
                default,
                source: s[..len].to_owned(),
            },
            len,
        ))
    } else {
        let name_len = body.find(|c: char| !is_name_char(c)).unwrap_or(body.len());
        let name = &body[..name_len];
        if name.is_empty() || !name.starts_with(is_name_start) {
            return None;
        }
        let len = 1 + name_len;
        Some((
            Piece::Var {
                name: name.to_owned(),
                default: None,
                source: s[..len].to_owned(),
            },
            len,
        ))
    }
}
