//! Randomness model: Shannon entropy, character-class mix, "looks like words" and placeholder
//! detection. Used to judge generic `password = "..."` assignments and to give every finding a
//! likelihood score.

/// Shannon entropy in bits per byte.
pub fn shannon(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Character classes present: lower, upper, digit, other printable.
fn classes(s: &[u8]) -> (bool, bool, bool, bool) {
    let (mut l, mut u, mut d, mut o) = (false, false, false, false);
    for &b in s {
        match b {
            b'a'..=b'z' => l = true,
            b'A'..=b'Z' => u = true,
            b'0'..=b'9' => d = true,
            _ => o = true,
        }
    }
    (l, u, d, o)
}

/// Common words of identifiers, configs and weak passwords. A value mostly made of them is an
/// identifier, a sentence or a human-chosen password, not a random secret.
const WORDS: &[&str] = &[
    "access",
    "account",
    "admin",
    "api",
    "app",
    "application",
    "auth",
    "authorization",
    "backend",
    "base",
    "bearer",
    "bucket",
    "cache",
    "change",
    "client",
    "cluster",
    "code",
    "config",
    "connection",
    "context",
    "cookie",
    "credential",
    "crypt",
    "data",
    "database",
    "debug",
    "default",
    "demo",
    "deploy",
    "dev",
    "development",
    "django",
    "docker",
    "dummy",
    "email",
    "encrypt",
    "endpoint",
    "env",
    "environ",
    "environment",
    "error",
    "example",
    "field",
    "file",
    "from",
    "get",
    "github",
    "google",
    "hash",
    "header",
    "hello",
    "host",
    "http",
    "insecure",
    "internal",
    "item",
    "json",
    "key",
    "letmein",
    "local",
    "localhost",
    "login",
    "mail",
    "main",
    "master",
    "message",
    "mock",
    "name",
    "new",
    "node",
    "none",
    "null",
    "object",
    "old",
    "option",
    "pass",
    "passphrase",
    "password",
    "passwd",
    "path",
    "private",
    "process",
    "prod",
    "production",
    "project",
    "public",
    "qwerty",
    "random",
    "read",
    "redis",
    "refresh",
    "request",
    "reset",
    "response",
    "root",
    "sample",
    "secret",
    "secure",
    "server",
    "service",
    "session",
    "setting",
    "settings",
    "sign",
    "signing",
    "staging",
    "storage",
    "string",
    "super",
    "system",
    "table",
    "test",
    "text",
    "this",
    "token",
    "type",
    "update",
    "upload",
    "user",
    "username",
    "value",
    "var",
    "welcome",
    "with",
    "world",
    "write",
    "your",
    "hunter",
    "dragon",
    "monkey",
    "sunshine",
    "princess",
    "football",
    "shadow",
    "trustno",
    "iloveyou",
    "abc",
    "xyz",
];

/// Fraction of the string covered by common words (case-insensitive, at least 3 letters) and
/// by long lowercase letter runs (>= 8 letters, optionally capitalised), which random tokens
/// rarely contain but identifiers, prose and passphrases do.
pub fn word_fraction(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let lower = s.to_ascii_lowercase();
    let mut covered = vec![false; s.len()];
    for w in WORDS {
        let w = w.as_bytes();
        for i in memchr::memmem::find_iter(&lower, w) {
            covered[i..i + w.len()].iter_mut().for_each(|c| *c = true);
        }
    }
    let mut i = 0;
    while i < s.len() {
        let start = i;
        if s[i].is_ascii_uppercase() {
            i += 1;
        }
        while i < s.len() && s[i].is_ascii_lowercase() {
            i += 1;
        }
        let run = &s[start..i];
        let vowels = run.iter().filter(|b| b"aeiouyAEIOUY".contains(b)).count();
        if run.len() >= 8 && vowels * 5 >= run.len() && vowels * 10 <= run.len() * 7 {
            covered[start..i].iter_mut().for_each(|c| *c = true);
        }
        if i == start {
            i += 1;
        }
    }
    covered.iter().filter(|&&c| c).count() as f64 / s.len() as f64
}

/// Longest run of one repeated byte.
fn longest_repeat(s: &[u8]) -> usize {
    let mut best = 0;
    let mut cur = 0;
    let mut prev = None;
    for &b in s {
        if Some(b) == prev {
            cur += 1;
        } else {
            cur = 1;
            prev = Some(b);
        }
        best = best.max(cur);
    }
    best
}

/// Ascending or descending runs such as `abcdef` / `123456`.
fn longest_sequence(s: &[u8]) -> usize {
    let mut best = 1;
    let mut cur = 1;
    for w in s.windows(2) {
        if w[1] == w[0].wrapping_add(1) || w[1] == w[0].wrapping_sub(1) {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 1;
        }
    }
    best
}

const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "changeme",
    "change_me",
    "change-me",
    "replace",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpassword",
    "insert",
    "dummy",
    "sample",
    "fake",
    "redacted",
    "xxxx",
    "****",
    "....",
    "<",
    "${",
    "{{",
    "#{",
    "todo",
    "fixme",
    "notasecret",
    "not-a-secret",
    "not_a_secret",
    "secret_here",
    "key_here",
    "token_here",
    "key-here",
    "token-here",
    "here>",
    "test_",
    "_test",
    "mock",
];

