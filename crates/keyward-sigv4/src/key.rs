//! Signing-key derivation (`kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date),
//! region), service), "aws4_request")`) and a small bounded cache of derived keys.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256. HMAC takes keys of any length, so construction cannot fail; the
/// fallback arm only exists so that no code path can panic.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

/// Derives the SigV4 signing key for one scope. `date` is `YYYYMMDD`.
pub fn derive_signing_key(
    secret_access_key: &str,
    date: &str,
    region: &str,
    service: &str,
) -> Zeroizing<[u8; 32]> {
    let mut k_secret = Zeroizing::new(Vec::with_capacity(4 + secret_access_key.len()));
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret_access_key.as_bytes());
    let k_date = Zeroizing::new(hmac_sha256(&k_secret, date.as_bytes()));
    let k_region = Zeroizing::new(hmac_sha256(&*k_date, region.as_bytes()));
    let k_service = Zeroizing::new(hmac_sha256(&*k_region, service.as_bytes()));
    Zeroizing::new(hmac_sha256(&*k_service, crate::TERMINATOR.as_bytes()))
}

struct Entry {
    /// SHA-256 of the secret the key was derived from, so a rotated secret for the
    /// same key id never reuses a stale key.
    secret_fingerprint: Zeroizing<[u8; 32]>,
    key: Zeroizing<[u8; 32]>,
}

/// A thread-safe cache of derived signing keys, keyed by (access key id, date,
/// region, service), holding at most `capacity` entries (an arbitrary entry is
/// evicted when full). Saves the four HMACs of key derivation on every request.
/// `Debug` shows only sizes.
pub struct SigningKeyCache {
    capacity: usize,
    map: Mutex<HashMap<String, Entry>>,
}

impl SigningKeyCache {
    /// Default capacity: enough for every key id of a busy server for a day.
    pub const DEFAULT_CAPACITY: usize = 1024;

    /// A cache holding at most `capacity` keys (0 disables caching).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // A poisoned lock only means another thread panicked mid-insert; the map is
        // still a valid map of valid keys.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every cached key.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Drops the keys of one access key id (call when it is deleted or rotated).
    pub fn remove_access_key(&self, access_key_id: &str) {
        let prefix = format!("{access_key_id}\n");
        self.lock().retain(|k, _| !k.starts_with(&prefix));
    }

    /// The signing key for a scope, from the cache or freshly derived.
    pub fn signing_key(
        &self,
        access_key_id: &str,
        secret_access_key: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> Zeroizing<[u8; 32]> {
        if self.capacity == 0 {
            return derive_signing_key(secret_access_key, date, region, service);
        }
        let fingerprint = Zeroizing::new(<[u8; 32]>::from(Sha256::digest(
            secret_access_key.as_bytes(),
        )));
        let cache_key = format!("{access_key_id}\n{date}\n{region}\n{service}");
        if let Some(e) = self.lock().get(&cache_key)
            && bool::from(e.secret_fingerprint.ct_eq(&*fingerprint))
        {
            return e.key.clone();
        }
        let key = derive_signing_key(secret_access_key, date, region, service);
        let mut map = self.lock();
        if map.len() >= self.capacity
            && !map.contains_key(&cache_key)
            && let Some(victim) = map.keys().next().cloned()
        {
            map.remove(&victim);
        }
        map.insert(
            cache_key,
            Entry {
                secret_fingerprint: fingerprint,
                key: key.clone(),
            },
        );
        key
    }
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn derives_aws_documented_key() {
        // AWS's documented example: 20120215 / us-east-1 / iam with the doc secret.
        let k = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(*k),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn cache_is_bounded_and_keyed_by_secret() {
        let cache = SigningKeyCache::new(2);
        let a = cache.signing_key("A", SECRET, "20150830", "us-east-1", "service");
        assert_eq!(
            *a,
            *derive_signing_key(SECRET, "20150830", "us-east-1", "service")
        );
        assert_eq!(
            *cache.signing_key("A", SECRET, "20150830", "us-east-1", "service"),
            *a
        );
        cache.signing_key("B", SECRET, "20150830", "us-east-1", "service");
        cache.signing_key("C", SECRET, "20150830", "us-east-1", "service");
        assert_eq!(cache.len(), 2);
        // A rotated secret for the same id gets a fresh key.
        let rotated = cache.signing_key("C", "other", "20150830", "us-east-1", "service");
        assert_eq!(
            *rotated,
            *derive_signing_key("other", "20150830", "us-east-1", "service")
        );
        cache.remove_access_key("C");
        assert!(cache.len() <= 1);
        assert!(!format!("{cache:?}").contains(SECRET));
        let off = SigningKeyCache::new(0);
        off.signing_key("A", SECRET, "20150830", "us-east-1", "service");
        assert!(off.is_empty());
    }
}
