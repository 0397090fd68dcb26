//! The server's change stream (`GET /v1/watch`, server-sent events): one event per
//! write to a secret, naming it (never its value). Caches use it to drop entries
//! as soon as a secret rotates instead of waiting for their TTL.

use crate::{Client, ClientError};
use std::io::{BufRead, BufReader, Lines};
use std::time::Duration;

/// A live subscription: iterate it for the names of changed secrets. It ends when
/// the connection drops; subscribe again to continue.
pub struct ChangeStream {
    lines: Lines<BufReader<reqwest::blocking::Response>>,
}

impl std::fmt::Debug for ChangeStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangeStream")
    }
}

impl Client {
    /// Opens the change stream. When this returns, the subscription is live: no
    /// later write is missed. Needs `secretsmanager:ListSecrets`.
    pub fn subscribe_changes(&self) -> Result<ChangeStream, ClientError> {
        let http = crate::http_builder()?
            .timeout(None::<Duration>)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let url = format!("{}/v1/watch", self.addr().trim_end_matches('/'));
        let mut req = http
            .get(&url)
            .bearer_auth(self.token())
            .header("accept", "text/event-stream");
        if let Some(t) = self.session_token() {
            req = req.header(crate::SESSION_TOKEN_HEADER, t.expose());
        }
        let resp = req
            .send()
            .map_err(|e| ClientError::Transport(format!("cannot subscribe to {url}: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            let body: serde_json::Value = resp.json().unwrap_or_default();
            let message = body["error"]["message"]
                .as_str()
                .unwrap_or("no reason given")
                .to_string();
            return Err(match status.as_u16() {
                403 if body["error"]["code"] == "access_denied" => {
                    ClientError::AccessDenied { message }
                }
                403 => ClientError::Unauthenticated { message },
                s => ClientError::Api {
                    status: s,
                    code: "watch".into(),
                    message,
                },
            });
        }
        Ok(ChangeStream {
            lines: BufReader::new(resp).lines(),
        })
    }
}

impl Iterator for ChangeStream {
    type Item = String;

    /// The next changed secret's name; `None` when the stream ends.
    fn next(&mut self) -> Option<String> {
        let mut event = String::new();
        let mut data = String::new();
        loop {
            let line = self.lines.next()?.ok()?;
            if line.is_empty() {
                let is_change = event == "change" || (event.is_empty() && !data.is_empty());
                if is_change && let Some(name) = changed_name(&data) {
                    return Some(name);
                }
                event.clear();
                data.clear();
            } else if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(v.strip_prefix(' ').unwrap_or(v));
            }
        }
    }
}

fn changed_name(data: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(data).ok()?;
    v["name"].as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::changed_name;

    #[test]
    fn parses_change_data() {
        assert_eq!(
            changed_name(r#"{"name":"/a/b","kind":"put"}"#).as_deref(),
            Some("/a/b")
        );
        assert_eq!(changed_name("not json"), None);
        assert_eq!(changed_name(r#"{"kind":"put"}"#), None);
    }
}
