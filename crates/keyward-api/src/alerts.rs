//! `/v1/alerts`: recent alerts with their delivery state, and test alerts.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Query of `GET /v1/alerts`.
#[derive(Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// 1–1000 (default 100), newest first.
    pub limit: Option<usize>,
}

/// One alert's delivery to one sink. Every field is always sent; the alert's own
/// fields are `null` when its stored payload lacks them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertDelivery {
    pub id: Option<String>,
    pub sink: String,
    /// The rule's stable id.
    pub rule: String,
    pub severity: String,
    pub summary: Option<String>,
    pub principal: Option<String>,
    pub secret: Option<String>,
    pub count: Option<u64>,
    /// When it happened, RFC 3339.
    pub time: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertList {
    pub alerts: Vec<AlertDelivery>,
}

/// Body of `POST /v1/alerts/test`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestAlert {
    /// The sink's name in the server config file.
    pub sink: String,
}

/// Whether the test alert arrived.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TestAlertResult {
    pub sink: String,
    /// The sink's kind (`webhook`, `slack`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    pub delivered: bool,
    /// Why delivery failed; null when it arrived.
    pub error: Option<String>,
    /// The alert as sent.
    #[schema(value_type = Object)]
    pub alert: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deliveries_and_test_results_keep_their_nulls() {
        let row = json!({"id": null, "sink": "s", "rule": "r", "severity": "high",
            "summary": "x", "principal": null, "secret": null, "count": 1, "time": "t",
            "state": "pending", "attempts": 0, "next_attempt_at": "t", "last_error": null,
            "finished_at": null});
        let d: AlertDelivery = serde_json::from_value(row.clone()).unwrap();
        assert_eq!(serde_json::to_value(&d).unwrap(), row);
        let test = json!({"sink": "s", "type": "webhook", "delivered": false,
            "error": "refused", "alert": {"id": "test:1"}});
        let t: TestAlertResult = serde_json::from_value(test.clone()).unwrap();
        assert_eq!((t.kind.as_str(), t.delivered), ("webhook", false));
        assert_eq!(serde_json::to_value(&t).unwrap(), test);
    }
}
