//! The header (in the clear) and the manifest (encrypted) of a backup file.

use keyward_crypto::AuditKey;
use serde::{Deserialize, Serialize};

/// How the body is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encryption {
    /// age with a passphrase derived from the keyring (needs the root key).
    RootKey,
    /// age to X25519 recipients (needs one of their identities).
    AgeRecipient,
}

/// The clear first part: what a reader needs before decrypting.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The root key the backup's keyring is wrapped with (8 hex).
    pub key_id: String,
    pub created_at: String,
    pub keyward_version: String,
    pub encryption: Encryption,
    /// The keyring as stored (every key wrapped by the root key).
    pub keyring: String,
}

/// How much of each kind the backup holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub secrets: u64,
    /// Secrets scheduled for deletion (still recoverable).
    pub deleted_secrets: u64,
    pub versions: u64,
    pub staging_labels: u64,
    pub principals: u64,
    pub access_keys: u64,
    pub policies: u64,
    pub policy_attachments: u64,
    /// Secrets with rotation configured.
    pub rotating_secrets: u64,
    pub audit_records: u64,
}

/// The audit chain's checkpointed head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadInfo {
    pub seq: i64,
    pub mac: String,
}

/// The encrypted first line: what the backup holds and how to check it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub keyward_version: String,
    pub created_at: String,
    pub key_id: String,
    pub counts: Counts,
    pub audit_head: Option<HeadInfo>,
    pub db_len: u64,
    pub db_sha256: String,
    /// Binds the clear header to the encrypted body.
    pub header_sha256: String,
    /// HMAC (a subkey of the audit key) over everything above.
    pub mac: String,
}

impl Manifest {
    pub(crate) fn compute_mac(&self, key: &AuditKey) -> String {
        let unsigned = Manifest {
            mac: String::new(),
            ..self.clone()
        };
        let text = serde_json::to_string(&unsigned).expect("the manifest serialises");
        hex::encode(key.backup_mac(&[b"keyward-backup-manifest-v1", text.as_bytes()]))
    }
}
