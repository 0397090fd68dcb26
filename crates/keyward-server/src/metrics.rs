//! Prometheus metrics, served in the text format on a listener of their own
//! (`serve --metrics-listen ADDR`), never on the API's.
//!
//! - `keyward_requests_total{operation,outcome}` and
//!   `keyward_request_duration_seconds{operation}`: every API request, counted by a
//!   route layer. `operation` is the AWS action (`secretsmanager:GetSecretValue`)
//!   or the native route (`GET /v1/secrets/{name}`); `outcome` is `success`,
//!   `client_error`, `throttled` or `server_error` from the status code.
//! - `keyward_audit_queue_depth`, `keyward_audit_commit_duration_seconds`.
//! - `keyward_alert_deliveries_total{sink,result}` (`delivered`, `retry`, `failed`),
//!   `keyward_alerts_dropped_total`, `keyward_alert_outbox_pending`.
//! - `keyward_sealed` (1 sealed, 0 unsealed), `keyward_store_up` (1 reachable).
//!
//! Labels are operation names, sink names and outcomes only: never a secret's
//! name, a principal or a value.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub operation: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    pub sink: String,
    pub result: String,
}

type HistogramFamily = Family<OperationLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 100 µs .. ~3.3 s
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

/// Every metric keyward exports, registered once per process.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: HistogramFamily,
    pub audit_queue_depth: Gauge,
    pub audit_commit_seconds: Histogram,
    pub alert_deliveries: Family<DeliveryLabels, Counter>,
    pub alerts_dropped: Counter,
    pub alert_outbox_pending: Gauge,
    pub sealed: Gauge,
    pub store_up: Gauge,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "keyward_requests",
            "API requests by operation and outcome",
            requests.clone(),
        );
        let request_seconds: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "keyward_request_duration_seconds",
            "API request latency by operation, from its head to its answer's head",
            request_seconds.clone(),
        );
        let audit_queue_depth = Gauge::default();
        registry.register(
            "keyward_audit_queue_depth",
            "Audit records waiting for the group-commit writer",
            audit_queue_depth.clone(),
        );
        let audit_commit_seconds = latency_histogram();
        registry.register(
            "keyward_audit_commit_duration_seconds",
            "Time one audit batch takes to commit",
            audit_commit_seconds.clone(),
        );
        let alert_deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "keyward_alert_deliveries",
            "Alert delivery attempts by sink and result (delivered, retry, failed)",
            alert_deliveries.clone(),
        );
        let alerts_dropped = Counter::default();
        registry.register(
            "keyward_alerts_dropped",
            "Alerts lost because the outbox queue was full or the store refused them",
            alerts_dropped.clone(),
        );
        let alert_outbox_pending = Gauge::default();
        registry.register(
            "keyward_alert_outbox_pending",
            "Alerts queued for delivery (counted among the 1000 most recent)",
            alert_outbox_pending.clone(),
        );
        let sealed = Gauge::default();
        registry.register(
            "keyward_sealed",
            "1 when the server is sealed",
            sealed.clone(),
        );
        let store_up = Gauge::default();
        registry.register(
            "keyward_store_up",
            "1 when the store answers",
            store_up.clone(),
        );
        Self {
            registry,
            requests,
            request_seconds,
            audit_queue_depth,
            audit_commit_seconds,
            alert_deliveries,
            alerts_dropped,
            alert_outbox_pending,
            sealed,
            store_up,
        }
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// The operation a request is: its AWS action, or its native route.
fn operation(req: &Request) -> String {
    if let Some(target) = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
    {
        // `secretsmanager.GetSecretValue`, `AmazonSSM.GetParameter`.
        let (service, op) = target.split_once('.').unwrap_or(("", target));
        let service = match service {
            "secretsmanager" => "secretsmanager",
            "AmazonSSM" => "ssm",
            _ => "unknown",
        };
        // Only well-formed names become labels: a client must not mint series.
        if service != "unknown"
            && !op.is_empty()
            && op.len() <= 64
            && op.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return format!("{service}:{op}");
        }
        return "aws:unknown".into();
    }
    match req.extensions().get::<MatchedPath>() {
        Some(p) => format!("{} {}", req.method(), p.as_str()),
        None => "unknown".into(),
    }
}

