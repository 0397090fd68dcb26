//! The key hierarchy. One 256-bit root key (from a key file, an environment variable
//! or an Argon2id passphrase) is never used directly: HKDF-SHA256 derives one key per
//! purpose, so a key for MACing audit records can never decrypt a secret. Keys that
//! protect stored data (KEKs, the value-MAC key, the audit key) live in the
//! [`Keyring`](crate::Keyring), wrapped by the root key, so the root key can change
//! without touching the data.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

pub const KEY_LEN: usize = 32;
type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "a root key must be exactly 32 bytes (64 hex characters or 44 base64 characters), got {0} bytes"
    )]
    WrongLength(usize),
    #[error("the root key is neither hex nor base64 text")]
    NotEncoded,
    #[error("the passphrase could not be stretched: {0}")]
    Kdf(String),
}

macro_rules! key_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Zeroize, ZeroizeOnDrop)]
        pub struct $name([u8; KEY_LEN]);
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([REDACTED])"))
            }
        }
        impl $name {
            #[allow(dead_code)] // not every purpose key needs raw access
            pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
                &self.0
            }
        }
    };
}

key_type!(
    /// The root of the hierarchy. Only derives other keys.
    RootKey
);
key_type!(
    /// Key-encryption key: wraps the per-version data keys.
    Kek
);
key_type!(
    /// MAC key for the audit chain.
    AuditKey
);
key_type!(
    /// MAC key of MFA session credentials: session tokens are MAC'd with it and
    /// session secrets derived from it, so sessions need no storage.
    SessionKey
);
key_type!(
    /// MAC key for keyed fingerprints that are not stored (cross-environment
    /// duplicate checks).
    TokenKey
);
key_type!(
    /// MAC key for the stored fingerprint of a secret value (`value_mac`), which
    /// recognises an idempotent replay without decrypting. Its own key, so it shares
    /// nothing with the KEK or the audit key.
    ValueMacKey
);
key_type!(
    /// A keyring key: only derives the KEK and the value-MAC key of its key id.
    DataKey
);

/// HKDF-SHA256 of one purpose key from `ikm`, with keyward's fixed salt.
fn hkdf(ikm: &[u8], label: &str) -> [u8; KEY_LEN] {
    let hk = Hkdf::<Sha256>::new(Some(b"keyward-v1"), ikm);
    let mut out = [0u8; KEY_LEN];
    hk.expand(label.as_bytes(), &mut out)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

impl DataKey {
    pub(crate) fn from_array(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }
    pub(crate) fn kek(&self) -> Kek {
        Kek(hkdf(&self.0, "keyward/kek"))
    }
    pub(crate) fn value_mac_key(&self) -> ValueMacKey {
        ValueMacKey(hkdf(&self.0, "keyward/value-mac"))
    }
}

impl Kek {
    pub(crate) fn from_array(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }
}

impl AuditKey {
    pub(crate) fn from_array(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }
}

impl RootKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let arr: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| KeyError::WrongLength(bytes.len()))?;
        Ok(Self(arr))
    }

    /// Parses a key file's or an environment variable's text: 64 hex characters or
    /// standard base64 of 32 bytes, surrounding whitespace ignored.
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        use base64::Engine;
        let t = text.trim();
        let mut bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(t).map_err(|_| KeyError::NotEncoded)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(|_| KeyError::NotEncoded)?
        };
        let key = Self::from_bytes(&bytes);
        bytes.zeroize();
        key
    }

    pub fn generate() -> Self {
        let mut k = [0u8; KEY_LEN];
        crate::fill_random(&mut k);
        Self(k)
    }

    /// The raw key, for splitting into shares (the caller zeroizes it).
    pub(crate) fn to_bytes(&self) -> [u8; KEY_LEN] {
        self.0
    }

    /// Hex text for a key file. The caller must write it with mode 0600.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn derive(&self, label: &str) -> [u8; KEY_LEN] {
        hkdf(&self.0, label)
    }

    /// The KEK that v1 envelopes (written before the keyring) were wrapped with.
    /// New data goes through the [`Keyring`](crate::Keyring) instead.
    pub fn kek(&self) -> Kek {
        Kek(self.derive("keyward/kek"))
    }
    /// The audit key of a data directory initialised with this root key. The
    /// keyring keeps a copy, so the chain stays verifiable after a root rotation.
    pub fn audit_key(&self) -> AuditKey {
        AuditKey(self.derive("keyward/audit"))
    }
    pub fn token_key(&self) -> TokenKey {
        TokenKey(self.derive("keyward/token"))
    }
    /// The key that wraps the keyring's keys.
    pub(crate) fn keyring_wrap_key(&self) -> [u8; KEY_LEN] {
        self.derive("keyward/keyring-wrap")
    }
    /// The first data key of a keyring made for this root key. Derived rather than
    /// drawn at random so that two servers creating the keyring at once agree.
    pub(crate) fn first_data_key(&self) -> DataKey {
        DataKey(self.derive("keyward/keyring/data-1"))
    }
    pub fn session_key(&self) -> SessionKey {
        SessionKey(self.derive("keyward/session"))
    }

    /// A value stored beside the data that tells whether a later root key is the same
    /// one, without revealing anything about it. Compare with [`RootKey::matches_check`].
    pub fn check_value(&self) -> String {
        hex::encode(self.derive("keyward/key-check"))
    }
    pub fn matches_check(&self, stored: &str) -> bool {
        constant_time_eq(self.check_value().as_bytes(), stored.trim().as_bytes())
    }
}

