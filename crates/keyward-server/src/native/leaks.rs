//! `POST /v1/scan/leaks`: `keyward scan --managed` reports which managed secrets it
//! found outside keyward (names and hit counts, never a value or where they were).
//! Each becomes a `keyward:LeakDetected` audit record on the secret, which the
//! `leaked_secret` alert rule watches.
//!
//! Only a caller that may fingerprint a secret can report a leak of it (it is the
//! one who could have found it), so nobody can raise alerts about secrets they
//! cannot see.

use super::{Bearer, audited_on, read_json};
use crate::action::Action;
use crate::authz::AuthzExtras;
use crate::body_limit::LimitedBody;
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use keyward_api::scan::{LeakReport, LeaksRecorded};
use keyward_store::Namespace;
use std::sync::Arc;

/// The action each reported secret is audited as (the alert rules' input).
pub const LEAK_ACTION: Action = Action::LeakDetected;
const FINGERPRINT_ACTION: Action = Action::GetSecretFingerprint;
/// Secrets one report may name.
const MAX_SECRETS: usize = 1000;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/scan/leaks", post(report))
}

#[utoipa::path(
    post,
    path = "/v1/scan/leaks",
    tag = "scan",
    summary = "Report managed secrets `keyward scan --managed` found outside keyward (audited as keyward:LeakDetected; raises the leaked_secret alert)",
    request_body = LeakReport,
    responses((status = 200, description = "Recorded", body = LeaksRecorded), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:GetSecretFingerprint")))
)]
pub(super) async fn report(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    audited_on(
        &st,
        &meta,
        auth,
        Action::ReportLeaks,
        Some("*".into()),
        async |call, audit| {
            let req: LeakReport = read_json(body).await?;
            if req.found.len() > MAX_SECRETS {
                return Err(ApiError::InvalidParameter(format!(
                    "a report names at most {MAX_SECRETS} secrets; send several"
                )));
            }
            let region = st.cfg.default_region.clone();
            let extras = AuthzExtras {
                region: Some(&region),
                ..super::extras(&meta)
            };
            let mut records = Vec::new();
            let mut unknown = 0u64;
            for f in &req.found {
                let name = f.secret.split('#').next().unwrap_or_default();
                let Some(secret) = st.find_secret(Namespace::Secrets, &region, name).await? else {
                    unknown += 1;
                    continue;
                };
                let per_secret = extras.clone().about(&secret);
                if st
                    .authorize(&call.caller, FINGERPRINT_ACTION, &secret.arn, &per_secret)
                    .is_err()
                {
                    unknown += 1;
                    continue;
                }
                let mut one = audit.derived(LEAK_ACTION);
                one.resource(secret.arn.clone());
                one.event.count = Some(f.hits.max(1));
                records.push(one);
            }
            let recorded = records.len() as u64;
            for r in records {
                st.record(r).await?;
            }
            Ok(Json(LeaksRecorded {
                recorded,
                skipped: unknown,
            }))
        },
    )
    .await
}
