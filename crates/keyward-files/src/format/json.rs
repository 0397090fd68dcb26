//! JSON: validated by serde_json, then scanned once more for the byte span of
//! every scalar, so a value can be replaced without re-serialising the file.
//! The metadata is the top-level member `"_keyward"`.

use super::{Doc, Leaf, Seg};
use crate::error::{FilesError, Result};
use crate::meta::Meta;
use keyward_crypto::SecretString;
use std::ops::Range;

const META_KEY: &str = "_keyward";

#[derive(Clone)]
pub struct JsonDoc {
    text: String,
    leaves: Vec<Leaf>,
    spans: Vec<Range<usize>>,
    /// Byte range of the top-level object's closing brace.
    close: usize,
}

fn parse_err(e: serde_json::Error) -> FilesError {
    FilesError::Parse {
        format: "JSON",
        message: format!("line {} column {}: {}", e.line(), e.column(), classify(&e)),
    }
}

/// serde_json's messages can quote input; keep only the category.
fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Syntax => "invalid syntax",
        serde_json::error::Category::Eof => "unexpected end of file",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    }
}

struct Scan<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    leaves: Vec<Leaf>,
    spans: Vec<Range<usize>>,
    /// Span of every top-level member: (key, key start, value end).
    members: Vec<(String, usize, usize)>,
}

impl Scan<'_> {
    fn ws(&mut self) {
        while self.pos < self.b.len() && matches!(self.b[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn bad(&self) -> FilesError {
        FilesError::Parse {
            format: "JSON",
            message: format!("unexpected input at byte {}", self.pos),
        }
    }

    fn string(&mut self) -> Result<(String, Range<usize>)> {
        let start = self.pos;
        if self.b.get(self.pos) != Some(&b'"') {
            return Err(self.bad());
        }
        self.pos += 1;
        while self.pos < self.b.len() {
            match self.b[self.pos] {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    let lit = &self.s[start..self.pos];
                    let v: String = serde_json::from_str(lit).map_err(parse_err)?;
                    return Ok((v, start..self.pos));
                }
                _ => self.pos += 1,
            }
        }
        Err(self.bad())
    }

    fn value(&mut self, path: &mut Vec<Seg>, top: bool) -> Result<()> {
        self.ws();
        match self.b.get(self.pos) {
            Some(b'{') => {
                self.pos += 1;
                self.ws();
                if self.b.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    let (key, kspan) = self.string()?;
                    self.ws();
                    if self.b.get(self.pos) != Some(&b':') {
                        return Err(self.bad());
                    }
                    self.pos += 1;
                    path.push(Seg::Key(key.clone()));
                    self.value(path, false)?;
                    path.pop();
                    if top {
                        self.members.push((key, kspan.start, self.pos));
                    }
                    self.ws();
                    match self.b.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(self.bad()),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                self.ws();
                if self.b.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(());
                }
                let mut i = 0;
                loop {
                    path.push(Seg::Index(i));
                    self.value(path, false)?;
                    path.pop();
                    i += 1;
                    self.ws();
                    match self.b.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(self.bad()),
                    }
                }
            }
            Some(b'"') => {
                let (v, span) = self.string()?;
                self.leaves.push(Leaf {
                    path: path.clone(),
                    value: SecretString::new(v),
                    is_string: true,
                });
                self.spans.push(span);
                Ok(())
            }
            Some(_) => {
                let start = self.pos;
                while self.pos < self.b.len()
                    && !matches!(
                        self.b[self.pos],
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.pos += 1;
                }
                self.leaves.push(Leaf {
                    path: path.clone(),
                    value: SecretString::new(self.s[start..self.pos].to_owned()),
                    is_string: false,
                });
                self.spans.push(start..self.pos);
                Ok(())
            }
            None => Err(self.bad()),
        }
    }
}

struct Scanned {
    leaves: Vec<Leaf>,
    spans: Vec<Range<usize>>,
    members: Vec<(String, usize, usize)>,
    close: usize,
}

fn scan(text: &str) -> Result<Scanned> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(parse_err)?;
    if !v.is_object() {
        return Err(FilesError::Unsupported(
            "an encrypted JSON file must be an object at the top level".into(),
        ));
    }
    let mut s = Scan {
        s: text,
        b: text.as_bytes(),
        pos: 0,
        leaves: Vec::new(),
        spans: Vec::new(),
        members: Vec::new(),
    };
    s.value(&mut Vec::new(), true)?;
    let close = s.pos.saturating_sub(1);
    Ok(Scanned {
        leaves: s.leaves,
        spans: s.spans,
        members: s.members,
        close,
    })
}

