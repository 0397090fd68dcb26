//! What `keyward scan --managed` asks of the server: fingerprints of the stored
//! values (never the values), and a report of the ones found in files.

use crate::{Client, ClientError, Request};
use keyward_api::scan::{FingerprintRequest, Fingerprints, LeakReport, LeaksRecorded};

impl Client {
    /// Keyed fingerprints of the current values the caller may read.
    pub fn scan_fingerprints(&self, req: &FingerprintRequest) -> Result<Fingerprints, ClientError> {
        let r = Request::post("/v1/scan/fingerprints").json(req)?;
        self.send(r, "fingerprints", "scan fingerprints")
    }

    /// Reports managed secrets found outside keyward (raises the leaked_secret alert).
    pub fn report_leaks(&self, report: &LeakReport) -> Result<LeaksRecorded, ClientError> {
        let r = Request::post("/v1/scan/leaks").json(report)?;
        self.send(r, "leak report", "leak report")
    }
}
