//! `/v1/sys/*`: health, seal state, unseal, seal.

use keyward_crypto::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /v1/sys/health`: 200 when unsealed and serving, 503 when sealed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok` or `sealed`.
    pub status: String,
    pub sealed: bool,
    /// keyward's version (when unsealed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `ok` or `unreachable`: whether the store answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// `ok`, `stopped` or `sealed`: whether the audit writer takes records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<String>,
}

/// Seal state (`seal-status`, and the answer to seal and unseal).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SealStatus {
    pub sealed: bool,
}

/// Body of `POST /v1/sys/unseal`: the root key (hex) or the passphrase.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Unseal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub root_key: Option<SecretString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub passphrase: Option<SecretString>,
}
