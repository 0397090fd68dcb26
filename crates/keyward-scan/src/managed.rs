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
    /// The byte lengths of the stored values, when known: only spans of these lengths are
    /// fingerprinted (the scan is then about as fast as one over separator tokens alone).
    fn lengths(&self) -> Option<&HashSet<usize>> {
        None
    }
}

/// Keyed fingerprint of a value: the one definition in `keyward-crypto`, which the
/// server uses too, so both sides agree byte for byte.
pub use keyward_crypto::keyed_fingerprint;

/// Fingerprints held in memory: built from (path, value) pairs, the values are dropped at once.
#[derive(Clone)]
pub struct InMemoryManaged {
    key: Vec<u8>,
    by_mac: HashMap<[u8; 32], String>,
    lengths: Option<HashSet<usize>>,
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
        let mut lengths = HashSet::new();
        let by_mac = values
            .into_iter()
            .filter(|(_, v)| v.len() >= MIN_VALUE_LEN)
            .map(|(p, v)| {
                lengths.insert(v.len());
                (keyed_fingerprint(key, v), p.to_string())
            })
            .collect();
        Self {
            key: key.to_vec(),
            by_mac,
            lengths: Some(lengths),
        }
    }

    /// Build from precomputed fingerprints (what a server hands out).
    pub fn from_fingerprints(key: Vec<u8>, fingerprints: HashMap<[u8; 32], String>) -> Self {
        Self {
            key,
            by_mac: fingerprints,
            lengths: None,
        }
    }

    /// The stored values' byte lengths (when the server sent every one), to skip spans of
    /// other lengths.
    pub fn with_lengths(mut self, lengths: HashSet<usize>) -> Self {
        self.lengths = Some(lengths);
        self
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
    fn lengths(&self) -> Option<&HashSet<usize>> {
        self.lengths.as_ref()
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

/// Most boundaries a word may have for all its punctuation-bounded sub-spans to be tried
/// (k boundaries give k²/2 spans); longer words (minified code) get only their separator
/// tokens and themselves.
const MAX_BOUNDARIES: usize = 48;

/// Candidate spans, each a place a stored value could have been pasted:
/// - separator tokens: maximal runs between separators (`=` is one except as base64 padding);
/// - every word (run without whitespace or quotes: an unquoted `.env` value after `KEY=`, a
///   bare URL or DSN), and every span of it that starts and ends at a delimiter such as
///   `: / @ ? & = ,` (the password in `postgres://user:PASSWORD@host/db`, `?token=VALUE&`);
/// - the rest of a line after `=` or `: ` (unquoted `.env` values and YAML scalars with
///   spaces), with and without a trailing ` #comment`, quotes or comma;
/// - every quoted string as a whole (JSON fields, values with spaces).
///
/// Not matched: a value glued to other characters than those delimiters inside a longer word
/// (`prefix_VALUE`), split across lines, or written with escapes other than JSON's.
pub(crate) fn candidates(data: &[u8], lengths: Option<&HashSet<usize>>) -> Vec<(usize, usize)> {
    // A table, not the set: this test runs for every span considered.
    let table = lengths.map(|l| {
        let mut t = vec![false; MAX_VALUE_LEN + 1];
        for &n in l {
            if let Some(slot) = t.get_mut(n) {
                *slot = true;
            }
        }
        t
    });
    let mut out = Spans {
        spans: Vec::new(),
        lengths: table.as_deref(),
    };
    separator_tokens(data, &mut out);
    words(data, &mut out);
    line_values(data, &mut out);
    // Quoted strings may hold JSON escapes: their value's length is not the span's.
    out.lengths = None;
    quoted(data, &mut out);
    out.spans
}

/// Collects candidate spans of a plausible length: within the global bounds and, when the
/// store told the stored values' lengths, one of those (most spans are then skipped before
/// any MAC is computed).
struct Spans<'a> {
    spans: Vec<(usize, usize)>,
    lengths: Option<&'a [bool]>,
}

impl Spans<'_> {
    fn push(&mut self, (a, b): (usize, usize)) {
        let n = b.saturating_sub(a);
        if (MIN_VALUE_LEN..=MAX_VALUE_LEN).contains(&n)
            && self
                .lengths
                .is_none_or(|l| l.get(n).copied().unwrap_or(false))
        {
            self.spans.push((a, b));
        }
    }
}

