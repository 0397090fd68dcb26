//! `[rotation]`, which only the file sets: Lambda ARNs that run as a command or
//! webhook rotator, retry timing, and the one test setting.

use super::opt_secs;
use anyhow::{Context, Result};
use keyward_server::ServerConfig;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// Rotation (`[rotation]`, file only): which Lambda ARNs run as which external
/// rotator, retries, and the one test setting.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationFileSettings {
    /// Seconds between the scheduler's looks for due and retried rotations. [default: 60]
    #[serde(default, deserialize_with = "opt_secs")]
    pub check_every: Option<Duration>,
    /// Seconds before the first retry of a failed rotation; doubles per attempt. [default: 60]
    #[serde(default, deserialize_with = "opt_secs")]
    pub retry_base: Option<Duration>,
    /// Longest wait between retries, seconds. [default: 3600]
    #[serde(default, deserialize_with = "opt_secs")]
    pub retry_max: Option<Duration>,
    /// Seconds one step of a command or webhook rotator may take. [default: 300]
    #[serde(default, deserialize_with = "opt_secs")]
    pub step_timeout: Option<Duration>,
    /// The URL command rotators reach keyward at (AWS_ENDPOINT_URL). [default: the listen address]
    pub endpoint: Option<String>,
    /// File holding the key the webhook rotator signs its requests with.
    pub webhook_secret_file: Option<PathBuf>,
    /// TEST ONLY: the shortest rate() allowed, in seconds, instead of AWS's 4 hours;
    /// below that, rate(N minutes|seconds) and Duration Nm/Ns are accepted too. Never
    /// set in production: a schedule then rotates as often as it says.
    #[serde(default, deserialize_with = "opt_secs")]
    pub test_minimum_rate: Option<Duration>,
    /// Programs a secret's `command` rotator may name, as exact paths. [default: none]
    #[serde(default)]
    pub commands: Vec<String>,
    /// URLs under which a secret's `webhook` rotator may call: the same scheme and
    /// host, the entry's port if it names one, a path under the entry's at a segment
    /// boundary, and never user info. [default: none]
    #[serde(default)]
    pub webhook_urls: Vec<String>,
    /// `RotationLambdaARN` → rotator, e.g.
    /// `[rotation.lambdas."arn:aws:lambda:...:function:rotate-db"]` with
    /// `rotator = "command"` and `command = "/usr/local/bin/rotate-db"`.
    #[serde(default)]
    pub lambdas: std::collections::BTreeMap<String, LambdaFileTarget>,
}

/// One `[rotation.lambdas."ARN"]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaFileTarget {
    /// `command` or `webhook`.
    pub rotator: String,
    pub command: Option<String>,
    pub url: Option<String>,
}

impl RotationFileSettings {
    /// Applies the section to `cfg`; `endpoint` is where keyward listens.
    pub fn apply(&self, cfg: &mut ServerConfig, endpoint: String) -> Result<()> {
        let r = &mut cfg.rotation;
        for (arn, t) in &self.lambdas {
            if !matches!(t.rotator.as_str(), "command" | "webhook") {
                anyhow::bail!(
                    "[rotation.lambdas.\"{arn}\"]: rotator must be \"command\" or \"webhook\", not {:?}",
                    t.rotator
                );
            }
            r.lambdas.insert(
                arn.clone(),
                keyward_server::rotation::LambdaTarget {
                    rotator: t.rotator.clone(),
                    command: t.command.clone(),
                    url: t.url.clone(),
                },
            );
        }
        for c in &self.commands {
            if !std::path::Path::new(c).is_absolute() {
                anyhow::bail!("[rotation] commands: {c:?} is not an absolute path");
            }
        }
        for u in &self.webhook_urls {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                anyhow::bail!("[rotation] webhook_urls: {u:?} is not an http(s) URL");
            }
        }
        r.commands = self.commands.clone();
        r.webhook_urls = self.webhook_urls.clone();
        if let Some(p) = &self.webhook_secret_file {
            let text = std::fs::read_to_string(p).with_context(|| {
                format!(
                    "[rotation] webhook_secret_file: cannot read {}",
                    p.display()
                )
            })?;
            r.webhook_secret = Some(keyward_crypto::SecretString::new(text.trim().to_string()));
        }
        if let Some(min) = self.test_minimum_rate {
            tracing::warn!(
                seconds = min.as_secs_f64(),
                "[rotation] test_minimum_rate is set: rotation schedules may run far more often than AWS allows (a test setting)"
            );
            r.limits.minimum_rate = min;
        }
        r.check_every = self.check_every.unwrap_or(r.check_every);
        r.retry_base = self.retry_base.unwrap_or(r.retry_base);
        r.retry_max = self.retry_max.unwrap_or(r.retry_max);
        r.step_timeout = self.step_timeout.unwrap_or(r.step_timeout);
        r.endpoint = Some(self.endpoint.clone().unwrap_or(endpoint));
        Ok(())
    }
}
