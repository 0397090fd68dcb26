//! Alerts: recent deliveries, and test alerts to one sink.

use crate::{Client, ClientError, Request};
use keyward_api::alerts::{AlertList, TestAlert, TestAlertResult};

impl Client {
    /// The newest `limit` alert deliveries.
    pub fn alerts(&self, limit: usize) -> Result<AlertList, ClientError> {
        let req = Request::get("/v1/alerts").query("limit", limit);
        self.send(req, "alerts", "list alerts")
    }

    /// Sends a test alert to the sink named `sink` and reports whether it arrived.
    pub fn test_alert(&self, sink: &str) -> Result<TestAlertResult, ClientError> {
        let req = Request::post("/v1/alerts/test").json(&TestAlert {
            sink: sink.to_owned(),
        })?;
        self.send(req, "alert sink", "alert test")
    }
}
