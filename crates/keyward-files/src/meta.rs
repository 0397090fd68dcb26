//! The metadata a keyward-encrypted file carries: its recipients, its MAC key
//! (itself a `keyward:age:v1:` value) and the MAC. In `#`-comment formats (.env,
//! YAML, TOML) these are three comment lines at the end of the file:
//!
//! ```text
//! # keyward:recipients=age1...,age1...
//! # keyward:mac-key=keyward:age:v1:...
//! # keyward:mac=<64 hex digits>
//! ```
//!
//! JSON has no comments: there they are the top-level member `"_keyward"`.

use crate::error::{FilesError, Result};

/// A file's metadata as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub recipients: Vec<String>,
    /// The MAC key, encrypted to the recipients (a `keyward:age:v1:` value).
    pub mac_key: String,
    /// HMAC-SHA256, hex.
    pub mac: String,
}

const RECIPIENTS: &str = "# keyward:recipients=";
const MAC_KEY: &str = "# keyward:mac-key=";
const MAC: &str = "# keyward:mac=";

/// Removes the metadata comment lines from `text` (wherever they are) and
/// returns the rest with the metadata, if all three lines were there.
pub fn split_comment_meta(text: &str) -> Result<(String, Option<Meta>)> {
    let mut body = String::with_capacity(text.len());
    let (mut r, mut k, mut m) = (None, None, None);
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        let slot = if let Some(v) = bare.strip_prefix(RECIPIENTS) {
            Some((&mut r, v))
        } else if let Some(v) = bare.strip_prefix(MAC_KEY) {
            Some((&mut k, v))
        } else {
            bare.strip_prefix(MAC).map(|v| (&mut m, v))
        };
        match slot {
            Some((slot, v)) => {
                if slot.is_some() {
                    return Err(FilesError::Meta(format!(
                        "the line `{}` appears twice",
                        &bare[..bare.find('=').unwrap_or(0) + 1]
                    )));
                }
                *slot = Some(v.trim().to_owned());
            }
            None => body.push_str(line),
        }
    }
    match (r, k, m) {
        (None, None, None) => Ok((body, None)),
        (Some(r), Some(mac_key), Some(mac)) => Ok((
            body,
            Some(Meta {
                recipients: r.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
                mac_key,
                mac,
            }),
        )),
        _ => Err(FilesError::Meta(
            "one of the `# keyward:recipients=`, `# keyward:mac-key=`, `# keyward:mac=` lines is missing".into(),
        )),
    }
}

/// Appends the metadata lines to `body`, using its line ending.
pub fn join_comment_meta(body: &str, meta: &Meta) -> String {
    let eol = if body.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::with_capacity(body.len() + meta.mac_key.len() + 200);
    out.push_str(body);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push_str(eol);
    }
    for (p, v) in [
        (RECIPIENTS, meta.recipients.join(",")),
        (MAC_KEY, meta.mac_key.clone()),
        (MAC, meta.mac.clone()),
    ] {
        out.push_str(p);
        out.push_str(&v);
        out.push_str(eol);
    }
    out
}
