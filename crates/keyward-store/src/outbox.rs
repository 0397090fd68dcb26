//! The alert outbox's rows: one per alert and sink, queued before anything is sent.

use serde::Serialize;
use time::OffsetDateTime;

/// Where one delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Not sent yet, or to be retried at `next_attempt_at`.
    Pending,
    Delivered,
    /// Given up on after too many attempts or too long.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeliveryState::Pending),
            "delivered" => Some(DeliveryState::Delivered),
            "failed" => Some(DeliveryState::Failed),
            _ => None,
        }
    }
}

/// An alert to queue for one sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlertDelivery {
    pub sink: String,
    /// Identifies the alert: the same key for the same sink is queued once.
    pub dedup_key: String,
    pub rule: String,
    pub severity: String,
    /// The alert as JSON (names and counts, never a secret value).
    pub payload: String,
    pub created_at: OffsetDateTime,
}

/// A queued delivery and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertDelivery {
    pub id: i64,
    pub sink: String,
    pub dedup_key: String,
    pub rule: String,
    pub severity: String,
    pub payload: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub state: DeliveryState,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertAttempt {
    Delivered {
        at: OffsetDateTime,
    },
    /// Failed; try again at `next_at`.
    Retry {
        error: String,
        next_at: OffsetDateTime,
    },
    /// Failed for the last time.
    GaveUp {
        error: String,
        at: OffsetDateTime,
    },
}
