//! The rules about successful reads: off-hours access, a principal's first read of
//! a secret, and reads of many more distinct secrets than the principal's baseline.
//!
//! The baseline rule, documented: time is cut into windows (`window`, default one
//! hour) per principal. In each window the rule counts the distinct secrets the
//! principal read. The baseline is an exponentially weighted mean of the counts of
//! the principal's earlier windows (weight 0.3 on the newest; a window with no reads
//! counts as 0). A window alerts once, when its count reaches both `threshold`
//! (default 20) and `factor` (default 3) times the baseline. Nothing is trained;
//! a new principal's baseline is 0, so only `threshold` applies to it.

use super::{Engine, RuleId};
use crate::alert::Alert;
use keyward_store::AuditRecord;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use time::OffsetDateTime;

/// Weight of the newest window in the baseline.
const ALPHA: f64 = 0.3;
/// (principal, secret) pairs remembered for `first_read`; past this the memory is
/// cleared (and pairs may alert as first reads again), which keeps it bounded.
const MAX_PAIRS: usize = 200_000;
/// Principals tracked by the baseline rule.
const MAX_PRINCIPALS: usize = 50_000;

#[derive(Debug)]
struct PrincipalWindow {
    start: OffsetDateTime,
    distinct: HashSet<String>,
    baseline: f64,
    fired: bool,
}

#[derive(Debug, Default)]
pub(super) struct AccessMemory {
    seen: HashSet<(String, String)>,
    windows: HashMap<String, PrincipalWindow>,
}

impl AccessMemory {
    /// Remembers earlier reads (from the audit chain at start-up) without alerting.
    pub(super) fn remember(&mut self, principal: &str, secret: &str) {
        if self.seen.len() < MAX_PAIRS {
            self.seen
                .insert((principal.to_string(), secret.to_string()));
        }
    }

    /// Rolls the principals' windows that ended by `now` into their baselines.
    pub(super) fn tick(&mut self, now: OffsetDateTime, window: Duration) {
        for w in self.windows.values_mut() {
            roll(w, now, window);
        }
        self.windows
            .retain(|_, w| w.baseline > 0.01 || !w.distinct.is_empty());
    }
}

/// Moves `w` forward to the window holding `at`, folding the ended ones into the baseline.
fn roll(w: &mut PrincipalWindow, at: OffsetDateTime, window: Duration) {
    let elapsed = at - w.start;
    if elapsed < window {
        return;
    }
    let windows_passed = (elapsed.as_seconds_f64() / window.as_secs_f64()).floor() as i64;
    // The window that ended, then the empty ones after it (capped: 0 soon dominates).
    w.baseline = ALPHA * w.distinct.len() as f64 + (1.0 - ALPHA) * w.baseline;
    for _ in 1..windows_passed.min(50) {
        w.baseline *= 1.0 - ALPHA;
    }
    w.start += time::Duration::seconds_f64(window.as_secs_f64() * windows_passed as f64);
    w.distinct.clear();
    w.fired = false;
}

impl Engine {
    /// Records from before the engine started, so `first_read` knows them.
    pub fn remember_reads(&mut self, records: &[AuditRecord]) {
        for r in records {
            if r.event.outcome == keyward_store::Outcome::Success
                && super::is_read(&r.event.action)
                && let (Some(p), Some(s)) = (
                    &r.event.principal,
                    crate::alert::secret_name(r.event.resource.as_deref()),
                )
            {
                self.access.remember(p, &s);
            }
        }
    }

    pub(super) fn access_rules(
        &mut self,
        r: &AuditRecord,
        principal: &str,
        secret: &str,
        out: &mut Vec<Alert>,
    ) {
        let at = r.event.time;
        let base = |id: RuleId, severity, summary: String, count| Alert {
            id: format!("{}:{}", id.as_str(), r.seq),
            rule: id.as_str().into(),
            severity,
            summary,
            principal: Some(principal.to_string()),
            secret: Some(secret.to_string()),
            source_ip: r.event.source_ip.clone(),
            time: at,
            count,
        };
        if self.on(RuleId::OffHours).is_some()
            && let Some(hours) = self
                .rules
                .business_hours
                .iter()
                .find(|h| h.applies_to(secret))
            && !hours.contains(at)
        {
            // One per principal and secret per window (threshold semantics).
            let summary = format!(
                "{principal} read {secret} outside business hours ({})",
                hours.describe()
            );
            let subject = format!("{principal} on {secret}");
            self.threshold(
                RuleId::OffHours,
                r,
                &[subject],
                1,
                Some(principal.to_string()),
                Some(secret.to_string()),
                |_, _| summary.clone(),
                out,
            );
        }
        let first = self
            .access
            .seen
            .insert((principal.to_string(), secret.to_string()));
        if self.access.seen.len() > MAX_PAIRS {
            self.access.seen.clear();
        }
        if first && let Some(rule) = self.on(RuleId::FirstRead) {
            out.push(base(
                RuleId::FirstRead,
                rule.severity,
                format!("{principal} read {secret} for the first time"),
                1,
            ));
        }
        if let Some(rule) = self.on(RuleId::UnusualAccess) {
            if !self.access.windows.contains_key(principal)
                && self.access.windows.len() >= MAX_PRINCIPALS
            {
                return;
            }
            let factor = self.rules.unusual_factor;
            let w = self
                .access
                .windows
                .entry(principal.to_string())
                .or_insert_with(|| PrincipalWindow {
                    start: at,
                    distinct: HashSet::new(),
                    baseline: 0.0,
                    fired: false,
                });
            roll(w, at, rule.window);
            w.distinct.insert(secret.to_string());
            let n = w.distinct.len() as u64;
            if !w.fired && n >= rule.threshold && (n as f64) >= factor * w.baseline {
                w.fired = true;
                let baseline = w.baseline;
                out.push(base(
                    RuleId::UnusualAccess,
                    rule.severity,
                    format!(
                        "{principal} read {n} distinct secrets within {}s (baseline {baseline:.1} per window)",
                        rule.window.as_secs()
                    ),
                    n,
                ));
            }
        }
    }
}
