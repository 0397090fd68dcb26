//! `/v1/alerts`: recent alerts and their delivery state (`keyward alert ls`), and a
//! test alert sent to one sink now (`keyward alert test NAME`).

use super::{Bearer, audited_on, read_json};
use crate::action::Action;
use crate::body_limit::LimitedBody;
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use keyward_api::alerts::{AlertDelivery, AlertList, AlertQuery, TestAlert, TestAlertResult};
use keyward_notify::{Alert, Notifier, Severity};
use serde_json::Value;
use std::sync::Arc;

const LIST_ACTION: Action = Action::ListAlerts;
const TEST_ACTION: Action = Action::TestAlertSink;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/alerts", get(list))
        .route("/v1/alerts/test", post(test))
}

fn notifier(st: &AppState) -> Result<&Arc<Notifier>, ApiError> {
    st.cfg.alerts.as_ref().ok_or_else(|| {
        ApiError::InvalidRequest(
            "alerts are not configured on this server: add [[alert.sink]] sections to the server config file (docs/server-config.md)".into(),
        )
    })
}

#[utoipa::path(
    get,
    path = "/v1/alerts",
    tag = "alerts",
    summary = "Recent alerts per sink and their delivery state, newest first",
    params(AlertQuery),
    responses((status = 200, description = "Success", body = AlertList), (status = 400, description = "Invalid input or alerts not configured", body = keyward_api::ErrorBody), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:ListAlerts")))
)]
pub(super) async fn list(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    q: Result<Query<AlertQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    audited_on(
        &st,
        &meta,
        auth,
        LIST_ACTION,
        Some("*".into()),
        async |call, _audit| {
            let Query(q) =
                q.map_err(|e| ApiError::InvalidParameter(format!("bad query string: {e}")))?;
            call.authorize("*")?;
            let rows = st
                .store
                .list_alerts(q.limit.unwrap_or(100).clamp(1, 1000))
                .await
                .map_err(ApiError::from)?;
            let alerts = rows
                .into_iter()
                .map(|r| {
                    // The stored payload is an `Alert` as sent; a field it lacks is null.
                    let alert: Value = serde_json::from_str(&r.payload).unwrap_or(Value::Null);
                    let text = |k: &str| alert[k].as_str().map(str::to_owned);
                    AlertDelivery {
                        id: text("id"),
                        sink: r.sink,
                        rule: r.rule,
                        severity: r.severity,
                        summary: text("summary"),
                        principal: text("principal"),
                        secret: text("secret"),
                        count: alert["count"].as_u64(),
                        time: text("time"),
                        state: r.state.as_str().into(),
                        attempts: r.attempts,
                        next_attempt_at: super::secrets::rfc3339(r.next_attempt_at),
                        last_error: r.last_error,
                        finished_at: r.finished_at.map(super::secrets::rfc3339),
                    }
                })
                .collect();
            Ok(Json(AlertList { alerts }))
        },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v1/alerts/test",
    tag = "alerts",
    summary = "Send a test alert to one sink now and report whether it arrived",
    request_body = TestAlert,
    responses((status = 200, description = "Sent or failed (see `delivered`)", body = TestAlertResult), (status = 400, description = "Invalid input or alerts not configured", body = keyward_api::ErrorBody), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 404, description = "No such sink", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:TestAlertSink")))
)]
pub(super) async fn test(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    audited_on(
        &st,
        &meta,
        auth,
        TEST_ACTION,
        Some("*".into()),
        async |call, audit| {
            let req: TestAlert = read_json(body).await?;
            call.authorize("*")?;
            let n = notifier(&st)?;
            let sink = n.sink(&req.sink).ok_or_else(|| {
                let names: Vec<&str> = n.sinks().iter().map(|s| s.name()).collect();
                ApiError::NotFound(format!(
                    "no alert sink named {:?}; configured: {}",
                    req.sink,
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ))
            })?;
            audit.resource(format!("alert-sink:{}", req.sink));
            let alert = Alert {
                id: format!("test:{}", uuid::Uuid::new_v4()),
                rule: "test".into(),
                severity: Severity::Low,
                summary: format!("test alert to sink {} from `keyward alert test`", req.sink),
                principal: Some(call.caller.principal.name.clone()),
                secret: None,
                source_ip: meta.source_ip.clone(),
                time: time::OffsetDateTime::now_utc(),
                count: 1,
            };
            let result = n.send_to(sink.as_ref(), &alert).await;
            let m = crate::metrics::global();
            m.alert_deliveries
                .get_or_create(&crate::metrics::DeliveryLabels {
                    sink: req.sink.clone(),
                    result: if result.is_ok() {
                        "delivered"
                    } else {
                        "failed"
                    }
                    .into(),
                })
                .inc();
            Ok(Json(TestAlertResult {
                sink: req.sink,
                kind: sink.kind().as_str().into(),
                delivered: result.is_ok(),
                error: result.err().map(|e| e.0),
                alert: serde_json::to_value(&alert).map_err(|_| ApiError::Internal {
                    request_id: meta.request_id.clone(),
                })?,
            }))
        },
    )
    .await
}
