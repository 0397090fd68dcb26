//! Failed authentication, rate-limited per source address and per access key id.
//!
//! Only failures count, and the limiter is asked only after a request has failed
//! authentication: a request with a valid signature always passes, so nobody can
//! lock a key out by knowing its id, and a busy client is never slowed. Each source
//! and each claimed key id has a token bucket (`burst` tokens, refilled at
//! `per_minute`). Within it every failure is answered as usual and audited on its
//! own; past it the failure is answered `ThrottlingException` (AWS API) or 429
//! (native API) and folded: one audit record per source or key and window carries
//! how many failures it stands for, so a flood of bad signatures cannot grow the
//! audit table, or the log, one record per request.

use crate::action::Action;
use keyward_store::{AuditEvent, Outcome};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sources and keys tracked at once; past this, unknown ones count as over the limit.
const MAX_TRACKED: usize = 100_000;

/// The limits, per source address and per access key id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthLimits {
    /// Failures a minute, sustained; 0 turns limiting off.
    pub per_minute: u32,
    /// Failures allowed at once before the sustained rate applies.
    pub burst: u32,
    /// How long folded failures are gathered into one summary record.
    pub window: Duration,
}

impl Default for AuthLimits {
    /// Generous enough that a test suite's few hundred deliberate failures are
    /// answered normally; a flood (thousands a second) is folded within a moment.
    fn default() -> Self {
        Self {
            per_minute: 100,
            burst: 300,
            window: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Source(String),
    AccessKey(String),
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    /// Failures folded since `window_start`, and one of them as a template.
    folded: u64,
    sample: Option<AuditEvent>,
    window_start: Instant,
}

/// What to do with a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limits: answer and audit it as usual.
    Record,
    /// Over a limit: answer `ThrottlingException`; it is counted in a summary.
    Fold,
}

#[derive(Debug, Default)]
pub struct AuthFailureLimiter {
    limits: AuthLimits,
    buckets: Mutex<HashMap<Key, Bucket>>,
}

impl AuthFailureLimiter {
    pub fn new(limits: AuthLimits) -> Self {
        Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn keys(event: &AuditEvent) -> Vec<Key> {
        let mut keys = Vec::with_capacity(2);
        if let Some(ip) = &event.source_ip {
            keys.push(Key::Source(ip.clone()));
        }
        if let Some(id) = &event.access_key_id {
            keys.push(Key::AccessKey(id.clone()));
        }
        keys
    }

    /// Counts a failed authentication described by `event`.
    pub fn on_failure(&self, event: &AuditEvent) -> Verdict {
        if self.limits.per_minute == 0 {
            return Verdict::Record;
        }
        let now = Instant::now();
        let capacity = f64::from(self.limits.burst.max(1));
        let rate = f64::from(self.limits.per_minute) / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let keys = Self::keys(event);
        let mut over = Vec::new();
        for key in &keys {
            let full = buckets.len() >= MAX_TRACKED;
            match buckets.get_mut(key) {
                Some(b) => {
                    let elapsed = now.duration_since(b.last).as_secs_f64();
                    b.tokens = (b.tokens + elapsed * rate).min(capacity);
                    b.last = now;
                    if b.tokens < 1.0 {
                        over.push(key.clone());
                    }
                }
                None if full => over.push(key.clone()),
                None => {
                    buckets.insert(
                        key.clone(),
                        Bucket {
                            tokens: capacity,
                            last: now,
                            folded: 0,
                            sample: None,
                            window_start: now,
                        },
                    );
                }
            }
        }
        if over.is_empty() {
            for key in &keys {
                if let Some(b) = buckets.get_mut(key) {
                    b.tokens -= 1.0;
                }
            }
            return Verdict::Record;
        }
        for key in &over {
            if let Some(b) = buckets.get_mut(key) {
                if b.folded == 0 {
                    b.window_start = now;
                    tracing::warn!(source = ?event.source_ip, access_key_id = ?event.access_key_id, "failed authentications over the limit: answering ThrottlingException and folding their audit records");
                }
                b.folded += 1;
                b.sample.get_or_insert_with(|| event.clone());
            }
        }
        Verdict::Fold
    }

    /// One summary record per source or key whose folding window has ended (all of
    /// them with `flush_all`), and forgets buckets that have fully refilled.
    pub fn take_summaries(&self, flush_all: bool) -> Vec<AuditEvent> {
        let now = Instant::now();
        let rate = f64::from(self.limits.per_minute) / 60.0;
        let capacity = f64::from(self.limits.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        for (key, b) in buckets.iter_mut() {
            if b.folded > 0
                && (flush_all || now.duration_since(b.window_start) >= self.limits.window)
            {
                let sample = b.sample.take();
                out.push(summary(key, b.folded, sample));
                b.folded = 0;
                b.window_start = now;
            }
        }
        buckets.retain(|_, b| {
            let refilled = b.tokens + now.duration_since(b.last).as_secs_f64() * rate;
            b.folded > 0 || refilled < capacity
        });
        out
    }
}

/// The record that stands for `count` folded failures of one source or key.
fn summary(key: &Key, count: u64, sample: Option<AuditEvent>) -> AuditEvent {
    let (source_ip, access_key_id) = match key {
        Key::Source(ip) => (Some(ip.clone()), None),
        Key::AccessKey(id) => (None, Some(id.clone())),
    };
    tracing::warn!(
        ?source_ip,
        ?access_key_id,
        count,
        "failed authentications folded over the limit in the last window"
    );
    AuditEvent {
        time: time::OffsetDateTime::now_utc(),
        request_id: uuid::Uuid::new_v4().to_string(),
        principal: None,
        access_key_id,
        source_ip,
        user_agent: None,
        action: Action::AuthenticationFailures.name().into(),
        resource: None,
        version_id: None,
        outcome: Outcome::Unauthenticated,
        error_code: Some("ThrottlingException".into()),
        api: sample.map(|s| s.api).unwrap_or_else(|| "aws".into()),
        count: Some(count),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(ip: &str, key: Option<&str>) -> AuditEvent {
        AuditEvent {
            time: time::OffsetDateTime::now_utc(),
            request_id: "r".into(),
            principal: None,
            access_key_id: key.map(str::to_string),
            source_ip: Some(ip.into()),
            user_agent: None,
            action: Action::GetSecretValue.name().into(),
            resource: None,
            version_id: None,
            outcome: Outcome::Unauthenticated,
            error_code: Some("InvalidSignatureException".into()),
            api: "aws".into(),
            count: None,
        }
    }

    #[test]
    fn a_burst_is_answered_then_the_rest_is_folded_and_summarised() {
        let l = AuthFailureLimiter::new(AuthLimits {
            per_minute: 60,
            burst: 5,
            window: Duration::from_secs(60),
        });
        let verdicts: Vec<Verdict> = (0..50)
            .map(|_| l.on_failure(&failure("10.0.0.1", Some("AKIAX"))))
            .collect();
        let recorded = verdicts.iter().filter(|v| **v == Verdict::Record).count();
        assert!((5..=6).contains(&recorded), "{recorded} recorded");
        let summaries = l.take_summaries(true);
        // One per source and one per key, each counting every folded failure.
        assert_eq!(summaries.len(), 2);
        for s in &summaries {
            assert_eq!(s.count, Some((50 - recorded) as u64));
            assert_eq!(s.error_code.as_deref(), Some("ThrottlingException"));
        }
        assert!(
            l.take_summaries(true).is_empty(),
            "a window is summarised once"
        );
    }

    #[test]
    fn one_flooded_key_does_not_throttle_other_sources_and_keys() {
        let l = AuthFailureLimiter::new(AuthLimits {
            per_minute: 60,
            burst: 3,
            window: Duration::from_secs(60),
        });
        for i in 0..10 {
            l.on_failure(&failure(&format!("10.0.1.{i}"), Some("AKIAVICTIM")));
        }
        // The key is over its limit from anywhere...
        assert_eq!(
            l.on_failure(&failure("10.0.2.1", Some("AKIAVICTIM"))),
            Verdict::Fold
        );
        // ...but another key from a fresh source is answered as usual.
        assert_eq!(
            l.on_failure(&failure("10.0.2.2", Some("AKIAOTHER"))),
            Verdict::Record
        );
    }

    #[test]
    fn zero_turns_limiting_off() {
        let l = AuthFailureLimiter::new(AuthLimits {
            per_minute: 0,
            burst: 0,
            window: Duration::from_secs(60),
        });
        for _ in 0..1000 {
            assert_eq!(l.on_failure(&failure("10.0.0.1", None)), Verdict::Record);
        }
    }
}
