//! Background jobs: work the server does on its own, not for a request (the purge
//! of expired secrets and the audit of folded authentication failures now;
//! rotation, backups and alert delivery next).
//!
//! Every job runs as keyward's system principal (its writes are audited as
//! `keyward:system`), only while the server is unsealed, and — for jobs whose
//! scope is the cluster — on one server at a time: before each run the server
//! takes or renews the job's lease in the store, which every server sharing the
//! database sees. A server that stops renewing loses the lease when it lapses and
//! another server's next tick takes the job over.
//!
//! A job must not hold a request's identity or skip the audit: it writes through
//! [`AppState::write`] with [`crate::ctx::Audit::system`].

mod alert_delivery;
mod auth_summaries;
mod purge;
mod snapshots;

use crate::error::ApiError;
use crate::state::AppState;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub use alert_delivery::AlertDelivery;
pub use auth_summaries::AuthFailureSummaries;
pub use purge::PurgeExpired;
pub use snapshots::Snapshots;

/// Where a job may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// On one server of those sharing the database at a time (held by lease).
    Cluster,
    /// On every server: the job works on this server's own memory.
    EachServer,
}

/// One kind of background work, run every [`Job::every`].
#[async_trait]
pub trait Job: Send + Sync + 'static {
    /// Stable name: the lease's key and the log's `job` field.
    fn name(&self) -> &'static str;
    fn every(&self) -> Duration;
    fn scope(&self) -> Scope {
        Scope::Cluster
    }
    /// Runs once. Errors are logged and the job runs again on its next tick.
    async fn run(&self, st: &AppState) -> Result<(), ApiError>;
}

/// How long a lease outlives the tick that took it: two missed renewals lose it.
fn lease_ttl(every: Duration) -> Duration {
    (every * 2 + Duration::from_secs(5)).max(Duration::from_secs(15))
}

/// Runs a set of jobs for one server, under one holder id in the lease table.
#[derive(Debug, Clone)]
pub struct Scheduler {
    holder: Arc<str>,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler {
    /// A scheduler with a holder id unique to this server process.
    pub fn new() -> Self {
        Self {
            holder: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4()).into(),
        }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Starts `job` on its own task, ticking every [`Job::every`].
    pub fn spawn(&self, st: Arc<AppState>, job: Arc<dyn Job>) {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(job.every());
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                me.tick(&st, job.as_ref()).await;
            }
        });
    }

    /// One tick of `job`: runs it if the server is unsealed and, for a cluster
    /// job, holds its lease. Returns whether it ran.
    pub async fn tick(&self, st: &AppState, job: &dyn Job) -> bool {
        if st.is_sealed() {
            return false;
        }
        if job.scope() == Scope::Cluster {
            let held = st
                .store
                .acquire_lease(
                    job.name(),
                    &self.holder,
                    lease_ttl(job.every()),
                    OffsetDateTime::now_utc(),
                )
                .await;
            match held {
                Ok(true) => {}
                Ok(false) => return false,
                Err(e) => {
                    // Fail closed: without the lease, another server may be running it.
                    tracing::error!(job = job.name(), error = %e, "cannot take the job's lease; skipping this run");
                    return false;
                }
            }
        }
        if let Err(e) = job.run(st).await {
            tracing::error!(job = job.name(), error = %e, "background job failed; it runs again on its next tick");
        }
        true
    }

    /// Gives up this server's leases (a clean shutdown), so another server need
    /// not wait for them to lapse.
    pub async fn release(&self, st: &AppState, jobs: &[Arc<dyn Job>]) {
        for job in jobs.iter().filter(|j| j.scope() == Scope::Cluster) {
            if let Err(e) = st.store.release_lease(job.name(), &self.holder).await {
                tracing::warn!(job = job.name(), error = %e, "could not release the job's lease");
            }
        }
    }
}

/// The jobs every server runs.
pub fn standard(st: &AppState) -> Vec<Arc<dyn Job>> {
    let mut jobs: Vec<Arc<dyn Job>> = vec![
        Arc::new(PurgeExpired),
        Arc::new(AuthFailureSummaries::new(st.cfg.auth_limits.window)),
        Arc::new(crate::rotation::RotationJob::new(
            st.cfg.rotation.check_every,
        )),
    ];
    if let (Some((every, schedule)), Some(db)) = (&st.cfg.snapshots, &st.cfg.db_path) {
        jobs.push(Arc::new(Snapshots {
            every: *every,
            schedule: schedule.clone(),
            db: db.clone(),
        }));
    }
    if let Some(n) = &st.cfg.alerts {
        jobs.push(Arc::new(AlertDelivery::new(n.clone())));
    }
    jobs
}

#[cfg(test)]
mod tests;
