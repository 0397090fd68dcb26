//! [`Notifier`]: the rules, the throttle and the sinks together, and the delivery
//! of the outbox.
//!
//! The server feeds committed audit records to [`Notifier::observe`] and queues the
//! rows it returns in the store's outbox; a background job calls
//! [`Notifier::deliver_due`], which sends each due row with a timeout and records
//! the outcome: delivered, retried later (exponential backoff with full jitter,
//! `retry_initial * 2^(attempt-1)` capped at `retry_max`), or given up after
//! `give_up_after`. Rows survive restarts, so alerts raised while a sink is down
//! arrive once it is back.

use crate::alert::Alert;
use crate::config::{AlertConfig, ConfigError, Delivery};
use crate::rules::Engine;
use crate::sink::{self, Sink, SinkError};
use crate::throttle::{Route, Throttle};
use keyward_store::{
    AlertAttempt, AlertDelivery, AuditRecord, NewAlertDelivery, Store, StoreError,
};
use rand::Rng;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

/// Rows sent per delivery run.
const BATCH: usize = 100;

/// The outcome of one delivery attempt, for metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempted {
    pub sink: String,
    pub rule: String,
    /// `delivered`, `retry` or `failed`.
    pub result: &'static str,
}

pub struct Notifier {
    engine: Mutex<Engine>,
    throttle: Mutex<Throttle>,
    sinks: Vec<Arc<dyn Sink>>,
    delivery: Delivery,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("sinks", &self.sinks)
            .field("delivery", &self.delivery)
            .finish_non_exhaustive()
    }
}

/// How long to wait before retry number `attempt` (1 = the first retry): the
/// exponential step, capped, with full jitter over its upper half so servers that
/// failed together do not retry together.
pub fn backoff(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let step = initial
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(max);
    let jitter: f64 = rand::thread_rng().gen_range(0.5..=1.0);
    step.mul_f64(jitter)
}

impl Notifier {
    /// Validates `config` and builds its sinks (reading CA files and the like).
    pub fn new(config: &AlertConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let delivery = config.delivery.resolve()?;
        let rules = config.rules.resolve()?;
        let sinks = sink::build(&config.sink, delivery.timeout)?;
        let routes = sinks
            .iter()
            .map(|s| Route {
                sink: s.name().to_string(),
                min_severity: s.min_severity(),
            })
            .collect();
        Ok(Self {
            engine: Mutex::new(Engine::new(rules)),
            throttle: Mutex::new(Throttle::new(routes, &delivery)),
            sinks,
            delivery,
        })
    }

    pub fn sinks(&self) -> &[Arc<dyn Sink>] {
        &self.sinks
    }

    pub fn sink(&self, name: &str) -> Option<&Arc<dyn Sink>> {
        self.sinks.iter().find(|s| s.name() == name)
    }

    pub fn delivery(&self) -> &Delivery {
        &self.delivery
    }

    /// Earlier reads, so `first_read` does not fire for them after a restart.
    pub fn remember_reads(&self, records: &[AuditRecord]) {
        self.engine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remember_reads(records);
    }

    /// The outbox rows `records` raise. Cheap and non-blocking: rules are counters.
    pub fn observe(&self, records: &[AuditRecord], now: OffsetDateTime) -> Vec<NewAlertDelivery> {
        let alerts = self
            .engine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .evaluate(records);
        self.route(&alerts, now)
    }

    /// Follow-ups and summaries of the windows that ended by `now`.
    pub fn tick(&self, now: OffsetDateTime) -> Vec<NewAlertDelivery> {
        let alerts = self
            .engine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .tick(now);
        self.route(&alerts, now)
    }

    fn route(&self, alerts: &[Alert], now: OffsetDateTime) -> Vec<NewAlertDelivery> {
        let mut t = self.throttle.lock().unwrap_or_else(|p| p.into_inner());
        if alerts.is_empty() {
            t.tick(now)
        } else {
            t.route(alerts, now)
        }
    }

