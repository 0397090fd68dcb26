//! One error type for every API. Each variant knows its HTTP status, its native
//! error code and its AWS `__type`, so the native and AWS renderers agree on meaning.
//! Messages name secrets and fields, never values.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keyward_store::{Outcome, StoreError};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    MissingAuth(String),
    #[error("{0}")]
    BadCredentials(String),
    /// A session credential past its expiration.
    #[error("{0}")]
    ExpiredToken(String),
    /// Carries the AWS `__type` of the signature failure.
    #[error("{message}")]
    Signature {
        aws_type: &'static str,
        message: String,
    },
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    /// Malformed input: bad JSON, wrong types, bad names.
    #[error("{0}")]
    InvalidParameter(String),
    /// Well-formed, but not allowed in the current state (e.g. read of a deleted secret).
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Too many failed attempts (authentication, unseal): try again later.
    #[error("{0}")]
    Throttled(String),
    #[error("{0}")]
    Sealed(String),
    #[error("{0}")]
    Integrity(String),
    #[error("{0}")]
    NotSupported(String),
    /// A failure the client cannot fix; details are logged server-side only.
    #[error("internal error (request id {request_id}); see the server log")]
    Internal { request_id: String },
    /// An AWS error that has no native counterpart, passed through verbatim.
    #[error("{message}")]
    Aws {
        status: u16,
        aws_type: &'static str,
        message: String,
    },
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MissingAuth(_) | ApiError::BadCredentials(_) | ApiError::ExpiredToken(_) => {
                StatusCode::FORBIDDEN
            }
            ApiError::Signature { .. } => StatusCode::FORBIDDEN,
            ApiError::AccessDenied(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::AlreadyExists(_) | ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::InvalidParameter(_) | ApiError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Sealed(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Integrity(_) | ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::NotSupported(_) => StatusCode::NOT_IMPLEMENTED,
            ApiError::Aws { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST)
            }
        }
    }

    /// Stable machine-readable code for the native API.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MissingAuth(_) => "missing_credentials",
            ApiError::BadCredentials(_) => "invalid_credentials",
            ApiError::ExpiredToken(_) => "expired_token",
            ApiError::Signature { .. } => "invalid_signature",
            ApiError::AccessDenied(_) => "access_denied",
            ApiError::NotFound(_) => "not_found",
            ApiError::AlreadyExists(_) => "already_exists",
            ApiError::InvalidParameter(_) => "invalid_parameter",
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::Throttled(_) => "throttled",
            ApiError::Sealed(_) => "sealed",
            ApiError::Integrity(_) => "integrity_error",
            ApiError::NotSupported(_) => "not_supported",
            ApiError::Internal { .. } => "internal",
            ApiError::Aws { .. } => "aws_error",
        }
    }

    /// The AWS JSON-protocol `__type`.
    pub fn aws_type(&self) -> &'static str {
        match self {
            ApiError::MissingAuth(_) => "MissingAuthenticationTokenException",
            ApiError::BadCredentials(_) => "UnrecognizedClientException",
            ApiError::ExpiredToken(_) => "ExpiredTokenException",
            ApiError::Signature { aws_type, .. } | ApiError::Aws { aws_type, .. } => aws_type,
            ApiError::AccessDenied(_) => "AccessDeniedException",
            ApiError::NotFound(_) => "ResourceNotFoundException",
            ApiError::AlreadyExists(_) => "ResourceExistsException",
            ApiError::InvalidParameter(_) => "InvalidParameterException",
            ApiError::InvalidRequest(_) | ApiError::Conflict(_) => "InvalidRequestException",
            ApiError::PayloadTooLarge(_) => "InvalidParameterException",
            ApiError::Throttled(_) => "ThrottlingException",
            ApiError::Sealed(_) => "ServiceUnavailableException",
            ApiError::Integrity(_) => "DecryptionFailure",
            ApiError::NotSupported(_) => "UnsupportedOperationException",
            ApiError::Internal { .. } => "InternalServiceError",
        }
    }

    /// How the audit log records this failure.
    pub fn outcome(&self) -> Outcome {
        match self {
            ApiError::MissingAuth(_)
            | ApiError::BadCredentials(_)
            | ApiError::ExpiredToken(_)
            | ApiError::Signature { .. }
            | ApiError::Throttled(_) => Outcome::Unauthenticated,
            ApiError::AccessDenied(_) => Outcome::Denied,
            ApiError::NotFound(_) => Outcome::NotFound,
            ApiError::Integrity(_) | ApiError::Internal { .. } | ApiError::Sealed(_) => {
                Outcome::Error
            }
            _ => Outcome::Invalid,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { kind, name } => {
                ApiError::NotFound(format!("{kind} not found: {name}"))
            }
            StoreError::AlreadyExists { kind, name } => {
                ApiError::AlreadyExists(format!("a {kind} named {name} already exists"))
            }
            StoreError::VersionConflict { version_id } => ApiError::AlreadyExists(format!(
                "version {version_id} already exists with a different value; use a new client request token"
            )),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            e @ StoreError::Stale { .. } => ApiError::Conflict(e.to_string()),
            other => {
                // Inside a request this line carries the request's span (its id).
                tracing::error!(error = %other, "storage failure");
                ApiError::Internal {
                    request_id: String::new(),
                }
            }
        }
    }
}

/// Native JSON rendering: `{"error": {"code": ..., "message": ...}}`.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code(), "message": self.to_string()}});
        (self.status(), Json(body)).into_response()
    }
}
