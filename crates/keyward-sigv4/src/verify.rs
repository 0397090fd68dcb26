//! Verification: policy checks first (cheap, no HMAC), then the canonical request,
//! the signing key (cached) and a constant-time comparison.

use crate::canonical::{
    CanonicalInput, canonical_query, canonical_request, canonical_uri, header_value, sha256_hex,
    string_to_sign,
};
use crate::datetime::{format_amz_date, parse_amz_date, parse_http_date, unix_secs};
use crate::error::{SigV4Error, echo};
use crate::key::hmac_sha256;
use crate::{AuthLocation, ParsedAuth, RequestParts, SigningKeyCache, TERMINATOR};
use std::time::{Duration, SystemTime};
use subtle::ConstantTimeEq;

/// What a request must satisfy beyond a matching signature.
#[derive(Debug, Clone)]
pub struct VerifyPolicy<'a> {
    /// Lower-case headers that must be signed and present, on top of `host` and the
    /// date header (the server passes `x-amz-target` for JSON-protocol calls).
    pub required_signed_headers: &'a [&'a str],
    /// If set, the credential scope service must equal it.
    pub expected_service: Option<&'a str>,
    /// Allowed clock skew either way (AWS: 15 minutes).
    pub max_skew: Duration,
    /// Accept presigned query-string authentication.
    pub allow_presigned: bool,
}

impl VerifyPolicy<'static> {
    /// AWS's defaults: 15 minutes of skew, no extra signed headers, no presigning.
    pub const DEFAULT: Self = Self {
        required_signed_headers: &[],
        expected_service: None,
        max_skew: Duration::from_secs(15 * 60),
        allow_presigned: false,
    };

    /// For AWS JSON-protocol calls: `x-amz-target` must be signed too.
    pub const JSON_PROTOCOL: Self = Self {
        required_signed_headers: &["x-amz-target"],
        ..Self::DEFAULT
    };
}

impl Default for VerifyPolicy<'static> {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Who signed, and for which scope. The server picks the region's data by
/// `region` and checks `service`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedScope {
    pub access_key_id: String,
    /// Scope date, `YYYYMMDD`.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Request time, Unix seconds.
    pub request_time: i64,
    /// True for presigned query-string authentication.
    pub presigned: bool,
}

const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

fn single_header<'h>(parts: &'h RequestParts<'_>, name: &str) -> Option<Result<&'h str, String>> {
    let mut values = parts.headers.get_all(name).iter();
    let first = values.next()?;
    let text = first
        .to_str()
        .map_err(|_| String::from_utf8_lossy(first.as_bytes()).into_owned());
    Some(match (text, values.next()) {
        (Ok(t), None) => Ok(t),
        (Ok(t), Some(_)) => Err(t.to_owned()),
        (Err(t), _) => Err(t),
    })
}

/// The request time (Unix seconds) and the header it came from (`None` if presigned).
fn request_time(
    parts: &RequestParts<'_>,
    parsed: &ParsedAuth,
) -> Result<(i64, Option<&'static str>), SigV4Error> {
    let bad = |v: &str| SigV4Error::MalformedDate { value: echo(v) };
    match &parsed.location {
        AuthLocation::Query { amz_date, .. } => {
            Ok((parse_amz_date(amz_date).ok_or_else(|| bad(amz_date))?, None))
        }
        AuthLocation::Header => {
            if let Some(v) = single_header(parts, "x-amz-date") {
                let v = v.map_err(|v| bad(&v))?;
                return Ok((parse_amz_date(v).ok_or_else(|| bad(v))?, Some("x-amz-date")));
            }
            if let Some(v) = single_header(parts, "date") {
                let v = v.map_err(|v| bad(&v))?;
                return Ok((parse_http_date(v).ok_or_else(|| bad(v))?, Some("date")));
            }
            Err(SigV4Error::MissingParameters {
                credential: false,
                signature: false,
                signed_headers: false,
                date: true,
                authorization: parsed.raw.clone(),
            })
        }
    }
}

fn check_signed_and_present(
    parts: &RequestParts<'_>,
    parsed: &ParsedAuth,
    name: &str,
) -> Result<(), SigV4Error> {
    if !parsed.signed_headers.iter().any(|h| h == name) {
        return Err(SigV4Error::HeaderNotSigned {
            name: name.to_owned(),
        });
    }
    if header_value(parts.headers, name, parts.authority).is_none() {
        return Err(SigV4Error::MissingSignedHeader {
            name: name.to_owned(),
        });
    }
    Ok(())
}

