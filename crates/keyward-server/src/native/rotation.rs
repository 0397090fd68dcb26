//! Rotation on the native API, for `keyward rotation ...` and `keyward rotate`:
//! configure a secret's rotator and schedule, rotate now (one secret or all,
//! optionally as a dry run), read the status, cancel a rotation in progress.
//! Authorized as AWS's `RotateSecret`, `DescribeSecret` and `CancelRotateSecret`.

use super::{Bearer, Call, audited, audited_on, parse_json, read_body};
use crate::action::Action;
use crate::authz::AuthzExtras;
use crate::body_limit::LimitedBody;
use crate::ctx::{Audit, RequestMeta};
use crate::error::ApiError;
use crate::rotation::{self, Driven, schedule::Rules};
use crate::state::{AppState, Caller};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyward_api::rotation::{
    CancelResult, NothingToCancel, RotateAllResult, RotateOutcome, RotateRequest,
    RotationCancelled, RotationList, RotationPlan, RotationRan, RotationRefused, SetRotation,
};
use keyward_store::{ListQuery, Namespace, Rotation, RotationConfig, Secret};
use std::sync::Arc;
use time::OffsetDateTime;

const ROTATE: Action = Action::RotateSecret;
const DESCRIBE: Action = Action::DescribeSecret;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/rotation", get(status_all))
        .route("/v1/rotation/{*name}", get(status_one).put(set))
        .route("/v1/rotate/{*name}", post(rotate_one))
        .route("/v1/rotate-all", post(rotate_all))
        .route("/v1/rotation-cancel/{*name}", post(cancel))
}

async fn body_or_default<T: serde::de::DeserializeOwned + Default>(
    body: LimitedBody,
) -> Result<T, ApiError> {
    let bytes = read_body(body).await?;
    if bytes.is_empty() {
        Ok(T::default())
    } else {
        parse_json(&bytes)
    }
}

/// The skeleton of every handler on one secret's rotation: audited as `action` on
/// the secret's would-be ARN, the body read (`input`), the secret looked up and
/// authorized as the AWS action `action` stands for, then `op`.
async fn on_secret<B, T, I, F>(
    st: &AppState,
    meta: &RequestMeta,
    auth: Bearer,
    action: Action,
    name: &str,
    input: I,
    op: F,
) -> Response
where
    T: IntoResponse,
    I: AsyncFnOnce() -> Result<B, ApiError>,
    F: AsyncFnOnce(&Call<'_>, &mut Audit, Secret, B) -> Result<T, ApiError>,
{
    let arn = st.would_be_arn(Namespace::Secrets, &st.cfg.default_region, name);
    audited_on(st, meta, auth, action, Some(arn), async |call, audit| {
        let input = input().await?;
        let secret = st
            .native_secret(&call.caller, audit, meta, name, action.authorized_as())
            .await?;
        op(&call, audit, secret, input).await
    })
    .await
}

fn row(secret: &Secret, found: Option<Rotation>) -> Rotation {
    found.unwrap_or_else(|| Rotation {
        secret_id: secret.id,
        ..Default::default()
    })
}

#[utoipa::path(put, path = "/v1/rotation/{name}", tag = "rotation",
    summary = "Configure a secret's rotator and schedule",
    params(("name" = String, Path, description = "Secret name; may contain `/`")),
    request_body = SetRotation,
    responses((status = 200, description = "The rotation status", body = keyward_api::rotation::RotationStatus), (status = 400, description = "Invalid input", body = keyward_api::ErrorBody), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 404, description = "Not found", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:RotateSecret"))),
    operation_id = "setRotation")]
