//! Parsing of the `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
//! Signature=...` header and of presigned `X-Amz-*` query parameters.
//!
//! Like AWS, the header is tokenized on commas and whitespace, so every spacing
//! variant botocore, the Rust SDK and other SDKs emit is accepted; duplicated,
//! unknown or missing parameters are rejected with a typed error.

use crate::canonical::query_pairs;
use crate::error::{SigV4Error, echo};
use crate::{ALGORITHM, RequestParts, VerifyPolicy};
use std::fmt;

/// Where the signature came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthLocation {
    /// The `Authorization` header; the time comes from `X-Amz-Date` or `Date`.
    Header,
    /// Presigned query parameters.
    Query {
        /// `X-Amz-Date` as given.
        amz_date: String,
        /// `X-Amz-Expires` in seconds, if given.
        expires: Option<u64>,
    },
}

/// A syntactically valid SigV4 authorization, not yet verified.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    /// The access key id: look its secret up, then call [`crate::verify`].
    pub access_key_id: String,
    /// Credential scope date, as given (`YYYYMMDD` if valid).
    pub scope_date: String,
    /// Credential scope region.
    pub region: String,
    /// Credential scope service.
    pub service: String,
    /// Credential scope terminator (checked by `verify` to be `aws4_request`).
    pub terminator: String,
    /// Lower-case signed header names, in the client's order, no duplicates.
    pub signed_headers: Vec<String>,
    /// Where the signature came from.
    pub location: AuthLocation,
    pub(crate) signature: [u8; 32],
    /// The header text (truncated) for AWS-style error messages.
    pub(crate) raw: String,
}

impl ParsedAuth {
    /// `date/region/service/terminator`.
    pub fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.scope_date, self.region, self.service, self.terminator
        )
    }

    /// The client's signature, lower-case hex.
    pub fn signature_hex(&self) -> String {
        hex::encode(self.signature)
    }
}

impl fmt::Debug for ParsedAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.credential_scope())
            .field("signed_headers", &self.signed_headers)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

struct Credential {
    access_key_id: String,
    scope_date: String,
    region: String,
    service: String,
    terminator: String,
}

fn parse_credential(value: &str) -> Result<Credential, SigV4Error> {
    let parts: Vec<&str> = value.split('/').collect();
    match parts.as_slice() {
        [akid, date, region, service, term] if parts.iter().all(|p| !p.is_empty()) => {
            Ok(Credential {
                access_key_id: (*akid).to_owned(),
                scope_date: (*date).to_owned(),
                region: (*region).to_owned(),
                service: (*service).to_owned(),
                terminator: (*term).to_owned(),
            })
        }
        _ => Err(SigV4Error::MalformedCredential {
            credential: echo(value),
        }),
    }
}

fn is_token_char(b: u8) -> bool {
    (b.is_ascii_alphanumeric() && !b.is_ascii_uppercase()) || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn parse_signed_headers(value: &str) -> Result<Vec<String>, SigV4Error> {
    let bad = |reason| SigV4Error::MalformedSignedHeaders {
        signed_headers: echo(value),
        reason,
    };
    if value.is_empty() {
        return Err(bad("it is empty"));
    }
    let names: Vec<String> = value.split(';').map(str::to_owned).collect();
    if names
        .iter()
        .any(|n| n.is_empty() || !n.bytes().all(is_token_char))
    {
        return Err(bad(
            "header names must be non-empty lower-case tokens separated by ';'",
        ));
    }
    let mut sorted: Vec<&str> = names.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad("a header is listed twice"));
    }
    Ok(names)
}

fn parse_signature(value: &str) -> Result<[u8; 32], SigV4Error> {
    let mut out = [0u8; 32];
    let lower_hex = value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !lower_hex || hex::decode_to_slice(value, &mut out).is_err() {
        return Err(SigV4Error::SignatureMismatch);
    }
    Ok(out)
}

/// Parses an `Authorization` header value.
pub fn parse_authorization(header: &str) -> Result<ParsedAuth, SigV4Error> {
    parse_header(header, true)
}

