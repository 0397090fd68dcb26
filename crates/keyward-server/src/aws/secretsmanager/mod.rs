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

use super::AwsCtx;
use crate::action::Action;
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::ops::{self, AWSCURRENT};
use base64::Engine;
use keyward_crypto::SecretBytes;
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

pub(super) fn opt_str<'a>(input: &'a Value, field: &str) -> Result<Option<&'a str>, ApiError> {
    super::opt_str(input, field, serialization)
}

pub(super) fn opt_bool(input: &Value, field: &str) -> Result<Option<bool>, ApiError> {
    super::opt_bool(input, field, serialization)
}

pub(super) fn opt_i64(input: &Value, field: &str) -> Result<Option<i64>, ApiError> {
    super::opt_i64(input, field, serialization)
}

/// A required string field (AWS: `ValidationException` when it is missing).
pub(super) fn req_str<'a>(input: &'a Value, field: &str) -> Result<&'a str, ApiError> {
    opt_str(input, field)?.ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(field)
        ))
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `SecretId`: a name, a full ARN or a partial ARN, 1–2048 characters.
pub(super) fn secret_id(input: &Value) -> Result<&str, ApiError> {
    let id = req_str(input, "SecretId")?;
    if id.is_empty() || id.len() > 2048 {
        return Err(validation(
            "1 validation error detected: Value at 'secretId' failed to satisfy constraint: Member must have length between 1 and 2048",
        ));
    }
    Ok(id)
}

/// Optional list of strings.
pub(super) fn opt_str_list(input: &Value, field: &str) -> Result<Option<Vec<String>>, ApiError> {
    super::opt_str_list(input, field, serialization)
}

/// `ClientRequestToken`: 32–64 characters when given.
pub(super) fn client_token(input: &Value) -> Result<Option<String>, ApiError> {
    match opt_str(input, "ClientRequestToken")? {
        None => Ok(None),
        Some(t) => {
            if t.chars().count() < 32 || t.chars().count() > 64 {
                return Err(ApiError::InvalidParameter(
                    "ClientRequestToken must be 32-64 characters long.".into(),
                ));
            }
            Ok(Some(t.to_string()))
        }
    }
}

/// `SecretString` / `SecretBinary` (base64 in JSON); at most one of them.
pub(super) fn secret_value(input: &Value) -> Result<Option<ops::Value>, ApiError> {
    let string = opt_str(input, "SecretString")?;
    let binary = opt_str(input, "SecretBinary")?;
    let value = match (string, binary) {
        (Some(_), Some(_)) => {
            return Err(ApiError::InvalidParameter(
                "You can't specify both a binary secret value and a string secret value in the same secret.".into(),
            ));
        }
        (Some(s), None) => ops::Value {
            kind: ValueKind::String,
            bytes: SecretBytes::new(s.as_bytes().to_vec()),
        },
        (None, Some(b)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b)
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

/// `Tags`: `[{"Key": .., "Value": ..}]`.
pub(super) fn tags(input: &Value, field: &str) -> Result<Option<Vec<Tag>>, ApiError> {
    let items = match input.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(serialization(format!("{field} must be a list of tags"))),
    };
    let mut out: Vec<Tag> = Vec::with_capacity(items.len());
    for item in items {
        let key = opt_str(item, "Key")?
            .ok_or_else(|| ApiError::InvalidParameter("Every tag needs a Key.".into()))?;
        let value = opt_str(item, "Value")?.unwrap_or("");
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(ApiError::InvalidParameter(
                "Tag keys must be 1-128 characters and tag values at most 256 characters.".into(),
            ));
        }
        match out.iter_mut().find(|t| t.key == key) {
            Some(t) => t.value = value.to_string(),
            None => out.push(Tag {
                key: key.to_string(),
                value: value.to_string(),
            }),
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

pub(super) fn tags_json(tags: &[Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({"Key": t.key, "Value": t.value}))
            .collect(),
    )
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

/// DescribeSecret / ListSecrets entry. `versions_key` is `VersionIdsToStages` for
/// DescribeSecret and `SecretVersionsToStages` for ListSecrets.
pub(super) fn describe_json(
    secret: &Secret,
    versions: &[Version],
    rotation: Option<&keyward_store::Rotation>,
    versions_key: &str,
) -> Value {
    let mut o = Map::new();
    o.insert("ARN".into(), json!(secret.arn));
    o.insert("Name".into(), json!(secret.name));
    if let Some(d) = secret.description.as_deref().filter(|d| !d.is_empty()) {
        o.insert("Description".into(), json!(d));
    }
    if let Some(k) = &secret.kms_key_id {
        o.insert("KmsKeyId".into(), json!(k));
    }
    if let Some(rot) = rotation {
        rotate::describe_into(&mut o, rot);
    }
    o.insert("LastChangedDate".into(), super::epoch(secret.updated_at));
    o.insert("CreatedDate".into(), super::epoch(secret.created_at));
    if let Some(at) = secret.last_accessed_at {
        o.insert("LastAccessedDate".into(), super::epoch(at));
    }
    if let Some(at) = secret.deleted_at {
        o.insert("DeletedDate".into(), super::epoch(at));
    }
    let tagged = secret.metadata.get("TagsSet").and_then(Value::as_bool) == Some(true);
    if !secret.tags.is_empty() || tagged {
        o.insert("Tags".into(), tags_json(&secret.tags));
    }
    let vts = versions_to_stages(versions);
    if !vts.is_empty() {
        if versions_key == "VersionIdsToStages" {
            // Raw-JSON clients written against other emulators read ListSecrets'
            // name here too; SDKs ignore the extra member.
            o.insert("SecretVersionsToStages".into(), Value::Object(vts.clone()));
        }
        o.insert(versions_key.into(), Value::Object(vts));
    }
    if let Some(svc) = owning_service(secret) {
        o.insert("OwningService".into(), json!(svc));
    }
    if let Some(p) = primary_region(secret) {
        o.insert("PrimaryRegion".into(), json!(p));
    }
    let reps = replicas(secret);
    if !reps.is_empty() {
        o.insert("ReplicationStatus".into(), Value::Array(reps));
    }
    Value::Object(o)
}

/// `{"ARN", "Name"}` plus `VersionId` when one applies.
pub(super) fn short_json(secret: &Secret, version_id: Option<&str>) -> Value {
    let mut o = json!({"ARN": secret.arn, "Name": secret.name});
    if let Some(v) = version_id {
        o["VersionId"] = json!(v);
    }
    let reps = replicas(secret);
    if !reps.is_empty() {
        o["ReplicationStatus"] = Value::Array(reps);
    }
    o
}

/// GetSecretValue's answer for one version.
pub(super) fn value_json(secret: &Secret, version: &Version, value: &ops::Value) -> Value {
    let mut o = json!({
        "ARN": secret.arn,
        "Name": secret.name,
        "VersionId": version.version_id,
        "VersionStages": version.stages,
        "CreatedDate": super::epoch(version.created_at),
    });
    match value.kind {
        ValueKind::String => {
            o["SecretString"] = json!(String::from_utf8_lossy(value.bytes.expose()))
        }
        ValueKind::Binary => {
            o["SecretBinary"] =
                json!(base64::engine::general_purpose::STANDARD.encode(value.bytes.expose()))
        }
    }
    o
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
