//! The file MAC: HMAC-SHA256 over the recipients and every entry's key path and
//! stored value, in file order, under a per-file random key. Comments, blank lines
//! and layout are deliberately outside it, so reviewers can edit comments.

use crate::error::{FilesError, Result};
use crate::format::Leaf;
use crate::value::Recipients;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes of a MAC key.
pub const MAC_KEY_LEN: usize = 32;

const DOMAIN: &[u8] = b"keyward-files-mac-v1\0";

fn put(m: &mut Hmac<Sha256>, bytes: &[u8]) {
    // Length-prefixed so no two different inputs hash alike.
    m.update(&(bytes.len() as u64).to_be_bytes());
    m.update(bytes);
}

/// The MAC as lower-case hex.
pub fn compute(key: &[u8], recipients: &Recipients, leaves: &[Leaf]) -> Result<String> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .map_err(|_| FilesError::Meta("the MAC key has the wrong length".into()))?;
    m.update(DOMAIN);
    m.update(&(recipients.as_strs().len() as u64).to_be_bytes());
    for r in recipients.as_strs() {
        put(&mut m, r.as_bytes());
    }
    m.update(&(leaves.len() as u64).to_be_bytes());
    for leaf in leaves {
        m.update(&(leaf.path.len() as u64).to_be_bytes());
        for seg in &leaf.path {
            match seg {
                crate::format::Seg::Key(k) => {
                    m.update(b"k");
                    put(&mut m, k.as_bytes());
                }
                crate::format::Seg::Index(i) => {
                    m.update(b"i");
                    m.update(&(*i as u64).to_be_bytes());
                }
            }
        }
        m.update(if leaf.is_string { b"s" } else { b"o" });
        put(&mut m, leaf.value.expose().as_bytes());
    }
    Ok(hex::encode(m.finalize().into_bytes()))
}

/// Compares in constant time; `Err(MacMismatch)` when they differ.
pub fn verify(key: &[u8], recipients: &Recipients, leaves: &[Leaf], stored: &str) -> Result<()> {
    let want = compute(key, recipients, leaves)?;
    let stored = stored.trim();
    if keyward_crypto::constant_time_eq(want.as_bytes(), stored.as_bytes()) {
        Ok(())
    } else {
        Err(FilesError::MacMismatch)
    }
}
