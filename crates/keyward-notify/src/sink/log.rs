//! The log sink: alerts as `WARN` lines of the server's log (target `keyward::alert`).

use super::{Sink, SinkError};
use crate::alert::{Alert, Severity};
use crate::config::{SinkConfig, SinkKind};
use async_trait::async_trait;

#[derive(Debug)]
pub struct LogSink {
    name: String,
    min_severity: Severity,
}

impl LogSink {
    pub fn new(c: &SinkConfig) -> Self {
        Self {
            name: c.name.clone(),
            min_severity: c.min_severity(),
        }
    }
}

#[async_trait]
impl Sink for LogSink {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> SinkKind {
        SinkKind::Log
    }
    fn min_severity(&self) -> Severity {
        self.min_severity
    }
    async fn send(&self, alert: &Alert) -> Result<(), SinkError> {
        tracing::warn!(
            target: "keyward::alert",
            sink = %self.name,
            rule = %alert.rule,
            severity = %alert.severity,
            principal = alert.principal.as_deref().unwrap_or(""),
            secret = alert.secret.as_deref().unwrap_or(""),
            count = alert.count,
            id = %alert.id,
            "alert: {}",
            alert.summary
        );
        Ok(())
    }
}
