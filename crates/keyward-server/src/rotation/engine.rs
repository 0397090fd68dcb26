//! One rotation from start to end: begin (claim the token, stage `AWSPENDING`),
//! then each remaining step, each completion persisted before the next step runs;
//! a failure's retry or rollback; cancelling. What a step does lives in `steps.rs`.

use super::RotationSettings;
use super::schedule::Rules;
use super::steps::{drop_pending_label, run_step};
use super::temp_access::TempAccess;
use crate::action::Action;
use crate::ctx::{Audit, SYSTEM_PRINCIPAL};
use crate::error::ApiError;
use crate::ops::{AWSCURRENT, AWSPENDING};
use crate::state::AppState;
use keyward_rotate::{Built, RotateError, RotatorOptions, Step};
use keyward_store::{AuditedWrite, NewVersion, Outcome, Rotation, RotationConfig, Secret};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// The error AWS gives while a rotation is in progress.
pub fn in_progress() -> ApiError {
    ApiError::InvalidRequest(
        "A previous rotation isn't complete. That rotation will be reattempted.".into(),
    )
}

fn rotate_err(e: RotateError) -> ApiError {
    ApiError::InvalidRequest(e.to_string())
}

/// The rotator a configuration runs with: `Ok(None)` when the rotation is left to
/// the client (a Lambda ARN the server config maps to nothing).
pub fn runner_for(
    settings: &RotationSettings,
    cfg: &RotationConfig,
) -> Result<Option<Built>, RotateError> {
    let timeout = Some(settings.step_timeout);
    if let Some(name) = cfg.rotator.as_deref() {
        settings.check_allowed(cfg)?;
        return keyward_rotate::build(
            name,
            RotatorOptions {
                format: cfg.gen_format.as_deref(),
                length: cfg.gen_length,
                field: cfg.gen_field.as_deref(),
                command: cfg.command.as_deref(),
                url: cfg.url.as_deref(),
                webhook_secret: settings.webhook_secret.clone(),
                timeout,
            },
        )
        .map(Some);
    }
    let Some(target) = cfg
        .lambda_arn
        .as_deref()
        .and_then(|a| settings.lambdas.get(a))
    else {
        return Ok(None);
    };
    keyward_rotate::build(
        &target.rotator,
        RotatorOptions {
            command: target.command.as_deref(),
            url: target.url.as_deref(),
            webhook_secret: settings.webhook_secret.clone(),
            timeout,
            ..Default::default()
        },
    )
    .map(Some)
}

pub(super) fn system_audit(action: Action, secret: &Secret, token: &str) -> Audit {
    let mut a = Audit::system(action);
    a.resource(secret.arn.clone());
    a.version(token.to_string());
    a
}

/// Starts rotation `token` of `secret`: claims it (refused while another token's
/// rotation is in progress) and stages `AWSPENDING` on a version with no value.
pub async fn begin(st: &AppState, secret: &Secret, token: &str) -> Result<(), ApiError> {
    let versions = st.store.list_versions(secret.id).await?;
    let holder = |stage: &str| {
        versions
            .iter()
            .find(|v| v.stages.iter().any(|s| s == stage))
            .map(|v| v.version_id.clone())
    };
    let current = holder(AWSCURRENT);
    if let Some(p) = holder(AWSPENDING)
        && Some(&p) != current.as_ref()
        && p != token
    {
        return Err(in_progress());
    }
    let placeholder = NewVersion::placeholder(
        token.to_string(),
        Some(SYSTEM_PRINCIPAL.to_string()),
        vec![AWSPENDING.to_string()],
    );
    let mut audit = system_audit(Action::RotationStarted, secret, token);
    let now = OffsetDateTime::now_utc();
    let other = st
        .write(&mut audit, async |w| {
            st.store
                .claim_rotation(secret.id, token, now, Some(placeholder), w)
                .await
        })
        .await?;
    if other.is_some() {
        return Err(in_progress());
    }
    Ok(())
}

/// Where [`drive`] left the rotation.
#[derive(Debug, PartialEq, Eq)]
pub enum Driven {
    /// No rotation in progress.
    Idle,
    /// Another task of this server is driving it.
    Busy,
    /// The client drives the steps (an unmapped Lambda ARN).
    ClientDriven,
    /// Completed: the pending version is now `AWSCURRENT`.
    Rotated { token: String },
}

