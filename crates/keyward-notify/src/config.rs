//! The `[alert]` section of the server config file: sinks, rules, delivery.
//!
//! ```toml
//! [[alert.sink]]
//! name = "ops"
//! type = "webhook"            # webhook | slack | pagerduty | email | log
//! url = "https://hooks.example.com/keyward"
//! signing_secret = "..."
//! min_severity = "high"
//!
//! [alert.rules.brute_force]
//! threshold = 10
//! window = 60
//! ```
//! Unknown keys are refused (with their line) by the file parser; what serde
//! cannot check (a field that does not apply to a sink type, a missing URL) is
//! checked by [`AlertConfig::validate`].

use crate::alert::Severity;
use keyward_crypto::SecretString;
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;
use std::time::Duration;

/// Why the alert configuration was refused. Names the sink or rule at fault,
/// never a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("alert sink {sink:?}: {problem}")]
    Sink { sink: String, problem: String },
    #[error("alert rule {rule}: {problem}")]
    Rule { rule: String, problem: String },
    #[error("[alert.delivery]: {0}")]
    Delivery(String),
}

/// Seconds as a TOML number (`60`, `0.5`), more than 0.
pub(crate) fn opt_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let secs: Option<f64> = Option::deserialize(d)?;
    secs.map(|s| {
        if s > 0.0 && s <= 31.0 * 86_400.0 {
            Ok(Duration::from_secs_f64(s))
        } else {
            Err(serde::de::Error::custom(format!(
                "{s} must be more than 0 and at most 31 days in seconds"
            )))
        }
    })
    .transpose()
}

/// `[alert]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// `[[alert.sink]]`: where alerts go.
    #[serde(default)]
    pub sink: Vec<SinkConfig>,
    /// `[alert.rules.<id>]`: per-rule settings over the defaults.
    #[serde(default)]
    pub rules: crate::rules::RulesConfig,
    /// `[alert.delivery]`: timeouts, retries, rate limits.
    #[serde(default)]
    pub delivery: DeliverySettings,
}

/// The kinds of sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SinkKind {
    Webhook,
    Slack,
    Pagerduty,
    Email,
    Log,
}

impl SinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SinkKind::Webhook => "webhook",
            SinkKind::Slack => "slack",
            SinkKind::Pagerduty => "pagerduty",
            SinkKind::Email => "email",
            SinkKind::Log => "log",
        }
    }
}

/// How email reaches the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// STARTTLS, required: a server that does not offer it is an error.
    #[default]
    Starttls,
    /// Plain SMTP; allowed only to a loopback address (a local relay).
    None,
}

/// One `[[alert.sink]]`. Which fields apply depends on `type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    /// Unique; what `keyward alert test NAME` and the outbox call it.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: SinkKind,
    /// Alerts below this severity are not sent here. [default: low]
    #[serde(default)]
    pub min_severity: Option<Severity>,
    /// webhook, slack, pagerduty: where to POST (a secret: Slack's URL is its credential).
    #[serde(default)]
    pub url: Option<SecretString>,
    /// webhook: the key of the `Keyward-Signature` HMAC (required).
    #[serde(default)]
    pub signing_secret: Option<SecretString>,
    /// pagerduty: the Events API v2 integration (routing) key.
    #[serde(default)]
    pub routing_key: Option<SecretString>,
    /// email: the SMTP server.
    #[serde(default)]
    pub smtp_host: Option<String>,
    /// email: its port. [default: 587]
    #[serde(default)]
    pub smtp_port: Option<u16>,
    /// email: `starttls` (default) or `none` (loopback only).
    #[serde(default)]
    pub smtp_tls: Option<SmtpTls>,
    /// email: a PEM CA certificate to trust besides the public roots.
    #[serde(default)]
    pub smtp_ca_file: Option<PathBuf>,
    /// email: SMTP login, with `password`.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<SecretString>,
    /// email: the sender address.
    #[serde(default)]
    pub from: Option<String>,
    /// email: the administrators' addresses.
    #[serde(default)]
    pub to: Option<Vec<String>>,
}

impl SinkConfig {
    pub fn min_severity(&self) -> Severity {
        self.min_severity.unwrap_or(Severity::Low)
    }

    fn problem(&self, problem: impl Into<String>) -> ConfigError {
        ConfigError::Sink {
            sink: self.name.clone(),
            problem: problem.into(),
        }
    }

