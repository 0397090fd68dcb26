//! Sends the alert outbox's due rows (see `keyward_notify::delivery`).

use super::Job;
use crate::error::ApiError;
use crate::state::AppState;
use async_trait::async_trait;
use keyward_notify::Notifier;
use std::sync::Arc;
use std::time::Duration;

/// One server of a cluster delivers (the lease), so a row is sent once.
#[derive(Debug)]
pub struct AlertDelivery {
    notifier: Arc<Notifier>,
}

impl AlertDelivery {
    pub fn new(notifier: Arc<Notifier>) -> Self {
        Self { notifier }
    }
}

#[async_trait]
impl Job for AlertDelivery {
    fn name(&self) -> &'static str {
        "alert-delivery"
    }

    fn every(&self) -> Duration {
        Duration::from_millis(500)
    }

    async fn run(&self, st: &AppState) -> Result<(), ApiError> {
        let attempts = self
            .notifier
            .deliver_due(st.store.as_ref())
            .await
            .map_err(ApiError::from)?;
        let m = crate::metrics::global();
        for a in attempts {
            m.alert_deliveries
                .get_or_create(&crate::metrics::DeliveryLabels {
                    sink: a.sink,
                    result: a.result.to_string(),
                })
                .inc();
        }
        Ok(())
    }
}
