//! Every way SigV4 authentication can fail, each mapped onto the error AWS itself
//! returns. Messages follow AWS's wording where it is known. No variant ever carries a
//! secret access key; the ones that echo the `Authorization` header (as AWS does) hold
//! only the access key id and the signature, truncated.

/// What the JSON protocols (Secrets Manager, SSM) put in `__type`.
pub mod aws_type {
    pub const MISSING_AUTHENTICATION_TOKEN: &str = "MissingAuthenticationTokenException";
    pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignatureException";
    pub const INVALID_SIGNATURE: &str = "InvalidSignatureException";
    pub const UNRECOGNIZED_CLIENT: &str = "UnrecognizedClientException";
}

/// The message AWS sends when the signature does not match.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// A SigV4 authentication failure. [`SigV4Error::aws_type`] and
/// [`SigV4Error::message`] give the JSON error body AWS would send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigV4Error {
    // ---- MissingAuthenticationTokenException
    /// Neither an `Authorization` header nor presigned query parameters.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,

    // ---- IncompleteSignatureException
    /// The header lacks parts (or is not SigV4 at all), in AWS's words.
    #[error("{}", missing_parts_message(*.credential, *.signature, *.signed_headers, *.date, .authorization))]
    MissingParameters {
        credential: bool,
        signature: bool,
        signed_headers: bool,
        date: bool,
        authorization: String,
    },
    /// A token in the header without `=`.
    #[error(
        "'{pair}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'."
    )]
    MalformedPair { pair: String, authorization: String },
    /// `Credential`, `SignedHeaders` or `Signature` given twice.
    #[error("Authorization header has duplicate '{name}' parameter.")]
    DuplicateParameter { name: String },
    /// A key other than `Credential`, `SignedHeaders`, `Signature`.
    #[error("Authorization header has unknown parameter '{name}'.")]
    UnknownParameter { name: String },
    /// `AWS4-...` but not `AWS4-HMAC-SHA256`.
    #[error("Unsupported AWS 'algorithm': '{algorithm}'.")]
    UnsupportedAlgorithm { algorithm: String },
    /// The credential is not `keyid/date/region/service/terminator`.
    #[error(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
    )]
    MalformedCredential { credential: String },
    /// `SignedHeaders` empty, upper-case, duplicated or with invalid characters.
    #[error("SignedHeaders '{signed_headers}' is invalid: {reason}.")]
    MalformedSignedHeaders {
        signed_headers: String,
        reason: &'static str,
    },
    /// `X-Amz-Date` / `Date` not in the expected format.
    #[error(
        "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )]
    MalformedDate { value: String },
    /// More than one `Authorization` header, or a non-text one.
    #[error("Authorization header must appear exactly once and be valid text.")]
    MalformedAuthorizationHeader,
    /// Both an `Authorization` header and `X-Amz-Algorithm` in the query.
    #[error(
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified"
    )]
    AmbiguousAuth,
    /// Presigned query parameters missing.
    #[error("AWS query-string parameters must include {}. Re-examine the query-string parameters.", .missing.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", "))]
    MissingQueryParameters { missing: Vec<&'static str> },
    /// A presigned query parameter given twice.
    #[error("Query-string parameter '{name}' must appear exactly once.")]
    DuplicateQueryParameter { name: &'static str },
    /// `X-Amz-Expires` not an integer in 1..=604800.
    #[error("X-Amz-Expires must be a number of seconds between 1 and 604800, got '{value}'.")]
    InvalidExpires { value: String },
    /// A header the policy requires (host, date, x-amz-target, ...) is not signed.
    #[error("'{display}' must be a 'SignedHeader' in the AWS Authorization.", display = header_display(.name))]
    HeaderNotSigned { name: String },
    /// A header the policy requires is signed but absent from the request.
    #[error("Signed header '{name}' is missing from the request.")]
    MissingSignedHeader { name: String },

    // ---- InvalidSignatureException
    /// Credential scope date differs from the request date.
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_date}', from '{request_time}'."
    )]
    ScopeDateMismatch {
        scope_date: String,
        request_date: String,
        request_time: String,
    },
    /// Terminator is not `aws4_request`.
    #[error(
        "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
    )]
    InvalidTerminator { terminator: String },
    /// Scope service differs from the one the caller expects.
    #[error("Credential should be scoped to correct service: '{expected}'. ")]
    WrongService { expected: String },
    /// Scope region not served here (raised by the server, not by `verify`).
    #[error("Credential should be scoped to a valid region, not '{region}'. ")]
    WrongRegion { region: String },
    /// Request time older than `now - skew`.
    #[error(
        "Signature expired: {request_time} is now earlier than {earliest} ({now} - {skew_minutes} min.)"
    )]
    Expired {
        request_time: String,
        earliest: String,
        now: String,
        skew_minutes: u64,
    },
    /// Request time later than `now + skew`.
    #[error(
        "Signature not yet current: {request_time} is still later than {latest} ({now} + {skew_minutes} min.)"
    )]
    NotYetCurrent {
        request_time: String,
        latest: String,
        now: String,
        skew_minutes: u64,
    },
    /// Presigned URL past `X-Amz-Date + X-Amz-Expires`.
    #[error(
        "Signature expired: {request_time} is now earlier than {earliest} ({now} - {expires} sec.)"
    )]
    PresignedExpired {
        request_time: String,
        earliest: String,
        now: String,
        expires: u64,
    },
    /// A signed `x-amz-content-sha256` differs from the hash of the body received.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch,
    /// The signature does not match (or is not 64 hex digits).
    #[error("{}", SIGNATURE_MISMATCH_MESSAGE)]
    SignatureMismatch,

    // ---- UnrecognizedClientException
    /// Unknown access key id (raised by the server after a failed lookup).
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
}

