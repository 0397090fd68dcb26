//! Signing, for keyward's own client and load generator: the same canonical request
//! code as verification, so what we sign we also accept.

use crate::canonical::{
    CanonicalInput, canonical_query, canonical_request, canonical_uri, header_value, sha256_hex,
    string_to_sign,
};
use crate::datetime::{format_amz_date, unix_secs};
use crate::error::SigV4Error;
use crate::key::hmac_sha256;
use crate::{ALGORITHM, RequestParts, SigningKeyCache, TERMINATOR};
use std::fmt;
use std::time::SystemTime;

/// Headers never signed: hop-by-hop, or routinely rewritten by proxies and SDKs.
const UNSIGNED: &[&str] = &[
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "expect",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "upgrade",
];

/// Who signs, for which scope, at what time. `Debug` never shows the secret.
#[derive(Clone, Copy)]
pub struct SigningParams<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub time: SystemTime,
}

impl fmt::Debug for SigningParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningParams")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[REDACTED]")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("time", &self.time)
            .finish()
    }
}

/// Headers to add to the request: `X-Amz-Date: amz_date` and
/// `Authorization: authorization`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedOutput {
    pub authorization: String,
    pub amz_date: String,
    /// Lower-case hex signature.
    pub signature: String,
    /// `;`-joined signed header names.
    pub signed_headers: String,
    /// SHA-256 of the body, hex (for an optional `x-amz-content-sha256` header,
    /// which must then be present before signing to be covered).
    pub payload_hash: String,
}

/// Signs a request: every header present (except hop-by-hop ones, `user-agent` and
/// `authorization`) plus `host` (from the headers or the authority) and
/// `x-amz-date` (set to `params.time`, replacing any given value).
pub fn sign_request(
    parts: &RequestParts<'_>,
    params: &SigningParams<'_>,
) -> Result<SignedOutput, SigV4Error> {
    sign_request_cached(parts, params, &SigningKeyCache::new(0))
}

/// [`sign_request`] reusing derived keys from `cache` (for high request rates).
pub fn sign_request_cached(
    parts: &RequestParts<'_>,
    params: &SigningParams<'_>,
    cache: &SigningKeyCache,
) -> Result<SignedOutput, SigV4Error> {
    let amz_date = format_amz_date(unix_secs(params.time));
    let date = amz_date.get(..8).unwrap_or_default();
    let mut names: Vec<&str> = parts
        .headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| !UNSIGNED.contains(k) && *k != "x-amz-date" && *k != "host")
        .collect();
    names.extend(["host", "x-amz-date"]);
    names.sort_unstable();
    let mut headers: Vec<(&str, Vec<u8>)> = Vec::with_capacity(names.len());
    for name in names {
        let value = match name {
            "x-amz-date" => amz_date.as_bytes().to_vec(),
            _ => header_value(parts.headers, name, parts.authority).ok_or_else(|| {
                SigV4Error::MissingSignedHeader {
                    name: name.to_owned(),
                }
            })?,
        };
        headers.push((name, value));
    }
    let payload_hash = sha256_hex(parts.body);
    let uri = canonical_uri(parts.path);
    let query = canonical_query(parts.query, false);
    let input = CanonicalInput {
        method: parts.method,
        uri: &uri,
        query: &query,
        headers: &headers,
        payload_hash: &payload_hash,
    };
    let scope = format!("{date}/{}/{}/{TERMINATOR}", params.region, params.service);
    let sts = string_to_sign(&amz_date, &scope, &canonical_request(&input));
    let key = cache.signing_key(
        params.access_key_id,
        params.secret_access_key,
        date,
        params.region,
        params.service,
    );
    let signature = hex::encode(hmac_sha256(&*key, sts.as_bytes()));
    let signed_headers = headers
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(";");
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        params.access_key_id
    );
    Ok(SignedOutput {
        authorization,
        amz_date,
        signature,
        signed_headers,
        payload_hash,
    })
}
