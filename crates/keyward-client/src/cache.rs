//! A TTL cache in front of the client, like the seed's `SECRETS_CACHE_TTL` (300 s by
//! default). Entries are dropped early by [`CachedClient::invalidate`], which the
//! change stream calls when a secret is written.

use crate::{Client, ClientError, SecretValue};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub struct CachedClient {
    client: Client,
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, SecretValue)>>,
}

impl CachedClient {
    pub fn new(client: Client, ttl: Duration) -> Self {
        Self {
            client,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The current value of `name`, from the cache while it is fresh.
    pub fn get(&self, name: &str) -> Result<SecretValue, ClientError> {
        if let Ok(entries) = self.entries.lock()
            && let Some((at, v)) = entries.get(name)
            && at.elapsed() < self.ttl
        {
            return Ok(v.clone());
        }
        let v = self.client.get_secret(name, None, None)?;
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(name.to_string(), (Instant::now(), v.clone()));
        }
        Ok(v)
    }

    pub fn invalidate(&self, name: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(name);
        }
    }

    /// Follows the server's change stream on a background thread, dropping each
    /// changed secret from the cache at once (reconnecting with backoff when the
    /// stream drops, and clearing everything then, since writes may have been missed).
    pub fn follow_changes(self: &Arc<Self>) -> std::io::Result<()> {
        let cache = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("keyward-cache-changes".into())
            .spawn(move || {
                let mut backoff = Duration::from_millis(250);
                loop {
                    let Some(this) = cache.upgrade() else { return };
                    match this.client.subscribe_changes() {
                        Ok(stream) => {
                            backoff = Duration::from_millis(250);
                            this.clear();
                            drop(this);
                            for name in stream {
                                let Some(this) = cache.upgrade() else { return };
                                this.invalidate(&name);
                            }
                        }
                        Err(_) => {
                            drop(this);
                            std::thread::sleep(backoff);
                            backoff = (backoff * 2).min(Duration::from_secs(30));
                        }
                    }
                }
            })?;
        Ok(())
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}