pub(super) async fn set(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
    body: LimitedBody,
) -> Response {
    on_secret(
        &st,
        &meta,
        auth,
        Action::PutRotationConfig,
        &name,
        async || parse_json::<SetRotation>(&read_body(body).await?),
        async |call, audit, secret, req| {
            let mut rot = row(&secret, st.store.get_rotation(secret.id).await?);
            let limits = st.cfg.rotation.limits;
            Rules::from_config(None, req.schedule.as_deref(), req.window.as_deref(), limits)
                .map_err(ApiError::InvalidParameter)?;
            rot.config = RotationConfig {
                enabled: true,
                rotator: Some(req.rotator),
                lambda_arn: rot.config.lambda_arn.take(),
                after_days: None,
                schedule_expression: req.schedule,
                window: req.window,
                // Kept for `approve` to compare: an unchanged master needs no new
                // approval.
                master_secret: rot.config.master_secret.take(),
                command: req.command,
                url: req.url,
                gen_format: req.format,
                gen_length: req.length,
                gen_field: req.field,
            };
            let origin = crate::lookup::Origin {
                meta: call.meta,
                region: &st.cfg.default_region,
            };
            let master = rotation::master::approve(
                &st,
                &call.caller,
                origin,
                &secret,
                &mut rot.config,
                req.master_secret.as_deref(),
            )
            .await?;
            // `rotation set` replaces the whole configuration: no master named, none kept.
            if master.is_none() {
                rot.config.master_secret = None;
            }
            rotation::runner_for(&st.cfg.rotation, &rot.config)
                .map_err(|e| ApiError::InvalidParameter(e.to_string()))?;
            let now = OffsetDateTime::now_utc();
            rot.state.next_rotation_at = rotation::next_run(
                &st,
                &rot.config,
                rot.state.last_rotated_at.or(Some(now)),
                now,
            );
            let saved = rot.clone();
            st.write(audit, async |w| st.store.put_rotation(saved, w).await)
                .await?;
            Ok(Json(rotation::status(&st, &secret, &rot)))
        },
    )
    .await
}

#[utoipa::path(get, path = "/v1/rotation/{name}", tag = "rotation",
    summary = "A secret's rotation: configuration, last and next run, last error, step in progress",
    params(("name" = String, Path, description = "Secret name; may contain `/`")),
    responses((status = 200, description = "Success", body = keyward_api::rotation::RotationStatus), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 404, description = "Not found", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:DescribeSecret"))),
    operation_id = "rotationStatus")]
pub(super) async fn status_one(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
) -> Response {
    on_secret(
        &st,
        &meta,
        auth,
        DESCRIBE,
        &name,
        async || Ok(()),
        async |_call, _audit, secret, ()| {
            let rot = row(&secret, st.store.get_rotation(secret.id).await?);
            Ok(Json(rotation::status(&st, &secret, &rot)))
        },
    )
    .await
}

/// Every secret with a rotation row that the caller may describe.
async fn visible(
    st: &AppState,
    caller: &Caller,
    meta: &RequestMeta,
    prefix: Option<&str>,
) -> Result<Vec<(Secret, Rotation)>, ApiError> {
    let region = st.cfg.default_region.clone();
    let extras = AuthzExtras {
        region: Some(&region),
        ..super::extras(meta)
    };
    st.authorize(caller, Action::ListSecrets, "*", &extras)?;
    let secrets = st
        .store
        .list_secrets(&ListQuery {
            namespace: Namespace::Secrets,
            region: region.clone(),
            name_prefix: prefix.map(str::to_owned),
            include_deleted: false,
            after_name: None,
            limit: None,
        })
        .await?;
    let mut rotations: std::collections::HashMap<_, _> = st
        .store
        .list_rotations()
        .await?
        .into_iter()
        .map(|r| (r.secret_id, r))
        .collect();
    let mut out = Vec::new();
    for s in secrets {
        let Some(rot) = rotations.remove(&s.id) else {
            continue;
        };
        if st
            .authorize(caller, DESCRIBE, &s.arn, &extras.clone().about(&s))
            .is_ok()
        {
            out.push((s, rot));
        }
    }
    Ok(out)
}

#[utoipa::path(get, path = "/v1/rotation", tag = "rotation",
    summary = "The rotation status of every secret with rotation configured",
    responses((status = 200, description = "Success", body = RotationList), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:ListSecrets"))),
    operation_id = "rotationStatusAll")]
