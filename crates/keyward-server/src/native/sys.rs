//! `/v1/sys/*`: health, seal status, unseal, seal; and `/v1/watch` (change stream).

use super::{Bearer, audited, audited_on, read_json};
use crate::action::Action;
use crate::body_limit::LimitedBody;
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::state::AppState;
use crate::unseal_guard::Refused;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use keyward_api::sys::{Health, SealStatus, Unseal};
use keyward_store::Outcome;
use std::sync::Arc;

/// How often the change stream sends a keep-alive comment: far inside the listener's
/// timeouts and any proxy's idle timeout, so a quiet stream is never cut.
pub const WATCH_KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(10);

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/sys/health", get(health))
        .route("/v1/sys/seal-status", get(seal_status))
        .route("/v1/sys/unseal", post(unseal))
        .route("/v1/sys/seal", post(seal))
        .route("/v1/watch", get(watch))
}

#[utoipa::path(
    get,
    path = "/v1/sys/health",
    tag = "sys",
    summary = "Health for load balancers: 200 serving, 503 sealed, 500 store or audit writer down",
    responses((status = 200, description = "Serving", body = keyward_api::sys::Health), (status = 503, description = "Sealed", body = keyward_api::sys::Health), (status = 500, description = "Degraded: the store does not answer or the audit writer stopped", body = keyward_api::sys::Health)),
    security(())
)]
pub(super) async fn health(State(st): State<Arc<AppState>>) -> Response {
    let report = crate::health::Report::probe(&st).await;
    let body = Health {
        status: report.status().into(),
        sealed: report.sealed,
        version: (!report.sealed).then(|| env!("CARGO_PKG_VERSION").into()),
        storage: Some(if report.store_ok { "ok" } else { "unreachable" }.into()),
        audit: Some(
            if report.sealed {
                "sealed"
            } else if report.audit_ok {
                "ok"
            } else {
                "stopped"
            }
            .into(),
        ),
    };
    (report.status_code(), Json(body)).into_response()
}

