//! The lossless document: every item keeps its exact original text.

use crate::error::{LoadError, ParseError, WriteError};
use crate::expand::ExpandMode;
pub use crate::parse::Quote;
use crate::parse::{ParsedEntry, ParsedKind, Parser, Piece};
use crate::write::{encode_value, is_valid_key};
use keyward_crypto::SecretString;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

const BOM: &str = "\u{feff}";

#[derive(Clone)]
struct Item {
    /// The item's exact text including its line terminator (may span lines).
    raw: SecretString,
    kind: ParsedKind,
}

/// A parsed `.env` file that can be edited and written back unchanged elsewhere.
///
/// `Display` (and so `to_string()`) renders the file text, values included: it is
/// the writer. `Debug` shows only the variable names.
#[derive(Clone, Default)]
pub struct Document {
    bom: bool,
    items: Vec<Item>,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("keys", &self.entries().map(|e| e.key).collect::<Vec<_>>())
            .field("items", &self.items.len())
            .finish()
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bom {
            f.write_str(BOM)?;
        }
        for item in &self.items {
            f.write_str(item.raw.expose())?;
        }
        Ok(())
    }
}

/// What can be said about an entry without showing its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryInfo<'a> {
    pub key: &'a str,
    /// 1-based line where the entry starts (current, after any edits).
    pub line: usize,
    pub exported: bool,
    pub quote: Quote,
    /// Whether the value contains `$VAR` / `${VAR}` references.
    pub has_references: bool,
    pub is_empty: bool,
}

