//! Format adapters. Each one finds the leaves (scalar values with their key
//! paths) of a document and rewrites single values in the original text, so
//! comments, ordering, quoting and blank lines elsewhere survive.

mod dotenv;
mod json;
mod toml;
mod yaml;

use crate::error::{FilesError, Result};
use crate::meta::Meta;
use keyward_crypto::SecretString;
use std::fmt;
use std::path::Path;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Renders a path as `a.b[0].c` (a .env key is just `KEY`).
pub fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

/// A scalar value and where it sits.
#[derive(Clone)]
pub struct Leaf {
    pub path: Vec<Seg>,
    /// The value as stored: for strings the decoded string, otherwise the scalar's
    /// source text (`5`, `true`, `null`).
    pub value: SecretString,
    /// Strings are encrypted; numbers, booleans and nulls stay in clear (inside the MAC).
    pub is_string: bool,
}

impl fmt::Debug for Leaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Leaf")
            .field("path", &path_string(&self.path))
            .field("is_string", &self.is_string)
            .finish_non_exhaustive()
    }
}

/// A parsed document that can be edited in place.
pub trait Doc: Send {
    /// Leaves in document order.
    fn leaves(&self) -> &[Leaf];
    /// Replaces string leaves (by index into [`Doc::leaves`]) with new string values.
    fn set_strings(&mut self, edits: &[(usize, &str)]) -> Result<()>;
    /// Adds a new top-level string entry at the end.
    fn insert(&mut self, key: &str, value: &str) -> Result<()>;
    /// Removes a top-level entry.
    fn remove(&mut self, key: &str) -> Result<()>;
    /// The document text (without keyward metadata).
    fn text(&self) -> String;
    /// A copy (documents are edited on copies when decrypting).
    fn boxed_clone(&self) -> Box<dyn Doc>;
}

/// The supported formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Dotenv,
    Json,
    Yaml,
    Toml,
}

impl Format {
    /// From the file name: `*.json`, `*.yaml`/`*.yml`, `*.toml`, anything else is
    /// `.env` (`.env`, `.env.production`, `secrets.enc.env`). An `.enc` part before
    /// the extension is ignored.
    pub fn from_path(path: &Path) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".json") {
            Self::Json
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            Self::Yaml
        } else if name.ends_with(".toml") {
            Self::Toml
        } else {
            Self::Dotenv
        }
    }

    /// From a name given with `--format`.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "env" | "dotenv" | ".env" => Self::Dotenv,
            "json" => Self::Json,
            "yaml" | "yml" => Self::Yaml,
            "toml" => Self::Toml,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Dotenv => ".env",
            Self::Json => "JSON",
            Self::Yaml => "YAML",
            Self::Toml => "TOML",
        }
    }

    /// Parses `text` into a document and its keyward metadata (if encrypted).
    pub fn parse(self, text: &str) -> Result<(Box<dyn Doc>, Option<Meta>)> {
        let (doc, meta): (Box<dyn Doc>, _) = match self {
            Self::Json => {
                let (body, meta) = json::split_meta(text)?;
                (Box::new(json::JsonDoc::parse(body)?), meta)
            }
            Self::Dotenv | Self::Yaml | Self::Toml => {
                let (body, meta) = crate::meta::split_comment_meta(text)?;
                let doc: Box<dyn Doc> = match self {
                    Self::Dotenv => Box::new(dotenv::DotenvDoc::parse(&body)?),
                    Self::Yaml => Box::new(yaml::YamlDoc::parse(body)?),
                    _ => Box::new(toml::TomlDoc::parse(&body)?),
                };
                (doc, meta)
            }
        };
        Ok((doc, meta))
    }

    /// The document text with the metadata written in.
    pub fn render(self, doc: &dyn Doc, meta: Option<&Meta>) -> Result<String> {
        let body = doc.text();
        Ok(match (self, meta) {
            (_, None) => body,
            (Self::Json, Some(m)) => json::join_meta(&body, m)?,
            (_, Some(m)) => crate::meta::join_comment_meta(&body, m),
        })
    }
}

pub(crate) fn dup_check(leaves: &[Leaf]) -> Result<()> {
    let mut seen = std::collections::HashSet::with_capacity(leaves.len());
    for l in leaves {
        if !seen.insert(&l.path) {
            return Err(FilesError::DuplicateKey(path_string(&l.path)));
        }
    }
    Ok(())
}

/// Replaces byte ranges of `text` (non-overlapping) with new text.
pub(crate) fn splice(text: &mut String, edits: &mut [(std::ops::Range<usize>, String)]) {
    edits.sort_by_key(|(r, _)| r.start);
    let mut out =
        String::with_capacity(text.len() + edits.iter().map(|e| e.1.len()).sum::<usize>());
    let mut at = 0;
    for (r, new) in edits.iter() {
        out.push_str(&text[at..r.start]);
        out.push_str(new);
        at = r.end;
    }
    out.push_str(&text[at..]);
    *text = out;
}