const PLACEHOLDER_EXACT: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "none",
    "null",
    "nil",
    "true",
    "false",
    "undefined",
    "empty",
    "default",
    "pass",
    "admin",
    "root",
    "string",
    "value",
    "required",
    "optional",
    "unset",
    "foo",
    "bar",
    "foobar",
    "test",
    "testing",
];

/// True when `s` is a placeholder, template reference or documented example rather than a
/// secret value.
pub fn is_placeholder(s: &[u8]) -> bool {
    let lower = s.to_ascii_lowercase();
    let text = String::from_utf8_lossy(&lower);
    if PLACEHOLDER_EXACT.contains(&text.as_ref()) {
        return true;
    }
    if PLACEHOLDER_WORDS.iter().any(|w| text.contains(w)) {
        return true;
    }
    // printf-style templates: %(name)s
    if let Some(i) = text.find("%(")
        && text[i..].contains(")s")
    {
        return true;
    }
    // $VAR / %VAR% / env references
    if s.first() == Some(&b'$') || (s.first() == Some(&b'%') && s.last() == Some(&b'%')) {
        return true;
    }
    longest_repeat(s) >= 6 || (s.len() >= 8 && longest_sequence(s) * 2 > s.len())
}

/// True when `s` is a UUID (8-4-4-4-12 hex).
pub fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Likelihood (0..=1) that `s` is a randomly generated secret rather than a word, identifier,
/// path or expression. Values under [`RANDOM_THRESHOLD`] are not reported by generic rules.
pub fn randomness(s: &[u8]) -> f64 {
    let n = s.len();
    if n < 8 || is_placeholder(s) || is_uuid(s) {
        return 0.0;
    }
    if s.iter()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || !b.is_ascii())
    {
        return 0.0;
    }
    if s.windows(3).any(|w| w == b"://") {
        return 0.0;
    }
    let (l, u, d, o) = classes(s);
    let nclasses = [l, u, d, o].iter().filter(|&&x| x).count();
    let h = shannon(s);
    let hex = s.iter().all(u8::is_ascii_hexdigit);
    let alphabet = if hex {
        16.0
    } else {
        f64::from(u8::from(l)) * 26.0
            + f64::from(u8::from(u)) * 26.0
            + f64::from(u8::from(d)) * 10.0
            + f64::from(u8::from(o)) * 16.0
    };
    // expected entropy of a random string of this length over this alphabet is a bit below
    // log2(min(n, alphabet)); normalise by that
    let hmax = (n as f64).min(alphabet).log2() * 0.97;
    let mut score = (h / hmax).min(1.0);
    if !hex {
        score *= 1.0 - word_fraction(s);
    }
    if nclasses < 2 {
        score *= if hex { 0.6 } else { 0.3 };
    }
    if hex && n < 16 {
        score *= 0.6;
    }
    // code, not values: paths (a::b), pointers (a->b)
    if s.windows(2).any(|w| w == b"::" || w == b"->") {
        return 0.0;
    }
    // identifiers and words: letters with only _ - . / separators and no digit
    if !d
        && s.iter()
            .all(|b| b.is_ascii_alphabetic() || b"_-./".contains(b))
    {
        score *= 0.3;
    }
    // CONSTANT_CASE / snake / kebab identifiers whose segments are all-letters or all-digits
    // (RSA_2048, us-east-1, TLS_AES_128); random tokens mix letters and digits within segments
    let parts: Vec<&[u8]> = s
        .split(|b| b"_-.".contains(b))
        .filter(|g| !g.is_empty())
        .collect();
    if parts.len() >= 2
        && parts
            .iter()
            .all(|g| g.iter().all(u8::is_ascii_alphabetic) || g.iter().all(u8::is_ascii_digit))
    {
        score *= 0.3;
    }
    if s.iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-')
        && s.iter().any(|&b| b == b'_' || b == b'-')
    {
        score *= 0.3;
    }
    // padding inside the value: several base64 pieces glued together (cookies, signed blobs)
    if let Some(i) = memchr::memmem::find(s, b"==")
        && s[i..].iter().any(|&b| b != b'=')
    {
        score *= 0.3;
    }
    // percent-encoded text
    if s.windows(3)
        .filter(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
        .count()
        >= 3
    {
        score *= 0.3;
    }
    // base64 of readable text ("you're not supposed to decode this!") is not a key
    if let Some(text) = base64_decode(s) {
        let printable = text
            .iter()
            .filter(|b| b.is_ascii_graphic() || **b == b' ')
            .count();
        if text.len() >= 6 && printable == text.len() && text.contains(&b' ') {
            score *= 0.2;
        }
    }
    // dotted identifiers: process.env.API_TOKEN, settings.SECRET, var.db_password
    let segs: Vec<&[u8]> = s.split(|&b| b == b'.').collect();
    if segs.len() >= 2
        && segs.iter().all(|g| {
            g.first()
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_' || *c == b'$')
                && g.iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$' || *c == b'-')
        })
    {
        score *= 0.2;
    }
    // calls: getenv(, os.environ.get(
    if let Some(p) = s.iter().position(|&b| b == b'(')
        && p > 0
        && s.ends_with(b")")
        && s[..p]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.$".contains(c))
    {
        score *= 0.2;
    }
    // short strings need more help from class diversity
    if n < 12 && nclasses < 3 {
        score *= 0.7;
    }
    score.clamp(0.0, 1.0)
}

