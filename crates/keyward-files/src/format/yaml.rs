//! YAML: serde-based YAML crates drop comments, so the document is read as
//! parser events with source spans (saphyr-parser) and each value is replaced in
//! the text. Block mappings, sequences, flow collections, every scalar style and
//! comments are kept; anchors, aliases, tags and multi-document files are refused.

use super::{Doc, Leaf, Seg};
use crate::error::{FilesError, Result};
use keyward_crypto::SecretString;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::ops::Range;

#[derive(Clone)]
pub struct YamlDoc {
    text: String,
    leaves: Vec<Leaf>,
    spans: Vec<Range<usize>>,
    /// Whether the top level is a block mapping (where new keys can be appended).
    block_top: bool,
}

enum Frame {
    Map { key: Option<String> },
    Seq { next: usize },
}

fn unsupported(what: &str) -> FilesError {
    FilesError::Unsupported(format!(
        "{what} are not supported in an encrypted YAML file; write the values out in full"
    ))
}

/// Whether a plain scalar is a null, boolean or number (YAML 1.2 core schema,
/// plus the YAML 1.1 yes/no/on/off many loaders still honour).
fn plain_is_typed(s: &str) -> bool {
    let t = s.trim();
    if matches!(
        t,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
            | "+.inf"
            | ".nan"
            | ".NaN"
            | ".NAN"
    ) {
        return true;
    }
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0o")) {
        return !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
    }
    t.parse::<f64>().is_ok()
        && t.chars()
            .all(|c| c.is_ascii_digit() || "+-._eE".contains(c))
}

struct Scanned {
    leaves: Vec<Leaf>,
    spans: Vec<Range<usize>>,
    block_top: bool,
}

