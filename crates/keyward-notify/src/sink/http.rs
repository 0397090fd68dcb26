//! The sinks that POST JSON: the generic webhook (the alert itself, signed with
//! `Keyward-Signature`), Slack's incoming-webhook format, and PagerDuty's Events
//! API v2 (a `trigger` with the alert's id as `dedup_key`, so PagerDuty folds
//! repeats into one incident).

use super::{Sink, SinkError};
use crate::alert::{Alert, Severity};
use crate::config::{ConfigError, SinkConfig, SinkKind};
use async_trait::async_trait;
use keyward_crypto::SecretString;
use keyward_crypto::webhook::{SIGNATURE_HEADER, sign_webhook};
use serde_json::json;
use std::time::Duration;

/// PagerDuty's Events API v2 endpoint, used when a pagerduty sink sets no `url`.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

#[derive(Debug)]
pub struct HttpSink {
    name: String,
    kind: SinkKind,
    min_severity: Severity,
    url: SecretString,
    signing_secret: Option<SecretString>,
    routing_key: Option<SecretString>,
    client: reqwest::Client,
}

impl HttpSink {
    pub fn new(c: &SinkConfig, timeout: Duration) -> Result<Self, ConfigError> {
        let url = match (&c.url, c.kind) {
            (Some(u), _) => u.clone(),
            (None, SinkKind::Pagerduty) => SecretString::from(PAGERDUTY_EVENTS_URL),
            (None, _) => {
                return Err(ConfigError::Sink {
                    sink: c.name.clone(),
                    problem: "needs `url`".into(),
                });
            }
        };
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A receiver that redirects could bounce a signed alert anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("keyward/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Sink {
                sink: c.name.clone(),
                problem: format!("cannot build an HTTP client: {}", e.without_url()),
            })?;
        Ok(Self {
            name: c.name.clone(),
            kind: c.kind,
            min_severity: c.min_severity(),
            url,
            signing_secret: c.signing_secret.clone(),
            routing_key: c.routing_key.clone(),
            client,
        })
    }

    /// The body this sink sends for `alert`.
    pub fn body(&self, alert: &Alert) -> Vec<u8> {
        let v = match self.kind {
            SinkKind::Slack => slack_body(alert),
            SinkKind::Pagerduty => pagerduty_body(
                alert,
                self.routing_key.as_ref().map(|k| k.expose()).unwrap_or(""),
            ),
            _ => serde_json::to_value(alert).unwrap_or_default(),
        };
        serde_json::to_vec(&v).unwrap_or_default()
    }
}

/// Slack incoming-webhook message: a text fallback and one section block.
pub fn slack_body(alert: &Alert) -> serde_json::Value {
    let mut lines = vec![format!(
        "*[{}] {}*: {}",
        alert.severity.as_str().to_uppercase(),
        alert.rule,
        alert.summary
    )];
    let mut facts = Vec::new();
    if let Some(p) = &alert.principal {
        facts.push(format!("principal `{p}`"));
    }
    if let Some(s) = &alert.secret {
        facts.push(format!("secret `{s}`"));
    }
    if let Some(ip) = &alert.source_ip {
        facts.push(format!("from `{ip}`"));
    }
    facts.push(format!("count {}", alert.count));
    facts.push(
        alert
            .time
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    );
    lines.push(facts.join(" · "));
    let text = lines.join("\n");
    json!({
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    })
}

/// PagerDuty Events API v2 `trigger`.
pub fn pagerduty_body(alert: &Alert, routing_key: &str) -> serde_json::Value {
    let severity = match alert.severity {
        Severity::Critical => "critical",
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "info",
    };
    json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.id,
        "payload": {
            "summary": format!("[keyward] {}: {}", alert.rule, alert.summary),
            "source": "keyward",
            "severity": severity,
            "timestamp": alert.time.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "component": alert.secret.clone().unwrap_or_else(|| "keyward".into()),
            "class": alert.rule,
            "custom_details": {
                "principal": alert.principal,
                "secret": alert.secret,
                "source_ip": alert.source_ip,
                "count": alert.count,
            },
        },
    })
}

#[async_trait]
impl Sink for HttpSink {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> SinkKind {
        self.kind
    }
    fn min_severity(&self) -> Severity {
        self.min_severity
    }

    async fn send(&self, alert: &Alert) -> Result<(), SinkError> {
        let body = self.body(alert);
        let mut req = self
            .client
            .post(self.url.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(secret) = &self.signing_secret {
            let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
            req = req.header(
                SIGNATURE_HEADER,
                sign_webhook(secret.expose().as_bytes(), now, &body),
            );
        }
        // Errors drop the URL: it may be the sink's credential.
        let resp = req.body(body).send().await.map_err(|e| {
            SinkError(format!(
                "{} sink {}: {}",
                self.kind.as_str(),
                self.name,
                describe(&e)
            ))
        })?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(SinkError(format!(
                "{} sink {}: the receiver answered HTTP {}",
                self.kind.as_str(),
                self.name,
                status.as_u16()
            )))
        }
    }
}

/// A reqwest error without its URL.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        let mut msg = String::new();
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
        while let Some(s) = src {
            msg = s.to_string();
            src = s.source();
        }
        if msg.is_empty() {
            "request failed".into()
        } else {
            msg
        }
    }
}