/// Standard or URL-safe base64 (padding optional); `None` if `s` is not base64.
pub fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let body = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    if body.len() < 8 || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &b in body {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Minimum [`randomness`] for a generic-rule value to be reported.
pub const RANDOM_THRESHOLD: f64 = 0.62;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_vs_words() {
        assert!(randomness(b"q8Zr2LmX0vPa7Kd3WnTy") > RANDOM_THRESHOLD);
        assert!(randomness(b"9f86d081884c7d659a2feaa0c55ad015") > RANDOM_THRESHOLD);
        assert!(randomness(b"mysecretpassword") < RANDOM_THRESHOLD);
        assert!(randomness(b"getDatabasePassword") < RANDOM_THRESHOLD);
        assert!(randomness(b"os.environ.get") < RANDOM_THRESHOLD);
        assert!(randomness(b"changeme") < RANDOM_THRESHOLD);
        assert!(randomness(b"${DB_PASSWORD}") < RANDOM_THRESHOLD);
        assert!(randomness(b"xxxxxxxxxxxxxxxxxxxx") < RANDOM_THRESHOLD);
        assert!(randomness(b"123e4567-e89b-12d3-a456-426614174000") < RANDOM_THRESHOLD);
        assert!(randomness(b"Passw0rd!") < RANDOM_THRESHOLD);
    }

    #[test]
    fn entropy_bounds() {
        assert_eq!(shannon(b""), 0.0);
        assert_eq!(shannon(b"aaaa"), 0.0);
        assert!((shannon(b"ab") - 1.0).abs() < 1e-9);
    }
}
