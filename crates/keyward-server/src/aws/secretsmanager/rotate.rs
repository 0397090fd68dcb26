//! RotateSecret and CancelRotateSecret, on the rotation engine (`crate::rotation`).
//!
//! RotateSecret records the configuration (`RotationRules`, `RotationLambdaARN`,
//! typed in the store) and, when rotating now, stages `AWSPENDING` on a version
//! with no value under the `ClientRequestToken` (so DescribeSecret lists it and
//! GetSecretValue on it is `ResourceNotFoundException` until a PutSecretValue with
//! that token fills it). Then, case by case:
//! - a built-in rotator configured for the secret (`keyward rotation set`), or a
//!   Lambda ARN the server config maps to a `command`/`webhook` rotator: the
//!   engine runs the four steps before answering;
//! - a Lambda ARN mapped to nothing (or `RotateImmediately: false` without a
//!   rotator): the steps are left to the caller (client-driven, as AWS's
//!   templates do when run by hand);
//! - rules alone, rotating now: nothing can make a new value, so the current one
//!   is re-issued under the token as the new `AWSCURRENT` (as AWS emulators do);
//! - nothing configured, now or before: AWS's error.

use super::{client_token, secret_id, wire};
use crate::action::Action;
use crate::aws::wire::Timestamp;
use crate::aws::{AwsCtx, invalid_param};
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::rotation::{self, schedule::Rules};
use keyward_store::{Rotation, Secret};
use serde_json::Value;
use time::OffsetDateTime;

/// Checks `RotationRules`; `None` when none were given.
fn rules(
    ctx: &AwsCtx<'_>,
    r: Option<wire::RotationRulesType>,
) -> Result<Option<wire::RotationRulesType>, ApiError> {
    let Some(r) = r else { return Ok(None) };
    if r.AutomaticallyAfterDays
        .is_some_and(|d| !(1..=1000).contains(&d))
    {
        return Err(invalid_param(
            "RotationRules.AutomaticallyAfterDays must be within 1-1000.",
        ));
    }
    for (key, v) in [
        ("ScheduleExpression", &r.ScheduleExpression),
        ("Duration", &r.Duration),
    ] {
        if v.as_ref().is_some_and(|v| v.is_empty() || v.len() > 256) {
            return Err(invalid_param(format!(
                "RotationRules.{key} must be 1-256 characters."
            )));
        }
    }
    if r.AutomaticallyAfterDays.is_some() && r.ScheduleExpression.is_some() {
        return Err(invalid_param(
            "You can't specify both AutomaticallyAfterDays and ScheduleExpression.",
        ));
    }
    Rules::from_config(
        r.AutomaticallyAfterDays,
        r.ScheduleExpression.as_deref(),
        r.Duration.as_deref(),
        ctx.st.cfg.rotation.limits,
    )
    .map_err(invalid_param)?;
    Ok(Some(r))
}

/// DescribeSecret's rotation members.
pub(super) fn describe_into(o: &mut wire::DescribeSecretResponse, rot: &Rotation) {
    let c = &rot.config;
    o.RotationEnabled = Some(c.enabled);
    o.RotationLambdaARN = c.lambda_arn.clone();
    let rules = wire::RotationRulesOut {
        AutomaticallyAfterDays: c.after_days,
        ScheduleExpression: c.schedule_expression.clone(),
        Duration: c.window.clone(),
    };
    if rules.AutomaticallyAfterDays.is_some()
        || rules.ScheduleExpression.is_some()
        || rules.Duration.is_some()
    {
        o.RotationRules = Some(rules);
    }
    o.LastRotatedDate = rot.state.last_rotated_at.map(Timestamp);
    if c.enabled {
        o.NextRotationDate = rot.state.next_rotation_at.map(Timestamp);
    }
}

fn configured(rot: &Rotation) -> bool {
    let c = &rot.config;
    c.rotator.is_some()
        || c.lambda_arn.is_some()
        || c.after_days.is_some()
        || c.schedule_expression.is_some()
}

async fn save(ctx: &AwsCtx<'_>, audit: &mut Audit, rot: &Rotation) -> Result<(), ApiError> {
    let row = rot.clone();
    ctx.st
        .write(audit, async |w| ctx.st.store.put_rotation(row, w).await)
        .await
}