fn separator_tokens(data: &[u8], out: &mut Spans<'_>) {
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
        out.push((start, i));
        if i == start {
            i += 1;
        }
    }
}

/// Where a value embedded in a word may begin or end: URL, DSN, query-string and code
/// punctuation. Not `_`, `-`, `.`, `+`: they occur inside values (base64url, UUIDs) and
/// identifiers, and splitting there would multiply the spans to fingerprint.
fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b':' | b'/'
            | b'@'
            | b'?'
            | b'#'
            | b'&'
            | b'='
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
            | b'|'
            | b'\\'
    )
}

fn is_word_break(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'`')
}

fn words(data: &[u8], out: &mut Spans<'_>) {
    let n = data.len();
    let mut i = 0;
    let mut bounds = Vec::new();
    while i < n {
        while i < n && is_word_break(data[i]) {
            i += 1;
        }
        let start = i;
        while i < n && !is_word_break(data[i]) {
            i += 1;
        }
        if i - start < MIN_VALUE_LEN {
            continue;
        }
        out.push((start, i));
        if i - start > MAX_VALUE_LEN * 4 {
            continue;
        }
        bounds.clear();
        bounds.push(start);
        for p in start + 1..i {
            if is_delimiter(data[p - 1]) || is_delimiter(data[p]) {
                bounds.push(p);
            }
        }
        bounds.push(i);
        if bounds.len() > MAX_BOUNDARIES {
            continue;
        }
        for (k, &a) in bounds.iter().enumerate() {
            for &b in &bounds[k + 1..] {
                if b - a > MAX_VALUE_LEN {
                    break;
                }
                out.push((a, b));
            }
        }
    }
}

fn trim_span(data: &[u8], mut a: usize, mut b: usize) -> (usize, usize) {
    while a < b && data[a].is_ascii_whitespace() {
        a += 1;
    }
    while b > a && data[b - 1].is_ascii_whitespace() {
        b -= 1;
    }
    (a, b)
}

fn line_values(data: &[u8], out: &mut Spans<'_>) {
    let mut line_start = 0;
    for line in data.split(|&b| b == b'\n') {
        let base = line_start;
        line_start += line.len() + 1;
        let sep = line.iter().enumerate().find_map(|(k, &b)| match b {
            b'=' => Some(k + 1),
            b':' if line.get(k + 1).is_some_and(|c| *c == b' ' || *c == b'\t') => Some(k + 1),
            _ => None,
        });
        let Some(k) = sep else { continue };
        let (a, b) = trim_span(data, base + k, base + line.len());
        let mut push = |a: usize, b: usize| {
            let (a, mut b) = trim_span(data, a, b);
            if b > a && data[b - 1] == b',' {
                out.push((a, b - 1));
                b -= 1;
            }
            out.push((a, b));
            if b - a >= 2 && matches!(data[a], b'"' | b'\'') && data[b - 1] == data[a] {
                out.push((a + 1, b - 1));
            }
        };
        push(a, b);
        // A trailing comment, as .env and YAML write it.
        if let Some(c) = data[a..b].windows(2).position(|w| w == b" #") {
            push(a, a + c);
        }
    }
}

fn quoted(data: &[u8], out: &mut Spans<'_>) {
    // whole quoted strings (values containing separators, e.g. passphrases with spaces)
    for q in [b'"', b'\''] {
        let mut open: Option<usize> = None;
        let mut escaped = false;
        for (k, &b) in data.iter().enumerate() {
            if b == b'\n' {
                open = None;
                escaped = false;
            } else if escaped {
                escaped = false;
            } else if b == b'\\' && q == b'"' && open.is_some() {
                escaped = true;
            } else if b == q {
                match open.take() {
                    Some(s) => out.push((s + 1, k)),
                    None => open = Some(k),
                }
            }
        }
    }
}

/// The value a quoted span stands for when it holds JSON escapes (`\"`, `\\`, `\u00e9`).
fn json_unescaped(data: &[u8], s: usize, e: usize) -> Option<String> {
    // Cheap tests first: this runs for every candidate that did not match.
    if s == 0 || data.get(e) != Some(&b'"') || data[s - 1] != b'"' || !data[s..e].contains(&b'\\') {
        return None;
    }
    serde_json::from_slice::<String>(&data[s - 1..=e]).ok()
}

