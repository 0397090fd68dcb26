//! `/v1/sys/*`: health, seal status, unseal, seal; and `/v1/watch` (change stream).

use super::{audited, audited_on, parse_json, read_body};
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/sys/health", get(health))
        .route("/v1/sys/seal-status", get(seal_status))
        .route("/v1/sys/unseal", post(unseal))
        .route("/v1/sys/seal", post(seal))
        .route("/v1/watch", get(watch))
}

async fn health(State(st): State<Arc<AppState>>) -> Response {
    if st.is_sealed() {
        (
            http::StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "sealed", "sealed": true})),
        )
            .into_response()
    } else {
        Json(json!({"status": "ok", "sealed": false, "version": env!("CARGO_PKG_VERSION")}))
            .into_response()
    }
}

async fn seal_status(State(st): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!({"sealed": st.is_sealed()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnsealBody {
    root_key: Option<keyward_crypto::SecretString>,
    passphrase: Option<keyward_crypto::SecretString>,
}

/// Unseal is unauthenticated (no keys exist yet to check credentials with); it is
/// audited once the server is unsealed, and wrong keys are refused.
async fn unseal(State(st): State<Arc<AppState>>, meta: RequestMeta, body: Body) -> Response {
    let result: Result<(), ApiError> = async {
        let b: UnsealBody = parse_json(&read_body(&st, body).await?)?;
        let root = match (&b.root_key, &b.passphrase) {
            (Some(k), None) => keyward_crypto::RootKey::from_text(k.expose())
                .map_err(|e| ApiError::InvalidParameter(format!("root_key: {e}")))?,
            (None, Some(p)) => {
                let salt = st
                    .store
                    .get_setting("passphrase_salt")
                    .await
                    .map_err(|e| ApiError::from_store(e, &meta.request_id))?
                    .ok_or_else(|| {
                        ApiError::InvalidRequest(
                            "this data directory was not initialised with a passphrase".into(),
                        )
                    })?;
                let salt = hex::decode(salt).map_err(|_| ApiError::Internal {
                    request_id: meta.request_id.clone(),
                })?;
                keyward_crypto::derive_root_key_from_passphrase(p.expose().as_bytes(), &salt)
                    .map_err(|e| ApiError::InvalidParameter(e.to_string()))?
            }
            _ => {
                return Err(ApiError::InvalidParameter(
                    "send exactly one of `root_key` or `passphrase`".into(),
                ));
            }
        };
        st.unseal(&root).await
    }
    .await;
    match result {
        Ok(()) => {
            let audit = crate::ctx::Audit::new(&meta, "keyward:Unseal", "native");
            st.finish(
                audit,
                Ok(Json(json!({"sealed": false}))),
                ApiError::into_response,
            )
            .await
        }
        Err(e) => e.into_response(),
    }
}

async fn seal(State(st): State<Arc<AppState>>, meta: RequestMeta, headers: HeaderMap) -> Response {
    let resp = audited_on(
        &st,
        &meta,
        &headers,
        "keyward:Seal",
        Some("*".into()),
        async |caller, audit| {
            audit.resource("*");
            st.authorize(&caller, "keyward:Seal", "*", &Default::default())?;
            Ok(Json(json!({"sealed": true})))
        },
    )
    .await;
    if resp.status().is_success() {
        st.seal();
    }
    resp
}

/// Server-sent events: one `change` event per write (names only, never values).
async fn watch(State(st): State<Arc<AppState>>, meta: RequestMeta, headers: HeaderMap) -> Response {
    let mut rx = None;
    let resp = audited(
        &st,
        &meta,
        &headers,
        "secretsmanager:ListSecrets",
        async |caller, audit| {
            audit.resource("*");
            st.authorize(
                &caller,
                "secretsmanager:ListSecrets",
                "*",
                &Default::default(),
            )?;
            rx = Some(st.changes.subscribe());
            Ok(())
        },
    )
    .await;
    let Some(rx) = rx else { return resp };
    let stream = tokio_stream_from(rx).map(|ev| {
        Ok::<_, std::convert::Infallible>(
            Event::default()
                .event("change")
                .data(serde_json::to_string(&ev).unwrap_or_default()),
        )
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn tokio_stream_from(
    rx: tokio::sync::broadcast::Receiver<crate::changes::ChangeEvent>,
) -> impl futures::Stream<Item = crate::changes::ChangeEvent> {
    futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(ev) => return Some((ev, rx)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}