/// Releases the in-process claim on a secret's rotation when dropped.
struct Running<'a> {
    st: &'a AppState,
    id: Uuid,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Ok(mut set) = self.st.rotations_running.lock() {
            set.remove(&self.id);
        }
    }
}

fn backoff(settings: &RotationSettings, attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let base = settings.retry_base.saturating_mul(2u32.saturating_pow(exp));
    let capped = base.min(settings.retry_max);
    // Up to a quarter more, so failing secrets do not retry in lockstep.
    let spread = u64::try_from((capped / 4).as_millis()).unwrap_or(0).max(1);
    capped + Duration::from_millis(rand::random::<u64>() % spread)
}

/// Runs the steps of `secret_id`'s rotation in progress that have not completed.
/// A failure is persisted (retry time, error, an audit record
/// `keyward:RotationFailed` naming the step) and returned.
pub async fn drive(st: &AppState, secret_id: Uuid) -> Result<Driven, ApiError> {
    {
        let mut running = st
            .rotations_running
            .lock()
            .map_err(|_| ApiError::InvalidRequest("rotation bookkeeping is poisoned".into()))?;
        if !running.insert(secret_id) {
            return Ok(Driven::Busy);
        }
    }
    let _running = Running { st, id: secret_id };
    let Some(mut rot) = st.store.get_rotation(secret_id).await? else {
        return Ok(Driven::Idle);
    };
    let Some(token) = rot.state.pending_token.clone() else {
        return Ok(Driven::Idle);
    };
    let Some(secret) = st.store.get_secret_by_id(secret_id).await? else {
        return Ok(Driven::Idle);
    };
    let settings = &st.cfg.rotation;
    let mut next = match rot.state.pending_step.as_deref().and_then(Step::parse) {
        None => Some(Step::CreateSecret),
        Some(done) => done.next(),
    };
    let runner = match runner_for(settings, &rot.config) {
        Ok(Some(r)) => r,
        Ok(None) => return Ok(Driven::ClientDriven),
        Err(e) => {
            let step = next.unwrap_or(Step::FinishSecret);
            return Err(fail(st, &secret, &mut rot, &token, step, e).await);
        }
    };
    let access = match &runner {
        Built::External(_) if next.is_some() => {
            // A run of this rotation killed mid-step (a crashed server) never
            // deleted its key; this process holds the rotation now, so it is stale.
            TempAccess::remove_leftovers(st, &secret).await;
            let master = match super::master::resolve(st, &secret, &rot.config, None).await {
                Ok(m) => m,
                Err(e) => {
                    let step = next.unwrap_or(Step::FinishSecret);
                    return Err(fail(st, &secret, &mut rot, &token, step, e).await);
                }
            };
            Some(TempAccess::create(st, &secret, master.as_ref()).await?)
        }
        _ => None,
    };
    let result = async {
        while let Some(step) = next {
            if let Err(e) =
                run_step(st, &secret, &rot, &token, step, &runner, access.as_ref()).await
            {
                return Err(fail(st, &secret, &mut rot, &token, step, e).await);
            }
            complete_step(st, &secret, &mut rot, &token, step).await?;
            crash_point(step);
            next = step.next();
        }
        Ok(Driven::Rotated {
            token: token.clone(),
        })
    }
    .await;
    if let Some(access) = access {
        access.remove(st).await;
    }
    if result.is_ok() {
        st.publish(&secret, "rotate", Some(token.clone()));
    }
    result
}

/// A fault point for crash tests: `KEYWARD_TEST_CRASH_AFTER_STEP=setSecret` aborts
/// the process right after that step's completion is durable. Never set it in
/// production: it exists so tests can prove a killed server resumes.
fn crash_point(step: Step) {
    if std::env::var("KEYWARD_TEST_CRASH_AFTER_STEP").is_ok_and(|s| s == step.as_str()) {
        eprintln!("KEYWARD_TEST_CRASH_AFTER_STEP: aborting after {step}");
        std::process::abort();
    }
}

async fn complete_step(
    st: &AppState,
    secret: &Secret,
    rot: &mut Rotation,
    token: &str,
    step: Step,
) -> Result<(), ApiError> {
    let now = OffsetDateTime::now_utc();
    if step == Step::FinishSecret {
        let s = &mut rot.state;
        s.pending_token = None;
        s.pending_step = None;
        s.started_at = None;
        s.attempts = 0;
        s.retry_at = None;
        s.last_error = None;
        s.last_error_at = None;
        s.last_rotated_at = Some(now);
        s.next_rotation_at = next_run(st, &rot.config, Some(now), now);
    } else {
        rot.state.pending_step = Some(step.as_str().to_string());
    }
    let mut audit = system_audit(Action::rotation_step(step), secret, token);
    let row = rot.clone();
    st.write(&mut audit, async |w| st.store.put_rotation(row, w).await)
        .await
}

