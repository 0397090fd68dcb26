//! `/v1/principals`, `/v1/keys`, `/v1/policies`, `/v1/audit`.

use crate::Tag;
use keyward_crypto::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Body of `POST /v1/principals`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrincipal {
    /// 1–64 of `A-Za-z0-9+=,.@_-`, as IAM user names.
    pub name: String,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A principal as stored (on create).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrincipalRecord {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub tags: Vec<Tag>,
    pub created_at: String,
}

/// Answer to `POST /v1/principals`: the principal and its first access key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedPrincipal {
    pub principal: PrincipalRecord,
    pub access_key_id: String,
    /// Shown once, here.
    #[schema(value_type = String)]
    pub secret_access_key: SecretString,
}

/// A principal with its keys and attached policies.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrincipalInfo {
    pub name: String,
    pub arn: String,
    pub tags: Vec<Tag>,
    pub created_at: String,
    pub access_key_ids: Vec<String>,
    pub policies: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrincipalList {
    pub principals: Vec<PrincipalInfo>,
}

/// Answer to `POST /v1/principals/{name}/keys`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedKey {
    /// The principal's name.
    pub principal: String,
    pub access_key_id: String,
    /// Shown once, here.
    #[schema(value_type = String)]
    pub secret_access_key: SecretString,
}

/// Answer to a delete of a principal, key or policy: what was deleted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeletedName {
    pub deleted: String,
}

/// A policy without its document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicySummary {
    pub name: String,
    pub arn: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyList {
    pub policies: Vec<PolicySummary>,
}

/// A policy with its IAM JSON document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyInfo {
    pub name: String,
    pub arn: String,
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    pub updated_at: String,
}

/// Answer to attaching (`PUT`) or detaching (`DELETE`) a policy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub principal: String,
    pub policy: String,
    pub attached: bool,
}

/// Query of `GET /v1/audit`.
#[derive(Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// A secret's name or ARN.
    pub secret: Option<String>,
    /// A principal's name or ARN.
    pub principal: Option<String>,
    /// success, denied, unauthenticated, not_found, invalid or error.
    pub outcome: Option<String>,
    /// RFC 3339.
    pub since: Option<String>,
    /// Records after this sequence number, oldest first (otherwise newest first).
    pub after_seq: Option<i64>,
    /// At most 10,000 (default 100).
    pub limit: Option<usize>,
}

/// Audit records as stored in the chain (see the README for their fields).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditRecords {
    /// An array of records.
    #[schema(value_type = Vec<Object>)]
    pub records: serde_json::Value,
}

/// What verifying the audit chain found.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditVerification {
    pub records: usize,
    pub ok: bool,
    pub problems: Vec<String>,
}
