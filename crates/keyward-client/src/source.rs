//! [`SecretSource`]: what both the [`Client`](crate::Client) and the
//! [`CachedClient`](crate::CachedClient) are, so the environment-variable fallback
//! of the seed's `SecretsLoader` works with or without the cache.

use crate::{ClientError, SecretValue};
use keyward_crypto::SecretString;

/// Reads the current value of a secret.
pub trait SecretSource {
    /// The current (`AWSCURRENT`) value of `name`.
    fn current(&self, name: &str) -> Result<SecretValue, ClientError>;

    /// The seed's `load_secret_or_env`: the store first (through the cache, when
    /// this is a [`CachedClient`](crate::CachedClient): fresh, then fetched, then a
    /// bounded stale value when the server is unreachable), then the environment
    /// variable `env_var` when the secret is missing or the server unreachable.
    /// Refusals (access denied, bad credentials) are returned, never papered over.
    fn get_secret_or_env(
        &self,
        name: &str,
        env_var: &str,
        field: Option<&str>,
    ) -> Result<SecretString, ClientError>
    where
        Self: Sized,
    {
        secret_or_env(self, name, env_var, field, |k| std::env::var(k).ok())
    }
}

/// Whether an error means the server could not answer (so a fallback may serve):
/// it could not be reached, or it failed (HTTP 5xx, e.g. sealed).
pub fn is_unavailable(e: &ClientError) -> bool {
    matches!(e, ClientError::Transport(_))
        || matches!(e, ClientError::Api { status, .. } if *status >= 500)
}

/// [`SecretSource::get_secret_or_env`] with the environment lookup given.
pub(crate) fn secret_or_env(
    source: &impl SecretSource,
    name: &str,
    env_var: &str,
    field: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<SecretString, ClientError> {
    match source.current(name) {
        Ok(v) => match field {
            Some(f) => v.field(f),
            None => v.text(),
        },
        Err(e) if matches!(e, ClientError::SecretNotFound { .. }) || is_unavailable(&e) => {
            env(env_var).map(SecretString::new).ok_or_else(|| {
                let why = if is_unavailable(&e) {
                    format!("the keyward server is unavailable ({e})")
                } else {
                    format!("secret {name} is not in the store")
                };
                ClientError::SecretNotFound {
                    name: name.to_string(),
                    message: format!("{why} and {env_var} is not set"),
                }
            })
        }
        Err(e) => Err(e),
    }
}
