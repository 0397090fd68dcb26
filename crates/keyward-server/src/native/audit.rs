//! `/v1/audit`: reading the audit log and verifying its chain.

use super::{Bearer, audited_on, authorized_on, query};
use crate::action::Action;
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use keyward_api::identities::{AuditQuery as AuditFilter, AuditRecords, AuditVerification};
use keyward_store::{AuditQuery, Outcome};
use std::sync::Arc;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/audit", get(list_audit))
        .route("/v1/audit/verify", get(verify_audit))
}

#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "audit",
    summary = "List audit records",
    params(keyward_api::identities::AuditQuery),
    responses((status = 200, description = "Success", body = keyward_api::identities::AuditRecords), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("cloudtrail:LookupEvents")))
)]
pub(super) async fn list_audit(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    q: Result<Query<AuditFilter>, axum::extract::rejection::QueryRejection>,
) -> Response {
    audited_on(&st, &meta, auth, Action::LookupEvents, Some("*".into()), async |call, audit| {
        let q = query(q)?;
        audit.resource("*");
        call.authorize("*")?;
        let outcome = match &q.outcome {
            Some(o) => Some(Outcome::parse(o).ok_or_else(|| ApiError::InvalidParameter(format!(
                "unknown outcome {o:?}: use success, denied, unauthenticated, not_found, invalid or error"
            )))?),
            None => None,
        };
        let since = match &q.since {
            Some(s) => Some(time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| ApiError::InvalidParameter(format!("`since` must be an RFC 3339 time such as 2026-01-31T00:00:00Z, not {s:?}")))?),
            None => None,
        };
        // A secret filter may be a name: resolve it to its ARN.
        let resource = match &q.secret {
            Some(s) if !s.starts_with("arn:") => match st.find_secret(keyward_store::Namespace::Secrets, &st.cfg.default_region, s).await? {
                Some(sec) => Some(sec.arn),
                None => Some(st.would_be_arn(keyward_store::Namespace::Secrets, &st.cfg.default_region, s)),
            },
            other => other.clone(),
        };
        let principal = q.principal.map(|p| if p.starts_with("arn:") { p } else { st.principal_arn(&p) });
        let records = st.store.list_audit(&AuditQuery {
            resource, principal, outcome, since, after_seq: q.after_seq,
            limit: Some(q.limit.unwrap_or(100).min(10_000)), descending: q.after_seq.is_none(),
        }).await.map_err(ApiError::from)?;
        Ok(Json(AuditRecords { records: serde_json::to_value(records).map_err(|_| ApiError::Internal { request_id: String::new() })? }))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/audit/verify",
    tag = "audit",
    summary = "Verify the audit chain",
    responses((status = 200, description = "Success", body = keyward_api::identities::AuditVerification), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:VerifyAudit")))
)]
pub(super) async fn verify_audit(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
) -> Response {
    authorized_on(
        &st,
        &meta,
        auth,
        Action::VerifyAudit,
        "*".into(),
        async |_, _| {
            let keys = st.keys()?;
            let report = keyward_store::audit::verify_stored(st.store.as_ref(), &keys.audit_key)
                .await
                .map_err(ApiError::from)?;
            Ok(Json(AuditVerification {
                records: report.records,
                ok: report.ok,
                problems: report.problems,
            }))
        },
    )
    .await
}
