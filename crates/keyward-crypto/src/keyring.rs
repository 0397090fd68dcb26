//! The keyring: a few keys between the root key and the data.
//!
//! Without it every KEK came straight from the root key, so a new root key meant
//! re-wrapping every stored version. Now the root key only wraps the keyring (one
//! XChaCha20-Poly1305 blob per key, its associated data naming the key's purpose and
//! id, so a wrapped key cannot be swapped for another), and the data is sealed
//! under the keyring's keys, each v2 envelope naming its key id. Rotating the root
//! key re-wraps the keyring ([`Keyring::to_stored`] under the new key) and nothing
//! else.
//!
//! What the keyring holds:
//! - data keys (ids from 1): each derives a KEK and a value-MAC key; the newest
//!   (`active`) seals new values;
//! - the v1 KEK (id 0), the one data written before the keyring was sealed with,
//!   so old envelopes open even after the root key that made them is gone;
//! - the audit key, so the audit chain keeps verifying across a root rotation.
//!
//! A keyring made for a root key ([`Keyring::bootstrap`]) is deterministic in that
//! key, so two servers creating one at once produce the same keys.

use crate::envelope::{self, EnvelopeError, EnvelopeHeader, KeyId, Sealed};
use crate::keys::{AuditKey, DataKey, KEY_LEN, Kek, RootKey, ValueMacKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zeroize::{Zeroize, Zeroizing};

/// The key id v1 envelopes are treated as having.
pub const LEGACY_KEY_ID: KeyId = 0;
const STORED_FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyringError {
    #[error("the stored keyring is malformed ({0}); restore it from a backup")]
    Malformed(String),
    #[error(
        "the stored keyring does not open with this root key: the root key is wrong or the keyring was modified"
    )]
    Integrity,
}

