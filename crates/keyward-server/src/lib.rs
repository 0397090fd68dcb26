//! keyward-server owns the HTTP surface: the native JSON API under `/v1/`, the AWS
//! JSON 1.1 protocol (Secrets Manager and SSM) on `POST /`, authentication (bearer
//! tokens and SigV4), authorization (IAM-style policies), the seal state, and the
//! audit log's group-commit writer.
//!
//! It must not touch storage except through `keyward_store::Store`, and must never
//! put a secret value in a log line, an error or an audit record.

pub mod audit_writer;
mod auth;
mod authz;
mod aws;
mod changes;
mod ctx;
pub mod error;
pub mod identities;
mod lifecycle;
pub mod names;
mod native;
mod ops;
mod state;

pub use audit_writer::AuditMirror;
pub use state::{AppState, ServerConfig};

use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// The whole HTTP API as one router (so tests can drive it in-process too).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(native::router())
        .route("/", axum::routing::post(aws::handle))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(uri: http::Uri) -> error::ApiError {
    error::ApiError::NotFound(format!(
        "no such route: {}; see /v1/openapi.json",
        uri.path()
    ))
}

/// Serves until `shutdown` resolves. Starts the background purge of expired secrets.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    lifecycle::spawn_purger(state.clone());
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