fn mac(key: &[u8; KEY_LEN], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in parts {
        // Length-prefix each part so ("ab","c") and ("a","bc") never collide.
        m.update(&(p.len() as u64).to_be_bytes());
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

impl AuditKey {
    /// MAC over length-prefixed parts.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        mac(&self.0, parts)
    }

    /// The passphrase (64 hex characters, so no stretching is needed) a backup
    /// encrypted "to the root key" is sealed with. Derived from the audit key
    /// because the keyring keeps that key across root-key rotations: a running
    /// server has it without holding the root key, and the backup's own wrapped
    /// keyring gives it back to whoever holds the root key of its time.
    pub fn backup_passphrase(&self) -> crate::SecretString {
        let mut k = hkdf(&self.0, "keyward/backup-encryption");
        let text = hex::encode(k);
        k.zeroize();
        crate::SecretString::new(text)
    }

    /// MAC of one secret exported from a backup for a restore, with its own subkey
    /// of the audit key. Only whoever holds the backup's keyring (the root key of
    /// its time, or the server) can make one, so an export cannot be edited to put
    /// one secret's sealed values under another secret's name.
    pub fn export_mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut k = hkdf(&self.0, "keyward/secret-export-mac");
        let out = mac(&k, parts);
        k.zeroize();
        out
    }

    /// MAC of a backup's manifest, with its own subkey of the audit key.
    pub fn backup_mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut k = hkdf(&self.0, "keyward/backup-mac");
        let out = mac(&k, parts);
        k.zeroize();
        out
    }
}

impl SessionKey {
    /// MAC over length-prefixed parts.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        mac(&self.0, parts)
    }
}

impl TokenKey {
    /// Keyed fingerprint over length-prefixed parts.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        mac(&self.0, parts)
    }
}

impl ValueMacKey {
    /// The stored fingerprint of one secret value: bound to its secret and kind.
    pub fn value_mac(&self, secret_id: &[u8], kind: &str, value: &[u8]) -> [u8; 32] {
        mac(
            &self.0,
            &[b"keyward-value-v1", secret_id, kind.as_bytes(), value],
        )
    }
}

/// HMAC-SHA256 of `value` under a per-scan `key`: the one fingerprint the server
/// hands out for `keyward scan --managed` and the scanner computes for each
/// candidate, so both sides agree byte for byte. No length prefix: the key is
/// fresh per scan and the value is the whole message.
pub fn keyed_fingerprint(key: &[u8], value: &[u8]) -> [u8; 32] {
    Fingerprinter::new(key).fingerprint(value)
}

