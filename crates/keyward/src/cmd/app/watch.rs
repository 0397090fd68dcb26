//! `keyward run --watch`: follows the server's change stream (`GET /v1/watch`,
//! server-sent events with bearer auth) and reports each changed secret's name.
//! The stream is connected before the first resolve, so no rotation between
//! resolving and starting the command is missed; it reconnects with backoff.

use super::child::Event;
use anyhow::Result;
use keyward_client::{ChangeStream, Client, ClientError};
use std::sync::mpsc::Sender;
use std::time::Duration;

/// Opens the stream (the subscription is live when this returns).
pub fn subscribe(client: &Client) -> Result<ChangeStream> {
    client.subscribe_changes().map_err(|e| match e {
        ClientError::AccessDenied { message } => anyhow::anyhow!(
            "the server refused the change stream: {message}; --watch needs secretsmanager:ListSecrets"
        ),
        other => anyhow::Error::new(other).context("cannot subscribe to the change stream"),
    })
}

/// Reads `first` (if any), then keeps reconnecting, sending [`Event::Changed`].
pub fn spawn_reader(client: Client, first: Option<ChangeStream>, tx: Sender<Event>) -> Result<()> {
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

/// Forwards each changed name until the stream ends. `Err` only when the
/// receiver is gone.
fn read_events(stream: ChangeStream, tx: &Sender<Event>) -> Result<(), ()> {
    for name in stream {
        tx.send(Event::Changed(name)).map_err(|_| ())?;
    }
    Ok(())
}

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
    fn jitter_stays_within_bounds() {
        let j = super::jitter(std::time::Duration::from_millis(10));
        assert!(j.as_millis() <= 10);
    }
}
