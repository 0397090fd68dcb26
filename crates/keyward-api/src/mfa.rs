//! `/v1/mfa/enable` and `/v1/sts/session`: TOTP enrolment and MFA sessions.

use keyward_crypto::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Answer to `POST /v1/mfa/enable`: the device's secret, shown once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MfaEnrolment {
    pub principal: String,
    /// Base32, for entering by hand.
    #[schema(value_type = String)]
    pub secret: SecretString,
    /// The same secret as an `otpauth://` URI (for a QR code).
    #[schema(value_type = String)]
    pub otpauth_uri: SecretString,
}

/// Body of `POST /v1/sts/session`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The code the authenticator app shows now.
    #[schema(value_type = String)]
    pub code: SecretString,
    /// How long the session lasts (server default when null).
    pub duration_seconds: Option<i64>,
}

/// An MFA session credential, named as AWS STS names them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SessionCredentials {
    pub access_key_id: String,
    #[schema(value_type = String)]
    pub secret_access_key: SecretString,
    /// Sent as `X-Amz-Security-Token` beside the bearer token.
    #[schema(value_type = String)]
    pub session_token: SecretString,
    /// RFC 3339.
    pub expiration: String,
}
