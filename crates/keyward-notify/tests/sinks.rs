//! The HTTP sinks against a real local receiver: what each sends, that the webhook's
//! signature verifies, that failures name the sink but never its URL or key, and
//! that the outbox delivers, retries and gives up as documented.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use keyward_crypto::webhook::verify_webhook;
use keyward_notify::config::AlertConfig;
use keyward_notify::{Alert, Notifier, Severity};
use keyward_store::Store;
use keyward_store_sqlite::SqliteStore;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Got = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn record(
    State((got, status)): State<(Got, StatusCode)>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    got.lock().expect("lock").push((headers, body));
    status
}

async fn receiver(status: StatusCode) -> (String, Got) {
    let got: Got = Arc::default();
    let app = Router::new()
        .route("/hook", post(record))
        .with_state((got.clone(), status));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), got)
}

fn alert(severity: Severity) -> Alert {
    Alert {
        id: "unauthorized_access:42".into(),
        rule: "unauthorized_access".into(),
        severity,
        summary: "arn:aws:iam::1:user/eve was denied secretsmanager:GetSecretValue on prod/db"
            .into(),
        principal: Some("arn:aws:iam::1:user/eve".into()),
        secret: Some("prod/db".into()),
        source_ip: Some("10.1.2.3".into()),
        time: time::macros::datetime!(2026-01-14 10:00 UTC),
        count: 1,
    }
}

fn notifier(toml: &str) -> Notifier {
    let cfg: AlertConfig = toml::from_str(toml).expect("config parses");
    Notifier::new(&cfg).expect("config is valid")
}

const SECRET: &str = "sink-test-signing-secret-0123";

#[tokio::test]
async fn the_webhook_sends_the_alert_signed() {
    let (url, got) = receiver(StatusCode::OK).await;
    let n = notifier(&format!(
        "[[sink]]\nname = \"ops\"\ntype = \"webhook\"\nurl = \"{url}\"\nsigning_secret = \"{SECRET}\"\n"
    ));
    n.send_to(
        n.sink("ops").expect("sink").as_ref(),
        &alert(Severity::Critical),
    )
    .await
    .expect("delivered");
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    let (headers, body) = &got[0];
    let sig = headers["keyward-signature"].to_str().expect("ascii");
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    verify_webhook(SECRET.as_bytes(), sig, body, now, 60).expect("verifies");
    let v: serde_json::Value = serde_json::from_slice(body).expect("json");
    assert_eq!(v["rule"], "unauthorized_access");
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["secret"], "prod/db");
    assert_eq!(v["time"], "2026-01-14T10:00:00Z");
    assert_eq!(v["count"], 1);
    assert_eq!(headers["content-type"], "application/json");
}

#[tokio::test]
async fn slack_and_pagerduty_get_their_own_formats() {
    let (url, got) = receiver(StatusCode::ACCEPTED).await;
    let n = notifier(&format!(
        "[[sink]]\nname = \"chat\"\ntype = \"slack\"\nurl = \"{url}\"\n\n[[sink]]\nname = \"pager\"\ntype = \"pagerduty\"\nurl = \"{url}\"\nrouting_key = \"R0UTING-KEY\"\n"
    ));
    for name in ["chat", "pager"] {
        n.send_to(n.sink(name).expect("sink").as_ref(), &alert(Severity::High))
            .await
            .expect("delivered");
    }
    let got = got.lock().expect("lock").clone();
    let slack: serde_json::Value = serde_json::from_slice(&got[0].1).expect("json");
    let text = slack["text"].as_str().expect("text");
    assert!(
        text.contains("[HIGH] unauthorized_access") && text.contains("prod/db"),
        "{text}"
    );
    assert_eq!(slack["blocks"][0]["type"], "section");
    assert!(
        got[0].0.get("keyward-signature").is_none(),
        "Slack is not signed"
    );
    let pd: serde_json::Value = serde_json::from_slice(&got[1].1).expect("json");
    assert_eq!(pd["routing_key"], "R0UTING-KEY");
    assert_eq!(pd["event_action"], "trigger");
    assert_eq!(pd["dedup_key"], "unauthorized_access:42");
    assert_eq!(pd["payload"]["severity"], "error");
    assert_eq!(pd["payload"]["source"], "keyward");
    assert_eq!(pd["payload"]["custom_details"]["secret"], "prod/db");
}

