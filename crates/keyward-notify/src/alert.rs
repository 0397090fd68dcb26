//! What an alert says: the payload every sink renders, and its severity.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How bad it is. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One alert, as the webhook sink sends it (JSON) and the outbox stores it.
/// Built from audit records only: names, addresses and counts, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Unique per alert; the same alert raised by two servers has the same id
    /// (it is the outbox's de-duplication key and PagerDuty's `dedup_key`).
    pub id: String,
    /// The rule's stable id (see the README's list).
    pub rule: String,
    pub severity: Severity,
    /// One human sentence.
    pub summary: String,
    /// Who did it, when known.
    pub principal: Option<String>,
    /// The secret's name, when the alert is about one.
    pub secret: Option<String>,
    /// The client's address, when known.
    #[serde(default)]
    pub source_ip: Option<String>,
    /// When it happened (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// How many events this alert stands for (folded repeats included).
    pub count: u64,
}

/// A secret's name from an audit record's resource: the ARN's name part without
/// Secrets Manager's random six-character suffix, a parameter's name, or the
/// resource as it is. `*` and empty resources name no secret.
pub fn secret_name(resource: Option<&str>) -> Option<String> {
    let r = resource?.trim();
    if r.is_empty() || r == "*" {
        return None;
    }
    if let Some((_, rest)) = r.split_once(":secret:") {
        // Full ARNs end in `-` and six random characters.
        let name = match rest.rsplit_once('-') {
            Some((head, tail))
                if tail.len() == 6 && tail.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                head
            }
            _ => rest,
        };
        return Some(name.to_string());
    }
    if let Some((_, rest)) = r.split_once(":parameter") {
        return Some(rest.to_string());
    }
    Some(r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_come_out_of_arns() {
        assert_eq!(
            secret_name(Some(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC123"
            ))
            .as_deref(),
            Some("prod/db")
        );
        assert_eq!(
            secret_name(Some("arn:aws:ssm:us-east-1:123456789012:parameter/app/key")).as_deref(),
            Some("/app/key")
        );
        assert_eq!(secret_name(Some("*")), None);
        assert_eq!(secret_name(None), None);
        assert_eq!(secret_name(Some("plain")).as_deref(), Some("plain"));
    }

    #[test]
    fn severities_order_and_serialise_lowercase() {
        assert!(Severity::Low < Severity::Medium);
        assert!(Severity::High < Severity::Critical);
        assert_eq!(serde_json::to_string(&Severity::High).unwrap(), "\"high\"");
    }
}
