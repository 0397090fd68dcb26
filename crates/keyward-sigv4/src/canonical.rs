//! The canonical request, byte for byte as botocore and the AWS Rust SDK build it for
//! non-S3 services: dot segments and empty segments removed from the raw path, which
//! is then percent-encoded again (so `%` becomes `%25`: "double encoding"); query
//! parameters decoded, re-encoded and sorted; signed header values trimmed with inner
//! space/tab runs collapsed and repeated headers joined with `,`.

use percent_encoding::percent_decode;
use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256, the form SigV4 uses for payload and request hashes.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// SigV4 URI-encoding: everything but unreserved characters (and `/` if asked)
/// becomes `%XX` with upper-case hex.
fn encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

/// RFC 3986 dot-segment removal plus collapsing of empty segments, as botocore's
/// `remove_dot_segments` does (AWS services want `//` collapsed too).
fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut result = String::with_capacity(path.len() + 1);
    if path.starts_with('/') {
        result.push('/');
    }
    result.push_str(&out.join("/"));
    if path.ends_with('/') && !out.is_empty() {
        result.push('/');
    }
    if result.is_empty() {
        result.push('/');
    }
    result
}

/// The canonical URI of a raw (on-the-wire, already percent-encoded) path for a
/// non-S3 service.
pub fn canonical_uri(raw_path: &str) -> String {
    let normalized = normalize_path(raw_path);
    let mut out = String::with_capacity(normalized.len() + 8);
    encode_into(&mut out, normalized.as_bytes(), true);
    out
}

fn form_decode(s: &str) -> Vec<u8> {
    let plus_as_space: Vec<u8> = s
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&plus_as_space).collect()
}

/// The decoded `(name, value)` pairs of a raw query string, empty pieces skipped.
pub(crate) fn query_pairs(raw_query: &str) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    raw_query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decode(k), form_decode(v))
    })
}

/// The canonical query string: every parameter decoded, SigV4-encoded and sorted by
/// encoded name, then encoded value.
pub fn canonical_query_string(raw_query: &str) -> String {
    canonical_query(raw_query, false)
}

/// As [`canonical_query_string`], dropping `X-Amz-Signature` when `presigned`.
pub(crate) fn canonical_query(raw_query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(raw_query)
        .filter(|(k, _)| !(presigned && k.as_slice() == b"X-Amz-Signature"))
        .map(|(k, v)| {
            let (mut ek, mut ev) = (String::new(), String::new());
            encode_into(&mut ek, &k, false);
            encode_into(&mut ev, &v, false);
            (ek, ev)
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Trims a header value and collapses inner runs of spaces and tabs to one space.
fn trim_all_into(out: &mut Vec<u8>, value: &[u8]) {
    let mut first = true;
    for word in value
        .split(|b| *b == b' ' || *b == b'\t')
        .filter(|w| !w.is_empty())
    {
        if !first {
            out.push(b' ');
        }
        out.extend_from_slice(word);
        first = false;
    }
}

/// The canonical value of header `name` (lower-case): all its values trimmed and
/// joined with `,`. `host` falls back to the authority. `None` if absent.
pub(crate) fn header_value(
    headers: &http::HeaderMap,
    name: &str,
    authority: Option<&str>,
) -> Option<Vec<u8>> {
    let mut values = headers.get_all(name).iter().peekable();
    if values.peek().is_none() {
        return match (name, authority) {
            ("host", Some(a)) => {
                let mut out = Vec::new();
                trim_all_into(&mut out, a.as_bytes());
                Some(out)
            }
            _ => None,
        };
    }
    let mut out = Vec::new();
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        trim_all_into(&mut out, v.as_bytes());
    }
    Some(out)
}

/// Everything the canonical request is built from, already canonicalized.
pub(crate) struct CanonicalInput<'a> {
    pub method: &'a str,
    pub uri: &'a str,
    pub query: &'a str,
    /// `(lower-case name, canonical value)` in `SignedHeaders` order.
    pub headers: &'a [(&'a str, Vec<u8>)],
    pub payload_hash: &'a str,
}

/// The canonical request bytes.
pub(crate) fn canonical_request(c: &CanonicalInput<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    for part in [c.method, c.uri, c.query] {
        out.extend_from_slice(part.as_bytes());
        out.push(b'\n');
    }
    for (name, value) in c.headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out.push(b'\n');
    for (i, (name, _)) in c.headers.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(c.payload_hash.as_bytes());
    out
}

/// The string to sign for a canonical request.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{}\n{amz_date}\n{scope}\n{}",
        crate::ALGORITHM,
        sha256_hex(canonical_request)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_normalization_matches_botocore() {
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/example space/", "/example%20space/"),
            ("/%20/foo", "/%2520/foo"),
            ("/-._~/ü", "/-._~/%C3%BC"),
            ("/a/b/../c/./d", "/a/c/d"),
            ("/a/.", "/a"),
            ("/../../x", "/x"),
        ];
        for (raw, want) in cases {
            assert_eq!(canonical_uri(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted() {
        assert_eq!(canonical_query_string(""), "");
        assert_eq!(
            canonical_query_string("Param2=value2&Param1=value1"),
            "Param1=value1&Param2=value2"
        );
        assert_eq!(
            canonical_query_string("Param1=value2&Param1=Value1"),
            "Param1=Value1&Param1=value2"
        );
        assert_eq!(canonical_query_string("a&b="), "a=&b=");
        assert_eq!(
            canonical_query_string("k=a+b%2Bc&&x=%7e"),
            "k=a%20b%2Bc&x=~"
        );
        assert_eq!(canonical_query_string("%ZZ=1"), "%25ZZ=1");
        assert_eq!(canonical_query_string("ሴ=bar"), "%E1%88%B4=bar");
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let mut h = http::HeaderMap::new();
        h.append(
            "my-header1",
            http::HeaderValue::from_static("  value1 \t a   b  "),
        );
        h.append("my-header1", http::HeaderValue::from_static("value2"));
        assert_eq!(
            header_value(&h, "my-header1", None).unwrap(),
            b"value1 a b,value2"
        );
        assert_eq!(
            header_value(&h, "host", Some("example.com:8080")).unwrap(),
            b"example.com:8080"
        );
        assert!(header_value(&h, "absent", None).is_none());
    }
}