#[tokio::test]
async fn failures_name_the_sink_and_never_its_url() {
    let (url, _got) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    let secret_url = format!("{url}?token=T0KEN-IN-URL");
    let n = notifier(&format!(
        "[[sink]]\nname = \"chat\"\ntype = \"slack\"\nurl = \"{secret_url}\"\n\n[[sink]]\nname = \"gone\"\ntype = \"slack\"\nurl = \"http://127.0.0.1:9/x?token=T0KEN-IN-URL\"\n"
    ));
    for name in ["chat", "gone"] {
        let e = n
            .send_to(n.sink(name).expect("sink").as_ref(), &alert(Severity::High))
            .await
            .expect_err("refused")
            .to_string();
        assert!(e.contains(name), "{e}");
        assert!(
            !e.contains("T0KEN-IN-URL") && !e.contains("127.0.0.1"),
            "{e}"
        );
    }
    assert!(
        !format!("{n:?}").contains("T0KEN-IN-URL"),
        "Debug redacts URLs"
    );
}

#[tokio::test]
async fn the_outbox_delivers_due_rows_retries_failures_and_gives_up_late_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("k.db")).expect("store");
    let (ok_url, got) = receiver(StatusCode::OK).await;
    let (bad_url, _) = receiver(StatusCode::SERVICE_UNAVAILABLE).await;
    let n = notifier(&format!(
        "[[sink]]\nname = \"ok\"\ntype = \"webhook\"\nurl = \"{ok_url}\"\nsigning_secret = \"{SECRET}\"\n\n[[sink]]\nname = \"bad\"\ntype = \"webhook\"\nurl = \"{bad_url}\"\nsigning_secret = \"{SECRET}\"\nmin_severity = \"high\"\n\n[delivery]\nretry_initial = 60\nretry_max = 60\n"
    ));
    // The rules raise one alert for a denied read; both sinks want it.
    let record = keyward_store::AuditRecord {
        seq: 7,
        mac: String::new(),
        event: keyward_store::AuditEvent {
            time: time::OffsetDateTime::now_utc(),
            request_id: "r".into(),
            principal: Some("arn:aws:iam::1:user/eve".into()),
            access_key_id: None,
            source_ip: None,
            user_agent: None,
            action: "secretsmanager:GetSecretValue".into(),
            resource: Some("prod/db".into()),
            version_id: None,
            outcome: keyward_store::Outcome::Denied,
            error_code: Some("AccessDeniedException".into()),
            api: "aws".into(),
            count: None,
        },
    };
    let rows = n.observe(&[record], time::OffsetDateTime::now_utc());
    assert_eq!(rows.len(), 2);
    store.enqueue_alerts(rows).await.expect("queued");
    let report = n.deliver_due(&store).await.expect("delivered");
    let mut results: Vec<(String, &str)> =
        report.iter().map(|a| (a.sink.clone(), a.result)).collect();
    results.sort();
    assert_eq!(
        results,
        [
            ("bad".to_string(), "retry"),
            ("ok".to_string(), "delivered")
        ]
    );
    assert_eq!(got.lock().expect("lock").len(), 1);
    // The failed one waits for its backoff: nothing is due now.
    assert!(n.deliver_due(&store).await.expect("run").is_empty());
    let rows = store.list_alerts(10).await.expect("list");
    let bad = rows.iter().find(|r| r.sink == "bad").expect("bad row");
    assert!(
        bad.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("HTTP 503"),
        "{bad:?}"
    );
    assert!(bad.next_attempt_at > time::OffsetDateTime::now_utc() + Duration::from_secs(20));
    // A row older than give_up_after is given up on its next failure.
    let judged = n.judge(
        &keyward_store::AlertDelivery {
            created_at: time::OffsetDateTime::now_utc() - Duration::from_secs(90_000),
            ..bad.clone()
        },
        Err(keyward_notify::sink::SinkError("down".into())),
        time::OffsetDateTime::now_utc(),
    );
    assert!(
        matches!(judged, keyward_store::AlertAttempt::GaveUp { .. }),
        "{judged:?}"
    );
}
