//! RotateSecret and CancelRotateSecret.
//!
//! keyward runs no Lambda functions. Rotation settings (`RotationRules`,
//! `RotationLambdaARN`) are recorded as given, and a rotation happens one of two ways:
//! - client-driven: `RotateImmediately: false` (or a configured Lambda ARN, which
//!   keyward cannot invoke) returns a new `VersionId`; the client writes the new
//!   value with `PutSecretValue(ClientRequestToken=VersionId, VersionStages=[AWSPENDING])`
//!   and promotes it with `UpdateSecretVersionStage(AWSCURRENT, MoveToVersionId=..)`,
//!   exactly the steps a rotation Lambda performs;
//! - immediate, without a Lambda: the current value is re-issued as a new version
//!   under the request token and moved to `AWSCURRENT` (the old one becomes
//!   `AWSPREVIOUS`), so consumers that pin version ids see a rotation.

use super::{client_token, opt_bool, opt_str, secret_id};
use crate::aws::{AwsCtx, epoch, invalid_param};
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::ops::{AWSCURRENT, AWSPENDING};
use keyward_store::{Secret, SecretPatch, VersionSelector};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

fn rotation_map(secret: &Secret) -> Map<String, Value> {
    secret
        .rotation
        .as_ref()
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

async fn save(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    secret: &Secret,
    rot: Map<String, Value>,
) -> Result<Secret, ApiError> {
    ctx.st
        .write(audit, async |w| {
            ctx.st
                .store
                .update_secret(
                    secret.id,
                    SecretPatch {
                        rotation: Some(Some(Value::Object(rot))),
                        ..Default::default()
                    },
                    w,
                )
                .await
        })
        .await
}

fn rules(input: &Value) -> Result<Option<Map<String, Value>>, ApiError> {
    let r = match input.get("RotationRules") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(_) => {
            return Err(super::serialization(
                "RotationRules must be an object".into(),
            ));
        }
    };
    let mut out = Map::new();
    if let Some(d) = super::opt_i64(&Value::Object(r.clone()), "AutomaticallyAfterDays")? {
        if !(1..=1000).contains(&d) {
            return Err(invalid_param(
                "RotationRules.AutomaticallyAfterDays must be within 1-1000.",
            ));
        }
        out.insert("AutomaticallyAfterDays".into(), json!(d));
    }
    for key in ["ScheduleExpression", "Duration"] {
        if let Some(v) = opt_str(&Value::Object(r.clone()), key)? {
            if v.is_empty() || v.len() > 256 {
                return Err(invalid_param(format!(
                    "RotationRules.{key} must be 1-256 characters."
                )));
            }
            out.insert(key.into(), json!(v));
        }
    }
    Ok(Some(out))
}

fn next_rotation(rot: &Map<String, Value>, from: OffsetDateTime) -> Option<Value> {
    let days = rot
        .get("RotationRules")
        .and_then(|r| r.get("AutomaticallyAfterDays"))
        .and_then(Value::as_i64)?;
    Some(epoch(from + time::Duration::days(days)))
}