    /// Sends one alert to one sink now, bounded by the delivery timeout.
    pub async fn send_to(&self, sink: &dyn Sink, alert: &Alert) -> Result<(), SinkError> {
        match tokio::time::timeout(self.delivery.timeout, sink.send(alert)).await {
            Ok(r) => r,
            Err(_) => Err(SinkError(format!(
                "{} sink {}: timed out after {:?}",
                sink.kind().as_str(),
                sink.name(),
                self.delivery.timeout
            ))),
        }
    }

    /// What to record after an attempt at `row` that ended with `result`.
    pub fn judge(
        &self,
        row: &AlertDelivery,
        result: Result<(), SinkError>,
        now: OffsetDateTime,
    ) -> AlertAttempt {
        match result {
            Ok(()) => AlertAttempt::Delivered { at: now },
            Err(e) if now - row.created_at >= self.delivery.give_up_after => AlertAttempt::GaveUp {
                error: format!("{e}; gave up after {} attempts", row.attempts + 1),
                at: now,
            },
            Err(e) => AlertAttempt::Retry {
                error: e.0,
                next_at: now
                    + backoff(
                        row.attempts + 1,
                        self.delivery.retry_initial,
                        self.delivery.retry_max,
                    ),
            },
        }
    }

    /// Sends every due row of the outbox (up to a batch), all sinks at once, each
    /// attempt bounded by the timeout, and records the outcomes.
    pub async fn deliver_due(&self, store: &dyn Store) -> Result<Vec<Attempted>, StoreError> {
        let now = OffsetDateTime::now_utc();
        let due = store.due_alerts(now, BATCH).await?;
        let attempts = due.into_iter().map(|row| async move {
            let result = match (
                self.sink(&row.sink),
                serde_json::from_str::<Alert>(&row.payload),
            ) {
                (Some(sink), Ok(alert)) => self.send_to(sink.as_ref(), &alert).await,
                (None, _) => Err(SinkError(format!(
                    "no sink named {:?} is configured any more",
                    row.sink
                ))),
                (_, Err(e)) => Err(SinkError(format!("the queued alert does not parse: {e}"))),
            };
            let finished = OffsetDateTime::now_utc();
            // A sink that is gone, or a row that cannot parse, will not get better.
            let outcome = match &result {
                Err(e) if self.sink(&row.sink).is_none() || e.0.starts_with("the queued alert") => {
                    AlertAttempt::GaveUp {
                        error: e.0.clone(),
                        at: finished,
                    }
                }
                _ => self.judge(&row, result, finished),
            };
            (row, outcome)
        });
        let outcomes = futures::future::join_all(attempts).await;
        let mut report = Vec::with_capacity(outcomes.len());
        for (row, outcome) in outcomes {
            let result = match &outcome {
                AlertAttempt::Delivered { .. } => "delivered",
                AlertAttempt::Retry { error, .. } => {
                    tracing::warn!(sink = %row.sink, rule = %row.rule, attempts = row.attempts + 1, error = %error, "alert delivery failed; will retry");
                    "retry"
                }
                AlertAttempt::GaveUp { error, .. } => {
                    tracing::error!(sink = %row.sink, rule = %row.rule, error = %error, "alert delivery given up");
                    "failed"
                }
            };
            store.finish_alert_attempt(row.id, outcome).await?;
            report.push(Attempted {
                sink: row.sink,
                rule: row.rule,
                result,
            });
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let (i, m) = (Duration::from_secs(2), Duration::from_secs(60));
        for _ in 0..50 {
            let b1 = backoff(1, i, m);
            assert!(
                b1 >= Duration::from_secs(1) && b1 <= Duration::from_secs(2),
                "{b1:?}"
            );
            let b3 = backoff(3, i, m);
            assert!(
                b3 >= Duration::from_secs(4) && b3 <= Duration::from_secs(8),
                "{b3:?}"
            );
            let b30 = backoff(30, i, m);
            assert!(b30 >= Duration::from_secs(30) && b30 <= m, "{b30:?}");
        }
    }
}