    /// The fields set that `type` does not use, by their config names.
    fn stray_fields(&self) -> Vec<&'static str> {
        let set = [
            ("url", self.url.is_some()),
            ("signing_secret", self.signing_secret.is_some()),
            ("routing_key", self.routing_key.is_some()),
            ("smtp_host", self.smtp_host.is_some()),
            ("smtp_port", self.smtp_port.is_some()),
            ("smtp_tls", self.smtp_tls.is_some()),
            ("smtp_ca_file", self.smtp_ca_file.is_some()),
            ("username", self.username.is_some()),
            ("password", self.password.is_some()),
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
        ];
        let allowed: &[&str] = match self.kind {
            SinkKind::Webhook => &["url", "signing_secret"],
            SinkKind::Slack => &["url"],
            SinkKind::Pagerduty => &["url", "routing_key"],
            SinkKind::Email => &[
                "smtp_host",
                "smtp_port",
                "smtp_tls",
                "smtp_ca_file",
                "username",
                "password",
                "from",
                "to",
            ],
            SinkKind::Log => &[],
        };
        set.iter()
            .filter(|(name, present)| *present && !allowed.contains(name))
            .map(|(name, _)| *name)
            .collect()
    }

    /// Checks what serde cannot: required fields per type, fields that do not apply.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.name.trim().is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(self.problem(
                "a sink name must be non-empty and use only letters, digits, `-`, `_` and `.`",
            ));
        }
        let stray = self.stray_fields();
        if !stray.is_empty() {
            return Err(self.problem(format!(
                "{} does not apply to a {} sink; remove it",
                stray.join(", "),
                self.kind.as_str()
            )));
        }
        let need = |present: bool, field: &str| {
            if present {
                Ok(())
            } else {
                Err(self.problem(format!("a {} sink needs `{field}`", self.kind.as_str())))
            }
        };
        match self.kind {
            SinkKind::Webhook => {
                need(self.url.is_some(), "url")?;
                // Unsigned alerts could be forged by anyone who finds the receiver.
                need(self.signing_secret.is_some(), "signing_secret")?;
                if self.signing_secret.as_ref().is_some_and(|s| s.len() < 16) {
                    return Err(self.problem("signing_secret must be at least 16 characters"));
                }
                check_url(self, self.url.as_ref())?;
            }
            SinkKind::Slack => {
                need(self.url.is_some(), "url")?;
                check_url(self, self.url.as_ref())?;
            }
            SinkKind::Pagerduty => {
                need(self.routing_key.is_some(), "routing_key")?;
                check_url(self, self.url.as_ref())?;
            }
            SinkKind::Email => {
                need(self.smtp_host.is_some(), "smtp_host")?;
                need(self.from.is_some(), "from")?;
                need(self.to.as_ref().is_some_and(|t| !t.is_empty()), "to")?;
                if self.username.is_some() != self.password.is_some() {
                    return Err(self.problem("username and password go together"));
                }
            }
            SinkKind::Log => {}
        }
        Ok(())
    }
}

/// URLs must be http(s); the error never repeats the URL (it may hold a token).
fn check_url(sink: &SinkConfig, url: Option<&SecretString>) -> Result<(), ConfigError> {
    let Some(url) = url else { return Ok(()) };
    match reqwest::Url::parse(url.expose()) {
        Ok(u) if u.scheme() == "https" || u.scheme() == "http" => Ok(()),
        Ok(_) => Err(sink.problem("url must start with https:// (or http://)")),
        Err(e) => Err(sink.problem(format!("url is not a valid URL ({e})"))),
    }
}

/// `[alert.delivery]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    /// Seconds one delivery attempt may take before it counts as failed. [default: 10]
    #[serde(default, deserialize_with = "opt_secs")]
    pub timeout: Option<Duration>,
    /// Seconds before the first retry; each retry doubles it (with jitter). [default: 2]
    #[serde(default, deserialize_with = "opt_secs")]
    pub retry_initial: Option<Duration>,
    /// Longest wait between retries, in seconds. [default: 300]
    #[serde(default, deserialize_with = "opt_secs")]
    pub retry_max: Option<Duration>,
    /// Seconds after which an undelivered alert is given up. [default: 86400]
    #[serde(default, deserialize_with = "opt_secs")]
    pub give_up_after: Option<Duration>,
    /// Alerts of one rule sent to one sink per `rate_window`; the rest are folded
    /// into one summary alert at the window's end. [default: 10]
    #[serde(default)]
    pub rate_limit: Option<u32>,
    /// Seconds of the rate limit's window. [default: 60]
    #[serde(default, deserialize_with = "opt_secs")]
    pub rate_window: Option<Duration>,
}

/// [`DeliverySettings`] with the defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delivery {
    pub timeout: Duration,
    pub retry_initial: Duration,
    pub retry_max: Duration,
    pub give_up_after: Duration,
    pub rate_limit: u32,
    pub rate_window: Duration,
}

impl DeliverySettings {
    pub fn resolve(&self) -> Result<Delivery, ConfigError> {
        let d = Delivery {
            timeout: self.timeout.unwrap_or(Duration::from_secs(10)),
            retry_initial: self.retry_initial.unwrap_or(Duration::from_secs(2)),
            retry_max: self.retry_max.unwrap_or(Duration::from_secs(300)),
            give_up_after: self.give_up_after.unwrap_or(Duration::from_secs(86_400)),
            rate_limit: self.rate_limit.unwrap_or(10),
            rate_window: self.rate_window.unwrap_or(Duration::from_secs(60)),
        };
        if d.retry_max < d.retry_initial {
            return Err(ConfigError::Delivery(
                "retry_max must be at least retry_initial".into(),
            ));
        }
        if d.rate_limit == 0 {
            return Err(ConfigError::Delivery(
                "rate_limit must be at least 1 (turn a rule off under [alert.rules] instead)"
                    .into(),
            ));
        }
        Ok(d)
    }
}

impl AlertConfig {
    /// Checks every sink and rule; sink names must be unique.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for s in &self.sink {
            s.validate()?;
            if !seen.insert(s.name.as_str()) {
                return Err(s.problem("another sink has the same name"));
            }
        }
        self.rules.resolve()?;
        self.delivery.resolve()?;
        Ok(())
    }
}
