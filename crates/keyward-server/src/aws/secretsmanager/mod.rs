//! Secrets Manager operations (`X-Amz-Target: secretsmanager.<Op>`).
//!
//! Each handler validates its input the way AWS does, authorizes
//! `secretsmanager:<Op>` against the secret's ARN (or, for a secret that does not
//! exist, against the ARN it would have, so a denied caller learns nothing about
//! existence), fills in the audit record and answers in AWS's shapes. Values are
//! never part of an error message or a log line.

mod list;
mod manage;
mod misc;
mod replication;
mod rotate;
mod values;
pub mod wire;

use super::AwsCtx;
use super::wire::{Timestamp, answer, required};
use crate::action::Action;
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::ops::{self, AWSCURRENT};
use base64::Engine;
use keyward_crypto::{SecretBytes, SecretString};
use keyward_store::{Namespace, Secret, Tag, ValueKind, Version};
use serde_json::{Map, Value, json};

pub async fn dispatch(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    action: Action,
    input: &Value,
) -> Result<Value, ApiError> {
    let out = route(ctx, audit, action, input).await?;
    // Replicas follow their primary: re-copy after any change to it.
    if action.changes_replicas()
        && let Some(arn) = audit.event.resource.clone()
    {
        replication::propagate(ctx.st, &arn).await;
    }
    Ok(out)
}

async fn route(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    action: Action,
    input: &Value,
) -> Result<Value, ApiError> {
    use Action as A;
    match action {
        A::CreateSecret => values::create(ctx, audit, input).await,
        A::GetSecretValue => values::get(ctx, audit, input).await,
        A::BatchGetSecretValue => values::batch_get(ctx, audit, input).await,
        A::PutSecretValue => values::put(ctx, audit, input).await,
        A::UpdateSecret => values::update(ctx, audit, input).await,
        A::DescribeSecret => manage::describe(ctx, audit, input).await,
        A::ListSecrets => list::list(ctx, audit, input).await,
        A::ListSecretVersionIds => manage::list_version_ids(ctx, audit, input).await,
        A::UpdateSecretVersionStage => manage::update_version_stage(ctx, audit, input).await,
        A::DeleteSecret => manage::delete(ctx, audit, input).await,
        A::RestoreSecret => manage::restore(ctx, audit, input).await,
        A::TagResource => manage::tag(ctx, audit, input).await,
        A::UntagResource => manage::untag(ctx, audit, input).await,
        A::RotateSecret => rotate::rotate(ctx, audit, input).await,
        A::CancelRotateSecret => rotate::cancel(ctx, audit, input).await,
        A::GetRandomPassword => misc::random_password(ctx, input),
        A::PutResourcePolicy => misc::put_policy(ctx, audit, input).await,
        A::GetResourcePolicy => misc::get_policy(ctx, audit, input).await,
        A::DeleteResourcePolicy => misc::delete_policy(ctx, audit, input).await,
        A::ValidateResourcePolicy => misc::validate_policy(ctx, audit, input).await,
        A::ReplicateSecretToRegions => replication::replicate(ctx, audit, input).await,
        A::RemoveRegionsFromReplication => replication::remove_regions(ctx, audit, input).await,
        A::StopReplicationToReplica => replication::stop_replication(ctx, audit, input).await,
        // `Action::from_aws` resolves only the operations above for this service.
        other => Err(ApiError::Aws {
            status: 400,
            aws_type: "UnknownOperationException",
            message: format!(
                "Unknown operation secretsmanager.{}",
                other.aws_operation().unwrap_or_default()
            ),
        }),
    }
}

// ---- input helpers -----------------------------------------------------------

/// A field of the wrong JSON type: AWS answers `SerializationException`.
pub(super) fn serialization(message: String) -> ApiError {
    ApiError::Aws {
        status: 400,
        aws_type: "SerializationException",
        message,
    }
}

/// A constraint violation caught by AWS's request model (`ValidationException`).
pub(super) fn validation(message: impl Into<String>) -> ApiError {
    super::validation(message)
}

/// `SecretId`: a name, a full ARN or a partial ARN, 1–2048 characters.
pub(super) fn secret_id(id: Option<&str>) -> Result<&str, ApiError> {
    let id = required(id, "SecretId")?;
    if id.is_empty() || id.len() > 2048 {
        return Err(validation(
            "1 validation error detected: Value at 'secretId' failed to satisfy constraint: Member must have length between 1 and 2048",
        ));
    }
    Ok(id)
}

/// `ClientRequestToken`: 32–64 characters when given.
pub(super) fn client_token(token: Option<String>) -> Result<Option<String>, ApiError> {
    if let Some(t) = &token
        && (t.chars().count() < 32 || t.chars().count() > 64)
    {
        return Err(ApiError::InvalidParameter(
            "ClientRequestToken must be 32-64 characters long.".into(),
        ));
    }
    Ok(token)
}