fn check_time(
    t: i64,
    now: i64,
    policy: &VerifyPolicy<'_>,
    location: &AuthLocation,
) -> Result<(), SigV4Error> {
    let skew = i64::try_from(policy.max_skew.as_secs()).unwrap_or(i64::MAX);
    let skew_minutes = policy.max_skew.as_secs() / 60;
    if t > now.saturating_add(skew) {
        return Err(SigV4Error::NotYetCurrent {
            request_time: format_amz_date(t),
            latest: format_amz_date(now.saturating_add(skew)),
            now: format_amz_date(now),
            skew_minutes,
        });
    }
    if let AuthLocation::Query {
        expires: Some(expires),
        ..
    } = location
    {
        let window = i64::try_from(*expires).unwrap_or(i64::MAX);
        if now > t.saturating_add(window) {
            return Err(SigV4Error::PresignedExpired {
                request_time: format_amz_date(t),
                earliest: format_amz_date(now.saturating_sub(window)),
                now: format_amz_date(now),
                expires: *expires,
            });
        }
        return Ok(());
    }
    if t < now.saturating_sub(skew) {
        return Err(SigV4Error::Expired {
            request_time: format_amz_date(t),
            earliest: format_amz_date(now.saturating_sub(skew)),
            now: format_amz_date(now),
            skew_minutes,
        });
    }
    Ok(())
}

/// Verifies a parsed authorization against the request with the key id's secret.
///
/// Checks, in order: the date header exists and parses; `host`, the date header and
/// `policy.required_signed_headers` are signed and present; the scope date equals the
/// request date; the terminator is `aws4_request`; the scope service matches
/// `policy.expected_service`; the time is within `policy.max_skew` of `now` (or
/// within `X-Amz-Expires` if presigned); a signed `x-amz-content-sha256` equals the
/// body's hash; and finally the signature, compared in constant time.
pub fn verify(
    parts: &RequestParts<'_>,
    parsed: &ParsedAuth,
    secret_access_key: &str,
    now: SystemTime,
    policy: &VerifyPolicy<'_>,
    cache: &SigningKeyCache,
) -> Result<VerifiedScope, SigV4Error> {
    let (t, date_header) = request_time(parts, parsed)?;
    check_signed_and_present(parts, parsed, "host")?;
    if let Some(date_header) = date_header {
        check_signed_and_present(parts, parsed, date_header)?;
    }
    for name in policy.required_signed_headers {
        check_signed_and_present(parts, parsed, &name.to_ascii_lowercase())?;
    }
    let amz_date = format_amz_date(t);
    let request_date = amz_date.get(..8).unwrap_or_default();
    if parsed.scope_date != request_date {
        return Err(SigV4Error::ScopeDateMismatch {
            scope_date: echo(&parsed.scope_date),
            request_date: request_date.to_owned(),
            request_time: amz_date,
        });
    }
    if parsed.terminator != TERMINATOR {
        return Err(SigV4Error::InvalidTerminator {
            terminator: echo(&parsed.terminator),
        });
    }
    if let Some(expected) = policy.expected_service
        && parsed.service != expected
    {
        return Err(SigV4Error::WrongService {
            expected: expected.to_owned(),
        });
    }
    check_time(t, unix_secs(now), policy, &parsed.location)?;

    let payload_hash = sha256_hex(parts.body);
    let mut headers: Vec<(&str, Vec<u8>)> = Vec::with_capacity(parsed.signed_headers.len());
    for name in &parsed.signed_headers {
        let value = header_value(parts.headers, name, parts.authority).unwrap_or_default();
        if name == "x-amz-content-sha256" && !value.eq_ignore_ascii_case(payload_hash.as_bytes()) {
            return Err(SigV4Error::ContentSha256Mismatch);
        }
        headers.push((name.as_str(), value));
    }
    let presigned = matches!(parsed.location, AuthLocation::Query { .. });
    let uri = canonical_uri(parts.path);
    let query = canonical_query(parts.query, presigned);
    let scope = parsed.credential_scope();
    let key = cache.signing_key(
        &parsed.access_key_id,
        secret_access_key,
        &parsed.scope_date,
        &parsed.region,
        &parsed.service,
    );
    let matches = |payload_hash: &str| {
        let input = CanonicalInput {
            method: parts.method,
            uri: &uri,
            query: &query,
            headers: &headers,
            payload_hash,
        };
        let sts = string_to_sign(&amz_date, &scope, &canonical_request(&input));
        bool::from(hmac_sha256(&*key, sts.as_bytes()).ct_eq(&parsed.signature))
    };
    // Presigned URLs are signed with UNSIGNED-PAYLOAD by botocore; that is accepted
    // only when there is no body to protect.
    let ok =
        matches(&payload_hash) || (presigned && parts.body.is_empty() && matches(UNSIGNED_PAYLOAD));
    if !ok {
        return Err(SigV4Error::SignatureMismatch);
    }
    Ok(VerifiedScope {
        access_key_id: parsed.access_key_id.clone(),
        date: parsed.scope_date.clone(),
        region: parsed.region.clone(),
        service: parsed.service.clone(),
        request_time: t,
        presigned,
    })
}