impl JsonDoc {
    pub fn parse(text: String) -> Result<Self> {
        let sc = scan(&text)?;
        Ok(Self {
            text,
            leaves: sc.leaves,
            spans: sc.spans,
            close: sc.close,
        })
    }

    fn rescan(&mut self) -> Result<()> {
        let sc = scan(&self.text)?;
        self.leaves = sc.leaves;
        self.spans = sc.spans;
        self.close = sc.close;
        Ok(())
    }
}

fn quote(v: &str) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into())
}

impl Doc for JsonDoc {
    fn leaves(&self) -> &[Leaf] {
        &self.leaves
    }

    fn set_strings(&mut self, edits: &[(usize, &str)]) -> Result<()> {
        let mut edits: Vec<(Range<usize>, String)> = edits
            .iter()
            .filter_map(|(i, v)| self.spans.get(*i).map(|s| (s.clone(), quote(v))))
            .collect();
        super::splice(&mut self.text, &mut edits);
        self.rescan()
    }

    fn insert(&mut self, key: &str, value: &str) -> Result<()> {
        let member = format!("{}: {}", quote(key), quote(value));
        self.text = insert_member(&self.text, self.close, &member);
        self.rescan()
    }

    fn remove(&mut self, key: &str) -> Result<()> {
        let sc = scan(&self.text)?;
        let Some((_, start, end)) = sc.members.iter().find(|m| m.0 == key) else {
            return Err(FilesError::NoSuchKey(key.to_owned()));
        };
        self.text = cut_member(&self.text, *start, *end);
        self.rescan()
    }

    fn text(&self) -> String {
        self.text.clone()
    }

    fn boxed_clone(&self) -> Box<dyn Doc> {
        Box::new(self.clone())
    }
}

/// Inserts `member` as the last member of the object closing at `close`,
/// indented like the first member.
fn insert_member(text: &str, close: usize, member: &str) -> String {
    let before = &text[..close];
    let last = before.trim_end();
    let indent = text
        .find('"')
        .and_then(|q| text[..q].rfind('\n').map(|nl| text[nl + 1..q].to_owned()))
        .filter(|i| i.chars().all(|c| c == ' ' || c == '\t'))
        .unwrap_or_else(|| "  ".into());
    let mut out = String::with_capacity(text.len() + member.len() + 8);
    out.push_str(last);
    if !last.ends_with('{') {
        out.push(',');
    }
    out.push('\n');
    out.push_str(&indent);
    out.push_str(member);
    if before.len() > last.len() {
        out.push_str(&before[last.len()..]);
    } else {
        out.push('\n');
    }
    out.push_str(&text[close..]);
    out
}

/// Removes the member spanning `start..end` and its separating comma.
fn cut_member(text: &str, start: usize, end: usize) -> String {
    let head = text[..start].trim_end();
    if let Some(h) = head.strip_suffix(',') {
        // Not the first member: drop the comma before it.
        format!("{}{}", h, &text[end..])
    } else {
        let tail = text[end..].trim_start();
        let tail = tail.strip_prefix(',').map(str::trim_start).unwrap_or(tail);
        let keep_ws = &text[head.len()..start];
        format!("{head}{keep_ws}{tail}")
    }
}

/// Splits off the `"_keyward"` member.
pub fn split_meta(text: &str) -> Result<(String, Option<Meta>)> {
    let sc = scan(text)?;
    let Some((_, start, end)) = sc.members.iter().find(|m| m.0 == META_KEY) else {
        return Ok((text.to_owned(), None));
    };
    let v: serde_json::Value = serde_json::from_str(text).map_err(parse_err)?;
    let m = &v[META_KEY];
    let get = |k: &str| {
        m[k].as_str()
            .map(str::to_owned)
            .ok_or_else(|| FilesError::Meta(format!("`{META_KEY}.{k}` is missing or not a string")))
    };
    let recipients = m["recipients"]
        .as_array()
        .ok_or_else(|| FilesError::Meta(format!("`{META_KEY}.recipients` is not a list")))?
        .iter()
        .map(|r| {
            r.as_str().map(str::to_owned).ok_or_else(|| {
                FilesError::Meta(format!("`{META_KEY}.recipients` holds a non-string"))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let meta = Meta {
        recipients,
        mac_key: get("mac_key")?,
        mac: get("mac")?,
    };
    Ok((cut_member(text, *start, *end), Some(meta)))
}

/// Writes the metadata as the last top-level member.
pub fn join_meta(body: &str, meta: &Meta) -> Result<String> {
    let sc = scan(body)?;
    let member = format!(
        "{}: {}",
        quote(META_KEY),
        serde_json::json!({
            "recipients": meta.recipients,
            "mac_key": meta.mac_key,
            "mac": meta.mac,
        })
    );
    Ok(insert_member(body, sc.close, &member))
}
