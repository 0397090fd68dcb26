//! TOML through toml_edit, which keeps comments, ordering and formatting.

use super::{Doc, Leaf, Seg};
use crate::error::{FilesError, Result};
use keyward_crypto::SecretString;
use toml_edit::{DocumentMut, Item, Value};

#[derive(Clone)]
pub struct TomlDoc {
    doc: DocumentMut,
    leaves: Vec<Leaf>,
}

fn walk_value(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<Leaf>) {
    match v {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                walk_value(x, path, out);
                path.pop();
            }
        }
        Value::InlineTable(t) => {
            for (k, x) in t.iter() {
                path.push(Seg::Key(k.to_owned()));
                walk_value(x, path, out);
                path.pop();
            }
        }
        Value::String(s) => out.push(Leaf {
            path: path.clone(),
            value: SecretString::new(s.value().clone()),
            is_string: true,
        }),
        other => {
            let mut c = other.clone();
            c.decor_mut().clear();
            out.push(Leaf {
                path: path.clone(),
                value: SecretString::new(c.to_string()),
                is_string: false,
            });
        }
    }
}

fn walk_item(item: &Item, path: &mut Vec<Seg>, out: &mut Vec<Leaf>) {
    match item {
        Item::Value(v) => walk_value(v, path, out),
        Item::Table(t) => {
            for (k, x) in t.iter() {
                path.push(Seg::Key(k.to_owned()));
                walk_item(x, path, out);
                path.pop();
            }
        }
        Item::ArrayOfTables(a) => {
            for (i, t) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                for (k, x) in t.iter() {
                    path.push(Seg::Key(k.to_owned()));
                    walk_item(x, path, out);
                    path.pop();
                }
                path.pop();
            }
        }
        Item::None => {}
    }
}

fn leaves_of(doc: &DocumentMut) -> Vec<Leaf> {
    let mut out = Vec::new();
    walk_item(doc.as_item(), &mut Vec::new(), &mut out);
    out
}

/// The value at `path`, walking the same shapes as [`walk_item`].
fn value_mut<'a>(item: &'a mut Item, path: &[Seg]) -> Option<&'a mut Value> {
    if let Item::Value(v) = item {
        return inner_value_mut(v, path);
    }
    let (first, rest) = path.split_first()?;
    match (item, first) {
        (Item::Table(t), Seg::Key(k)) => value_mut(t.get_mut(k)?, rest),
        (Item::ArrayOfTables(a), Seg::Index(i)) => {
            let t = a.get_mut(*i)?;
            let (Seg::Key(k), rest) = rest.split_first()? else {
                return None;
            };
            value_mut(t.get_mut(k)?, rest)
        }
        _ => None,
    }
}

fn inner_value_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(v);
    };
    match (v, first) {
        (Value::Array(a), Seg::Index(i)) => inner_value_mut(a.get_mut(*i)?, rest),
        (Value::InlineTable(t), Seg::Key(k)) => inner_value_mut(t.get_mut(k)?, rest),
        _ => None,
    }
}

impl TomlDoc {
    pub fn parse(text: &str) -> Result<Self> {
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}: ")
                })
                .unwrap_or_default();
            FilesError::Parse {
                format: "TOML",
                message: format!("{at}{}", e.message()),
            }
        })?;
        let leaves = leaves_of(&doc);
        Ok(Self { doc, leaves })
    }
}

impl Doc for TomlDoc {
    fn leaves(&self) -> &[Leaf] {
        &self.leaves
    }

    fn set_strings(&mut self, edits: &[(usize, &str)]) -> Result<()> {
        for (i, new) in edits {
            let Some(leaf) = self.leaves.get(*i) else {
                continue;
            };
            let path = super::path_string(&leaf.path);
            let v =
                value_mut(self.doc.as_item_mut(), &leaf.path).ok_or(FilesError::NoSuchKey(path))?;
            let decor = v.decor().clone();
            *v = Value::from(*new);
            *v.decor_mut() = decor;
        }
        self.leaves = leaves_of(&self.doc);
        Ok(())
    }

    fn insert(&mut self, key: &str, value: &str) -> Result<()> {
        if self.doc.contains_key(key) {
            return Err(FilesError::DuplicateKey(key.to_owned()));
        }
        // Top-level keys must come before the first [table]; toml_edit places them.
        self.doc.insert(key, toml_edit::value(value));
        self.leaves = leaves_of(&self.doc);
        Ok(())
    }

    fn remove(&mut self, key: &str) -> Result<()> {
        self.doc
            .remove(key)
            .ok_or_else(|| FilesError::NoSuchKey(key.to_owned()))?;
        self.leaves = leaves_of(&self.doc);
        Ok(())
    }

    fn text(&self) -> String {
        self.doc.to_string()
    }

    fn boxed_clone(&self) -> Box<dyn Doc> {
        Box::new(self.clone())
    }
}
