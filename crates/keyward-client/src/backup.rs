//! Downloading a backup: the one route whose answer is a file, not JSON, so it
//! streams instead of going through `call`.

use crate::{Client, ClientError, SESSION_TOKEN_HEADER, error_chain};
use keyward_api::sys::CreateBackup;
use std::io::Read;
use std::time::Duration;

/// A backup as the server streams it: read it to the end.
pub struct BackupDownload {
    resp: reqwest::blocking::Response,
    /// The manifest's counts from the `x-keyward-backup-counts` header; null
    /// when the server sent none.
    pub counts: serde_json::Value,
}

impl std::fmt::Debug for BackupDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupDownload")
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl BackupDownload {
    /// The file's size, when the server said.
    pub fn content_length(&self) -> Option<u64> {
        self.resp.content_length()
    }
}

impl Read for BackupDownload {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.resp.read(buf)
    }
}

impl Client {
    /// Asks the server for an encrypted backup of everything. A large store takes
    /// a while to snapshot and send, so this request may run for an hour. A
    /// refusal is [`ClientError::Api`] with the HTTP status and the server's
    /// code and message, whatever the code.
    pub fn download_backup(&self, req: &CreateBackup) -> Result<BackupDownload, ClientError> {
        let http = crate::http_builder()?
            .timeout(Duration::from_secs(3600))
            .build()
            .map_err(|e| ClientError::Transport(error_chain(&e)))?;
        let mut r = http
            .post(format!(
                "{}/v1/sys/backup",
                self.addr().trim_end_matches('/')
            ))
            .bearer_auth(self.token())
            .json(req);
        if let Some(t) = self.session_token() {
            r = r.header(SESSION_TOKEN_HEADER, t.expose());
        }
        let resp = r.send().map_err(|e| {
            ClientError::Transport(format!(
                "cannot reach keyward at {}: {}",
                self.addr(),
                error_chain(&e)
            ))
        })?;
        let status = resp.status();
        if !status.is_success() {
            let v: serde_json::Value = resp.json().unwrap_or_default();
            let text =
                |k: &str, default: &str| v["error"][k].as_str().unwrap_or(default).to_string();
            return Err(ClientError::Api {
                status: status.as_u16(),
                code: text("code", "unknown"),
                message: text("message", "no message"),
            });
        }
        let counts = resp
            .headers()
            .get("x-keyward-backup-counts")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or(serde_json::Value::Null);
        Ok(BackupDownload { resp, counts })
    }
}