#[utoipa::path(
    get,
    path = "/v1/sys/seal-status",
    tag = "sys",
    summary = "Seal state",
    responses((status = 200, description = "Success", body = keyward_api::sys::SealStatus), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(())
)]
pub(super) async fn seal_status(State(st): State<Arc<AppState>>) -> Response {
    match seal_status_now(&st).await {
        Ok(s) => Json(s).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The seal state with, for a root key split into shares, the threshold and the
/// progress of an unseal under way.
async fn seal_status_now(st: &AppState) -> Result<SealStatus, ApiError> {
    let sealed = st.is_sealed();
    let set = crate::unseal_shares::load_set(st.store.as_ref()).await?;
    Ok(SealStatus {
        sealed,
        threshold: set.as_ref().map(|s| s.threshold),
        shares: set.as_ref().map(|s| s.shares),
        progress: set
            .as_ref()
            .filter(|_| sealed)
            .map(|_| st.unseal_shares.progress()),
        key_id: set.map(|s| s.key_id),
    })
}

/// Unseal is unauthenticated (no keys exist yet to check credentials with), so it
/// is throttled and every attempt is logged and audited (see `unseal_guard`). On an
/// unsealed server it answers the same whatever was sent, and derives nothing.
#[utoipa::path(
    post,
    path = "/v1/sys/unseal",
    tag = "sys",
    summary = "Unseal with the root key or passphrase (throttled, audited)",
    request_body = keyward_api::sys::Unseal,
    responses((status = 200, description = "Success", body = keyward_api::sys::SealStatus), (status = 400, description = "Invalid input or wrong key", body = keyward_api::ErrorBody), (status = 403, description = "Wrong key", body = keyward_api::ErrorBody), (status = 429, description = "Too many attempts", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(()),
    extensions(("x-keyward-action" = json!("keyward:Unseal")))
)]
pub(super) async fn unseal(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    body: LimitedBody,
) -> Response {
    if !st.is_sealed() {
        return Json(SealStatus::default()).into_response();
    }
    let mut event = crate::ctx::Audit::new(&meta, Action::Unseal, "native").event;
    let source = meta.source_ip.clone().unwrap_or_default();
    // A malformed request tests no key: it is refused at once, audited, and does
    // not count towards the backoff.
    let request = match parse_unseal(body).await {
        Ok(r) => r,
        Err(e) => {
            event.outcome = e.outcome();
            event.error_code = Some(e.aws_type().to_string());
            st.unseal_guard.note_refused(event);
            return e.into_response();
        }
    };
    let attempt = match st.unseal_guard.begin() {
        Ok(a) => a,
        Err(refused) => {
            let (message, retry_after) = match refused {
                Refused::Busy => (
                    "another unseal attempt is running; try again in a moment".to_string(),
                    1,
                ),
                Refused::Backoff { retry_after } => (
                    format!(
                        "too many failed unseal attempts: wait {} s before the next one",
                        retry_after.as_secs().max(1)
                    ),
                    retry_after.as_secs().max(1),
                ),
            };
            tracing::warn!(source, "unseal attempt refused: {message}");
            event.outcome = Outcome::Unauthenticated;
            event.error_code = Some("ThrottlingException".into());
            st.unseal_guard.note_refused(event);
            let mut resp = ApiError::Throttled(message).into_response();
            resp.headers_mut()
                .insert(http::header::RETRY_AFTER, retry_after.into());
            return resp;
        }
    };
    let result: Result<(), ApiError> = async {
        let root = match request {
            UnsealWith::RootKey(root) => root,
            UnsealWith::Reset => {
                st.unseal_shares.reset();
                return Ok(());
            }
            UnsealWith::Share(share) => {
                let set = crate::unseal_shares::load_set(st.store.as_ref())
                    .await?
                    .ok_or_else(|| {
                        ApiError::InvalidRequest(
                            "this data directory's root key was not split into unseal shares; unseal with the root key or passphrase".into(),
                        )
                    })?;
                match st
                    .unseal_shares
                    .add(&set, share)
                    .map_err(crate::unseal_shares::share_error)?
                {
                    crate::unseal_shares::Progress::Need { .. } => return Ok(()),
                    crate::unseal_shares::Progress::Complete(root) => root,
                }
            }
            UnsealWith::Passphrase(p) => {
                let salt = st
                    .store
                    .get_setting("passphrase_salt")
                    .await
                    .map_err(ApiError::from)?
                    .ok_or_else(|| {
                        ApiError::InvalidRequest(
                            "this data directory was not initialised with a passphrase".into(),
                        )
                    })?;
                let salt = hex::decode(salt).map_err(|_| ApiError::Internal {
                    request_id: meta.request_id.clone(),
                })?;
                // Argon2id takes tens of milliseconds and 64 MiB: off the async workers.
                tokio::task::spawn_blocking(move || {
                    keyward_crypto::derive_root_key_from_passphrase(p.expose().as_bytes(), &salt)
                })
                .await
                .map_err(|_| ApiError::Internal {
                    request_id: meta.request_id.clone(),
                })?
                .map_err(|e| ApiError::InvalidParameter(e.to_string()))?
            }
        };
        st.unseal(&root).await
    }
    .await;
    match &result {
        Ok(()) if st.is_sealed() => tracing::warn!(source, "unseal share accepted"),
        Ok(()) => tracing::warn!(source, "unsealed"),
        Err(e) => {
            tracing::warn!(source, error = %e, "unseal attempt failed");
            event.outcome = e.outcome();
            event.error_code = Some(e.aws_type().to_string());
        }
    }
    st.unseal_guard.finish(attempt, event);
    match result {
        Ok(()) => {
            // The attempt itself (and any before it) was buffered; chain them now.
            st.flush_unseal_attempts().await;
            match seal_status_now(&st).await {
                Ok(s) => Json(s).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => e.into_response(),
    }
}

/// What an unseal request offers.
enum UnsealWith {
    RootKey(keyward_crypto::RootKey),
    Passphrase(keyward_crypto::SecretString),
    /// One Shamir share (checked for typos already).
    Share(keyward_crypto::shamir::Share),
    /// Forget the shares given so far.
    Reset,
}

async fn parse_unseal(body: LimitedBody) -> Result<UnsealWith, ApiError> {
    let b: Unseal = read_json(body).await?;
    match (b.root_key, b.passphrase, b.share, b.reset) {
        (Some(k), None, None, false) => keyward_crypto::RootKey::from_text(k.expose())
            .map(UnsealWith::RootKey)
            .map_err(|e| ApiError::InvalidParameter(format!("root_key: {e}"))),
        (None, Some(p), None, false) => Ok(UnsealWith::Passphrase(p)),
        (None, None, Some(s), false) => keyward_crypto::shamir::Share::parse(s.expose())
            .map(UnsealWith::Share)
            .map_err(crate::unseal_shares::share_error),
        (None, None, None, true) => Ok(UnsealWith::Reset),
        _ => Err(ApiError::InvalidParameter(
            "send exactly one of `root_key`, `passphrase`, `share` or `reset`".into(),
        )),
    }
}

#[utoipa::path(
    post,
    path = "/v1/sys/seal",
    tag = "sys",
    summary = "Seal the server (drops keys from memory)",
    responses((status = 200, description = "Success", body = keyward_api::sys::SealStatus), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:Seal")))
)]
pub(super) async fn seal(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
) -> Response {
    let resp = audited_on(
        &st,
        &meta,
        auth,
        Action::Seal,
        Some("*".into()),
        async |call, audit| {
            audit.resource("*");
            call.authorize("*")?;
            Ok(Json(SealStatus {
                sealed: true,
                ..Default::default()
            }))
        },
    )
    .await;
    if resp.status().is_success() {
        st.seal();
    }
    resp
}

/// Server-sent events: one `change` event per write (names only, never values).
#[utoipa::path(
    get,
    path = "/v1/watch",
    tag = "secrets",
    summary = "Server-sent change events (names only, never values)",
    responses((status = 200, description = "A stream of `change` events, each naming a secret that was written", content_type = "text/event-stream", body = String), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:ListSecrets")))
)]
pub(super) async fn watch(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
) -> Response {
    let mut subscribed = None;
    let resp = audited(
        &st,
        &meta,
        auth,
        Action::ListSecrets,
        async |call, audit| {
            audit.resource("*");
            call.authorize("*")?;
            subscribed = Some((st.changes.subscribe(), call.caller.clone()));
            Ok(())
        },
    )
    .await;
    let Some((rx, caller)) = subscribed else {
        return resp;
    };
    // Each event is one the caller could see: a secret's with ListSecrets, a
    // parameter's with DescribeParameters or a read of it (what a client cache
    // watching its parameters has), each in the event's region (a policy may limit
    // `aws:RequestedRegion`).
    let (source_ip, user_agent) = (meta.source_ip.clone(), meta.user_agent.clone());
    let secure_transport = meta.secure_transport;
    let listable = move |ev: &crate::changes::ChangeEvent| {
        let facts = crate::authz::AuthzExtras {
            source_ip: source_ip.as_deref(),
            user_agent: user_agent.as_deref(),
            secure_transport,
            region: Some(&ev.region),
            ..Default::default()
        };
        let allowed =
            |action, resource: &str| st.authorize(&caller, action, resource, &facts).is_ok();
        if ev.namespace == keyward_store::Namespace::Parameters.as_str() {
            allowed(Action::DescribeParameters, "*")
                || allowed(
                    Action::GetParameter,
                    &st.would_be_arn(keyward_store::Namespace::Parameters, &ev.region, &ev.name),
                )
        } else {
            allowed(Action::ListSecrets, "*")
        }
    };
    let stream = tokio_stream_from(rx)
        .filter(move |ev| std::future::ready(listable(ev)))
        .map(|ev| {
            Ok::<_, std::convert::Infallible>(
                Event::default()
                    .event("change")
                    .data(serde_json::to_string(&ev).unwrap_or_default()),
            )
        });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(WATCH_KEEP_ALIVE))
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
