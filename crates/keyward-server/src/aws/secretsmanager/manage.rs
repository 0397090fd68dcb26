//! DescribeSecret, ListSecretVersionIds, UpdateSecretVersionStage, DeleteSecret,
//! RestoreSecret, TagResource, UntagResource.

use super::{arn_name, decode_token, describe_out, encode_token, replicas, secret_id, tags, wire};
use crate::action::Action;
use crate::aws::wire::{Timestamp, answer, required};
use crate::aws::{AwsCtx, invalid_param};
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::lifecycle;
use crate::ops::{AWSCURRENT, AWSPENDING};
use keyward_store::{Secret, SecretPatch, Tag};
use serde_json::Value;

pub async fn describe(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::DescribeSecretRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let secret = ctx.lookup(audit, Action::DescribeSecret, id).await?;
    let versions = ctx.versions(&secret).await?;
    let rotation = ctx.st.store.get_rotation(secret.id).await?;
    Ok(answer(&describe_out(
        &secret,
        &versions,
        rotation.as_ref(),
        false,
    )))
}

pub async fn list_version_ids(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::ListSecretVersionIdsRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let include_deprecated = req.IncludeDeprecated.unwrap_or(false);
    let max = match req.MaxResults {
        None => 100,
        Some(m) if (1..=100).contains(&m) => m as usize,
        Some(_) => return Err(invalid_param("MaxResults must be between 1 and 100.")),
    };
    let offset = decode_token(req.NextToken.as_deref())?;
    let secret = ctx.lookup(audit, Action::ListSecretVersionIds, id).await?;
    let mut versions = ctx.versions(&secret).await?;
    versions.retain(|v| include_deprecated || !v.stages.is_empty());
    versions.reverse(); // newest first
    let page = versions
        .iter()
        .skip(offset)
        .take(max)
        .map(|v| wire::SecretVersionsListEntry {
            VersionId: v.version_id.clone(),
            VersionStages: v.stages.clone(),
            CreatedDate: Timestamp(v.created_at),
            KmsKeyIds: secret.kms_key_id.clone().map(|k| vec![k]),
        })
        .collect();
    Ok(answer(&wire::ListSecretVersionIdsResponse {
        Versions: page,
        NextToken: (offset + max < versions.len()).then(|| encode_token(offset + max)),
        ARN: secret.arn,
        Name: secret.name,
    }))
}

pub async fn update_version_stage(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::UpdateSecretVersionStageRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let stage = required(req.VersionStage.as_deref(), "VersionStage")?;
    if stage.is_empty() || stage.len() > 256 {
        return Err(invalid_param("VersionStage must be 1-256 characters."));
    }
    let remove_from = req.RemoveFromVersionId.as_deref().filter(|s| !s.is_empty());
    let move_to = req.MoveToVersionId.as_deref().filter(|s| !s.is_empty());
    let secret = ctx
        .lookup(audit, Action::UpdateSecretVersionStage, id)
        .await?;
    if secret.deleted_at.is_some() {
        return Err(super::marked_deleted());
    }
    let versions = ctx.versions(&secret).await?;
    let find = |vid: &str| versions.iter().find(|v| v.version_id == vid);
    let holder = versions
        .iter()
        .find(|v| v.stages.iter().any(|s| s == stage));
    if let Some(from) = remove_from {
        let v = find(from).ok_or_else(|| invalid_param(format!("Not a valid version: {from}")))?;
        if !v.stages.iter().any(|s| s == stage) {
            return Err(invalid_param(format!(
                "Version stage {stage} not found in version {from}"
            )));
        }
    }
    if let Some(to) = move_to {
        find(to).ok_or_else(|| invalid_param(format!("Not a valid version: {to}")))?;
        audit.version(to.to_string());
    }
    match (holder, remove_from, move_to) {
        (Some(h), None, Some(to)) if h.version_id != to => {
            return Err(invalid_param(format!(
                "The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to version {}, so you must explicitly reference that version in RemoveFromVersionId.",
                h.version_id
            )));
        }
        (Some(h), None, None) if stage == AWSCURRENT => {
            return Err(invalid_param(format!(
                "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version {}, so you must explicitly reference that version in RemoveFromVersionId.",
                h.version_id
            )));
        }
        (_, Some(_), None) if stage == AWSCURRENT => {
            return Err(invalid_param(
                "You can't remove the staging label AWSCURRENT from a version without moving it to another version.",
            ));
        }
        (_, None, None) => return Ok(arn_name(&secret)),
        _ => {}
    }
    ctx.st
        .write(audit, async |w| {
            ctx.st
                .store
                .move_stage(secret.id, stage, move_to, remove_from, w)
                .await
        })
        .await?;
    if stage == AWSCURRENT {
        ctx.st.publish(&secret, "put", move_to.map(str::to_string));
        // Promoting the pending version completes a client-driven rotation.
        if let Some(to) = move_to
            && find(to).is_some_and(|v| v.stages.iter().any(|s| s == AWSPENDING))
        {
            super::rotate::note_rotated(ctx, audit, &secret, to).await?;
        }
    }
    Ok(arn_name(&secret))
}

