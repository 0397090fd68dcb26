//! `keyward run --watch`: follows the server's change stream (`GET /v1/watch`,
//! server-sent events with bearer auth) and reports each changed secret's name.
//! The stream is connected before the first resolve, so no rotation between
//! resolving and starting the command is missed; it reconnects with backoff.

use super::child::Event;
use anyhow::{Context, Result, bail};
use keyward_client::Client;
use std::io::{BufRead, BufReader};
use std::sync::mpsc::Sender;
use std::time::Duration;

fn http() -> Result<reqwest::blocking::Client> {
    Ok(reqwest::blocking::Client::builder()
        .timeout(None::<Duration>)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("keyward-run/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Opens the stream (headers received, so the subscription is live).
pub fn subscribe(client: &Client) -> Result<reqwest::blocking::Response> {
    let url = format!("{}/v1/watch", client.addr().trim_end_matches('/'));
    let resp = http()?
        .get(&url)
        .bearer_auth(client.token())
        .header("accept", "text/event-stream")
        .send()
        .with_context(|| format!("cannot subscribe to {url}"))?;
    if !resp.status().is_success() {
        let status = resp.status();
        let body: serde_json::Value = resp.json().unwrap_or_default();
        bail!(
            "the server refused the change stream (HTTP {status}): {}; --watch needs secretsmanager:ListSecrets",
            body["error"]["message"]
                .as_str()
                .unwrap_or("no reason given")
        );
    }
    Ok(resp)
}

/// Reads `first` (if any), then keeps reconnecting, sending [`Event::Changed`].
pub fn spawn_reader(
    client: Client,
    first: Option<reqwest::blocking::Response>,
    tx: Sender<Event>,
) -> Result<()> {
    std::thread::Builder::new()
        .name("keyward-watch".into())
        .spawn(move || {
            let mut next = first;
            let mut backoff = Duration::from_millis(250);
            loop {
                let resp = match next.take() {
                    Some(r) => r,
                    None => match subscribe(&client) {
                        Ok(r) => {
                            eprintln!("keyward: --watch: reconnected to the change stream");
                            r
                        }
                        Err(e) => {
                            tracing::debug!("watch reconnect failed: {e:#}");
                            std::thread::sleep(backoff);
                            backoff = (backoff * 2).min(Duration::from_secs(10));
                            continue;
                        }
                    },
                };
                backoff = Duration::from_millis(250);
                if read_events(resp, &tx).is_err() {
                    return; // the supervisor is gone
                }
                eprintln!("keyward: --watch: lost the change stream; reconnecting");
            }
        })?;
    Ok(())
}

/// Parses `event:` / `data:` lines until the stream ends. `Err` only when the
/// receiver is gone.
fn read_events(resp: reqwest::blocking::Response, tx: &Sender<Event>) -> Result<(), ()> {
    let reader = BufReader::new(resp);
    let mut event = String::new();
    let mut data = String::new();
    for line in reader.lines() {
        let Ok(line) = line else { return Ok(()) };
        if line.is_empty() {
            if event == "change" || (event.is_empty() && !data.is_empty()) {
                if let Some(name) = changed_name(&data) {
                    tx.send(Event::Changed(name)).map_err(|_| ())?;
                }
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
    Ok(())
}

fn changed_name(data: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(data).ok()?;
    v["name"].as_str().map(str::to_owned)
}

/// A random delay in `[0, max]`.
pub fn jitter(max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    let r = u64::from_be_bytes(keyward_crypto::random_bytes(8).try_into().unwrap_or([0; 8]));
    let ms = max.as_millis().min(u128::from(u64::MAX)) as u64;
    Duration::from_millis(r % (ms + 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_change_data() {
        assert_eq!(
            super::changed_name(r#"{"name":"/a/b","kind":"put"}"#).as_deref(),
            Some("/a/b")
        );
        assert!(super::changed_name("nope").is_none());
        let j = super::jitter(std::time::Duration::from_millis(10));
        assert!(j.as_millis() <= 10);
    }
}