/// `SecretString` / `SecretBinary` (base64 in JSON); at most one of them.
pub(super) fn secret_value(
    string: Option<SecretString>,
    binary: Option<SecretString>,
) -> Result<Option<ops::Value>, ApiError> {
    let value = match (string, binary) {
        (Some(_), Some(_)) => {
            return Err(ApiError::InvalidParameter(
                "You can't specify both a binary secret value and a string secret value in the same secret.".into(),
            ));
        }
        (Some(s), None) => ops::Value {
            kind: ValueKind::String,
            bytes: SecretBytes::new(s.expose().as_bytes().to_vec()),
        },
        (None, Some(b)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b.expose())
                .map_err(|_| serialization("SecretBinary is not valid base64".into()))?;
            ops::Value {
                kind: ValueKind::Binary,
                bytes: SecretBytes::new(bytes),
            }
        }
        (None, None) => return Ok(None),
    };
    if value.bytes.expose().len() > ops::MAX_VALUE_BYTES {
        return Err(ApiError::InvalidParameter(format!(
            "The secret value is larger than the {} byte limit.",
            ops::MAX_VALUE_BYTES
        )));
    }
    Ok(Some(value))
}

/// `Tags`: each with a Key, later duplicates replacing earlier ones.
pub(super) fn tags(items: Option<Vec<wire::Tag>>) -> Result<Option<Vec<Tag>>, ApiError> {
    let Some(items) = items else {
        return Ok(None);
    };
    let mut out: Vec<Tag> = Vec::with_capacity(items.len());
    for item in items {
        let key = item
            .Key
            .ok_or_else(|| ApiError::InvalidParameter("Every tag needs a Key.".into()))?;
        let value = item.Value.unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(ApiError::InvalidParameter(
                "Tag keys must be 1-128 characters and tag values at most 256 characters.".into(),
            ));
        }
        match out.iter_mut().find(|t| t.key == key) {
            Some(t) => t.value = value,
            None => out.push(Tag { key, value }),
        }
    }
    if out.len() > 50 {
        return Err(ApiError::InvalidParameter(
            "A secret can have at most 50 tags.".into(),
        ));
    }
    Ok(Some(out))
}

// ---- errors --------------------------------------------------------------------

pub(super) fn not_found() -> ApiError {
    ApiError::NotFound("Secrets Manager can't find the specified secret.".into())
}

pub(super) fn marked_deleted() -> ApiError {
    ApiError::InvalidRequest(
        "You tried to perform the operation on a secret that's currently marked deleted.".into(),
    )
}

/// Writes to a secret scheduled for deletion.
pub(super) fn marked_for_deletion() -> ApiError {
    ApiError::InvalidRequest(
        "You can't perform this operation on the secret because it was marked for deletion.".into(),
    )
}

/// The secret's metadata object with `key` set to `value`.
pub(super) fn with_meta(secret: &Secret, key: &str, value: Value) -> Value {
    let mut m = match &secret.metadata {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    m.insert(key.to_string(), value);
    Value::Object(m)
}

// ---- lookup + authorization -----------------------------------------------------

impl AwsCtx<'_> {
    /// The ARN a missing secret would be authorized against.
    pub(super) fn would_be_secret_arn(&self, id: &str) -> String {
        if id.starts_with("arn:") {
            id.to_string()
        } else {
            self.st.would_be_arn(Namespace::Secrets, &self.region, id)
        }
    }

    /// Finds the secret (in this region), authorizes `action` on it (or on its
    /// would-be ARN when missing) and records it in the audit event.
    pub(super) async fn lookup_opt(
        &self,
        audit: &mut Audit,
        action: Action,
        id: &str,
    ) -> Result<Option<Secret>, ApiError> {
        let found = self
            .st
            .find_secret(Namespace::Secrets, &self.region, id)
            .await?
            .filter(|s| s.region == self.region && s.namespace == Namespace::Secrets);
        self.st
            .authorize_secret(self.caller, audit, self.origin(), id, action, found)
    }

    /// Like [`lookup_opt`], with a missing secret as `ResourceNotFoundException`.
    pub(super) async fn lookup(
        &self,
        audit: &mut Audit,
        action: Action,
        id: &str,
    ) -> Result<Secret, ApiError> {
        self.lookup_opt(audit, action, id)
            .await?
            .ok_or_else(not_found)
    }

    pub(super) async fn versions(&self, secret: &Secret) -> Result<Vec<Version>, ApiError> {
        self.st
            .store
            .list_versions(secret.id)
            .await
            .map_err(ApiError::from)
    }
}

// ---- response shapes --------------------------------------------------------------

/// `{versionId: [stages]}` for the versions that have staging labels.
pub(super) fn versions_to_stages(versions: &[Version]) -> Map<String, Value> {
    versions
        .iter()
        .filter(|v| !v.stages.is_empty())
        .map(|v| (v.version_id.clone(), json!(v.stages)))
        .collect()
}

