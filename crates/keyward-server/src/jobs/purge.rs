//! Purges secrets whose recovery window has ended.

use super::Job;
use crate::action::Action;
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::state::AppState;
use async_trait::async_trait;
use std::time::Duration;
use time::OffsetDateTime;

/// Once a minute, on one server: each purge is recorded (one record per secret,
/// as `secretsmanager:DeleteSecret` by the system principal) in its own transaction.
#[derive(Debug, Default)]
pub struct PurgeExpired;

#[async_trait]
impl Job for PurgeExpired {
    fn name(&self) -> &'static str {
        "purge-expired-secrets"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(60)
    }

    async fn run(&self, st: &AppState) -> Result<(), ApiError> {
        let mut audit = Audit::system(Action::DeleteSecret);
        let purged = st
            .write(&mut audit, async |w| {
                st.store.purge_expired(OffsetDateTime::now_utc(), w).await
            })
            .await?;
        if !purged.is_empty() {
            tracing::info!(
                count = purged.len(),
                "purged secrets whose recovery window ended"
            );
        }
        Ok(())
    }
}
