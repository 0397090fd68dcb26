//! `/v1/secrets`, `/v1/history`, `/v1/restore`.

use crate::Tag;
use keyward_crypto::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Body of `POST /v1/secrets` (create) and `PUT /v1/secrets/{name}` (new version,
/// creating the secret when it does not exist). Exactly one of `value` and
/// `value_base64` is needed to write a version.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteSecret {
    /// The secret's name (create only; `PUT` takes it from the path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A text value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub value: Option<SecretString>,
    /// A binary value, standard base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub value_base64: Option<SecretString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Idempotency token and version id (32–64 printable ASCII characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    /// Staging labels to put on the new version (default `AWSCURRENT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<String>>,
}

/// A secret's metadata (never its value).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecretInfo {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
    /// When a scheduled deletion purges it; null when not scheduled.
    pub deleted_at: Option<String>,
    /// Rotation settings, when configured.
    #[schema(value_type = Option<Object>)]
    pub rotation: Option<serde_json::Value>,
}

/// One version's metadata (never its value).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionInfo {
    pub version_id: String,
    pub stages: Vec<String>,
    pub created_at: String,
    /// ARN of the principal that wrote it.
    pub created_by: Option<String>,
    /// `string` or `binary`.
    pub kind: String,
}

/// Answer to a create or a put.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WriteSecretResult {
    pub secret: SecretInfo,
    /// The version written; null for a create without a value.
    pub version: Option<VersionInfo>,
    /// Whether the secret was created by this request.
    pub created: bool,
}

/// Query of `GET /v1/secrets/{name}`: a version id, or a staging label
/// (`AWSCURRENT` when neither is given).
#[derive(Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadQuery {
    pub version_id: Option<String>,
    pub stage: Option<String>,
}

/// A secret value. Exactly one of `value` (text) and `value_base64` (binary) is set.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecretValue {
    pub name: String,
    pub arn: String,
    pub version_id: String,
    pub stages: Vec<String>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub value: Option<SecretString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub value_base64: Option<SecretString>,
}

/// Query of `GET /v1/secrets`.
#[derive(Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only names starting with this.
    pub prefix: Option<String>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<usize>,
    /// From the previous page's `next_token`.
    pub next_token: Option<String>,
    /// Include secrets scheduled for deletion.
    #[serde(default)]
    pub include_deleted: bool,
    /// With `false`, only names directly under `prefix` (default true).
    pub recursive: Option<bool>,
}

/// A page of secrets.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecretList {
    pub secrets: Vec<SecretInfo>,
    /// Present when more may follow.
    pub next_token: Option<String>,
}

/// A secret's versions, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct History {
    pub name: String,
    pub arn: String,
    pub versions: Vec<VersionInfo>,
}

/// Query of `DELETE /v1/secrets/{name}`.
#[derive(Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// 7–30 days (default 30).
    pub recovery_window_days: Option<i64>,
    /// Purge now, without a recovery window.
    #[serde(default)]
    pub force: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Deleted {
    pub name: String,
    pub arn: String,
    /// When the secret will be purged; null when purged now.
    pub deletion_date: Option<String>,
    pub purged: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Restored {
    pub name: String,
    pub arn: String,
    pub restored: bool,
}