impl SigV4Error {
    /// The `__type` for JSON-protocol services (Secrets Manager, SSM).
    pub fn aws_type(&self) -> &'static str {
        use SigV4Error::*;
        match self {
            MissingAuthenticationToken => aws_type::MISSING_AUTHENTICATION_TOKEN,
            MissingParameters { .. }
            | MalformedPair { .. }
            | DuplicateParameter { .. }
            | UnknownParameter { .. }
            | UnsupportedAlgorithm { .. }
            | MalformedCredential { .. }
            | MalformedSignedHeaders { .. }
            | MalformedDate { .. }
            | MalformedAuthorizationHeader
            | AmbiguousAuth
            | MissingQueryParameters { .. }
            | DuplicateQueryParameter { .. }
            | InvalidExpires { .. }
            | HeaderNotSigned { .. }
            | MissingSignedHeader { .. } => aws_type::INCOMPLETE_SIGNATURE,
            ScopeDateMismatch { .. }
            | InvalidTerminator { .. }
            | WrongService { .. }
            | WrongRegion { .. }
            | Expired { .. }
            | NotYetCurrent { .. }
            | PresignedExpired { .. }
            | ContentSha256Mismatch
            | SignatureMismatch => aws_type::INVALID_SIGNATURE,
            UnrecognizedClient => aws_type::UNRECOGNIZED_CLIENT,
        }
    }

    /// The error code query/XML-protocol services use for the same failure
    /// (`SignatureDoesNotMatch`, `IncompleteSignature`, `InvalidClientTokenId`, ...).
    pub fn query_protocol_code(&self) -> &'static str {
        match self.aws_type() {
            aws_type::MISSING_AUTHENTICATION_TOKEN => "MissingAuthenticationToken",
            aws_type::INCOMPLETE_SIGNATURE => "IncompleteSignature",
            aws_type::UNRECOGNIZED_CLIENT => "InvalidClientTokenId",
            _ => "SignatureDoesNotMatch",
        }
    }

    /// The human-readable message, AWS's wording where known.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// HTTP status: 403 for a missing token, 400 for everything else (what AWS's
    /// JSON services send).
    pub fn http_status(&self) -> u16 {
        match self {
            SigV4Error::MissingAuthenticationToken => 403,
            _ => 400,
        }
    }
}

/// Shortens text echoed back from the request, on a character boundary.
pub(crate) fn echo(text: &str) -> String {
    const MAX: usize = 512;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

fn missing_parts_message(
    credential: bool,
    signature: bool,
    signed_headers: bool,
    date: bool,
    auth: &str,
) -> String {
    let mut m = String::new();
    if credential {
        m.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature {
        m.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed_headers {
        m.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if date {
        m.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    m.push_str("Authorization=");
    m.push_str(auth);
    m
}

/// `host` -> `Host`, `x-amz-date` -> `X-Amz-Date`, as AWS prints header names.
fn header_display(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_aws_wording() {
        assert_eq!(
            SigV4Error::SignatureMismatch.message(),
            SIGNATURE_MISMATCH_MESSAGE
        );
        assert_eq!(
            SigV4Error::SignatureMismatch.aws_type(),
            "InvalidSignatureException"
        );
        assert_eq!(
            SigV4Error::SignatureMismatch.query_protocol_code(),
            "SignatureDoesNotMatch"
        );
        let e = SigV4Error::Expired {
            request_time: "20150830T123600Z".into(),
            earliest: "20150830T124100Z".into(),
            now: "20150830T124600Z".into(),
            skew_minutes: 15,
        };
        assert_eq!(
            e.message(),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T124600Z - 15 min.)"
        );
        assert_eq!(e.aws_type(), "InvalidSignatureException");
        assert_eq!(
            SigV4Error::HeaderNotSigned {
                name: "host".into()
            }
            .message(),
            "'Host' must be a 'SignedHeader' in the AWS Authorization."
        );
        assert_eq!(
            SigV4Error::UnrecognizedClient.aws_type(),
            "UnrecognizedClientException"
        );
        assert_eq!(
            SigV4Error::UnrecognizedClient.message(),
            "The security token included in the request is invalid."
        );
        assert_eq!(
            SigV4Error::MissingAuthenticationToken.aws_type(),
            "MissingAuthenticationTokenException"
        );
        let m = SigV4Error::MissingParameters {
            credential: true,
            signature: true,
            signed_headers: true,
            date: false,
            authorization: "Bearer x".into(),
        };
        assert_eq!(
            m.message(),
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer x"
        );
        assert_eq!(m.aws_type(), "IncompleteSignatureException");
    }

    #[test]
    fn echo_truncates_on_char_boundary() {
        let long = "é".repeat(400);
        let e = echo(&long);
        assert!(e.ends_with("..."));
        assert!(e.len() <= 515);
    }
}
