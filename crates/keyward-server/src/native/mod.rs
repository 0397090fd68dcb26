//! The native JSON API under `/v1/`. Bearer-token authenticated; every route maps to
//! an AWS action name so one policy governs native and AWS access alike.

mod alerts;
mod audit;
mod backup;
mod batch;
mod files;
mod identities;
mod leaks;
mod lookup;
mod mfa;
mod openapi;
mod recovery;
mod rotation;
mod scan;
mod secrets;
mod sys;

use crate::action::Action;
use crate::authz::AuthzExtras;
use crate::body_limit::{BodyError, LimitedBody};
use crate::ctx::{Audit, RequestMeta};
use crate::error::ApiError;
use crate::state::{AppState, Caller};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use http::request::Parts;
use std::sync::Arc;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .merge(sys::router())
        .merge(recovery::router())
        .merge(backup::router())
        .merge(secrets::router())
        .merge(identities::router())
        .merge(audit::router())
        .merge(mfa::router())
        .merge(scan::router())
        .merge(batch::router())
        .merge(files::router())
        .merge(rotation::router())
        .merge(alerts::router())
        .merge(leaks::router())
        .route("/v1/openapi.json", axum::routing::get(openapi::openapi))
}

/// The caller of a native request, resolved from its `Authorization: Bearer`
/// header before the handler runs. A failure is kept, not rejected, so that the
/// request is still audited (with the key id the token claimed) by [`audited`].
#[derive(Debug)]
pub(crate) struct Bearer {
    caller: Result<Caller, ApiError>,
    claimed_key: Option<String>,
}

impl FromRequestParts<Arc<AppState>> for Bearer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        st: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let caller = st.authenticate_bearer(&parts.headers).await;
        let claimed_key = match &caller {
            Ok(_) => None,
            Err(_) => bearer_key_id(&parts.headers),
        };
        Ok(Self {
            caller,
            claimed_key,
        })
    }
}

/// An authenticated native request: who, and the action it was audited as.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub st: &'a AppState,
    pub caller: Caller,
    pub action: Action,
    pub meta: &'a RequestMeta,
}

/// What authorization knows about a native request that is not about a secret.
pub(crate) fn extras(meta: &RequestMeta) -> AuthzExtras<'_> {
    AuthzExtras {
        source_ip: meta.source_ip.as_deref(),
        secure_transport: meta.secure_transport,
        user_agent: meta.user_agent.as_deref(),
        ..Default::default()
    }
}

impl Call<'_> {
    /// Authorizes the request's action on `resource`, with the request's source,
    /// transport and user agent as condition keys.
    pub fn authorize(&self, resource: &str) -> Result<(), ApiError> {
        self.authorize_with(resource, &extras(self.meta))
    }

    /// [`Call::authorize`] with the condition keys given.
    pub fn authorize_with(&self, resource: &str, extras: &AuthzExtras<'_>) -> Result<(), ApiError> {
        self.st
            .authorize(&self.caller, self.action.authorized_as(), resource, extras)
    }

    /// Authorizes another action the request also needs.
    pub fn authorize_also(
        &self,
        action: Action,
        resource: &str,
        extras: &AuthzExtras<'_>,
    ) -> Result<(), ApiError> {
        self.st.authorize(&self.caller, action, resource, extras)
    }
}

