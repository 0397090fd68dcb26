//! keyward-dotenv owns reading and writing `.env` files, losslessly.
//!
//! [`Document::parse`] keeps every line's original text, so [`Document`]'s
//! `to_string()` reproduces the input byte for byte, and [`Document::set`],
//! [`Document::remove`] and [`Document::append`] edit a file in place without
//! disturbing comments, blank lines, ordering or quoting elsewhere.
//!
//! Supported syntax: `KEY=value`, `export KEY=value`, single quotes (literal, may
//! span lines), double quotes (escapes `\n \t \r \" \\ \$ \'`, may span lines),
//! unquoted values (trimmed; a `#` preceded by whitespace starts a comment), empty
//! values, comments, blank lines, CRLF line endings and a UTF-8 byte-order mark.
//! `${VAR}`, `${VAR:-default}` and `$VAR` references are only expanded on request
//! ([`ExpandMode::Expand`]); single-quoted values never expand and `\$` escapes.
//!
//! This crate must not touch the process environment (it never reads or sets
//! environment variables) and must never show a value: values are
//! [`SecretString`]s, `Debug` output is redacted, and parse errors name only a line
//! and column, never the text found there.

mod document;
mod error;
mod expand;
mod parse;
mod write;

pub use document::{Document, EntryInfo, Quote};
pub use error::{LoadError, ParseError, ParseErrorKind, WriteError};
pub use expand::ExpandMode;
pub use keyward_crypto::SecretString;
pub use write::{encode_value, is_valid_key};

use std::collections::BTreeMap;

/// Parses `text` and returns its variables (last occurrence wins), unexpanded.
pub fn parse_to_map(text: &str) -> Result<BTreeMap<String, SecretString>, ParseError> {
    Document::parse(text).map(|d| d.to_map())
}

/// Renders `map` as a fresh `.env` text, one `KEY=value` line each, with quoting
/// chosen so that parsing the text gives back exactly `map`.
pub fn write_map<'a>(
    map: impl IntoIterator<Item = (&'a str, &'a SecretString)>,
) -> Result<String, WriteError> {
    let mut doc = Document::new();
    for (k, v) in map {
        doc.set(k, v.expose())?;
    }
    Ok(doc.to_string())
}
