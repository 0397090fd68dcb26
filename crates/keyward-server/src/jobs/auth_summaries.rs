//! Audits the folded authentication failures this server counted (see `auth_limit`).

use super::{Job, Scope};
use crate::error::ApiError;
use crate::state::AppState;
use async_trait::async_trait;
use std::time::Duration;

/// Every server flushes its own counters: they live in its memory.
#[derive(Debug)]
pub struct AuthFailureSummaries {
    every: Duration,
}

impl AuthFailureSummaries {
    /// Ticks four times per folding window, within 250 ms..10 s.
    pub fn new(window: Duration) -> Self {
        Self {
            every: (window / 4).clamp(Duration::from_millis(250), Duration::from_secs(10)),
        }
    }
}

#[async_trait]
impl Job for AuthFailureSummaries {
    fn name(&self) -> &'static str {
        "audit-auth-failure-summaries"
    }

    fn every(&self) -> Duration {
        self.every
    }

    fn scope(&self) -> Scope {
        Scope::EachServer
    }

    async fn run(&self, st: &AppState) -> Result<(), ApiError> {
        let keys = st.keys()?;
        for event in st.auth_limiter.take_summaries(false) {
            if let Err(e) = keys.audit.record(event).await {
                tracing::error!(error = %e, "could not audit folded authentication failures");
            }
        }
        Ok(())
    }
}