impl Document {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `text`; errors are reported against the name `.env`.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        Self::parse_named(text, ".env")
    }

    /// Parses `text`; errors are reported as `name:line:column: ...`.
    pub fn parse_named(text: &str, name: &str) -> Result<Self, ParseError> {
        let (bom, body) = match text.strip_prefix(BOM) {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let parser = Parser::new(body, name);
        let mut items = Vec::new();
        let mut pos = 0;
        while pos < body.len() {
            let (kind, end) = parser.item(pos)?;
            items.push(Item {
                raw: SecretString::new(body[pos..end].to_owned()),
                kind,
            });
            pos = end;
        }
        Ok(Self { bom, items })
    }

    /// Reads and parses a file. Errors carry the path.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
            path: shown.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 {
            path: shown.clone(),
        })?;
        let doc = Self::parse_named(&text, &shown)?;
        Ok(doc)
    }

    fn entry_items(&self) -> impl Iterator<Item = (usize, &ParsedEntry)> {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| match &it.kind {
                ParsedKind::Entry(e) => Some((i, e)),
                _ => None,
            })
    }

    /// Every entry in file order (duplicates included), without values.
    pub fn entries(&self) -> impl Iterator<Item = EntryInfo<'_>> {
        let mut line = 1;
        self.items.iter().filter_map(move |it| {
            let here = line;
            line += it.raw.expose().matches('\n').count();
            match &it.kind {
                ParsedKind::Entry(e) => Some(EntryInfo {
                    key: &e.key,
                    line: here,
                    exported: e.export,
                    quote: e.quote,
                    has_references: e.value.has_references(),
                    is_empty: e.value.pieces.is_empty(),
                }),
                _ => None,
            }
        })
    }

    /// Whether `key` is defined.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entry_items().any(|(_, e)| e.key == key)
    }

    /// The value of `key` as written (last occurrence wins), references unexpanded.
    pub fn get(&self, key: &str) -> Option<SecretString> {
        self.entry_items()
            .filter(|(_, e)| e.key == key)
            .last()
            .map(|(_, e)| SecretString::new(e.value.literal()))
    }

    /// All variables (last occurrence wins), references unexpanded.
    pub fn to_map(&self) -> BTreeMap<String, SecretString> {
        self.values(ExpandMode::None, |_| None)
    }

    /// All variables (last occurrence wins). With [`ExpandMode::Expand`], each
    /// reference resolves through `lookup` first, then through variables defined
    /// earlier in this document, then to its `:-` default or the empty string.
    pub fn values(
        &self,
        mode: ExpandMode,
        lookup: impl Fn(&str) -> Option<SecretString>,
    ) -> BTreeMap<String, SecretString> {
        let mut out: BTreeMap<String, SecretString> = BTreeMap::new();
        for (_, e) in self.entry_items() {
            let v = match (mode, e.quote) {
                (ExpandMode::None, _) | (_, Quote::Single) => e.value.literal(),
                (ExpandMode::Expand, _) => {
                    let mut s = String::new();
                    for p in &e.value.pieces {
                        match p {
                            Piece::Text(t) => s.push_str(t),
                            Piece::Var { name, default, .. } => {
                                if let Some(v) = lookup(name) {
                                    s.push_str(v.expose());
                                } else if let Some(v) = out.get(name) {
                                    s.push_str(v.expose());
                                } else if let Some(d) = default {
                                    s.push_str(d);
                                }
                            }
                        }
                    }
                    s
                }
            };
            out.insert(e.key.clone(), SecretString::new(v));
        }
        out
    }

    /// Sets `key` to `value`. If the key exists, its last occurrence is rewritten in
    /// place (keeping `export`, spacing and any trailing comment); otherwise a new
    /// line is appended. Quoting is chosen so the value reads back exactly.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), WriteError> {
        if !is_valid_key(key) {
            return Err(WriteError::InvalidKey(key.to_owned()));
        }
        let Some(idx) = self
            .entry_items()
            .filter(|(_, e)| e.key == key)
            .last()
            .map(|(i, _)| i)
        else {
            return self.append(key, value);
        };
        self.set_item(idx, key, value)
    }

    /// Every entry in file order (duplicates included) with its value as written,
    /// references unexpanded. For tools that treat each occurrence separately.
    pub fn entry_values(&self) -> impl Iterator<Item = (&str, SecretString)> {
        self.entry_items()
            .map(|(_, e)| (e.key.as_str(), SecretString::new(e.value.literal())))
    }

    /// Rewrites the values of entries by position (0-based, file order, duplicates
    /// counted) in place, like [`Document::set`] does for the last occurrence.
    /// Positions past the last entry are ignored.
    pub fn set_nth<'v>(
        &mut self,
        edits: impl IntoIterator<Item = (usize, &'v str)>,
    ) -> Result<(), WriteError> {
        let at: Vec<(usize, String)> = self
            .entry_items()
            .map(|(i, e)| (i, e.key.clone()))
            .collect();
        for (n, value) in edits {
            if let Some((idx, key)) = at.get(n) {
                self.set_item(*idx, key, value)?;
            }
        }
        Ok(())
    }

    fn set_item(&mut self, idx: usize, key: &str, value: &str) -> Result<(), WriteError> {
        let item = &self.items[idx];
        let ParsedKind::Entry(e) = &item.kind else {
            return self.append(key, value);
        };
        let raw = item.raw.expose();
        let encoded = encode_value(value);
        let mut suffix = raw[e.value_end..].to_owned();
        if !suffix.is_empty() && !suffix.starts_with([' ', '\t', '\r', '\n']) {
            suffix.insert(0, ' ');
        }
        let candidate = format!("{}{}{}", &raw[..e.value_start], encoded, suffix);
        match reparse(&candidate) {
            Some(new) if entry_matches(&new, key, value) => {
                self.items[idx] = new;
                Ok(())
            }
            _ => {
                // Cannot happen for valid keys; never leave a file that reads back
                // differently: replace the line wholesale instead.
                let ending = if raw.ends_with("\r\n") {
                    "\r\n"
                } else if raw.ends_with('\n') {
                    "\n"
                } else {
                    ""
                };
                let line = format!("{key}={encoded}{ending}");
                match reparse(&line) {
                    Some(new) => {
                        self.items[idx] = new;
                        Ok(())
                    }
                    None => Err(WriteError::InvalidKey(key.to_owned())),
                }
            }
        }
    }

    /// Appends a new `KEY=value` line, even if `key` already exists (the new one
    /// then wins). Uses the file's line ending style.
    pub fn append(&mut self, key: &str, value: &str) -> Result<(), WriteError> {
        if !is_valid_key(key) {
            return Err(WriteError::InvalidKey(key.to_owned()));
        }
        let line = format!("{key}={}{}", encode_value(value), self.line_ending());
        self.push_line(&line)
            .ok_or_else(|| WriteError::InvalidKey(key.to_owned()))
    }

    /// Appends a `# text` comment line.
    pub fn append_comment(&mut self, text: &str) -> Result<(), WriteError> {
        if text.contains(['\n', '\r']) {
            return Err(WriteError::MultilineComment);
        }
        let line = if text.is_empty() {
            format!("#{}", self.line_ending())
        } else {
            format!("# {text}{}", self.line_ending())
        };
        self.push_line(&line).ok_or(WriteError::MultilineComment)
    }

    /// Appends an empty line.
    pub fn append_blank(&mut self) {
        let line = self.line_ending().to_owned();
        let _ = self.push_line(&line);
    }

    /// Removes every occurrence of `key`; returns whether any existed.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.items.len();
        self.items
            .retain(|it| !matches!(&it.kind, ParsedKind::Entry(e) if e.key == key));
        self.items.len() != before
    }

    fn line_ending(&self) -> &'static str {
        if self
            .items
            .iter()
            .any(|it| it.raw.expose().ends_with("\r\n"))
        {
            "\r\n"
        } else {
            "\n"
        }
    }

    fn push_line(&mut self, line: &str) -> Option<()> {
        let ending = self.line_ending();
        if let Some(last) = self.items.last_mut() {
            let text = last.raw.expose();
            if !text.ends_with('\n') {
                let joined = format!("{text}{ending}");
                let mut fixed = reparse(&joined)?;
                if let ParsedKind::Entry(old) = &last.kind {
                    // A lone trailing '\r' would merge into the new line ending and
                    // change the value: re-encode the entry instead.
                    let lit = old.value.literal();
                    let same = matches!(&fixed.kind, ParsedKind::Entry(n) if n.key == old.key && n.value.literal() == lit);
                    if !same {
                        fixed = reparse(&format!("{}={}{ending}", old.key, encode_value(&lit)))?;
                    }
                }
                *last = fixed;
            }
        }
        self.items.push(reparse(line)?);
        Some(())
    }
}

/// Parses text that must be exactly one item.
fn reparse(text: &str) -> Option<Item> {
    let parser = Parser::new(text, ".env");
    let (kind, end) = parser.item(0).ok()?;
    (end == text.len()).then(|| Item {
        raw: SecretString::new(text.to_owned()),
        kind,
    })
}

fn entry_matches(item: &Item, key: &str, value: &str) -> bool {
    matches!(&item.kind, ParsedKind::Entry(e) if e.key == key && e.value.literal() == value && !e.value.has_references())
}