fn parse_header(header: &str, has_date: bool) -> Result<ParsedAuth, SigV4Error> {
    let header = header.trim();
    let raw = echo(header);
    let (algorithm, rest) = header
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((header, ""));
    if algorithm != ALGORITHM {
        if algorithm.starts_with("AWS4-") {
            return Err(SigV4Error::UnsupportedAlgorithm {
                algorithm: echo(algorithm),
            });
        }
        return Err(SigV4Error::MissingParameters {
            credential: true,
            signature: true,
            signed_headers: true,
            date: !has_date,
            authorization: raw,
        });
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for token in rest
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
    {
        let Some((key, value)) = token.split_once('=') else {
            return Err(SigV4Error::MalformedPair {
                pair: echo(token),
                authorization: raw,
            });
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => return Err(SigV4Error::UnknownParameter { name: echo(other) }),
        };
        if slot.replace(value).is_some() {
            return Err(SigV4Error::DuplicateParameter {
                name: key.to_owned(),
            });
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature), true) =
        (credential, signed_headers, signature, has_date)
    else {
        return Err(SigV4Error::MissingParameters {
            credential: credential.is_none(),
            signature: signature.is_none(),
            signed_headers: signed_headers.is_none(),
            date: !has_date,
            authorization: raw,
        });
    };
    let cred = parse_credential(credential)?;
    let signed_headers = parse_signed_headers(signed_headers)?;
    let signature = parse_signature(signature)?;
    Ok(ParsedAuth {
        access_key_id: cred.access_key_id,
        scope_date: cred.scope_date,
        region: cred.region,
        service: cred.service,
        terminator: cred.terminator,
        signed_headers,
        location: AuthLocation::Header,
        signature,
        raw,
    })
}

const QUERY_PARAMS: [&str; 6] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Expires",
];

/// Parses presigned-URL query parameters. `Ok(None)` when there is no
/// `X-Amz-Algorithm` (not a presigned request).
pub fn parse_presigned_query(query: &str) -> Result<Option<ParsedAuth>, SigV4Error> {
    let mut found: [Option<String>; 6] = Default::default();
    for (k, v) in query_pairs(query) {
        let Some(i) = QUERY_PARAMS
            .iter()
            .position(|p| p.as_bytes() == k.as_slice())
        else {
            continue;
        };
        if found[i].is_some() {
            return Err(SigV4Error::DuplicateQueryParameter {
                name: QUERY_PARAMS[i],
            });
        }
        found[i] = Some(String::from_utf8_lossy(&v).into_owned());
    }
    let [
        algorithm,
        credential,
        amz_date,
        signed_headers,
        signature,
        expires,
    ] = found;
    let Some(algorithm) = algorithm else {
        return Ok(None);
    };
    if algorithm != ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm {
            algorithm: echo(&algorithm),
        });
    }
    let missing: Vec<&'static str> = [
        (&credential, 1),
        (&amz_date, 2),
        (&signed_headers, 3),
        (&signature, 4),
    ]
    .iter()
    .filter(|(v, _)| v.is_none())
    .map(|(_, i)| QUERY_PARAMS[*i])
    .collect();
    let (Some(credential), Some(amz_date), Some(signed_headers), Some(signature)) =
        (credential, amz_date, signed_headers, signature)
    else {
        return Err(SigV4Error::MissingQueryParameters { missing });
    };
    let expires = match expires {
        None => None,
        Some(e) => match e.parse::<u64>() {
            Ok(n) if (1..=604_800).contains(&n) && e.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(SigV4Error::InvalidExpires { value: echo(&e) }),
        },
    };
    let cred = parse_credential(&credential)?;
    Ok(Some(ParsedAuth {
        access_key_id: cred.access_key_id,
        scope_date: cred.scope_date,
        region: cred.region,
        service: cred.service,
        terminator: cred.terminator,
        signed_headers: parse_signed_headers(&signed_headers)?,
        location: AuthLocation::Query { amz_date, expires },
        signature: parse_signature(&signature)?,
        raw: String::new(),
    }))
}

