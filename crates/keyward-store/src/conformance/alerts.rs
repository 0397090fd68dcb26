//! The alert outbox: queued once per (sink, dedup key), due by time, retried, finished.

use super::{CheckFailure, CheckResult};
use crate::Store;
use crate::model::{AlertAttempt, DeliveryState, NewAlertDelivery};
use std::time::Duration;
use time::OffsetDateTime;

fn alert(sink: &str, key: &str, at: OffsetDateTime) -> NewAlertDelivery {
    NewAlertDelivery {
        sink: sink.into(),
        dedup_key: key.into(),
        rule: "brute_force".into(),
        severity: "high".into(),
        payload: format!("{{\"id\":\"{key}\"}}"),
        created_at: at,
    }
}

/// Duplicates are skipped; due rows come oldest first; a retry waits; delivered rows leave the queue.
pub async fn alert_outbox_queues_once_and_retries<S: Store>(s: &S) -> CheckResult {
    let t0 = OffsetDateTime::now_utc();
    let added = s
        .enqueue_alerts(vec![alert("ops", "k1", t0), alert("pager", "k1", t0)])
        .await?;
    ensure!(added == 2, "two sinks' rows were not both queued ({added})");
    let again = s
        .enqueue_alerts(vec![
            alert("ops", "k1", t0),
            alert("ops", "k2", t0 + Duration::from_secs(1)),
        ])
        .await?;
    ensure!(
        again == 1,
        "a duplicate (sink, dedup_key) was queued again ({again})"
    );
    let due = s.due_alerts(t0, 10).await?;
    ensure!(
        due.len() == 2,
        "expected the two rows due at t0, got {}",
        due.len()
    );
    let due_later = s.due_alerts(t0 + Duration::from_secs(5), 10).await?;
    ensure!(
        due_later.len() == 3,
        "expected three due rows, got {}",
        due_later.len()
    );
    let first = due[0].clone();
    s.finish_alert_attempt(
        first.id,
        AlertAttempt::Retry {
            error: "connection refused".into(),
            next_at: t0 + Duration::from_secs(60),
        },
    )
    .await?;
    let due = s.due_alerts(t0 + Duration::from_secs(5), 10).await?;
    ensure!(
        due.iter().all(|d| d.id != first.id),
        "a row waiting for its retry was due early"
    );
    let due = s.due_alerts(t0 + Duration::from_secs(61), 10).await?;
    let retried = due
        .iter()
        .find(|d| d.id == first.id)
        .ok_or_else(|| CheckFailure("the retry never became due".into()))?;
    ensure!(
        retried.attempts == 1,
        "attempts not counted ({})",
        retried.attempts
    );
    ensure!(
        retried.last_error.as_deref() == Some("connection refused"),
        "last error lost"
    );
    s.finish_alert_attempt(first.id, AlertAttempt::Delivered { at: t0 })
        .await?;
    let second = due
        .iter()
        .find(|d| d.id != first.id)
        .map(|d| d.id)
        .unwrap_or(0);
    s.finish_alert_attempt(
        second,
        AlertAttempt::GaveUp {
            error: "gone".into(),
            at: t0,
        },
    )
    .await?;
    let due = s.due_alerts(t0 + Duration::from_secs(3600), 10).await?;
    ensure!(
        due.len() == 1,
        "finished rows are still due ({})",
        due.len()
    );
    let all = s.list_alerts(10).await?;
    ensure!(all.len() == 3, "list shows {} rows", all.len());
    ensure!(all[0].id > all[2].id, "list is not newest first");
    let delivered = all.iter().find(|d| d.id == first.id).map(|d| d.state);
    ensure!(
        delivered == Some(DeliveryState::Delivered),
        "state {delivered:?}"
    );
    ensure!(
        s.finish_alert_attempt(i64::MAX, AlertAttempt::Delivered { at: t0 })
            .await
            .is_err(),
        "finishing a missing row succeeded"
    );
    Ok(())
}