fn scan(text: &str) -> Result<Scanned> {
    // Spans count characters; map them to byte offsets.
    let ascii = text.is_ascii();
    let offsets: Vec<usize> = if ascii {
        Vec::new()
    } else {
        text.char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect()
    };
    let byte = |ch: usize| {
        if ascii {
            ch.min(text.len())
        } else {
            offsets.get(ch).copied().unwrap_or(text.len())
        }
    };
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut path: Vec<Seg> = Vec::new();
    let mut leaves = Vec::new();
    let mut spans = Vec::new();
    let mut docs = 0;
    let mut block_top = false;
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(|e| FilesError::Parse {
            format: "YAML",
            message: format!(
                "line {} column {}: {}",
                e.marker().line(),
                e.marker().col() + 1,
                e.info()
            ),
        })?;
        // Where a value goes: the key or index it is under.
        let value_seg = |stack: &mut Vec<Frame>| -> Result<Option<Seg>> {
            match stack.last_mut() {
                None => Ok(None),
                Some(Frame::Seq { next }) => {
                    *next += 1;
                    Ok(Some(Seg::Index(*next - 1)))
                }
                Some(Frame::Map { key }) => Ok(key.take().map(Seg::Key)),
            }
        };
        let stack_kind_map = matches!(ev, Event::MappingStart(..));
        match ev {
            Event::DocumentStart(_) => {
                docs += 1;
                if docs > 1 {
                    return Err(unsupported("several documents in one file"));
                }
            }
            Event::Alias(_) => return Err(unsupported("aliases (*name)")),
            Event::Scalar(v, style, anchor, tag) => {
                if anchor != 0 {
                    return Err(unsupported("anchors (&name)"));
                }
                if tag.is_some() {
                    return Err(unsupported("tags (!name)"));
                }
                if let Some(Frame::Map { key }) = stack.last_mut()
                    && key.is_none()
                {
                    *key = Some(v.into_owned());
                    continue;
                }
                let seg = value_seg(&mut stack)?;
                let is_string = style != ScalarStyle::Plain || !plain_is_typed(&v);
                let mut p = path.clone();
                p.extend(seg);
                if p.is_empty() {
                    return Err(FilesError::Unsupported(
                        "an encrypted YAML file must be a mapping or a list at the top level"
                            .into(),
                    ));
                }
                let mut start = byte(span.start.index());
                let mut end = byte(span.end.index()).max(start);
                if matches!(style, ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted) {
                    // The span runs on over trailing blanks and a comment.
                    end = quoted_end(text, start, style).unwrap_or(end);
                }
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    // The span covers the content only (and the line break after
                    // it): replace from the `|`/`>` indicator to the content's end.
                    end = start + text[start..end].trim_end().len();
                    start = text[..start].rfind(['|', '>']).unwrap_or(start);
                }
                leaves.push(Leaf {
                    path: p,
                    value: SecretString::new(if is_string {
                        v.into_owned()
                    } else {
                        text[start..end].trim().to_owned()
                    }),
                    is_string,
                });
                spans.push(start..end);
            }
            Event::MappingStart(anchor, tag) | Event::SequenceStart(anchor, tag) => {
                let is_map = stack_kind_map;
                if anchor != 0 {
                    return Err(unsupported("anchors (&name)"));
                }
                if tag.is_some() {
                    return Err(unsupported("tags (!name)"));
                }
                if let Some(Frame::Map { key: None }) = stack.last() {
                    return Err(unsupported("complex keys (a mapping or list as a key)"));
                }
                if stack.is_empty() {
                    block_top = is_map
                        && !text[byte(span.start.index())..]
                            .trim_start()
                            .starts_with('{');
                }
                if let Some(seg) = value_seg(&mut stack)? {
                    path.push(seg);
                }
                stack.push(if is_map {
                    Frame::Map { key: None }
                } else {
                    Frame::Seq { next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                if !stack.is_empty() {
                    path.pop();
                }
            }
            _ => {}
        }
    }
    Ok(Scanned {
        leaves,
        spans,
        block_top,
    })
}

/// The byte just past the closing quote of a quoted scalar starting at `start`.
fn quoted_end(text: &str, start: usize, style: ScalarStyle) -> Option<usize> {
    let b = text.as_bytes();
    let q = if style == ScalarStyle::DoubleQuoted {
        b'"'
    } else {
        b'\''
    };
    if b.get(start) != Some(&q) {
        return None;
    }
    let mut i = start + 1;
    while i < b.len() {
        if q == b'"' && b[i] == b'\\' {
            i += 2;
        } else if b[i] == q {
            if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                i += 2;
            } else {
                return Some(i + 1);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// A double-quoted YAML scalar (JSON string syntax is valid YAML).
fn quote(v: &str) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into())
}

/// Plain when that reads back as the same string, double-quoted otherwise.
fn render_scalar(v: &str) -> String {
    let safe = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./@+=-".contains(c))
        && v.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '.')
        && !plain_is_typed(v);
    if safe { v.to_owned() } else { quote(v) }
}

impl YamlDoc {
    pub fn parse(text: String) -> Result<Self> {
        let sc = scan(&text)?;
        Ok(Self {
            text,
            leaves: sc.leaves,
            spans: sc.spans,
            block_top: sc.block_top,
        })
    }

    fn rescan(&mut self) -> Result<()> {
        let sc = scan(&self.text)?;
        self.leaves = sc.leaves;
        self.spans = sc.spans;
        self.block_top = sc.block_top;
        Ok(())
    }
}

impl Doc for YamlDoc {
    fn leaves(&self) -> &[Leaf] {
        &self.leaves
    }

    fn set_strings(&mut self, edits: &[(usize, &str)]) -> Result<()> {
        let mut edits: Vec<(Range<usize>, String)> = edits
            .iter()
            .filter_map(|(i, v)| {
                let span = self.spans.get(*i)?.clone();
                // Encrypted values are always quoted; plaintext is plain when safe.
                let r = if crate::value::is_encrypted_value(v) {
                    quote(v)
                } else {
                    render_scalar(v)
                };
                Some((span, r))
            })
            .collect();
        super::splice(&mut self.text, &mut edits);
        self.rescan()
    }

    fn insert(&mut self, key: &str, value: &str) -> Result<()> {
        if !self.block_top && !self.leaves.is_empty() {
            return Err(FilesError::Unsupported(
                "new keys can only be added to a YAML file whose top level is a block mapping"
                    .into(),
            ));
        }
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
        self.text
            .push_str(&format!("{}: {}\n", render_scalar(key), quote(value)));
        self.rescan()
    }

    fn remove(&mut self, key: &str) -> Result<()> {
        Err(FilesError::Unsupported(format!(
            "removing `{key}` from a YAML file is not automatic; use `keyward edit`"
        )))
    }

    fn text(&self) -> String {
        self.text.clone()
    }

    fn boxed_clone(&self) -> Box<dyn Doc> {
        Box::new(self.clone())
    }
}