pub async fn rotate(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let req: wire::RotateSecretRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let token = client_token(req.ClientRequestToken)?;
    let lambda = req.RotationLambdaARN.as_deref();
    if lambda.is_some_and(|l| l.len() > 2048) {
        return Err(invalid_param(
            "RotationLambdaARN must <= 2048 characters long.",
        ));
    }
    let new_rules = rules(ctx, req.RotationRules)?;
    let immediately = req.RotateImmediately.unwrap_or(true);
    let secret = ctx.lookup(audit, Action::RotateSecret, id).await?;
    if super::primary_region(&secret).is_some() {
        return Err(super::replication::replica_error());
    }
    if secret.deleted_at.is_some() {
        return Err(super::marked_deleted());
    }
    let mut rot = ctx
        .st
        .store
        .get_rotation(secret.id)
        .await?
        .unwrap_or_else(|| Rotation {
            secret_id: secret.id,
            ..Default::default()
        });
    let token = token.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if rot
        .state
        .pending_token
        .as_ref()
        .is_some_and(|p| *p != token)
    {
        return Err(rotation::engine_in_progress());
    }
    if let Some(l) = lambda {
        rot.config.lambda_arn = Some(l.to_string()).filter(|l| !l.is_empty());
    }
    if let Some(r) = new_rules {
        rot.config.after_days = r.AutomaticallyAfterDays;
        rot.config.schedule_expression = r.ScheduleExpression;
        rot.config.window = r.Duration;
    }
    rotation::master::approve(
        ctx.st,
        ctx.caller,
        ctx.origin(),
        &secret,
        &mut rot.config,
        None,
    )
    .await?;
    if !configured(&rot) {
        return Err(ApiError::InvalidRequest(
            "No Lambda rotation function ARN is associated with this secret.".into(),
        ));
    }
    let now = OffsetDateTime::now_utc();
    // As on AWS: RotateSecret turns rotation on; the schedule runs when rules exist.
    rot.config.enabled = true;
    rot.state.next_rotation_at = rotation::next_run(
        ctx.st,
        &rot.config,
        rot.state.last_rotated_at.or(Some(now)),
        now,
    );
    let runner = rotation::runner_for(&ctx.st.cfg.rotation, &rot.config)
        .map_err(|e| invalid_param(e.to_string()))?;
    save(ctx, audit, &rot).await?;
    let has_current = ctx
        .st
        .store
        .get_version(
            secret.id,
            &keyward_store::VersionSelector::Stage(crate::ops::AWSCURRENT.into()),
        )
        .await?
        .is_some();
    if !has_current || (!immediately && runner.is_some()) {
        // Rotates at the next window (or once the secret has a value).
        return Ok(super::short_out(&secret, None));
    }
    audit.version(token.clone());
    if immediately && runner.is_none() && rot.config.lambda_arn.is_none() {
        reissue_current(ctx, audit, &secret, &mut rot, &token).await?;
        return Ok(super::short_out(&secret, Some(&token)));
    }
    rotation::begin(ctx.st, &secret, &token).await?;
    if runner.is_some() {
        rotation::drive(ctx.st, secret.id).await?;
    }
    Ok(super::short_out(&secret, Some(&token)))
}

/// Rules but neither a rotator nor a Lambda ARN: nothing can make a new value,
/// so (as the AWS emulators do) the current value is re-issued under the token
/// and made `AWSCURRENT`, and clients pinning version ids see a rotation.
async fn reissue_current(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    secret: &Secret,
    rot: &mut Rotation,
    token: &str,
) -> Result<(), ApiError> {
    use crate::ops::{AWSCURRENT, AWSPENDING};
    use keyward_store::VersionSelector;
    let (current, value) = ctx
        .st
        .read_version(audit, secret, &VersionSelector::Stage(AWSCURRENT.into()))
        .await?;
    if current.stages.iter().any(|s| s == AWSPENDING) {
        // The last client-driven rotation's label rode along onto AWSCURRENT.
        let id = current.version_id.clone();
        ctx.st
            .write(audit, async |w| {
                ctx.st
                    .store
                    .move_stage(secret.id, AWSPENDING, None, Some(&id), w)
                    .await
            })
            .await?;
    }
    ctx.st
        .put_value(
            ctx.caller,
            audit,
            secret,
            &value,
            Some(token.to_string()),
            vec![AWSCURRENT.to_string()],
        )
        .await?;
    let now = OffsetDateTime::now_utc();
    rot.state.last_rotated_at = Some(now);
    rot.state.next_rotation_at = rotation::next_run(ctx.st, &rot.config, Some(now), now);
    save(ctx, audit, rot).await
}

/// Called when AWSCURRENT moves onto the pending version (a completed
/// client-driven rotation).
pub async fn note_rotated(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    secret: &Secret,
    version_id: &str,
) -> Result<(), ApiError> {
    let Some(mut rot) = ctx.st.store.get_rotation(secret.id).await? else {
        return Ok(());
    };
    let now = OffsetDateTime::now_utc();
    if rot.state.pending_token.as_deref() == Some(version_id) {
        rot.state.pending_token = None;
        rot.state.pending_step = None;
        rot.state.started_at = None;
        rot.state.attempts = 0;
        rot.state.retry_at = None;
    }
    rot.state.last_rotated_at = Some(now);
    rot.state.next_rotation_at = rotation::next_run(ctx.st, &rot.config, Some(now), now);
    save(ctx, audit, &rot).await
}

pub async fn cancel(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let req: wire::CancelRotateSecretRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let secret = ctx.lookup(audit, Action::CancelRotateSecret, id).await?;
    if super::primary_region(&secret).is_some() {
        return Err(super::replication::replica_error());
    }
    if secret.deleted_at.is_some() {
        return Err(ApiError::InvalidRequest(
            "You tried to perform the operation on a secret that's currently marked deleted."
                .into(),
        ));
    }
    let Some(mut rot) = ctx.st.store.get_rotation(secret.id).await? else {
        return Err(not_configured());
    };
    if !configured(&rot) {
        return Err(not_configured());
    }
    let pending = rotation::cancel(ctx.st, audit, &secret).await?;
    if let Some(fresh) = ctx.st.store.get_rotation(secret.id).await? {
        rot = fresh;
    }
    rot.config.enabled = false;
    rot.state.next_rotation_at = None;
    save(ctx, audit, &rot).await?;
    Ok(super::short_out(
        &secret,
        pending.as_ref().map(|(t, _)| t.as_str()),
    ))
}

fn not_configured() -> ApiError {
    ApiError::InvalidRequest(
        "You tried to cancel rotation on a secret that doesn't have rotation configured.".into(),
    )
}