pub async fn rotate(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let token = client_token(input)?;
    let lambda = opt_str(input, "RotationLambdaARN")?;
    if lambda.is_some_and(|l| l.len() > 2048) {
        return Err(invalid_param(
            "RotationLambdaARN must <= 2048 characters long.",
        ));
    }
    let new_rules = rules(input)?;
    let immediately = opt_bool(input, "RotateImmediately")?.unwrap_or(true);
    let secret = ctx.lookup(audit, "RotateSecret", id).await?;
    if super::primary_region(&secret).is_some() {
        return Err(super::replication::replica_error());
    }
    if secret.deleted_at.is_some() {
        return Err(super::marked_deleted());
    }
    let versions = ctx.versions(&secret).await?;
    let holder = |stage: &str| {
        versions
            .iter()
            .find(|v| v.stages.iter().any(|s| s == stage))
            .map(|v| v.version_id.clone())
    };
    let current = holder(AWSCURRENT);
    if let Some(p) = holder(AWSPENDING) {
        if Some(&p) != current.as_ref() {
            return Err(ApiError::InvalidRequest(
                "A previous rotation isn't complete. That rotation will be reattempted.".into(),
            ));
        }
        // The last rotation finished (AWSPENDING rode along onto AWSCURRENT): clear it.
        ctx.st
            .write(audit, async |w| {
                ctx.st
                    .store
                    .move_stage(secret.id, AWSPENDING, None, Some(&p), w)
                    .await
            })
            .await?;
    }
    let now = OffsetDateTime::now_utc();
    let mut rot = rotation_map(&secret);
    if let Some(l) = lambda {
        rot.insert("RotationLambdaARN".into(), json!(l));
    }
    if let Some(r) = new_rules {
        rot.insert("RotationRules".into(), Value::Object(r));
    }
    let has_rules = rot
        .get("RotationRules")
        .and_then(Value::as_object)
        .is_some_and(|r| !r.is_empty());
    rot.insert("RotationEnabled".into(), json!(has_rules));
    let has_lambda = rot
        .get("RotationLambdaARN")
        .and_then(Value::as_str)
        .is_some_and(|l| !l.is_empty());
    let version_id = token.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut answer_version = None;
    if let Some(cur) = &current {
        if immediately && !has_lambda {
            let (_, value) = ctx
                .st
                .read_version(audit, &secret, &VersionSelector::Id(cur.clone()))
                .await?;
            let out = ctx
                .st
                .put_value(
                    ctx.caller,
                    audit,
                    &secret,
                    &value,
                    Some(version_id.clone()),
                    vec![AWSCURRENT.to_string()],
                )
                .await?;
            answer_version = Some(out.version().version_id.clone());
            rot.remove("PendingVersionId");
            rot.insert("LastRotatedDate".into(), epoch(now));
        } else {
            audit.version(version_id.clone());
            rot.insert("PendingVersionId".into(), json!(version_id));
            answer_version = Some(version_id);
        }
    }
    match next_rotation(&rot, now) {
        Some(n) => rot.insert("NextRotationDate".into(), n),
        None => rot.remove("NextRotationDate"),
    };
    rot.entry("LastRotatedDate").or_insert(Value::Null);
    let secret = save(ctx, audit, &secret, rot).await?;
    Ok(super::short_json(&secret, answer_version.as_deref()))
}

/// Called when AWSCURRENT moves onto the pending version (a completed
/// client-driven rotation).
pub async fn note_rotated(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    secret: &Secret,
) -> Result<(), ApiError> {
    if secret.rotation.is_none() {
        return Ok(());
    }
    let now = OffsetDateTime::now_utc();
    let mut rot = rotation_map(secret);
    rot.remove("PendingVersionId");
    rot.insert("LastRotatedDate".into(), epoch(now));
    if let Some(n) = next_rotation(&rot, now) {
        rot.insert("NextRotationDate".into(), n);
    }
    save(ctx, audit, secret, rot).await?;
    Ok(())
}

pub async fn cancel(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let secret = ctx.lookup(audit, "CancelRotateSecret", id).await?;
    if super::primary_region(&secret).is_some() {
        return Err(super::replication::replica_error());
    }
    if secret.deleted_at.is_some() {
        return Err(ApiError::InvalidRequest(
            "You tried to perform the operation on a secret that's currently marked deleted."
                .into(),
        ));
    }
    let mut rot = rotation_map(&secret);
    if rot.is_empty() {
        return Err(ApiError::InvalidRequest(
            "You tried to cancel rotation on a secret that doesn't have rotation configured."
                .into(),
        ));
    }
    let pending = rot
        .remove("PendingVersionId")
        .and_then(|v| v.as_str().map(str::to_string));
    rot.insert("RotationEnabled".into(), json!(false));
    rot.remove("NextRotationDate");
    let secret = save(ctx, audit, &secret, rot).await?;
    Ok(super::short_json(&secret, pending.as_deref()))
}
