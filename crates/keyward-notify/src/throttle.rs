//! Rate limits per rule and sink: at most `rate_limit` alerts of one rule go to one
//! sink per `rate_window`; the rest are folded, and when the window ends one summary
//! alert says how many were folded. Together with the rules' own windows this keeps
//! an attack from becoming an alert flood.

use crate::alert::{Alert, Severity};
use crate::config::Delivery;
use keyward_store::NewAlertDelivery;
use std::collections::HashMap;
use std::time::Duration;
use time::OffsetDateTime;

#[derive(Debug)]
struct Bucket {
    start: OffsetDateTime,
    sent: u32,
    folded: u64,
    severity: Severity,
}

/// A sink as the throttle sees it.
#[derive(Debug, Clone)]
pub struct Route {
    pub sink: String,
    pub min_severity: Severity,
}

/// Fans alerts out to the sinks that want them, within the rate limits.
#[derive(Debug)]
pub struct Throttle {
    routes: Vec<Route>,
    limit: u32,
    window: Duration,
    buckets: HashMap<(String, String), Bucket>,
}

fn row(sink: &str, alert: &Alert) -> NewAlertDelivery {
    NewAlertDelivery {
        sink: sink.to_string(),
        dedup_key: alert.id.clone(),
        rule: alert.rule.clone(),
        severity: alert.severity.as_str().into(),
        // An Alert is plain data: serialising it cannot fail.
        payload: serde_json::to_string(alert).unwrap_or_default(),
        created_at: alert.time,
    }
}

impl Throttle {
    pub fn new(routes: Vec<Route>, delivery: &Delivery) -> Self {
        Self {
            routes,
            limit: delivery.rate_limit,
            window: delivery.rate_window,
            buckets: HashMap::new(),
        }
    }

    /// The outbox rows for `alerts`, judged at `now`.
    pub fn route(&mut self, alerts: &[Alert], now: OffsetDateTime) -> Vec<NewAlertDelivery> {
        let mut out = self.tick(now);
        for alert in alerts {
            for route in &self.routes {
                if alert.severity < route.min_severity {
                    continue;
                }
                let b = self
                    .buckets
                    .entry((alert.rule.clone(), route.sink.clone()))
                    .or_insert(Bucket {
                        start: now,
                        sent: 0,
                        folded: 0,
                        severity: alert.severity,
                    });
                b.severity = b.severity.max(alert.severity);
                if b.sent < self.limit {
                    b.sent += 1;
                    out.push(row(&route.sink, alert));
                } else {
                    b.folded += alert.count.max(1);
                }
            }
        }
        out
    }

    /// Summaries of the windows that ended by `now`.
    pub fn tick(&mut self, now: OffsetDateTime) -> Vec<NewAlertDelivery> {
        let mut out = Vec::new();
        let window = self.window;
        self.buckets.retain(|(rule, sink), b| {
            if now - b.start < window {
                return true;
            }
            if b.folded > 0 {
                let summary = Alert {
                    id: format!(
                        "{rule}:folded:{sink}:{}",
                        b.start.unix_timestamp_nanos()
                    ),
                    rule: rule.clone(),
                    severity: b.severity,
                    summary: format!(
                        "{} more {rule} alerts in {}s were folded into this one by the rate limit ({} per window)",
                        b.folded,
                        window.as_secs(),
                        b.sent
                    ),
                    principal: None,
                    secret: None,
                    source_ip: None,
                    time: now,
                    count: b.folded,
                };
                out.push(row(sink, &summary));
            }
            false
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn alert(i: u64, sev: Severity) -> Alert {
        Alert {
            id: format!("unauthorized_access:{i}"),
            rule: "unauthorized_access".into(),
            severity: sev,
            summary: "s".into(),
            principal: None,
            secret: None,
            source_ip: None,
            time: datetime!(2026-01-14 10:00 UTC),
            count: 1,
        }
    }

    fn delivery(limit: u32) -> Delivery {
        Delivery {
            timeout: Duration::from_secs(1),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(1),
            give_up_after: Duration::from_secs(1),
            rate_limit: limit,
            rate_window: Duration::from_secs(60),
        }
    }

    #[test]
    fn a_flood_is_folded_into_one_summary_per_rule_sink_and_window() {
        let routes = vec![
            Route {
                sink: "ops".into(),
                min_severity: Severity::High,
            },
            Route {
                sink: "audit".into(),
                min_severity: Severity::Low,
            },
        ];
        let mut t = Throttle::new(routes, &delivery(3));
        let t0 = datetime!(2026-01-14 10:00 UTC);
        let alerts: Vec<Alert> = (0..100).map(|i| alert(i, Severity::Critical)).collect();
        let rows = t.route(&alerts, t0);
        assert_eq!(rows.len(), 6, "three per sink");
        assert!(t.tick(t0 + Duration::from_secs(30)).is_empty());
        let summaries = t.tick(t0 + Duration::from_secs(60));
        assert_eq!(summaries.len(), 2);
        for s in &summaries {
            let a: Alert = serde_json::from_str(&s.payload).unwrap();
            assert_eq!(a.count, 97);
            assert!(a.summary.contains("97 more"), "{}", a.summary);
        }
        assert!(t.tick(t0 + Duration::from_secs(600)).is_empty());
    }

    #[test]
    fn sinks_get_only_what_reaches_their_min_severity() {
        let routes = vec![Route {
            sink: "pager".into(),
            min_severity: Severity::Critical,
        }];
        let mut t = Throttle::new(routes, &delivery(10));
        let t0 = datetime!(2026-01-14 10:00 UTC);
        assert!(t.route(&[alert(1, Severity::High)], t0).is_empty());
        assert_eq!(t.route(&[alert(2, Severity::Critical)], t0).len(), 1);
    }
}
