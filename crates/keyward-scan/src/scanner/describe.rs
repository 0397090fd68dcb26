//! How a finding describes its secret without containing it: the redacted or
//! masked preview, the stable fingerprint baselines key on, and the line and
//! column of an offset.

use sha2::{Digest, Sha256};

/// Preview that never contains the full secret: up to 4 leading characters of long values
/// (usually a vendor prefix), fewer of short ones, the rest masked.
pub fn redact(secret: &[u8]) -> String {
    let n = secret.len();
    let keep = match n {
        0..=7 => 0,
        8..=15 => 2,
        _ => 4,
    };
    let head = String::from_utf8_lossy(&secret[..keep]);
    format!("{head}{}({n} chars)", "*".repeat((n - keep).min(8)))
}

/// Preview that shows no character of the value, only its length. Store-aware findings use
/// it by default: their value is known to be a live secret, and there is no vendor prefix to
/// recognise it by.
pub fn mask(secret: &[u8]) -> String {
    format!("********({} chars)", secret.len())
}

/// Stable fingerprint of a secret at a path, for baselines (hex, 128 bits).
pub fn fingerprint(rule: &str, path: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"keyward-scan/v1\0");
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(secret);
    hex::encode(&h.finalize()[..16])
}

/// Incremental offset -> (line, column) for ascending offsets.
pub(super) struct LineIndex<'a> {
    data: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
}

impl<'a> LineIndex<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    pub(super) fn locate(&mut self, off: usize) -> (usize, usize) {
        if off < self.pos {
            // not ascending: restart (rare)
            *self = Self::new(self.data);
        }
        for i in memchr::memchr_iter(b'\n', &self.data[self.pos..off]) {
            self.line += 1;
            self.line_start = self.pos + i + 1;
        }
        self.pos = off;
        let col = self.data[self.line_start..off]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count()
            + 1;
        (self.line, col)
    }
}