/// [`keyed_fingerprint`] for many values under one key: the keyed HMAC state is
/// set up once, so each value then costs two compressions instead of four (the
/// scanner fingerprints every candidate span of every file).
#[derive(Clone)]
pub struct Fingerprinter(HmacSha256);

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprinter { .. }")
    }
}

impl Fingerprinter {
    pub fn new(key: &[u8]) -> Self {
        Self(<HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length"))
    }

    pub fn fingerprint(&self, value: &[u8]) -> [u8; 32] {
        let mut m = self.0.clone();
        m.update(value);
        m.finalize().into_bytes().into()
    }
}

/// The key sealing `keyward run --offline-cache` snapshots, derived from the
/// secret access key: HMAC-SHA256 under the secret with a fixed label, then the
/// KEK derivation. Rotating the access key orphans old snapshots.
pub fn snapshot_key(secret_access_key: &[u8]) -> Kek {
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret_access_key)
        .expect("HMAC takes keys of any length");
    m.update(b"keyward/run-offline-cache/v1");
    let mut seed: [u8; KEY_LEN] = m.finalize().into_bytes().into();
    let kek = Kek(hkdf(&seed, "keyward/kek"));
    seed.zeroize();
    kek
}

/// Argon2id (m = 64 MiB, t = 3, p = 1) of a passphrase with a stored random salt.
pub fn derive_root_key_from_passphrase(
    passphrase: &[u8],
    salt: &[u8],
) -> Result<RootKey, KeyError> {
    use argon2::{Algorithm, Argon2, Params, Version};
    let params =
        Params::new(64 * 1024, 3, 1, Some(KEY_LEN)).map_err(|e| KeyError::Kdf(e.to_string()))?;
    let mut out = [0u8; KEY_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, salt, &mut out)
        .map_err(|e| KeyError::Kdf(e.to_string()))?;
    Ok(RootKey(out))
}

/// Constant-time equality for secrets of possibly different lengths (the length
/// itself is not treated as secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purpose_keys_differ_and_are_stable() {
        let root = RootKey::from_bytes(&[7u8; 32]).expect("32 bytes");
        assert_ne!(root.kek().bytes(), root.audit_key().bytes());
        assert_ne!(root.kek().bytes(), root.token_key().bytes());
        assert_eq!(
            root.kek().bytes(),
            RootKey::from_bytes(&[7u8; 32]).expect("32").kek().bytes()
        );
    }

    #[test]
    fn key_check_detects_a_different_key() {
        let a = RootKey::generate();
        let b = RootKey::generate();
        assert!(a.matches_check(&a.check_value()));
        assert!(!b.matches_check(&a.check_value()));
    }

    #[test]
    fn parses_hex_and_base64() {
        let k = RootKey::generate();
        let hex_text = k.to_hex();
        assert_eq!(
            RootKey::from_text(&hex_text).expect("hex").bytes(),
            k.bytes()
        );
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(k.bytes());
        assert_eq!(
            RootKey::from_text(&format!("{b64}\n"))
                .expect("b64")
                .bytes(),
            k.bytes()
        );
        assert!(matches!(
            RootKey::from_text("abcd"),
            Err(KeyError::NotEncoded | KeyError::WrongLength(_))
        ));
    }

    #[test]
    fn debug_is_redacted() {
        let k = RootKey::from_bytes(&[0xAB; 32]).expect("32");
        assert!(!format!("{k:?}").to_lowercase().contains("abab"));
    }

    #[test]
    fn passphrase_derivation_is_deterministic_per_salt() {
        let a =
            derive_root_key_from_passphrase(b"correct horse", b"0123456789abcdef").expect("kdf");
        let b =
            derive_root_key_from_passphrase(b"correct horse", b"0123456789abcdef").expect("kdf");
        let c =
            derive_root_key_from_passphrase(b"correct horse", b"fedcba9876543210").expect("kdf");
        assert_eq!(a.bytes(), b.bytes());
        assert_ne!(a.bytes(), c.bytes());
    }
}
