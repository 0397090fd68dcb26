//! Store-aware matching (`--managed`): find values of secrets that keyward manages without the
//! scanner ever holding their plaintext. The store hands out a per-scan key and the keyed
//! fingerprints `HMAC-SHA256(key, value)` of its values; the scanner computes the same MAC of
//! every candidate token and reports rule [`RULE_ID`] with the secret's path on a hit.

use std::collections::{HashMap, HashSet};

/// Rule id of store-aware findings.
pub const RULE_ID: &str = "managed-secret";

/// Shortest value that is matched (shorter stored values are ignored: too many collisions with
/// ordinary words).
pub const MIN_VALUE_LEN: usize = 8;
/// Longest token considered.
pub const MAX_VALUE_LEN: usize = 1024;

/// Supplies keyed fingerprints of stored secret values (implemented by the keyward server
/// client; [`InMemoryManaged`] for tests).
pub trait ManagedFingerprints: Send + Sync {
    /// The per-scan HMAC-SHA256 key the fingerprints were computed with.
    fn scan_key(&self) -> &[u8];
    /// Secret path whose value has this fingerprint, if any.
    fn lookup(&self, fingerprint: &[u8; 32]) -> Option<&str>;
}

/// Keyed fingerprint of a value: the one definition in `keyward-crypto`, which the
/// server uses too, so both sides agree byte for byte.
pub use keyward_crypto::keyed_fingerprint;

/// Fingerprints held in memory: built from (path, value) pairs, the values are dropped at once.
#[derive(Clone)]
pub struct InMemoryManaged {
    key: Vec<u8>,
    by_mac: HashMap<[u8; 32], String>,
}

impl std::fmt::Debug for InMemoryManaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryManaged")
            .field("fingerprints", &self.by_mac.len())
            .finish_non_exhaustive()
    }
}

impl InMemoryManaged {
    /// Build from `(secret path, value)` pairs under `key`.
    pub fn from_values<'a>(
        key: &[u8],
        values: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Self {
        let by_mac = values
            .into_iter()
            .filter(|(_, v)| v.len() >= MIN_VALUE_LEN)
            .map(|(p, v)| (keyed_fingerprint(key, v), p.to_string()))
            .collect();
        Self {
            key: key.to_vec(),
            by_mac,
        }
    }

    /// Build from precomputed fingerprints (what a server hands out).
    pub fn from_fingerprints(key: Vec<u8>, fingerprints: HashMap<[u8; 32], String>) -> Self {
        Self {
            key,
            by_mac: fingerprints,
        }
    }

    /// Number of fingerprints.
    pub fn len(&self) -> usize {
        self.by_mac.len()
    }

    /// True when there are no fingerprints.
    pub fn is_empty(&self) -> bool {
        self.by_mac.is_empty()
    }
}

impl ManagedFingerprints for InMemoryManaged {
    fn scan_key(&self) -> &[u8] {
        &self.key
    }
    fn lookup(&self, fingerprint: &[u8; 32]) -> Option<&str> {
        self.by_mac.get(fingerprint).map(String::as_str)
    }
}

/// A managed-secret hit (absolute byte span).
#[derive(Debug)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    pub secret_path: String,
}

fn is_sep(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\''
                | b'`'
                | b':'
                | b','
                | b';'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'<'
                | b'>'
                | b'='
                | b'&'
                | b'|'
        )
}

/// Candidate tokens: maximal runs between separators; `=` is a separator except when it is
/// base64 padding (followed by a separator or the end). Also every quoted string as a whole.
pub(crate) fn candidates(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let n = data.len();
    let mut i = 0;
    while i < n {
        while i < n && is_sep(data[i]) {
            i += 1;
        }
        let start = i;
        while i < n {
            let b = data[i];
            if b == b'=' {
                let mut j = i;
                while j < n && data[j] == b'=' {
                    j += 1;
                }
                if j > start + 1 && (j == n || (is_sep(data[j]) && data[j] != b'=')) && i > start {
                    i = j; // padding belongs to the token
                }
                break;
            }
            if is_sep(b) {
                break;
            }
            i += 1;
        }
        if i - start >= MIN_VALUE_LEN && i - start <= MAX_VALUE_LEN {
            out.push((start, i));
        }
        if i == start {
            i += 1;
        }
    }
    // whole quoted strings (values containing separators, e.g. passphrases with spaces)
    for q in [b'"', b'\''] {
        let mut open: Option<usize> = None;
        for (k, &b) in data.iter().enumerate() {
            if b == b'\n' {
                open = None;
            } else if b == q {
                match open.take() {
                    Some(s) if k - s > MIN_VALUE_LEN && k - s - 1 <= MAX_VALUE_LEN => {
                        out.push((s + 1, k))
                    }
                    Some(_) => {}
                    None => open = Some(k),
                }
            }
        }
    }
    out
}

/// Find managed values in `data`.
pub(crate) fn find(data: &[u8], m: &dyn ManagedFingerprints) -> Vec<Hit> {
    let key = m.scan_key();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut hits = Vec::new();
    let mut memo: HashMap<&[u8], Option<String>> = HashMap::new();
    for (s, e) in candidates(data) {
        if !seen.insert((s, e)) {
            continue;
        }
        let tok = &data[s..e];
        let path = memo
            .entry(tok)
            .or_insert_with(|| m.lookup(&keyed_fingerprint(key, tok)).map(str::to_string))
            .clone();
        if let Some(secret_path) = path {
            hits.push(Hit {
                start: s,
                end: e,
                secret_path,
            });
        }
    }
    hits.sort_by_key(|h| h.start);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<&str> {
        candidates(s.as_bytes())
            .into_iter()
            .map(|(a, b)| &s[a..b])
            .collect()
    }

    #[test]
    fn tokenizer() {
        let t = toks("KEY=abcd1234efgh: x, 'two words here' dGVzdGluZ3Rlc3Q= end");
        assert!(t.contains(&"abcd1234efgh"));
        assert!(t.contains(&"two words here"));
        assert!(t.contains(&"dGVzdGluZ3Rlc3Q="));
    }
}
