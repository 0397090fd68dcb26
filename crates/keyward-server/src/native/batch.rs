//! `POST /v1/batch/get`: many secret reads in one round trip (`keyward run` start-up).
//! Each secret is authorized on its own and audited as its own
//! `secretsmanager:GetSecretValue`; the records are committed together, so a batch
//! of 50 costs one durable commit instead of 50.

use super::{Bearer, audited_on, read_json};
use crate::action::Action;
use crate::body_limit::LimitedBody;
use crate::ctx::{Audit, RequestMeta};
use crate::error::ApiError;
use crate::ops::AWSCURRENT;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use base64::Engine;
use keyward_api::batch::{BatchError, BatchGet, BatchResult, BatchValue, MAX_BATCH_NAMES};
use keyward_crypto::SecretString;
use keyward_store::{ValueKind, VersionSelector};
use std::sync::Arc;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/batch/get", post(batch_get))
}

#[utoipa::path(
    post,
    path = "/v1/batch/get",
    tag = "secrets",
    summary = "Read up to 100 secrets (AWSCURRENT) in one request; each is authorized and audited as GetSecretValue",
    request_body = keyward_api::batch::BatchGet,
    responses((status = 200, description = "Success", body = keyward_api::batch::BatchResult), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:GetSecretValue")))
)]
pub(super) async fn batch_get(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    audited_on(
        &st,
        &meta,
        auth,
        Action::BatchGetSecretValue,
        Some("*".into()),
        async |call, _audit| {
            let req: BatchGet = read_json(body).await?;
            if req.names.is_empty() || req.names.len() > MAX_BATCH_NAMES {
                return Err(ApiError::InvalidParameter(format!(
                    "`names` must hold 1–{MAX_BATCH_NAMES} secret names, not {}",
                    req.names.len()
                )));
            }
            let keys = st.keys()?;
            let mut secrets = Vec::new();
            let mut errors = Vec::new();
            let mut records = Vec::new();
            for name in &req.names {
                let mut audit = Audit::new(&meta, Action::GetSecretValue, "native");
                audit.caller(&call.caller);
                let one = read_one(&st, &call.caller, &mut audit, &meta, name).await;
                match one {
                    Ok(v) => secrets.push(v),
                    Err(e) => {
                        audit.event.outcome = e.outcome();
                        audit.event.error_code = Some(e.aws_type().to_string());
                        errors.push(BatchError {
                            name: name.clone(),
                            code: e.code().to_string(),
                            message: e.to_string(),
                        });
                    }
                }
                records.push(audit.event);
            }
            // One durable commit for all of them (they queue together on the writer).
            let results =
                futures::future::join_all(records.into_iter().map(|e| keys.audit.record(e))).await;
            if results.iter().any(Result::is_err) {
                return Err(ApiError::Internal {
                    request_id: meta.request_id.clone(),
                });
            }
            Ok(crate::scrub::SecretBody(BatchResult { secrets, errors }))
        },
    )
    .await
}

async fn read_one(
    st: &AppState,
    caller: &crate::state::Caller,
    audit: &mut Audit,
    meta: &RequestMeta,
    name: &str,
) -> Result<BatchValue, ApiError> {
    let secret = st
        .native_secret(caller, audit, meta, name, Action::GetSecretValue)
        .await?;
    if secret.deleted_at.is_some() {
        return Err(ApiError::InvalidRequest(format!(
            "secret {name} is scheduled for deletion and cannot be read"
        )));
    }
    let (version, value) = st
        .read_version(audit, &secret, &VersionSelector::Stage(AWSCURRENT.into()))
        .await?;
    let text = match value.kind {
        ValueKind::String => std::str::from_utf8(value.bytes.expose()).ok(),
        ValueKind::Binary => None,
    };
    Ok(BatchValue {
        name: secret.name,
        arn: secret.arn,
        version_id: version.version_id,
        stages: version.stages,
        value: text.map(|t| SecretString::new(t.to_string())),
        value_base64: text.is_none().then(|| {
            SecretString::new(
                base64::engine::general_purpose::STANDARD.encode(value.bytes.expose()),
            )
        }),
    })
}
