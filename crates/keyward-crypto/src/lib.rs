//! keyward-crypto owns every cryptographic decision keyward makes: the key hierarchy
//! (root key -> purpose keys via HKDF), envelope encryption of secret values
//! (a fresh data key per version, wrapped by the key-encryption key, XChaCha20-Poly1305
//! with associated data binding ciphertext to its record), passphrase KDF (Argon2id),
//! MACs for the audit chain and outgoing webhooks, random generation, and the redacting secret types.
//! The [`Keyring`] sits between the root key and the data keys, so a root key can
//! be replaced by re-wrapping a few keys. The root key can be split into unseal
//! shares ([`shamir`], Shamir's scheme over GF(2^8)). Known-answer vectors in `tests/vectors/`
//! freeze the stored formats.
//!
//! It must not do I/O, async, or logging: callers decide where bytes go. Nothing in
//! here hand-rolls a primitive; everything comes from RustCrypto.

pub mod bearer;
mod envelope;
pub mod generator;
mod keyring;
mod keys;
mod random;
mod secret;
pub mod shamir;
pub mod webhook;

pub use envelope::{
    EnvelopeError, EnvelopeHeader, KeyId, Sealed, envelope_header, open, open_v2, seal, seal_v2,
};
pub use generator::{Format, GenError, PasswordPolicy, generate, generate_password};
pub use keyring::{Keyring, KeyringError, LEGACY_KEY_ID};
pub use keys::{
    AuditKey, DataKey, Fingerprinter, KEY_LEN, Kek, KeyError, RootKey, SessionKey, TokenKey,
    ValueMacKey, constant_time_eq, derive_root_key_from_passphrase, keyed_fingerprint,
    snapshot_key,
};
pub use random::{fill_random, random_alphanumeric, random_bytes, random_from_alphabet};
pub use secret::{SecretBytes, SecretString};
pub use webhook::{SIGNATURE_HEADER, WebhookSignatureError, sign_webhook, verify_webhook};
