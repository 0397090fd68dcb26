//! `POST /v1/batch/get`: many secret reads in one round trip (`keyward run` start-up).
//! Each secret is authorized on its own and audited as its own
//! `secretsmanager:GetSecretValue`; the records are committed together, so a batch
//! of 50 costs one durable commit instead of 50.

use super::{audited_on, read_json};
use crate::ctx::{Audit, RequestMeta};
use crate::error::ApiError;
use crate::ops::AWSCURRENT;
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use base64::Engine;
use http::HeaderMap;
use keyward_store::{ValueKind, VersionSelector};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Most names one batch may ask for.
pub const MAX_BATCH_NAMES: usize = 100;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/batch/get", post(batch_get))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    names: Vec<String>,
}

async fn batch_get(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> Response {
    audited_on(
        &st,
        &meta,
        &headers,
        "secretsmanager:BatchGetSecretValue",
        Some("*".into()),
        async |caller, _audit| {
            let req: BatchRequest = read_json(&st, body).await?;
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
                let mut audit = Audit::new(&meta, "secretsmanager:GetSecretValue", "native");
                audit.caller(&caller);
                let one = read_one(&st, &caller, &mut audit, &meta, name).await;
                match &one {
                    Ok(v) => {
                        secrets.push(v.clone());
                    }
                    Err(e) => {
                        audit.event.outcome = e.outcome();
                        audit.event.error_code = Some(e.aws_type().to_string());
                        errors.push(
                            json!({"name": name, "code": e.code(), "message": e.to_string()}),
                        );
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
            Ok(crate::scrub::SecretJson {
                value: json!({"secrets": secrets, "errors": errors}),
                content_type: "application/json",
            })
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
) -> Result<Value, ApiError> {
    let secret = st
        .native_secret(caller, audit, meta, name, "secretsmanager:GetSecretValue")
        .await?;
    if secret.deleted_at.is_some() {
        return Err(ApiError::InvalidRequest(format!(
            "secret {name} is scheduled for deletion and cannot be read"
        )));
    }
    let (version, value) = st
        .read_version(audit, &secret, &VersionSelector::Stage(AWSCURRENT.into()))
        .await?;
    let mut out = json!({
        "name": secret.name,
        "arn": secret.arn,
        "version_id": version.version_id,
        "stages": version.stages,
    });
    match (value.kind, std::str::from_utf8(value.bytes.expose())) {
        (ValueKind::String, Ok(s)) => out["value"] = json!(s),
        _ => {
            out["value_base64"] =
                json!(base64::engine::general_purpose::STANDARD.encode(value.bytes.expose()))
        }
    }
    Ok(out)
}
