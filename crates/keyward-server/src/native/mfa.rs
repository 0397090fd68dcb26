//! `/v1/mfa/enable` (enrol a TOTP device for the caller) and `/v1/sts/session`
//! (trade a TOTP code for an MFA session credential).
//!
//! Both act on the caller only and need no policy grant: enrolling and proving a
//! code raise the caller's assurance, they grant nothing. Replacing an enrolled
//! device does need an MFA session, or a stolen access key could re-enrol MFA.
//! An explicit `Deny` of `iam:EnableMFADevice` still holds (with the request's
//! condition keys), so an administrator can fence enrolment in, e.g. by network.

use super::{Bearer, audited, extras, read_json};
use crate::action::Action;
use crate::body_limit::LimitedBody;
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::mfa::{DEFAULT_SESSION_SECS, MAX_SESSION_SECS, MIN_SESSION_SECS};
use crate::scrub::SecretBody;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use keyward_api::mfa::{MfaEnrolment, SessionCredentials, SessionRequest};
use keyward_policy::Decision;
use std::sync::Arc;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/mfa/enable", post(enable))
        .route("/v1/sts/session", post(session))
}

#[utoipa::path(
    post,
    path = "/v1/mfa/enable",
    tag = "identities",
    summary = "Enrol a TOTP device for the caller: {secret, otpauth_uri}, shown once. Needs no policy grant; replacing an enrolled device needs an MFA session",
    responses((status = 200, description = "Success", body = MfaEnrolment), (status = 400, description = "Invalid input", body = keyward_api::ErrorBody), (status = 403, description = "Missing or bad credentials, or a wrong code", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:EnableMFADevice")))
)]
pub(super) async fn enable(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
) -> Response {
    audited(&st, &meta, auth, Action::EnableMfaDevice, async |call, audit| {
        let p = &call.caller.principal;
        audit.resource(p.arn.clone());
        let decision = st.decide(&call.caller, call.action, &p.arn, &extras(&meta));
        if matches!(decision, Decision::ExplicitDeny { .. }) {
            call.authorize(&p.arn)?;
        }
        let existing = st.store.get_mfa_device(p.id).await.map_err(ApiError::from)?;
        if existing.is_some() && call.caller.mfa_authenticated_at.is_none() {
            return Err(ApiError::AccessDenied(format!(
                "{} already has an MFA device; replacing it needs an MFA session: run `keyward login --mfa CODE` and retry with the session credentials",
                p.arn
            )));
        }
        let e = st.enable_mfa(p, audit).await?;
        Ok(SecretBody(MfaEnrolment {
            principal: p.name.clone(),
            secret: e.secret,
            otpauth_uri: e.otpauth_uri,
        }))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/v1/sts/session",
    tag = "identities",
    summary = "Trade a TOTP code ({code, duration_seconds}) for an MFA session credential: {AccessKeyId, SecretAccessKey, SessionToken, Expiration}. Send the token as X-Amz-Security-Token beside the bearer token",
    request_body = SessionRequest,
    responses((status = 200, description = "Success", body = SessionCredentials), (status = 400, description = "Invalid input", body = keyward_api::ErrorBody), (status = 403, description = "Missing or bad credentials, or a wrong code", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("sts:GetSessionToken")))
)]
pub(super) async fn session(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    audited(
        &st,
        &meta,
        auth,
        Action::GetSessionToken,
        async |call, audit| {
            let p = &call.caller.principal;
            audit.resource(p.arn.clone());
            if call.caller.mfa_authenticated_at.is_some() {
                return Err(ApiError::AccessDenied(
                    "a session cannot start another session: log in with your access key".into(),
                ));
            }
            let req: SessionRequest = read_json(body).await?;
            let secs = req.duration_seconds.unwrap_or(DEFAULT_SESSION_SECS);
            if !(MIN_SESSION_SECS..=MAX_SESSION_SECS).contains(&secs) {
                return Err(ApiError::InvalidParameter(format!(
                    "duration_seconds must be from {MIN_SESSION_SECS} to {MAX_SESSION_SECS}"
                )));
            }
            st.verify_mfa_code(p, req.code.expose()).await?;
            let s = st.issue_session(p, secs)?;
            Ok(SecretBody(SessionCredentials {
                expiration: s
                    .expiration
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                access_key_id: s.access_key_id,
                secret_access_key: s.secret_access_key,
                session_token: s.session_token,
            }))
        },
    )
    .await
}
