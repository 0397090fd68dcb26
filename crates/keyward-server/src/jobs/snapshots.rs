//! Scheduled snapshots (`[backup]` in the server config): a backup written to
//! every destination, each verified after writing, old ones pruned by retention.

use super::Job;
use crate::action::Action;
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::state::AppState;
use async_trait::async_trait;
use keyward_backup::schedule::Schedule;
use keyward_store::Outcome;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Every `every`, on one server: each destination's outcome is audited as
/// `keyward:CreateBackup` by the system principal (resource: the file written,
/// or the destination that failed).
#[derive(Debug)]
pub struct Snapshots {
    pub every: Duration,
    pub schedule: Arc<Schedule>,
    pub db: PathBuf,
}

#[async_trait]
impl Job for Snapshots {
    fn name(&self) -> &'static str {
        "scheduled-snapshots"
    }

    fn every(&self) -> Duration {
        self.every
    }

    async fn run(&self, st: &AppState) -> Result<(), ApiError> {
        let audit_key = st.keys()?.audit_key.clone();
        let (db, schedule) = (self.db.clone(), self.schedule.clone());
        let handle = tokio::runtime::Handle::current();
        // Snapshotting, encrypting and writing block: off the async workers.
        let written = tokio::task::spawn_blocking(move || {
            handle.block_on(keyward_backup::schedule::snapshot(
                &db, &audit_key, &schedule,
            ))
        })
        .await
        .map_err(|_| ApiError::Internal {
            request_id: "scheduled-snapshots".into(),
        })?;
        for w in written {
            let mut audit = Audit::system(Action::CreateBackup);
            match &w.result {
                Ok(file) => {
                    audit.resource(file.display().to_string());
                    tracing::info!(file = %file.display(), pruned = w.pruned, "scheduled snapshot written and verified");
                }
                Err(e) => {
                    audit.resource(w.destination.display().to_string());
                    audit.event.outcome = Outcome::Error;
                    audit.event.error_code = Some("SnapshotFailed".into());
                    tracing::error!(destination = %w.destination.display(), error = %e, "scheduled snapshot failed");
                }
            }
            st.record(audit).await?;
        }
        Ok(())
    }
}
