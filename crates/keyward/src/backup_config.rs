//! The `[backup]` section of the server config file: scheduled snapshots, their
//! destinations and retention (file only: a list of directories is no flag).

use anyhow::Result;
use keyward_backup::schedule::{Retention, Schedule};
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;
use std::time::Duration;

/// `[backup]`: no destinations, no scheduled snapshots.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSettings {
    /// Directories each snapshot is written to (the "several places").
    #[serde(default)]
    pub destinations: Vec<PathBuf>,
    /// Seconds between snapshots (the first is taken once the server is unsealed).
    #[serde(default, deserialize_with = "interval")]
    pub interval: Option<Duration>,
    /// Keep the newest snapshot of each of the last N hours, days, weeks.
    pub hourly: Option<u32>,
    pub daily: Option<u32>,
    pub weekly: Option<u32>,
    /// Encrypt to these age recipients instead of the root key.
    #[serde(default)]
    pub recipients: Vec<String>,
}

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);

/// At least a second, at most a week.
fn interval<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let secs: Option<f64> = Option::deserialize(d)?;
    secs.map(|s| {
        if (1.0..=604_800.0).contains(&s) {
            Ok(Duration::from_secs_f64(s))
        } else {
            Err(serde::de::Error::custom(format!(
                "interval {s} must be 1 to 604800 seconds"
            )))
        }
    })
    .transpose()
}

impl BackupSettings {
    /// The schedule to run, if any destination is set.
    pub fn schedule(&self) -> Result<Option<(Duration, Schedule)>> {
        if self.destinations.is_empty() {
            anyhow::ensure!(
                self.recipients.is_empty() && self.interval.is_none(),
                "[backup] in the server config file sets no destinations: add destinations = [\"/path\", ...] or remove the section"
            );
            return Ok(None);
        }
        let target = if self.recipients.is_empty() {
            keyward_backup::Target::RootKey
        } else {
            keyward_backup::parse_recipients(&self.recipients)
                .map_err(|e| anyhow::anyhow!("[backup] recipients: {e}"))?
        };
        let d = Retention::default();
        Ok(Some((
            self.interval.unwrap_or(DEFAULT_INTERVAL),
            Schedule {
                destinations: self.destinations.clone(),
                target,
                retention: Retention {
                    hourly: self.hourly.unwrap_or(d.hourly),
                    daily: self.daily.unwrap_or(d.daily),
                    weekly: self.weekly.unwrap_or(d.weekly),
                },
            },
        )))
    }
}