/// Runs `op` for an authenticated caller, audits, renders: the shape of every
/// native handler.
pub(crate) async fn audited<T, F>(
    st: &AppState,
    meta: &RequestMeta,
    auth: Bearer,
    action: Action,
    op: F,
) -> Response
where
    T: IntoResponse,
    F: AsyncFnOnce(Call<'_>, &mut Audit) -> Result<T, ApiError>,
{
    audited_on(st, meta, auth, action, None, op).await
}

/// [`audited`] for a request whose target is known from its path: the audit record
/// names `resource` even when authentication fails (`op` may refine it, e.g. to a
/// secret's full ARN).
pub(crate) async fn audited_on<T, F>(
    st: &AppState,
    meta: &RequestMeta,
    auth: Bearer,
    action: Action,
    resource: Option<String>,
    op: F,
) -> Response
where
    T: IntoResponse,
    F: AsyncFnOnce(Call<'_>, &mut Audit) -> Result<T, ApiError>,
{
    let mut audit = Audit::new(meta, action, "native");
    if let Some(r) = resource {
        audit.resource(r);
    }
    let result = match auth.caller {
        Ok(caller) => {
            audit.caller(&caller);
            let call = Call {
                st,
                caller,
                action,
                meta,
            };
            op(call, &mut audit).await
        }
        Err(e) => {
            if let Some(id) = auth.claimed_key {
                audit.unverified_key(&id);
            }
            Err(e)
        }
    };
    st.finish(audit, result, ApiError::into_response).await
}

/// [`audited_on`] for a request on one resource, which is authorized before `op`
/// runs: the shape of handlers that read, change or list what their path names
/// (`"*"` for a listing).
pub(crate) async fn authorized_on<T, F>(
    st: &AppState,
    meta: &RequestMeta,
    auth: Bearer,
    action: Action,
    resource: String,
    op: F,
) -> Response
where
    T: IntoResponse,
    F: AsyncFnOnce(Call<'_>, &mut Audit) -> Result<T, ApiError>,
{
    audited_on(
        st,
        meta,
        auth,
        action,
        Some(resource.clone()),
        async move |call, audit| {
            call.authorize(&resource)?;
            op(call, audit).await
        },
    )
    .await
}

/// A query string's parameters, or an invalid-parameter error saying what is wrong
/// with it (inside the handler, so that the request is still audited).
pub(crate) fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::InvalidParameter(format!("bad query string: {e}")))
}

fn bearer_key_id(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let t = v.strip_prefix("Bearer ")?;
    keyward_crypto::bearer::parse_token(t)
        .ok()
        .map(|p| p.access_key_id)
}

/// Reads a request body up to the limit (see [`crate::body_limit`]), with a clear
/// error past it.
pub(crate) async fn read_body(body: LimitedBody) -> Result<Bytes, ApiError> {
    body.read().await.map_err(|e| match e {
        BodyError::TooLarge { limit } => ApiError::PayloadTooLarge(format!(
            "the request body is larger than {limit} bytes (the limit); secrets larger than that belong in a file store"
        )),
        BodyError::Unreadable(e) => {
            ApiError::InvalidParameter(format!("the request body could not be read: {e}"))
        }
    })
}

/// Reads and parses a JSON body, then wipes the body's bytes (they may hold a value).
pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
    body: LimitedBody,
) -> Result<T, ApiError> {
    let bytes = read_body(body).await?;
    let parsed = parse_json(&bytes);
    crate::scrub::wipe(bytes);
    parsed
}

/// Parses a JSON body into `T`, naming the field at fault.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::InvalidParameter(
            "the request body is empty; send a JSON object".into(),
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let parsed: T = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let msg = redact_json_error(&e.into_inner().to_string());
        ApiError::InvalidParameter(if path.is_empty() || path == "." {
            format!("the request body is not valid: {msg}")
        } else {
            format!("the request body is not valid: field `{path}`: {msg}")
        })
    })?;
    // Trailing characters after the JSON value.
    de.end()
        .map_err(|e| ApiError::InvalidParameter(format!("the request body is not valid: {e}")))?;
    Ok(parsed)
}

/// serde's type errors quote the offending value (`invalid type: integer `1234`,
/// expected a string`), and that value may be a secret sent with the wrong type: keep
/// only its kind.
fn redact_json_error(msg: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some(at) = rest.find(", expected")
        {
            let kind = rest[..at]
                .split(['`', '"'])
                .next()
                .unwrap_or_default()
                .trim();
            return format!("{prefix}{kind}{}", &rest[at..]);
        }
    }
    msg.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_do_not_echo_values() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct B {
            value: String,
            n: Option<u8>,
        }
        for body in [
            r#"{"value": 73914628503917}"#,
            r#"{"value": 7391462850.3917}"#,
            r#"{"value": "x", "n": "73914628503917"}"#,
            r#"{"value": "x", "n": 73914628503917}"#,
        ] {
            let e = parse_json::<B>(body.as_bytes()).unwrap_err().to_string();
            assert!(!e.contains("73914628503917"), "{e}");
            assert!(!e.contains("7391462850"), "{e}");
            assert!(e.contains("invalid"), "{e}");
        }
        let e = parse_json::<B>(br#"{"value": "x", "colour": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour"), "{e}");
        let e = parse_json::<B>(br#"{"value": "x", "n": "7"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("field `n`"), "{e}");
        assert!(parse_json::<B>(br#"{"value": "x"} trailing"#).is_err());
        assert!(parse_json::<B>(br#"{"value": "x"}"#).is_ok());
    }
}