pub async fn delete(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let req: wire::DeleteSecretRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let days = req.RecoveryWindowInDays;
    let force = req.ForceDeleteWithoutRecovery.unwrap_or(false);
    if let Some(d) = days {
        if !(7..=30).contains(&d) {
            return Err(invalid_param(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
            ));
        }
        if force {
            return Err(invalid_param(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
            ));
        }
    }
    let Some(secret) = ctx.lookup_opt(audit, Action::DeleteSecret, id).await? else {
        if force {
            // AWS answers a forced delete of a missing secret as done.
            let name = keyward_policy::arn::secret_name_from_arn(id).unwrap_or(id);
            return Ok(answer(&wire::DeleteSecretResponse {
                ARN: ctx.would_be_secret_arn(id),
                Name: name.to_string(),
                DeletionDate: Timestamp(time::OffsetDateTime::now_utc()),
            }));
        }
        return Err(super::not_found());
    };
    if super::primary_region(&secret).is_some() {
        return Err(super::replication::replica_error());
    }
    let reps = replicas(&secret);
    if !reps.is_empty() {
        let regions: Vec<&str> = reps
            .iter()
            .filter_map(|r| r.get("Region").and_then(Value::as_str))
            .collect();
        return Err(invalid_param(format!(
            "You can't delete secret {id} that still has replica regions [{}]",
            regions.join(",")
        )));
    }
    if secret.deleted_at.is_some() && !force {
        return Err(ApiError::InvalidRequest(
            "You tried to perform the operation on a secret that's currently marked deleted."
                .into(),
        ));
    }
    let at = lifecycle::delete_secret(ctx.st, &secret, days, force, audit).await?;
    let at = at.unwrap_or_else(time::OffsetDateTime::now_utc);
    Ok(answer(&wire::DeleteSecretResponse {
        ARN: secret.arn,
        Name: secret.name,
        DeletionDate: Timestamp(at),
    }))
}

pub async fn restore(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::RestoreSecretRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let secret = ctx.lookup(audit, Action::RestoreSecret, id).await?;
    if super::primary_region(&secret).is_some() {
        return Err(super::replication::replica_error());
    }
    if secret.deleted_at.is_some() {
        lifecycle::restore_secret(ctx.st, &secret, audit).await?;
    }
    Ok(arn_name(&secret))
}

pub async fn tag(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let req: wire::TagResourceRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let new = required(tags(req.Tags)?, "Tags")?;
    let secret = ctx.lookup(audit, Action::TagResource, id).await?;
    if super::primary_region(&secret).is_some() {
        return Err(super::replication::replica_error());
    }
    if new.iter().any(|t| t.key.starts_with("aws:")) {
        return Err(invalid_param(
            "Tag keys starting with aws: are reserved for AWS use.",
        ));
    }
    let mut merged = secret.tags.clone();
    for t in new {
        match merged.iter_mut().find(|m| m.key == t.key) {
            Some(m) => m.value = t.value,
            None => merged.push(t),
        }
    }
    if merged.len() > 50 {
        return Err(invalid_param("A secret can have at most 50 tags."));
    }
    set_tags(ctx, audit, &secret, merged).await?;
    Ok(answer(&wire::Empty {}))
}

/// Replaces a secret's tags (and remembers that tags were set, for DescribeSecret).
async fn set_tags(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    secret: &Secret,
    tags: Vec<Tag>,
) -> Result<(), ApiError> {
    ctx.st
        .write(audit, async |w| {
            ctx.st
                .store
                .update_secret(
                    secret.id,
                    SecretPatch {
                        tags: Some(tags),
                        metadata: Some(super::with_meta(
                            secret,
                            "TagsSet",
                            serde_json::json!(true),
                        )),
                        ..Default::default()
                    },
                    w,
                )
                .await
        })
        .await?;
    Ok(())
}

pub async fn untag(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let req: wire::UntagResourceRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let keys = required(req.TagKeys, "TagKeys")?;
    let secret = ctx.lookup(audit, Action::UntagResource, id).await?;
    if super::primary_region(&secret).is_some() {
        return Err(super::replication::replica_error());
    }
    let kept: Vec<_> = secret
        .tags
        .iter()
        .filter(|t| !keys.contains(&t.key))
        .cloned()
        .collect();
    if kept.len() != secret.tags.len() {
        set_tags(ctx, audit, &secret, kept).await?;
    }
    Ok(answer(&wire::Empty {}))
}