/// The unwrapped keyring, kept in memory only while unsealed.
pub struct Keyring {
    legacy_kek: Kek,
    audit: AuditKey,
    data: BTreeMap<KeyId, DataKey>,
    /// KEKs of the data keys, derived once at load (the hot path only looks up).
    keks: BTreeMap<KeyId, Kek>,
    active: KeyId,
    value_mac: ValueMacKey,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active)
            .field("key_ids", &self.data.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    format: u32,
    active: KeyId,
    keys: Vec<StoredKey>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredKey {
    id: KeyId,
    purpose: String,
    /// Hex of `nonce ‖ ciphertext+tag`.
    wrapped: String,
}

const PURPOSE_DATA: &str = "data";
const PURPOSE_KEK_V1: &str = "kek-v1";
const PURPOSE_AUDIT: &str = "audit";

fn wrap_aad(purpose: &str, id: KeyId) -> Vec<u8> {
    format!("keyward-keyring|{purpose}|{id}").into_bytes()
}

impl Keyring {
    fn assemble(
        legacy_kek: Kek,
        audit: AuditKey,
        data: BTreeMap<KeyId, DataKey>,
        active: KeyId,
    ) -> Result<Self, KeyringError> {
        let value_mac = data
            .get(&active)
            .ok_or_else(|| KeyringError::Malformed(format!("active key {active} is missing")))?
            .value_mac_key();
        let keks = data.iter().map(|(id, k)| (*id, k.kek())).collect();
        Ok(Self {
            legacy_kek,
            audit,
            data,
            keks,
            active,
            value_mac,
        })
    }

    /// The keyring of a data directory first unsealed with `root`: the v1 KEK and
    /// audit key it has always used, and one data key.
    pub fn bootstrap(root: &RootKey) -> Self {
        let data = BTreeMap::from([(1, root.first_data_key())]);
        Self::assemble(root.kek(), root.audit_key(), data, 1)
            .expect("the bootstrap keyring has its active key")
    }

    /// Adds a fresh random data key and makes it the one new values are sealed
    /// with; older keys stay for reading. Returns its id.
    pub fn add_data_key(&mut self) -> KeyId {
        let id = self.data.keys().next_back().copied().unwrap_or(0) + 1;
        let mut bytes = [0u8; KEY_LEN];
        crate::fill_random(&mut bytes);
        let key = DataKey::from_array(bytes);
        bytes.zeroize();
        self.keks.insert(id, key.kek());
        self.value_mac = key.value_mac_key();
        self.data.insert(id, key);
        self.active = id;
        id
    }

    /// The keyring wrapped under `root`, as text to store.
    pub fn to_stored(&self, root: &RootKey) -> String {
        let wrap = Zeroizing::new(root.keyring_wrap_key());
        let entry = |id: KeyId, purpose: &str, bytes: &[u8; KEY_LEN]| StoredKey {
            id,
            purpose: purpose.to_string(),
            wrapped: hex::encode(envelope::aead_seal(&wrap, bytes, &wrap_aad(purpose, id))),
        };
        let mut keys = vec![
            entry(LEGACY_KEY_ID, PURPOSE_KEK_V1, self.legacy_kek.bytes()),
            entry(LEGACY_KEY_ID, PURPOSE_AUDIT, self.audit.bytes()),
        ];
        keys.extend(
            self.data
                .iter()
                .map(|(id, k)| entry(*id, PURPOSE_DATA, k.bytes())),
        );
        serde_json::to_string(&Stored {
            format: STORED_FORMAT,
            active: self.active,
            keys,
        })
        .expect("the keyring serialises")
    }

    /// Unwraps a stored keyring with `root`. Fails closed on anything unexpected.
    pub fn from_stored(text: &str, root: &RootKey) -> Result<Self, KeyringError> {
        let stored: Stored =
            serde_json::from_str(text).map_err(|e| KeyringError::Malformed(e.to_string()))?;
        if stored.format != STORED_FORMAT {
            return Err(KeyringError::Malformed(format!(
                "unknown format {}",
                stored.format
            )));
        }
        let wrap = Zeroizing::new(root.keyring_wrap_key());
        let mut legacy = None;
        let mut audit = None;
        let mut data = BTreeMap::new();
        for k in &stored.keys {
            let blob = hex::decode(&k.wrapped)
                .map_err(|_| KeyringError::Malformed(format!("key {} is not hex", k.id)))?;
            let plain = envelope::aead_open(&wrap, &blob, &wrap_aad(&k.purpose, k.id))
                .map_err(|_| KeyringError::Integrity)?;
            let bytes: [u8; KEY_LEN] = plain[..]
                .try_into()
                .map_err(|_| KeyringError::Malformed(format!("key {} has a bad length", k.id)))?;
            let dup = match (k.purpose.as_str(), k.id) {
                (PURPOSE_KEK_V1, LEGACY_KEY_ID) => legacy.replace(Kek::from_array(bytes)).is_some(),
                (PURPOSE_AUDIT, LEGACY_KEY_ID) => {
                    audit.replace(AuditKey::from_array(bytes)).is_some()
                }
                (PURPOSE_DATA, id) if id != LEGACY_KEY_ID => {
                    data.insert(id, DataKey::from_array(bytes)).is_some()
                }
                (p, id) => {
                    return Err(KeyringError::Malformed(format!(
                        "unexpected key {id} for {p}"
                    )));
                }
            };
            if dup {
                return Err(KeyringError::Malformed(format!(
                    "key {} appears twice",
                    k.id
                )));
            }
        }
        let legacy = legacy.ok_or_else(|| KeyringError::Malformed("no v1 KEK".into()))?;
        let audit = audit.ok_or_else(|| KeyringError::Malformed("no audit key".into()))?;
        Self::assemble(legacy, audit, data, stored.active)
    }

    /// Seals a value (v2 envelope) under the active key.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Sealed {
        let kek = self
            .keks
            .get(&self.active)
            .expect("the active key's KEK is derived at load");
        envelope::seal_v2(kek, self.active, plaintext, aad)
    }

    /// Opens a v2 envelope by its key id, or a v1 envelope with the v1 KEK.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        match envelope::envelope_header(sealed)? {
            EnvelopeHeader::V1 => envelope::open(&self.legacy_kek, sealed, aad),
            EnvelopeHeader::V2 { .. } => envelope::open_v2(|id| self.keks.get(&id), sealed, aad),
        }
    }

    /// The key new values' `value_mac` is computed with (the active key's).
    pub fn value_mac_key(&self) -> &ValueMacKey {
        &self.value_mac
    }

    pub fn audit_key(&self) -> &AuditKey {
        &self.audit
    }

    /// The key id new envelopes carry.
    pub fn active_key_id(&self) -> KeyId {
        self.active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(b: u8) -> RootKey {
        RootKey::from_bytes(&[b; 32]).expect("32")
    }

    #[test]
    fn opens_v1_and_v2_and_survives_a_root_rotation() {
        let old_root = root(1);
        let v1 = envelope::seal(&old_root.kek(), b"written before the keyring", b"row-1");
        let ring = Keyring::bootstrap(&old_root);
        let v2 = ring.seal(b"written after", b"row-2");
        assert_eq!(
            envelope::envelope_header(&v2.0),
            Ok(EnvelopeHeader::V2 { key_id: 1 })
        );
        let stored = ring.to_stored(&old_root);

        // Rotate: unwrap with the old root, re-wrap with the new one.
        let new_root = root(2);
        let rewrapped = Keyring::from_stored(&stored, &old_root)
            .expect("old root opens")
            .to_stored(&new_root);
        assert_eq!(
            Keyring::from_stored(&rewrapped, &old_root).map(|_| ()),
            Err(KeyringError::Integrity)
        );
        let ring = Keyring::from_stored(&rewrapped, &new_root).expect("new root opens");
        assert_eq!(
            &*ring.open(&v1.0, b"row-1").expect("v1"),
            b"written before the keyring"
        );
        assert_eq!(&*ring.open(&v2.0, b"row-2").expect("v2"), b"written after");
        assert_eq!(
            ring.audit_key().mac(&[b"x"]),
            old_root.audit_key().mac(&[b"x"])
        );
    }

    #[test]
    fn bootstrap_is_deterministic_and_a_new_data_key_becomes_active() {
        let a = Keyring::bootstrap(&root(3));
        let b = Keyring::bootstrap(&root(3));
        let sealed = a.seal(b"v", b"aad");
        assert_eq!(&*b.open(&sealed.0, b"aad").expect("same keys"), b"v");
        assert_eq!(
            a.value_mac_key().value_mac(b"id", "string", b"v"),
            b.value_mac_key().value_mac(b"id", "string", b"v")
        );

        let mut ring = Keyring::bootstrap(&root(3));
        let before = ring.value_mac_key().value_mac(b"id", "string", b"v");
        assert_eq!(ring.add_data_key(), 2);
        let newer = ring.seal(b"w", b"aad");
        assert_eq!(
            envelope::envelope_header(&newer.0),
            Ok(EnvelopeHeader::V2 { key_id: 2 })
        );
        assert_ne!(
            before,
            ring.value_mac_key().value_mac(b"id", "string", b"v")
        );
        let reloaded = Keyring::from_stored(&ring.to_stored(&root(3)), &root(3)).expect("loads");
        assert_eq!(reloaded.active_key_id(), 2);
        assert_eq!(&*reloaded.open(&sealed.0, b"aad").expect("key 1"), b"v");
        assert_eq!(&*reloaded.open(&newer.0, b"aad").expect("key 2"), b"w");
        // The first keyring lacks key 2.
        assert_eq!(
            a.open(&newer.0, b"aad").map(|_| ()),
            Err(EnvelopeError::UnknownKey(2))
        );
    }

    #[test]
    fn tampered_keyrings_fail_closed() {
        let r = root(4);
        let stored = Keyring::bootstrap(&r).to_stored(&r);
        // A wrapped key moved to another purpose or id fails its AEAD check.
        let swapped = stored.replacen("\"purpose\":\"audit\"", "\"purpose\":\"kek-v1\"", 1);
        assert!(Keyring::from_stored(&swapped, &r).is_err());
        let renumbered = stored.replacen("\"id\":1", "\"id\":7", 1);
        assert_eq!(
            Keyring::from_stored(&renumbered, &r).map(|_| ()),
            Err(KeyringError::Integrity)
        );
        assert!(matches!(
            Keyring::from_stored("{}", &r),
            Err(KeyringError::Malformed(_))
        ));
        let no_active = stored.replacen("\"active\":1", "\"active\":9", 1);
        assert!(matches!(
            Keyring::from_stored(&no_active, &r),
            Err(KeyringError::Malformed(_))
        ));
        assert!(!format!("{:?}", Keyring::bootstrap(&r)).contains("0404"));
    }
}