pub(super) async fn status_all(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
) -> Response {
    audited(
        &st,
        &meta,
        auth,
        Action::ListSecrets,
        async |call, audit| {
            audit.resource("*");
            let list = visible(&st, &call.caller, &meta, None).await?;
            let rotations = list
                .iter()
                .map(|(s, r)| rotation::status(&st, s, r))
                .collect();
            Ok(Json(RotationList { rotations }))
        },
    )
    .await
}

/// What rotating `secret` now would do, and why (the dry run's answer).
fn plan(st: &AppState, secret: &Secret, rot: &Rotation, reason: &str) -> RotationPlan {
    let status = rotation::status(st, secret, rot);
    let (would, why) = if rot.state.pending_token.is_some() {
        (
            false,
            "a rotation is in progress: it resumes instead (keyward rotation status)".to_string(),
        )
    } else {
        match rotation::runner_for(&st.cfg.rotation, &rot.config) {
            Ok(Some(_)) => (true, format!("{reason}: runs the {} rotator now", status.runs_as)),
            Ok(None) => (false, "no rotator runs it here: its Lambda ARN is not mapped in [rotation.lambdas] (client-driven)".into()),
            Err(e) => (false, format!("misconfigured: {e}")),
        }
    };
    RotationPlan {
        name: secret.name.clone(),
        would_rotate: would,
        why,
        when: would.then(|| "now".into()),
        rotator: status.runs_as,
        schedule: status.schedule,
        next_rotation: status.next_rotation,
        last_rotated: status.last_rotated,
    }
}

async fn rotate_now(st: &Arc<AppState>, secret: &Secret) -> Result<RotationRan, ApiError> {
    let token = uuid::Uuid::new_v4().to_string();
    rotation::begin(st, secret, &token).await?;
    // On its own task: a client that hangs up must not stop a rotation between
    // two steps (it would wait for the scheduler to resume it).
    let (state, id) = (st.clone(), secret.id);
    let driven = tokio::spawn(async move { rotation::drive(&state, id).await })
        .await
        .map_err(|e| ApiError::InvalidRequest(format!("the rotation task failed: {e}")))??;
    let ran = RotationRan {
        name: secret.name.clone(),
        rotated: false,
        version_id: None,
        note: None,
        state: None,
        error: None,
    };
    Ok(match driven {
        Driven::Rotated { token } => RotationRan {
            rotated: true,
            version_id: Some(token),
            ..ran
        },
        Driven::ClientDriven => RotationRan {
            version_id: Some(token),
            note: Some("AWSPENDING is staged; the client drives the steps (PutSecretValue with this token, then UpdateSecretVersionStage)".into()),
            ..ran
        },
        other => RotationRan {
            state: Some(format!("{other:?}")),
            ..ran
        },
    })
}

#[utoipa::path(post, path = "/v1/rotate/{name}", tag = "rotation",
    summary = "Rotate a secret now through its configured rotator (or, with dry_run, say what would happen)",
    params(("name" = String, Path, description = "Secret name; may contain `/`")),
    request_body = RotateRequest,
    responses((status = 200, description = "The plan (dry run) or what the rotation did", body = RotateOutcome), (status = 400, description = "Invalid input, rotation in progress, or a step failed", body = keyward_api::ErrorBody), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 404, description = "Not found", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:RotateSecret"))),
    operation_id = "rotateSecret")]
pub(super) async fn rotate_one(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
    body: LimitedBody,
) -> Response {
    let body = async || body_or_default::<RotateRequest>(body).await;
    on_secret(&st, &meta, auth, ROTATE, &name, body, async |_call, audit, secret, req| {
        let Some(rot) = st.store.get_rotation(secret.id).await? else {
            return Err(ApiError::InvalidRequest(format!(
                "secret {name} has no rotation configured; set one with `keyward rotation set {name} --rotator ...`"
            )));
        };
        let reason = req.reason.as_deref().unwrap_or("requested");
        if req.dry_run {
            audit.set_action(Action::RotationDryRun);
            return Ok(Json(RotateOutcome::Plan(plan(&st, &secret, &rot, reason))));
        }
        note_reason(audit, reason);
        Ok(Json(RotateOutcome::Ran(rotate_now(&st, &secret).await?)))
    })
    .await
}

