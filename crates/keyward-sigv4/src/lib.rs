//! keyward-sigv4 owns AWS Signature Version 4 for keyward: parsing the
//! `Authorization` header (and presigned `X-Amz-*` query parameters), rebuilding the
//! canonical request exactly as botocore and the AWS Rust SDK do for non-S3 services,
//! verifying signatures (clock skew, credential scope, required signed headers,
//! constant-time comparison, a bounded signing-key cache), signing requests for
//! keyward's own client, and mapping every failure onto the error type AWS returns.
//!
//! It must not do I/O, async, logging or key lookup: callers pass the request parts,
//! the secret access key and the current time. The payload hash is always computed
//! here from the body, never taken from `x-amz-content-sha256`. Secret keys are only
//! borrowed, never stored in plain form, printed by `Debug`, or put in an error.
//! Nothing here panics on any input.
//!
//! Typical server flow:
//! 1. [`parse_request`] (or [`parse_authorization`]) -> [`ParsedAuth`] with the access key id;
//! 2. look the key id up (unknown -> [`SigV4Error::UnrecognizedClient`]);
//! 3. [`verify`] with the secret, `now`, a [`VerifyPolicy`] and a shared [`SigningKeyCache`];
//! 4. use [`VerifiedScope::region`] / [`VerifiedScope::service`].

mod canonical;
mod datetime;
mod error;
mod key;
mod parse;
mod sign;
mod verify;

pub use canonical::{canonical_query_string, canonical_uri, sha256_hex};
pub use error::{SIGNATURE_MISMATCH_MESSAGE, SigV4Error, aws_type};
pub use key::{SigningKeyCache, derive_signing_key};
pub use parse::{
    AuthLocation, ParsedAuth, parse_authorization, parse_presigned_query, parse_request,
};
pub use sign::{SignedOutput, SigningParams, sign_request, sign_request_cached};
pub use verify::{VerifiedScope, VerifyPolicy, verify};

/// The only algorithm keyward accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The credential scope terminator.
pub const TERMINATOR: &str = "aws4_request";

/// The parts of an HTTP request that SigV4 covers. Borrowed; nothing is copied.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method as sent (`GET`, `POST`, ...).
    pub method: &'a str,
    /// Raw (still percent-encoded) path as it appeared on the wire, e.g. `uri.path()`.
    pub path: &'a str,
    /// Raw query string without the leading `?` (empty if none).
    pub query: &'a str,
    /// All request headers.
    pub headers: &'a http::HeaderMap,
    /// The URI authority, used as the `host` value when the headers carry no `Host`
    /// (HTTP/2 sends `:authority` instead).
    pub authority: Option<&'a str>,
    /// The complete request body.
    pub body: &'a [u8],
}

impl<'a> RequestParts<'a> {
    /// Borrows method, path, query, headers and authority from an `http` request head.
    pub fn from_http(head: &'a http::request::Parts, body: &'a [u8]) -> Self {
        Self {
            method: head.method.as_str(),
            path: head.uri.path(),
            query: head.uri.query().unwrap_or(""),
            headers: &head.headers,
            authority: head.uri.authority().map(|a| a.as_str()),
            body,
        }
    }
}
