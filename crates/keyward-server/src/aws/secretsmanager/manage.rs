//! DescribeSecret, ListSecretVersionIds, UpdateSecretVersionStage, DeleteSecret,
//! RestoreSecret, TagResource, UntagResource.

use super::{
    decode_token, describe_json, encode_token, opt_bool, opt_i64, opt_str, opt_str_list, replicas,
    req_str, secret_id, tags,
};
use crate::action::Action;
use crate::aws::{AwsCtx, epoch, invalid_param};
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::lifecycle;
use crate::ops::{AWSCURRENT, AWSPENDING};
use keyward_store::{Secret, SecretPatch, Tag};
use serde_json::{Value, json};

pub async fn describe(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let secret = ctx.lookup(audit, Action::DescribeSecret, id).await?;
    let versions = ctx.versions(&secret).await?;
    let rotation = ctx.st.store.get_rotation(secret.id).await?;
    Ok(describe_json(
        &secret,
        &versions,
        rotation.as_ref(),
        "VersionIdsToStages",
    ))
}

pub async fn list_version_ids(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let include_deprecated = opt_bool(input, "IncludeDeprecated")?.unwrap_or(false);
    let max = match opt_i64(input, "MaxResults")? {
        None => 100,
        Some(m) if (1..=100).contains(&m) => m as usize,
        Some(_) => return Err(invalid_param("MaxResults must be between 1 and 100.")),
    };
    let offset = decode_token(opt_str(input, "NextToken")?)?;
    let secret = ctx.lookup(audit, Action::ListSecretVersionIds, id).await?;
    let mut versions = ctx.versions(&secret).await?;
    versions.retain(|v| include_deprecated || !v.stages.is_empty());
    versions.reverse(); // newest first
    let page: Vec<Value> = versions
        .iter()
        .skip(offset)
        .take(max)
        .map(|v| {
            let mut o = json!({
                "VersionId": v.version_id,
                "VersionStages": v.stages,
                "CreatedDate": epoch(v.created_at),
            });
            if let Some(k) = &secret.kms_key_id {
                o["KmsKeyIds"] = json!([k]);
            }
            o
        })
        .collect();
    let mut out = json!({"ARN": secret.arn, "Name": secret.name, "Versions": page});
    if offset + max < versions.len() {
        out["NextToken"] = json!(encode_token(offset + max));
    }
    Ok(out)
}

pub async fn update_version_stage(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let stage = req_str(input, "VersionStage")?;
    if stage.is_empty() || stage.len() > 256 {
        return Err(invalid_param("VersionStage must be 1-256 characters."));
    }
    let remove_from = opt_str(input, "RemoveFromVersionId")?.filter(|s| !s.is_empty());
    let move_to = opt_str(input, "MoveToVersionId")?.filter(|s| !s.is_empty());
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
        (_, None, None) => return Ok(json!({"ARN": secret.arn, "Name": secret.name})),
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
    Ok(json!({"ARN": secret.arn, "Name": secret.name}))
}

pub async fn delete(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let days = opt_i64(input, "RecoveryWindowInDays")?;
    let force = opt_bool(input, "ForceDeleteWithoutRecovery")?.unwrap_or(false);
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
            return Ok(json!({
                "ARN": ctx.st.named_secret_arn(&ctx.region, id),
                "Name": name,
                "DeletionDate": epoch(time::OffsetDateTime::now_utc()),
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
    Ok(json!({"ARN": secret.arn, "Name": secret.name, "DeletionDate": epoch(at)}))
}

pub async fn restore(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let secret = ctx.lookup(audit, Action::RestoreSecret, id).await?;
    if super::primary_region(&secret).is_some() {
        return Err(super::replication::replica_error());
    }
    if secret.deleted_at.is_some() {
        lifecycle::restore_secret(ctx.st, &secret, audit).await?;
    }
    Ok(json!({"ARN": secret.arn, "Name": secret.name}))
}

pub async fn tag(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let new = tags(input, "Tags")?
        .ok_or_else(|| super::validation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"))?;
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
    Ok(json!({}))
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
    let id = secret_id(input)?;
    let keys = opt_str_list(input, "TagKeys")?
        .ok_or_else(|| super::validation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"))?;
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
    Ok(json!({}))
}
