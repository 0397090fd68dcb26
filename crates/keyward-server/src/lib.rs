//! keyward-server owns the HTTP surface: the native JSON API under `/v1/`, the AWS
//! JSON 1.1 protocol (Secrets Manager and SSM) on `POST /`, authentication (bearer
//! tokens and SigV4), authorization (IAM-style policies), the seal state, and the
//! audit log's group-commit writer.
//!
//! It must not touch storage except through `keyward_store::Store`, and must never
//! put a secret value in a log line, an error or an audit record.

mod access;
pub mod action;
pub mod alerts;
pub mod audit_feed;
pub mod audit_writer;
mod auth;
pub mod auth_limit;
mod authz;
mod aws;
mod body_limit;
mod changes;
mod ctx;
pub mod error;
pub mod file_recipients;
pub mod health;
pub mod identities;
pub mod jobs;
pub mod keyring;
mod lifecycle;
pub mod listener;
mod lookup;
pub mod metrics;
pub mod mfa;
pub mod names;
mod native;
mod ops;
pub mod recovery;
mod request_id;
pub mod rotation;
pub mod scrub;
mod state;
pub mod tls;
pub mod unseal_guard;
pub mod unseal_shares;

pub use audit_feed::AuditMirror;
pub use state::{AppState, ServerConfig};

use axum::Router;
use std::future::Future;
use std::sync::Arc;

/// The whole HTTP API as one router (so tests can drive it in-process too), with
/// the per-request limits as layers: the request timeout, the concurrency limit and
/// the body size limit (the connection limit is the listener's; see [`listener`]).
pub fn router(state: Arc<AppState>) -> Router {
    let limits = &state.cfg.http;
    let timeout = limits.request_timeout;
    // One semaphore for the whole router: axum applies a layer to each route on
    // its own, so a per-service limit would be a limit per route. Requests past it
    // wait rather than being refused: bursts (a fleet restarting and fetching its
    // secrets) are served in turn instead of failing, the wait is bounded by the
    // request timeout (the layer outside this one, answering 408), and the
    // listener's connection limit bounds how many can wait. A slot is released
    // when the response's head is ready, so `/v1/watch` streams without one.
    let concurrency =
        tower::limit::GlobalConcurrencyLimitLayer::new(limits.max_concurrent_requests.max(1));
    let max_body_bytes = state.cfg.max_body_bytes;
    Router::new()
        .merge(native::router())
        .route("/", axum::routing::post(aws::handle))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .fallback(not_found)
        .layer(body_limit::layer(max_body_bytes))
        .layer(concurrency)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::from_fn(request_id::assign))
        .with_state(state)
}

async fn not_found(uri: http::Uri) -> error::ApiError {
    error::ApiError::NotFound(format!(
        "no such route: {}; see /v1/openapi.json",
        uri.path()
    ))
}

/// Serves until `shutdown` resolves, running the background [`jobs`] and the audit feed;
/// over TLS when `tls` is given.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    tls: Option<Arc<tls::ReloadingCert>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let scheduler = jobs::Scheduler::new();
    let background = jobs::standard(&state);
    for job in &background {
        scheduler.spawn(state.clone(), job.clone());
    }
    state.access.spawn_writer(state.store.clone());
    let mut subscribers: Vec<Arc<dyn audit_feed::AuditSubscriber>> = Vec::new();
    if let Some(m) = &state.cfg.audit_mirror {
        match audit_feed::MirrorSubscriber::open(m) {
            Ok(sub) => subscribers.push(Arc::new(sub)),
            Err(e) => {
                tracing::error!(mirror = ?m, error = %e, "cannot open the audit mirror; mirroring is off")
            }
        }
    }
    if let Some(n) = &state.cfg.alerts {
        subscribers.push(Arc::new(alerts::start(state.store.clone(), n.clone())));
    }
    audit_feed::spawn(state.store.clone(), state.feed.clone(), subscribers);
    let served = listener::serve(state.clone(), listener, tls, shutdown).await;
    scheduler.release(&state, &background).await;
    served
}
