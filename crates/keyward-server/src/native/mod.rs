//! The native JSON API under `/v1/`. Bearer-token authenticated; every route maps to
//! an AWS action name so one policy governs native and AWS access alike.

mod identities;
mod openapi;
mod secrets;
mod sys;

use crate::ctx::{Audit, RequestMeta};
use crate::error::ApiError;
use crate::state::{AppState, Caller};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use std::sync::Arc;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .merge(sys::router())
        .merge(secrets::router())
        .merge(identities::router())
        .route("/v1/openapi.json", axum::routing::get(openapi::openapi))
}

/// Authenticates, runs `op`, audits, renders: the shape of every native handler.
pub(crate) async fn audited<T, F>(
    st: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    action: &str,
    op: F,
) -> Response
where
    T: IntoResponse,
    F: AsyncFnOnce(Caller, &mut Audit) -> Result<T, ApiError>,
{
    let mut audit = Audit::new(meta, action, "native");
    let result = match st.authenticate_bearer(headers).await {
        Ok(caller) => {
            audit.caller(&caller);
            op(caller, &mut audit).await
        }
        Err(e) => {
            if let Some(id) = bearer_key_id(headers) {
                audit.unverified_key(&id);
            }
            Err(e)
        }
    };
    st.finish(audit, result, ApiError::into_response).await
}

fn bearer_key_id(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let t = v.strip_prefix("Bearer ")?;
    keyward_crypto::bearer::parse_token(t)
        .ok()
        .map(|p| p.access_key_id)
}

/// Reads a request body up to the configured limit, with a clear error past it.
pub(crate) async fn read_body(st: &AppState, body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, st.cfg.max_body_bytes).await.map_err(|_| {
        ApiError::PayloadTooLarge(format!(
            "the request body is larger than {} bytes (the limit); secrets larger than that belong in a file store",
            st.cfg.max_body_bytes
        ))
    })
}

/// Parses a JSON body into `T`, naming the field at fault.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::InvalidParameter(
            "the request body is empty; send a JSON object".into(),
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::InvalidParameter(format!("the request body is not valid: {e}")))
}
