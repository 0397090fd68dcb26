//! `POST /v1/batch/get`: many secrets' current values in one request.

use keyward_crypto::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most names one batch may ask for.
pub const MAX_BATCH_NAMES: usize = 100;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchGet {
    /// 1–100 secret names; each is authorized and audited on its own.
    pub names: Vec<String>,
}

/// One secret's `AWSCURRENT` value. Exactly one of `value` and `value_base64` is set.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchValue {
    pub name: String,
    pub arn: String,
    pub version_id: String,
    pub stages: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub value: Option<SecretString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub value_base64: Option<SecretString>,
}

/// A name the batch could not read, with the error it would have had alone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchError {
    pub name: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchResult {
    pub secrets: Vec<BatchValue>,
    pub errors: Vec<BatchError>,
}