/// Finds and parses the request's authorization: the `Authorization` header, or
/// (if the policy allows) presigned query parameters. No auth at all is
/// [`SigV4Error::MissingAuthenticationToken`].
pub fn parse_request(
    parts: &RequestParts<'_>,
    policy: &VerifyPolicy<'_>,
) -> Result<ParsedAuth, SigV4Error> {
    let mut auth = parts.headers.get_all(http::header::AUTHORIZATION).iter();
    let (first, second) = (auth.next(), auth.next());
    let presigned = if policy.allow_presigned {
        parse_presigned_query(parts.query)?
    } else {
        None
    };
    match (first, second, presigned) {
        (Some(_), Some(_), _) => Err(SigV4Error::MalformedAuthorizationHeader),
        (Some(_), None, Some(_)) => Err(SigV4Error::AmbiguousAuth),
        (Some(h), None, None) => {
            let text = h
                .to_str()
                .map_err(|_| SigV4Error::MalformedAuthorizationHeader)?;
            let has_date = parts.headers.contains_key("x-amz-date")
                || parts.headers.contains_key(http::header::DATE);
            parse_header(text, has_date)
        }
        (None, _, Some(p)) => Ok(p),
        (None, _, None) => Err(SigV4Error::MissingAuthenticationToken),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    fn header(sep_a: &str, sep_b: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256{sep_a}Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request{sep_b}SignedHeaders=host;x-amz-date{sep_b}Signature={SIG}"
        )
    }

    #[test]
    fn parses_all_spacing_variants() {
        for (a, b) in [
            (" ", ", "),
            (" ", ","),
            ("  ", " , "),
            ("\t", ",\t"),
            (" ", " "),
        ] {
            let p = parse_authorization(&header(a, b)).unwrap();
            assert_eq!(p.access_key_id, "AKIDEXAMPLE");
            assert_eq!(
                p.credential_scope(),
                "20150830/us-east-1/service/aws4_request"
            );
            assert_eq!(p.signed_headers, ["host", "x-amz-date"]);
            assert_eq!(p.signature_hex(), SIG);
        }
    }

    #[test]
    fn rejects_malformed_headers() {
        let kind = |h: &str| parse_authorization(h).unwrap_err();
        assert!(matches!(
            kind("Bearer abc"),
            SigV4Error::MissingParameters {
                credential: true,
                ..
            }
        ));
        assert!(matches!(
            kind("AWS4-HMAC-SHA256"),
            SigV4Error::MissingParameters {
                credential: true,
                ..
            }
        ));
        assert!(matches!(
            kind("AWS4-ECDSA-P256-SHA256 Credential=x"),
            SigV4Error::UnsupportedAlgorithm { .. }
        ));
        let h = header(" ", ", ");
        assert!(matches!(
            kind(&format!("{h}, Signature={SIG}")),
            SigV4Error::DuplicateParameter { .. }
        ));
        assert!(matches!(
            kind(&format!("{h}, Foo=bar")),
            SigV4Error::UnknownParameter { .. }
        ));
        assert!(matches!(
            kind(&h.replace("SignedHeaders=host;x-amz-date, ", "")),
            SigV4Error::MissingParameters {
                signed_headers: true,
                credential: false,
                ..
            }
        ));
        let e = kind(&h.replace("Credential=AKIDEXAMPLE", "Credential= AKIDEXAMPLE"));
        assert!(matches!(e, SigV4Error::MalformedPair { .. }), "{e:?}");
        assert!(e.message().starts_with(
            "'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request' not a valid key=value pair"
        ));
        assert!(matches!(
            kind(&h.replace("/service/", "/")),
            SigV4Error::MalformedCredential { .. }
        ));
        assert!(matches!(
            kind(&h.replace("host;x-amz-date", "Host;x-amz-date")),
            SigV4Error::MalformedSignedHeaders { .. }
        ));
        assert!(matches!(
            kind(&h.replace("host;x-amz-date", "host;host")),
            SigV4Error::MalformedSignedHeaders { .. }
        ));
        assert!(matches!(
            kind(&h.replace("host;x-amz-date", "host;;x")),
            SigV4Error::MalformedSignedHeaders { .. }
        ));
        assert!(matches!(
            kind(&h.replace(SIG, &SIG[1..])),
            SigV4Error::SignatureMismatch
        ));
        assert!(matches!(
            kind(&h.replace(SIG, &SIG.to_uppercase())),
            SigV4Error::SignatureMismatch
        ));
    }

    #[test]
    fn parses_presigned_query() {
        let q = format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature={SIG}"
        );
        let p = parse_presigned_query(&q).unwrap().unwrap();
        assert_eq!(p.region, "us-east-1");
        assert_eq!(
            p.location,
            AuthLocation::Query {
                amz_date: "20150830T123600Z".into(),
                expires: Some(60)
            }
        );
        assert_eq!(parse_presigned_query("a=b").unwrap(), None);
        let e = parse_presigned_query("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=x").unwrap_err();
        assert!(
            matches!(e, SigV4Error::MissingQueryParameters { ref missing } if missing.len() == 3)
        );
        let e = parse_presigned_query(&q.replace("Expires=60", "Expires=0")).unwrap_err();
        assert!(matches!(e, SigV4Error::InvalidExpires { .. }));
        let e = parse_presigned_query(&format!("{q}&X-Amz-Date=1")).unwrap_err();
        assert!(matches!(e, SigV4Error::DuplicateQueryParameter { .. }));
    }
}