/// Keeps why a rotation ran (`leak`, `scheduled`, ...) in the request's record.
fn note_reason(audit: &mut Audit, reason: &str) {
    let ua = audit.event.user_agent.take().unwrap_or_default();
    let note: String = format!("{ua} keyward-rotate-reason/{reason}")
        .trim()
        .chars()
        .take(256)
        .collect();
    audit.event.user_agent = Some(note);
}

#[utoipa::path(post, path = "/v1/rotate-all", tag = "rotation",
    summary = "Rotate every secret with a runnable rotator (or, with dry_run, list what would rotate and why)",
    request_body = RotateRequest,
    responses((status = 200, description = "Success", body = RotateAllResult), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:RotateSecret"))),
    operation_id = "rotateAll")]
pub(super) async fn rotate_all(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    audited(&st, &meta, auth, ROTATE, async |call, audit| {
        let req: RotateRequest = body_or_default(body).await?;
        audit.resource(req.prefix.clone().unwrap_or_else(|| "*".into()));
        let list = visible(&st, &call.caller, &meta, req.prefix.as_deref()).await?;
        let reason = req.reason.as_deref().unwrap_or("rotate --all");
        let mut results = Vec::new();
        let mut failed = 0;
        for (secret, rot) in &list {
            let extras = super::extras(&meta).about(secret);
            if call.authorize_with(&secret.arn, &extras).is_err() {
                results.push(RotateOutcome::Refused(RotationRefused {
                    name: secret.name.clone(),
                    would_rotate: false,
                    why: "your policy does not allow secretsmanager:RotateSecret on it".into(),
                }));
                continue;
            }
            let p = plan(&st, secret, rot, reason);
            if req.dry_run || !p.would_rotate {
                results.push(RotateOutcome::Plan(p));
                continue;
            }
            results.push(RotateOutcome::Ran(match rotate_now(&st, secret).await {
                Ok(ran) => ran,
                Err(e) => {
                    failed += 1;
                    RotationRan {
                        name: secret.name.clone(),
                        rotated: false,
                        version_id: None,
                        note: None,
                        state: None,
                        error: Some(e.to_string()),
                    }
                }
            }));
        }
        if req.dry_run {
            audit.set_action(Action::RotationDryRun);
        } else {
            note_reason(audit, reason);
        }
        Ok(Json(RotateAllResult {
            dry_run: req.dry_run,
            results,
            failed,
        }))
    })
    .await
}

#[utoipa::path(post, path = "/v1/rotation-cancel/{name}", tag = "rotation",
    summary = "Abandon the rotation in progress (AWSCURRENT stays; AWSPENDING is dropped)",
    params(("name" = String, Path, description = "Secret name; may contain `/`")),
    responses((status = 200, description = "Cancelled, or nothing was in progress (see `cancelled`)", body = CancelResult), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 404, description = "Not found", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:CancelRotateSecret"))),
    operation_id = "cancelRotation")]
pub(super) async fn cancel(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
) -> Response {
    on_secret(&st, &meta, auth, Action::RotationCancelled, &name, async || Ok(()), async |_call, audit, secret, ()| {
        let cancelled = rotation::cancel(&st, audit, &secret).await?;
        Ok(Json(match cancelled {
            None => CancelResult::NotInProgress(NothingToCancel {
                name: secret.name,
                cancelled: false,
                note: "no rotation was in progress".into(),
            }),
            Some((token, step)) => {
                let reached_target = step.as_deref().is_some_and(|s| s != "createSecret");
                CancelResult::Cancelled(RotationCancelled {
                    name: secret.name,
                    cancelled: true,
                    version_id: token,
                    last_completed_step: step,
                    note: if reached_target {
                        "setSecret had run: the target may already accept the pending value, which stays stored under this version id"
                    } else {
                        "nothing reached the target"
                    }
                    .into(),
                })
            }
        }))
    })
    .await
}
