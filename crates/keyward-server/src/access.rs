//! `LastAccessedDate`: Secrets Manager reports the day (UTC) a secret was last
//! read. Recording it must not slow reads down, so a read only notes the secret
//! here and a background task writes the dates: at most one write per secret per
//! day, batched, off the request path.
//!
//! The note is lock-free when the secret (as the read already loaded it) was
//! accessed today; otherwise a short critical section checks the per-day set of
//! secrets already queued, so a burst of reads before the write lands still
//! queues the secret once.

use keyward_store::{Secret, Store};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use uuid::Uuid;

/// How long the writer gathers newly read secrets before writing them together.
/// The date shows in DescribeSecret/ListSecrets after this, as AWS's own
/// LastAccessedDate is not updated within the read either.
const GATHER: std::time::Duration = std::time::Duration::from_secs(5);
/// Most secrets remembered per day: past this, further secrets wait for the next
/// day rather than grow memory without bound.
const MAX_PER_DAY: usize = 1_000_000;

/// Notes reads of secrets and writes their access day in the background.
#[derive(Debug)]
pub struct AccessRecorder {
    enabled: bool,
    state: Mutex<Day>,
    wake: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct Day {
    start: Option<OffsetDateTime>,
    queued: HashSet<Uuid>,
    pending: Vec<(Uuid, OffsetDateTime)>,
}

/// Midnight UTC of `t`'s day: the granularity AWS reports.
pub fn day_start(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(time::UtcOffset::UTC)
        .replace_time(time::Time::MIDNIGHT)
}

impl AccessRecorder {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            state: Mutex::new(Day::default()),
            wake: tokio::sync::Notify::new(),
        }
    }

    /// Notes that `secret` was read now.
    pub fn note(&self, secret: &Secret) {
        if !self.enabled {
            return;
        }
        let today = day_start(OffsetDateTime::now_utc());
        if secret.last_accessed_at.is_some_and(|t| t >= today) {
            return;
        }
        let mut day = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if day.start != Some(today) {
            day.start = Some(today);
            day.queued.clear();
        }
        if day.queued.len() >= MAX_PER_DAY || !day.queued.insert(secret.id) {
            return;
        }
        day.pending.push((secret.id, today));
        drop(day);
        self.wake.notify_one();
    }

    fn take(&self) -> Vec<(Uuid, OffsetDateTime)> {
        std::mem::take(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()).pending)
    }

    /// A failed write forgets the secrets, so their next read queues them again.
    fn forget(&self, failed: &[(Uuid, OffsetDateTime)]) {
        let mut day = self.state.lock().unwrap_or_else(|p| p.into_inner());
        for (id, _) in failed {
            day.queued.remove(id);
        }
    }

    /// Writes queued access days until the runtime stops.
    pub fn spawn_writer(self: &Arc<Self>, store: Arc<dyn Store>) {
        if !self.enabled {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                me.wake.notified().await;
                // Gather the reads of the next few seconds into the same write: one
                // transaction for a burst of newly read secrets, not one each.
                tokio::time::sleep(GATHER).await;
                let batch = me.take();
                if batch.is_empty() {
                    continue;
                }
                if let Err(e) = store.record_access(batch.clone()).await {
                    tracing::warn!(error = %e, secrets = batch.len(), "could not record LastAccessedDate; will retry on the next read");
                    me.forget(&batch);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_start_is_midnight_utc() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time");
        let d = day_start(t);
        assert_eq!(d.unix_timestamp() % 86_400, 0);
        assert!(d <= t && t - d < time::Duration::days(1));
    }

    fn secret(last: Option<OffsetDateTime>) -> Secret {
        let now = OffsetDateTime::now_utc();
        Secret {
            id: Uuid::new_v4(),
            namespace: keyward_store::Namespace::Secrets,
            region: "us-east-1".into(),
            name: "s".into(),
            arn: "arn".into(),
            description: None,
            kms_key_id: None,
            tags: vec![],
            created_at: now,
            updated_at: now,
            last_accessed_at: last,
            deleted_at: None,
            rotation: None,
            resource_policy: None,
            metadata: serde_json::Value::Null,
        }
    }

    #[test]
    fn queues_each_secret_once_a_day() {
        let r = AccessRecorder::new(true);
        let a = secret(None);
        let b = secret(Some(
            day_start(OffsetDateTime::now_utc()) - time::Duration::days(3),
        ));
        let fresh = secret(Some(day_start(OffsetDateTime::now_utc())));
        for _ in 0..100 {
            r.note(&a);
            r.note(&b);
            r.note(&fresh);
        }
        let batch = r.take();
        assert_eq!(batch.len(), 2);
        assert!(batch.iter().any(|(id, _)| *id == a.id));
        assert!(batch.iter().any(|(id, _)| *id == b.id));
        r.note(&a);
        assert!(r.take().is_empty(), "already queued today");
        r.forget(&batch);
        r.note(&a);
        assert_eq!(
            r.take().len(),
            1,
            "a failed write is retried on the next read"
        );
    }

    #[test]
    fn off_records_nothing() {
        let r = AccessRecorder::new(false);
        r.note(&secret(None));
        assert!(r.take().is_empty());
    }
}
