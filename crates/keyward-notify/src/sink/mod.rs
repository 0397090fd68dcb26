//! Where alerts go. Each kind of destination is one [`Sink`]; [`build`] makes them
//! from `[[alert.sink]]`. A sink sends one alert and says whether it arrived; the
//! outbox ([`crate::delivery`]) does the retrying. Errors never carry a sink's URL,
//! key or password (a Slack URL is its credential): see [`SinkError`].

mod email;
mod http;
mod log;

use crate::alert::{Alert, Severity};
use crate::config::{ConfigError, SinkConfig, SinkKind};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// Why a delivery failed, fit for logs and `keyward alert ls`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// One destination for alerts.
#[async_trait]
pub trait Sink: Send + Sync + std::fmt::Debug + 'static {
    fn name(&self) -> &str;
    fn kind(&self) -> SinkKind;
    /// Alerts below this are not sent here.
    fn min_severity(&self) -> Severity;
    /// Sends one alert; `Ok` once the receiver accepted it.
    async fn send(&self, alert: &Alert) -> Result<(), SinkError>;
}

/// The sinks of `configs`, each bounded by `timeout` per attempt.
pub fn build(configs: &[SinkConfig], timeout: Duration) -> Result<Vec<Arc<dyn Sink>>, ConfigError> {
    configs
        .iter()
        .map(|c| -> Result<Arc<dyn Sink>, ConfigError> {
            c.validate()?;
            Ok(match c.kind {
                SinkKind::Webhook | SinkKind::Slack | SinkKind::Pagerduty => {
                    Arc::new(http::HttpSink::new(c, timeout)?)
                }
                SinkKind::Email => Arc::new(email::EmailSink::new(c, timeout)?),
                SinkKind::Log => Arc::new(log::LogSink::new(c)),
            })
        })
        .collect()
}
