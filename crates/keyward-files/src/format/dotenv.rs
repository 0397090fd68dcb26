//! `.env` through keyward-dotenv's lossless document: values are rewritten in
//! place, everything else is kept byte for byte.

use super::{Doc, Leaf, Seg};
use crate::error::{FilesError, Result};
use keyward_dotenv::Document;

#[derive(Clone)]
pub struct DotenvDoc {
    doc: Document,
    leaves: Vec<Leaf>,
}

fn leaves_of(doc: &Document) -> Vec<Leaf> {
    doc.entry_values()
        .map(|(k, v)| Leaf {
            path: vec![Seg::Key(k.to_owned())],
            value: v,
            is_string: true,
        })
        .collect()
}

impl DotenvDoc {
    pub fn parse(text: &str) -> Result<Self> {
        let doc = Document::parse(text).map_err(|e| FilesError::Parse {
            format: ".env",
            message: e.to_string(),
        })?;
        let leaves = leaves_of(&doc);
        Ok(Self { doc, leaves })
    }
}

fn write_err(e: keyward_dotenv::WriteError) -> FilesError {
    FilesError::InvalidKey(e.to_string())
}

impl Doc for DotenvDoc {
    fn leaves(&self) -> &[Leaf] {
        &self.leaves
    }

    fn set_strings(&mut self, edits: &[(usize, &str)]) -> Result<()> {
        self.doc
            .set_nth(edits.iter().map(|(i, v)| (*i, *v)))
            .map_err(write_err)?;
        self.leaves = leaves_of(&self.doc);
        Ok(())
    }

    fn insert(&mut self, key: &str, value: &str) -> Result<()> {
        self.doc.append(key, value).map_err(write_err)?;
        self.leaves = leaves_of(&self.doc);
        Ok(())
    }

    fn remove(&mut self, key: &str) -> Result<()> {
        if !self.doc.remove(key) {
            return Err(FilesError::NoSuchKey(key.to_owned()));
        }
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
