//! A TTL cache in front of the client, like the seed's `SECRETS_CACHE_TTL` (300 s by
//! default). Entries are dropped early by [`CachedClient::invalidate`], which the
//! change stream calls when a secret is written.
//!
//! When the server cannot answer (unreachable, or HTTP 5xx such as sealed), the last
//! good value is served for at most `max_stale` past its TTL, as AWS's caching
//! clients do, so an app rides out a server restart; past that bound the error is
//! returned. Answers that are authoritative (not found, access denied) are never
//! masked by a stale value, and a secret the change stream reports as written is
//! dropped, so a rotated-away value is not served stale.

use crate::source::{SecretSource, is_unavailable, secret_or_env};
use crate::{Client, ClientError, SecretValue};
use keyward_crypto::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// How long past its TTL a value may be served while the server is unavailable.
pub const DEFAULT_MAX_STALE: Duration = Duration::from_secs(15 * 60);

#[derive(Debug)]
pub struct CachedClient<S: SecretSource = Client> {
    client: S,
    ttl: Duration,
    max_stale: Duration,
    entries: Mutex<HashMap<String, (Instant, SecretValue)>>,
}

impl<S: SecretSource> CachedClient<S> {
    /// A cache with `ttl` and [`DEFAULT_MAX_STALE`].
    pub fn new(client: S, ttl: Duration) -> Self {
        Self {
            client,
            ttl,
            max_stale: DEFAULT_MAX_STALE,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// How long past its TTL a value may still be served while the server is
    /// unavailable (`Duration::ZERO`: never serve stale).
    pub fn with_max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    pub fn client(&self) -> &S {
        &self.client
    }

    /// The current value of `name`: from the cache while it is fresh, else from the
    /// server; when the server is unavailable, the last good value if it is no older
    /// than TTL + max_stale.
    pub fn get(&self, name: &str) -> Result<SecretValue, ClientError> {
        let cached = self.entries.lock().ok().and_then(|e| e.get(name).cloned());
        if let Some((at, v)) = &cached
            && at.elapsed() < self.ttl
        {
            return Ok(v.clone());
        }
        match self.client.current(name) {
            Ok(v) => {
                if let Ok(mut entries) = self.entries.lock() {
                    entries.insert(name.to_string(), (Instant::now(), v.clone()));
                }
                Ok(v)
            }
            Err(e) if is_unavailable(&e) => match cached {
                Some((at, v)) if at.elapsed() < self.ttl.saturating_add(self.max_stale) => Ok(v),
                _ => Err(e),
            },
            Err(e) => {
                // The server said so: the old value must not be served again.
                self.invalidate(name);
                Err(e)
            }
        }
    }

    /// [`SecretSource::get_secret_or_env`] through the cache.
    pub fn get_secret_or_env(
        &self,
        name: &str,
        env_var: &str,
        field: Option<&str>,
    ) -> Result<SecretString, ClientError> {
        secret_or_env(self, name, env_var, field, |k| std::env::var(k).ok())
    }

    pub fn invalidate(&self, name: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(name);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

impl<S: SecretSource> SecretSource for CachedClient<S> {
    fn current(&self, name: &str) -> Result<SecretValue, ClientError> {
        self.get(name)
    }
}

impl CachedClient<Client> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_crypto::SecretBytes;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A store whose answer the test sets, counting reads.
    #[derive(Default)]
    struct Scripted {
        answer: Mutex<Option<Result<String, ClientError>>>,
        reads: AtomicUsize,
    }

    impl Scripted {
        fn answer(&self, a: Result<&str, ClientError>) {
            *self.answer.lock().unwrap() = Some(a.map(str::to_owned));
        }
        fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }
    }

    impl SecretSource for &Scripted {
        fn current(&self, name: &str) -> Result<SecretValue, ClientError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            let a = self.answer.lock().unwrap().clone().expect("answer set");
            a.map(|v| SecretValue {
                name: name.into(),
                arn: String::new(),
                version_id: "v".into(),
                stages: vec!["AWSCURRENT".into()],
                value: SecretBytes::new(v.into_bytes()),
                is_binary: false,
            })
        }
    }

    fn down() -> ClientError {
        ClientError::Transport("connection refused".into())
    }

    fn text(c: &CachedClient<&Scripted>) -> Result<String, ClientError> {
        c.get("/a/b").map(|v| v.text().unwrap().expose().to_owned())
    }

    #[test]
    fn fresh_entries_are_served_from_the_cache() {
        let s = Scripted::default();
        s.answer(Ok("one"));
        let c = CachedClient::new(&s, Duration::from_secs(3600));
        assert_eq!(text(&c).unwrap(), "one");
        s.answer(Ok("two"));
        assert_eq!(text(&c).unwrap(), "one");
        assert_eq!(s.reads(), 1);
        c.invalidate("/a/b");
        assert_eq!(text(&c).unwrap(), "two");
        assert_eq!(s.reads(), 2);
    }

    #[test]
    fn expired_entries_are_read_again() {
        let s = Scripted::default();
        s.answer(Ok("one"));
        // TTL zero: every entry is already expired.
        let c = CachedClient::new(&s, Duration::ZERO);
        assert_eq!(text(&c).unwrap(), "one");
        s.answer(Ok("two"));
        assert_eq!(text(&c).unwrap(), "two");
        assert_eq!(s.reads(), 2);
    }

    #[test]
    fn the_last_good_value_is_served_while_the_server_is_down_within_the_bound() {
        let s = Scripted::default();
        s.answer(Ok("good"));
        let c = CachedClient::new(&s, Duration::ZERO).with_max_stale(Duration::from_secs(3600));
        assert_eq!(text(&c).unwrap(), "good");
        s.answer(Err(down()));
        assert_eq!(text(&c).unwrap(), "good");
        s.answer(Err(ClientError::Api {
            status: 503,
            code: "Sealed".into(),
            message: "sealed".into(),
        }));
        assert_eq!(text(&c).unwrap(), "good");
        // Past the bound (zero here), the error comes through.
        let strict = CachedClient::new(&s, Duration::ZERO).with_max_stale(Duration::ZERO);
        s.answer(Ok("good"));
        text(&strict).unwrap();
        s.answer(Err(down()));
        assert!(matches!(text(&strict), Err(ClientError::Transport(_))));
        // Nothing cached: the error too.
        c.clear();
        assert!(matches!(text(&c), Err(ClientError::Transport(_))));
    }

    #[test]
    fn an_authoritative_answer_is_never_masked_by_a_stale_value() {
        let s = Scripted::default();
        s.answer(Ok("revoked-soon"));
        let c = CachedClient::new(&s, Duration::ZERO).with_max_stale(Duration::from_secs(3600));
        text(&c).unwrap();
        s.answer(Err(ClientError::AccessDenied {
            message: "no".into(),
        }));
        assert!(matches!(text(&c), Err(ClientError::AccessDenied { .. })));
        // And the entry is gone: an outage afterwards does not bring it back.
        s.answer(Err(down()));
        assert!(matches!(text(&c), Err(ClientError::Transport(_))));
    }

    #[test]
    fn env_fallback_works_through_the_cache() {
        let s = Scripted::default();
        let c = CachedClient::new(&s, Duration::from_secs(3600));
        let env = |k: &str| (k == "DB_PASSWORD").then(|| "from-env".to_string());
        let get =
            |var: &str| secret_or_env(&c, "/a/b", var, None, env).map(|v| v.expose().to_owned());
        // Missing in the store: the variable.
        s.answer(Err(ClientError::SecretNotFound {
            name: "/a/b".into(),
            message: "none".into(),
        }));
        assert_eq!(get("DB_PASSWORD").unwrap(), "from-env");
        // Server down, nothing cached: the variable.
        s.answer(Err(down()));
        assert_eq!(get("DB_PASSWORD").unwrap(), "from-env");
        let e = get("UNSET_VAR").unwrap_err().to_string();
        assert!(e.contains("unavailable") && e.contains("UNSET_VAR"), "{e}");
        // A stored value wins, and is then served from the cache, field by field.
        s.answer(Ok(r#"{"password":"pw-1"}"#));
        let f = secret_or_env(&c, "/a/b", "DB_PASSWORD", Some("password"), env).unwrap();
        assert_eq!(f.expose(), "pw-1");
        s.answer(Err(down()));
        let f = secret_or_env(&c, "/a/b", "DB_PASSWORD", Some("password"), env).unwrap();
        assert_eq!(f.expose(), "pw-1");
        // Refusals are not papered over with the variable.
        c.clear();
        s.answer(Err(ClientError::AccessDenied {
            message: "no".into(),
        }));
        assert!(matches!(
            get("DB_PASSWORD"),
            Err(ClientError::AccessDenied { .. })
        ));
    }
}