/// The next scheduled run of `cfg` (None when unscheduled or disabled).
pub fn next_run(
    st: &AppState,
    cfg: &RotationConfig,
    last: Option<OffsetDateTime>,
    from: OffsetDateTime,
) -> Option<OffsetDateTime> {
    if !cfg.enabled {
        return None;
    }
    let rules = Rules::from_config(
        cfg.after_days,
        cfg.schedule_expression.as_deref(),
        cfg.window.as_deref(),
        st.cfg.rotation.limits,
    )
    .ok()??;
    rules.next_run(last, from)
}

/// Persists a failed step: retry later with backoff, or — when retrying cannot
/// help and nothing reached the target yet — roll back (drop `AWSPENDING`).
/// `AWSCURRENT` is never touched. Returns the error to report.
async fn fail(
    st: &AppState,
    secret: &Secret,
    rot: &mut Rotation,
    token: &str,
    step: Step,
    e: RotateError,
) -> ApiError {
    let now = OffsetDateTime::now_utc();
    let message = format!("{step} failed: {e}");
    tracing::warn!(secret = %secret.name, token, %step, error = %e, "rotation step failed");
    let roll_back = !e.is_retryable() && matches!(step, Step::CreateSecret | Step::SetSecret);
    if roll_back {
        let mut audit = system_audit(Action::UpdateSecretVersionStage, secret, token);
        let moved = st
            .write(&mut audit, async |w| {
                st.store
                    .move_stage(secret.id, AWSPENDING, None, Some(token), w)
                    .await
            })
            .await;
        if let Err(err) = moved {
            tracing::warn!(secret = %secret.name, error = %err, "could not drop AWSPENDING while rolling back");
        }
        rot.state.pending_token = None;
        rot.state.pending_step = None;
        rot.state.started_at = None;
        rot.state.retry_at = None;
        rot.state.attempts = 0;
        rot.state.next_rotation_at = next_run(st, &rot.config, Some(now), now);
    } else {
        rot.state.attempts += 1;
        rot.state.retry_at = Some(now + backoff(&st.cfg.rotation, rot.state.attempts));
    }
    rot.state.last_error = Some(message.clone());
    rot.state.last_error_at = Some(now);
    let mut event = system_audit(Action::RotationFailed, secret, token).event;
    event.outcome = Outcome::Error;
    event.error_code = Some(step.as_str().to_string());
    let written = match st.keys() {
        Ok(keys) => st
            .store
            .put_rotation(
                rot.clone(),
                AuditedWrite {
                    key: keys.audit_key.clone(),
                    event,
                },
            )
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match written {
        Ok(()) => st.feed.committed(),
        Err(err) => {
            tracing::error!(secret = %secret.name, error = %err, "could not record a failed rotation")
        }
    }
    let then = if roll_back {
        "the rotation was rolled back; fix the configuration and rotate again"
    } else {
        "it is retried with backoff"
    };
    ApiError::InvalidRequest(format!(
        "rotation of {} {message}; AWSCURRENT is unchanged and {then}",
        secret.name
    ))
}

/// Abandons the rotation in progress: `AWSPENDING` leaves its version (which
/// keeps any value it has, under its id), the state is cleared. Returns the
/// abandoned token and the last step that had completed.
pub async fn cancel(
    st: &AppState,
    audit: &mut Audit,
    secret: &Secret,
) -> Result<Option<(String, Option<String>)>, ApiError> {
    let Some(mut rot) = st.store.get_rotation(secret.id).await? else {
        return Ok(None);
    };
    let Some(token) = rot.state.pending_token.take() else {
        return Ok(None);
    };
    let step = rot.state.pending_step.take();
    drop_pending_label(st, secret, &token)
        .await
        .map_err(rotate_err)?;
    rot.state.started_at = None;
    rot.state.attempts = 0;
    rot.state.retry_at = None;
    audit.version(token.clone());
    st.write(audit, async |w| st.store.put_rotation(rot, w).await)
        .await?;
    Ok(Some((token, step)))
}