fn outcome(status: http::StatusCode) -> &'static str {
    match status.as_u16() {
        429 => "throttled",
        s if s < 400 => "success",
        s if s < 500 => "client_error",
        _ => "server_error",
    }
}

/// The route layer that counts and times every request.
pub async fn track(req: Request, next: Next) -> Response {
    let op = operation(&req);
    let started = Instant::now();
    let resp = next.run(req).await;
    let m = global();
    m.requests
        .get_or_create(&RequestLabels {
            operation: op.clone(),
            outcome: outcome(resp.status()).into(),
        })
        .inc();
    m.request_seconds
        .get_or_create(&OperationLabels { operation: op })
        .observe(started.elapsed().as_secs_f64());
    resp
}

/// The Prometheus text format (0.0.4) of an OpenMetrics exposition: the same
/// samples, but a counter's `# HELP`/`# TYPE` name carries its `_total` suffix (in
/// OpenMetrics the family name does not), and there is no `# EOF`.
pub fn openmetrics_to_prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// `GET /metrics`: refreshes the gauges that are read, not counted, then encodes:
/// OpenMetrics when the scraper asks for it (as Prometheus does), else the
/// Prometheus text format.
async fn scrape(State(st): State<Arc<AppState>>, headers: http::HeaderMap) -> Response {
    let m = global();
    m.sealed.set(i64::from(st.is_sealed()));
    m.store_up
        .set(i64::from(crate::health::store_reachable(&st).await));
    if let Ok(keys) = st.keys() {
        m.audit_queue_depth.set(keys.audit.queue_depth() as i64);
    }
    if st.cfg.alerts.is_some()
        && let Ok(rows) = tokio::time::timeout(Duration::from_secs(2), st.store.list_alerts(1000))
            .await
            .unwrap_or(Ok(Vec::new()))
    {
        let pending = rows
            .iter()
            .filter(|r| r.state == keyward_store::DeliveryState::Pending)
            .count();
        m.alert_outbox_pending.set(pending as i64);
    }
    let mut body = String::new();
    if prometheus_client::encoding::text::encode(&mut body, &m.registry).is_err() {
        return http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let wants_openmetrics = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/openmetrics-text"));
    if wants_openmetrics {
        (
            [(
                http::header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            body,
        )
            .into_response()
    } else {
        (
            [(
                http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            openmetrics_to_prometheus_text(&body),
        )
            .into_response()
    }
}

/// Serves `/metrics` on `listener` until `shutdown` resolves.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_keep_their_total_suffix_in_the_prometheus_text_format() {
        let om = "# HELP a_requests Requests.\n# TYPE a_requests counter\na_requests_total{op=\"x\"} 3\n# HELP g A gauge.\n# TYPE g gauge\ng 1\n# EOF\n";
        let text = openmetrics_to_prometheus_text(om);
        assert_eq!(
            text,
            "# HELP a_requests_total Requests.\n# TYPE a_requests_total counter\na_requests_total{op=\"x\"} 3\n# HELP g A gauge.\n# TYPE g gauge\ng 1\n"
        );
    }

    #[test]
    fn only_well_formed_aws_targets_become_operation_labels() {
        let req = |target: &str| {
            http::Request::builder()
                .header("x-amz-target", target)
                .body(axum::body::Body::empty())
                .expect("request")
        };
        assert_eq!(
            operation(&req("secretsmanager.GetSecretValue")),
            "secretsmanager:GetSecretValue"
        );
        assert_eq!(
            operation(&req("AmazonSSM.GetParameter")),
            "ssm:GetParameter"
        );
        assert_eq!(
            operation(&req("secretsmanager.Get{evil=\"1\"}")),
            "aws:unknown"
        );
        assert_eq!(operation(&req("Other.Thing")), "aws:unknown");
    }
}