pub(super) fn tags_out(tags: &[Tag]) -> Vec<wire::TagOut> {
    tags.iter()
        .map(|t| wire::TagOut {
            Key: t.key.clone(),
            Value: t.value.clone(),
        })
        .collect()
}

/// Replication status entries kept in the secret's metadata.
pub(super) fn replicas(secret: &Secret) -> Vec<Value> {
    secret
        .metadata
        .get("ReplicationStatus")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

pub(super) fn primary_region(secret: &Secret) -> Option<&str> {
    secret.metadata.get("PrimaryRegion").and_then(Value::as_str)
}

pub(super) fn owning_service(secret: &Secret) -> Option<&str> {
    secret
        .tags
        .iter()
        .find(|t| t.key == "aws:secretsmanager:owningService")
        .map(|t| t.value.as_str())
}

/// DescribeSecret's answer (`listed`: false) or a ListSecrets entry (`listed`: true).
pub(super) fn describe_out(
    secret: &Secret,
    versions: &[Version],
    rotation: Option<&keyward_store::Rotation>,
    listed: bool,
) -> wire::DescribeSecretResponse {
    let tagged = secret.metadata.get("TagsSet").and_then(Value::as_bool) == Some(true);
    let vts = Some(versions_to_stages(versions)).filter(|m| !m.is_empty());
    let mut out = wire::DescribeSecretResponse {
        ARN: secret.arn.clone(),
        Name: secret.name.clone(),
        Description: secret.description.clone().filter(|d| !d.is_empty()),
        KmsKeyId: secret.kms_key_id.clone(),
        RotationEnabled: None,
        RotationLambdaARN: None,
        RotationRules: None,
        LastRotatedDate: None,
        NextRotationDate: None,
        LastChangedDate: Timestamp(secret.updated_at),
        CreatedDate: Timestamp(secret.created_at),
        LastAccessedDate: secret.last_accessed_at.map(Timestamp),
        DeletedDate: secret.deleted_at.map(Timestamp),
        Tags: (!secret.tags.is_empty() || tagged).then(|| tags_out(&secret.tags)),
        // Raw-JSON clients written against other emulators read ListSecrets'
        // name in DescribeSecret too; SDKs ignore the extra member.
        SecretVersionsToStages: vts.clone(),
        VersionIdsToStages: if listed { None } else { vts },
        OwningService: owning_service(secret).map(str::to_string),
        PrimaryRegion: primary_region(secret).map(str::to_string),
        ReplicationStatus: replicas(secret),
    };
    if let Some(rot) = rotation {
        rotate::describe_into(&mut out, rot);
    }
    out
}

/// `{"ARN", "Name"}` plus `VersionId` when one applies.
pub(super) fn short_out(secret: &Secret, version_id: Option<&str>) -> Value {
    answer(&wire::SecretRef {
        ARN: secret.arn.clone(),
        Name: secret.name.clone(),
        VersionId: version_id.map(str::to_string),
        ReplicationStatus: replicas(secret),
    })
}

/// `{"ARN", "Name"}` alone.
pub(super) fn arn_name(secret: &Secret) -> Value {
    answer(&wire::SecretRef {
        ARN: secret.arn.clone(),
        Name: secret.name.clone(),
        ..Default::default()
    })
}

/// GetSecretValue's answer for one version.
pub(super) fn value_out(
    secret: &Secret,
    version: &Version,
    value: &ops::Value,
) -> wire::GetSecretValueResponse {
    let (string, binary) = match value.kind {
        ValueKind::String => (
            Some(SecretString::new(
                String::from_utf8_lossy(value.bytes.expose()).into_owned(),
            )),
            None,
        ),
        ValueKind::Binary => (
            None,
            Some(SecretString::new(
                base64::engine::general_purpose::STANDARD.encode(value.bytes.expose()),
            )),
        ),
    };
    wire::GetSecretValueResponse {
        ARN: secret.arn.clone(),
        Name: secret.name.clone(),
        VersionId: version.version_id.clone(),
        SecretBinary: binary,
        SecretString: string,
        VersionStages: version.stages.clone(),
        CreatedDate: Timestamp(version.created_at),
    }
}

/// Whether a stored version holds the same plaintext as `value`.
pub(super) fn same_value(
    ctx: &AwsCtx<'_>,
    secret: &Secret,
    version: &Version,
    value: &ops::Value,
) -> Result<bool, ApiError> {
    ctx.st.same_value(secret, version, value)
}

pub(super) fn default_stages() -> Vec<String> {
    vec![AWSCURRENT.to_string()]
}

/// Opaque pagination token: a base64 offset.
pub(super) fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

pub(super) fn decode_token(token: Option<&str>) -> Result<usize, ApiError> {
    let Some(t) = token else { return Ok(0) };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("o:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| ApiError::InvalidParameter("Invalid NextToken.".into()))
}