/// Find managed values in `data`.
pub(crate) fn find(data: &[u8], m: &dyn ManagedFingerprints) -> Vec<Hit> {
    let fingerprints = keyward_crypto::Fingerprinter::new(m.scan_key());
    let mac = |v: &[u8]| fingerprints.fingerprint(v);
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut hits: Vec<Hit> = Vec::new();
    let mut memo: HashMap<&[u8], Option<String>> = HashMap::new();
    let lengths = m.lengths();
    let plausible = |n: usize| lengths.is_none_or(|l| l.contains(&n));
    for (s, e) in candidates(data, lengths) {
        if !seen.insert((s, e)) {
            continue;
        }
        let tok = &data[s..e];
        let mut path = None;
        if plausible(tok.len()) {
            path = memo
                .entry(tok)
                .or_insert_with(|| m.lookup(&mac(tok)).map(str::to_string))
                .clone();
        }
        if path.is_none() {
            path = json_unescaped(data, s, e)
                .filter(|v| plausible(v.len()))
                .and_then(|v| m.lookup(&mac(v.as_bytes())))
                .map(str::to_string);
        }
        if let Some(secret_path) = path {
            hits.push(Hit {
                start: s,
                end: e,
                secret_path,
            });
        }
    }
    // One finding per place: drop a hit inside a longer one (a stored URL and its stored
    // password both match the URL; the URL is the leak).
    hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        if kept.iter().any(|k| k.start <= h.start && h.end <= k.end) {
            continue;
        }
        kept.push(h);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<&str> {
        candidates(s.as_bytes(), None)
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

    /// The hits, checked to be the same with and without the length filter.
    fn found(text: &str, value: &str) -> Vec<(usize, usize)> {
        let m = InMemoryManaged::from_values(b"k", [("/p", value.as_bytes())]);
        let spans = |m: &InMemoryManaged| -> Vec<(usize, usize)> {
            find(text.as_bytes(), m)
                .into_iter()
                .map(|h| (h.start, h.end))
                .collect()
        };
        let unfiltered = InMemoryManaged::from_fingerprints(m.key.clone(), m.by_mac.clone());
        assert!(unfiltered.lengths().is_none());
        let hits = spans(&m);
        assert_eq!(hits, spans(&unfiltered), "{text:?}");
        hits
    }

    #[test]
    fn finds_a_value_in_every_form_it_is_written() {
        let url = "postgres://store:Pw9xLq2v@db.internal:5432/app";
        for text in [
            format!("DATABASE_URL=\"{url}\"\n"),
            format!("DATABASE_URL={url}\n"),
            format!("export DATABASE_URL={url} # prod\n"),
            format!("see {url}\n"),
            format!("{url}\n"),
            format!("db:\n  url: {url}\n"),
            format!("{{\"url\": \"{url}\", \"x\": 1}}"),
            format!("cmd --dsn={url},other"),
        ] {
            let hits = found(&text, url);
            assert_eq!(hits.len(), 1, "{text:?}: {hits:?}");
            assert_eq!(&text[hits[0].0..hits[0].1], url, "{text:?}");
        }
        // The password alone, embedded in the DSN and in longer tokens.
        for text in [
            "postgres://store:Pw9xLq2v@db/app",
            "https://api.example.com/v1?token=Pw9xLq2v&page=2",
            "X=Pw9xLq2v;2",
            "f(Pw9xLq2v)",
        ] {
            assert_eq!(found(text, "Pw9xLq2v").len(), 1, "{text}");
        }
        // Values with spaces: YAML scalar, unquoted .env, JSON with escapes.
        let spaced = "correct horse \"battery\" staple";
        assert_eq!(
            found("phrase: correct horse \"battery\" staple\n", spaced).len(),
            1
        );
        assert_eq!(
            found("PHRASE=correct horse \"battery\" staple # c\n", spaced).len(),
            1
        );
        assert_eq!(
            found(r#"{"phrase": "correct horse \"battery\" staple"}"#, spaced).len(),
            1
        );
        // Glued to letters, or to `_`/`-`/`.`: documented as not matched.
        assert!(found("xPw9xLq2vy", "Pw9xLq2v").is_empty());
        assert!(found("prefix_Pw9xLq2v.suffix", "Pw9xLq2v").is_empty());
    }
}
