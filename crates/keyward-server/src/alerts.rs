//! Alerts, wired into the server: the rules see committed audit records through an
//! [`AuditSubscriber`], their outbox rows go through a bounded queue to one task
//! that writes them to the store, and the [`crate::jobs::AlertDelivery`] job sends
//! them. Nothing here is on a request's path: a slow or hanging sink delays only
//! the delivery job, and a full queue drops rows (counted, logged) rather than
//! ever making the audit feed wait.
//!
//! The rules, sinks and delivery logic live in `keyward_notify`.

use crate::audit_feed::AuditSubscriber;
use keyward_notify::Notifier;
use keyward_store::{AuditQuery, AuditRecord, NewAlertDelivery, Store};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;

/// Batches of outbox rows waiting to be written.
const QUEUE: usize = 1024;
/// How often the rules' windows are closed by the clock (follow-ups, summaries).
const TICK: Duration = Duration::from_secs(1);
/// Recent reads remembered at start-up, so `first_read` does not fire for them again.
const REMEMBER_READS: usize = 20_000;

/// Feeds the rules from the audit stream.
pub struct AlertSubscriber {
    notifier: Arc<Notifier>,
    queue: mpsc::Sender<Vec<NewAlertDelivery>>,
}

impl std::fmt::Debug for AlertSubscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AlertSubscriber { .. }")
    }
}

fn enqueue(queue: &mpsc::Sender<Vec<NewAlertDelivery>>, rows: Vec<NewAlertDelivery>) {
    if rows.is_empty() {
        return;
    }
    let n = rows.len();
    if queue.try_send(rows).is_err() {
        crate::metrics::global().alerts_dropped.inc_by(n as u64);
        tracing::error!(
            dropped = n,
            "the alert queue is full (the store is not keeping up); alerts dropped"
        );
    }
}

impl AuditSubscriber for AlertSubscriber {
    fn deliver(&self, records: &[AuditRecord]) {
        enqueue(
            &self.queue,
            self.notifier.observe(records, OffsetDateTime::now_utc()),
        );
    }
}

/// Starts the writer task and the window clock; returns the subscriber to add to
/// the audit feed.
pub fn start(store: Arc<dyn Store>, notifier: Arc<Notifier>) -> AlertSubscriber {
    let (tx, mut rx) = mpsc::channel::<Vec<NewAlertDelivery>>(QUEUE);
    let clock_tx = tx.clone();
    let clock = notifier.clone();
    let seed_store = store.clone();
    let seed = notifier.clone();
    tokio::spawn(async move {
        let recent = seed_store
            .list_audit(&AuditQuery {
                limit: Some(REMEMBER_READS),
                descending: true,
                ..Default::default()
            })
            .await;
        match recent {
            Ok(records) => seed.remember_reads(&records),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read recent audit records; first_read may repeat for earlier reads")
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            enqueue(&clock_tx, clock.tick(OffsetDateTime::now_utc()));
        }
    });
    tokio::spawn(async move {
        while let Some(rows) = rx.recv().await {
            let n = rows.len();
            if let Err(e) = store.enqueue_alerts(rows).await {
                crate::metrics::global().alerts_dropped.inc_by(n as u64);
                tracing::error!(error = %e, alerts = n, "cannot queue alerts in the outbox; they are lost");
            }
        }
    });
    AlertSubscriber {
        notifier,
        queue: tx,
    }
}
