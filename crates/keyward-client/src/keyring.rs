//! Signing keys that rotate without logging everyone out (the seed's JWT rotation
//! pattern): sign with the `AWSCURRENT` version, verify with `AWSCURRENT` and then
//! `AWSPREVIOUS`, so tokens signed just before a rotation stay valid.

use crate::{Client, ClientError};
use keyward_crypto::SecretString;

#[derive(Debug, Clone)]
pub struct Keyring {
    current: SecretString,
    previous: Option<SecretString>,
}

impl Keyring {
    /// Loads both versions of `name` from the store.
    pub fn load(client: &Client, name: &str) -> Result<Self, ClientError> {
        let current = client.get_secret(name, None, Some("AWSCURRENT"))?.text()?;
        let previous = match client.get_secret(name, None, Some("AWSPREVIOUS")) {
            Ok(v) => Some(v.text()?),
            Err(ClientError::SecretNotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        Ok(Self { current, previous })
    }

    pub fn from_keys(current: SecretString, previous: Option<SecretString>) -> Self {
        Self { current, previous }
    }

    /// The key to sign new tokens with.
    pub fn signing_key(&self) -> &SecretString {
        &self.current
    }

    /// Keys to try, in order, when verifying.
    pub fn verification_keys(&self) -> impl Iterator<Item = &SecretString> {
        std::iter::once(&self.current).chain(self.previous.iter())
    }

    /// Runs `verify` with each verification key until one succeeds.
    pub fn verify_with<T, E>(
        &self,
        mut verify: impl FnMut(&SecretString) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut last = None;
        for key in self.verification_keys() {
            match verify(key) {
                Ok(v) => return Ok(v),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("there is always a current key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_previous() {
        let ring = Keyring::from_keys("new".into(), Some("old".into()));
        let r: Result<&str, ()> = ring.verify_with(|k| {
            if k.expose() == "old" {
                Ok("ok")
            } else {
                Err(())
            }
        });
        assert_eq!(r, Ok("ok"));
        let r: Result<(), &str> = ring.verify_with(|_| Err("bad"));
        assert_eq!(r, Err("bad"));
        assert_eq!(ring.signing_key().expose(), "new");
    }
}
