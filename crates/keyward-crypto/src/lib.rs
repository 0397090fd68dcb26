//! keyward-crypto owns every cryptographic decision keyward makes: the key hierarchy
//! (root key -> purpose keys via HKDF), envelope encryption of secret values
//! (a fresh data key per version, wrapped by the key-encryption key, XChaCha20-Poly1305
//! with associated data binding ciphertext to its record), passphrase KDF (Argon2id),
//! MACs for the audit chain, random generation, and the redacting secret types.
//!
//! It must not do I/O, async, or logging: callers decide where bytes go. Nothing in
//! here hand-rolls a primitive; everything comes from RustCrypto.

pub mod bearer;
mod envelope;
mod keys;
mod random;
mod secret;

pub use envelope::{EnvelopeError, Sealed, open, seal};
pub use keys::{
    AuditKey, KEY_LEN, Kek, KeyError, RootKey, SessionKey, TokenKey, constant_time_eq,
    derive_root_key_from_passphrase,
};
pub use random::{fill_random, random_alphanumeric, random_bytes, random_from_alphabet};
pub use secret::{SecretBytes, SecretString};
