//! Server recipients for encrypted config files: keyward's answer to the master-key
//! "turtle problem". The server holds an age X25519 identity whose private key
//! never leaves it (sealed under the keyring, with the recipient's name as associated
//! data); files encrypted to its public recipient are opened by the server for the
//! callers its policies allow (`keyward:DecryptFile` on the recipient's ARN), and
//! every decryption is audited.

use crate::ctx::Audit;
use crate::error::ApiError;
use crate::state::AppState;
use keyward_files::{Decrypter, Identities};
use keyward_store::AuditedWrite;
use keyward_store::FileRecipient;

/// The longest recipient name.
pub const MAX_NAME_LEN: usize = 64;

/// Associated data binding a sealed identity to its recipient's name.
fn identity_aad(name: &str) -> Vec<u8> {
    format!("keyward:file-recipient:{name}").into_bytes()
}

/// Names are 1–64 of `A-Z a-z 0-9 - _ .`: they appear in ARNs, paths and policies.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::InvalidParameter(format!(
            "a file recipient name is 1–{MAX_NAME_LEN} letters, digits, `-`, `_` or `.`; got {name:?}"
        )))
    }
}

impl AppState {
    /// The ARN policies name a server recipient by.
    pub fn file_recipient_arn(&self, name: &str) -> String {
        keyward_policy::arn::file_recipient_arn(
            &self.cfg.default_region,
            &self.cfg.account_id,
            name,
        )
    }

    /// Generates and stores a new server recipient; `audit` commits with it.
    pub async fn create_file_recipient(
        &self,
        name: &str,
        audit: &mut Audit,
    ) -> Result<FileRecipient, ApiError> {
        check_name(name)?;
        let keys = self.keys()?;
        let (identity, recipient) = keyward_files::generate_identity();
        let sealed = keys
            .keyring
            .seal(identity.expose().as_bytes(), &identity_aad(name));
        let record = FileRecipient {
            name: name.to_owned(),
            recipient,
            sealed_identity: sealed.0,
            created_at: time::OffsetDateTime::now_utc(),
        };
        let stored = record.clone();
        self.write(audit, async |w: AuditedWrite| {
            self.store.create_file_recipient(stored, w).await
        })
        .await?;
        Ok(record)
    }

    /// The named recipient, or `NotFound` naming how to create one.
    pub async fn file_recipient(&self, name: &str) -> Result<FileRecipient, ApiError> {
        check_name(name)?;
        self.store
            .get_file_recipient(name)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "no file recipient named {name:?}: create it with `keyward file-recipient create {name}`"
                ))
            })
    }

    /// Opens `recipient`'s private identity, for decrypting inside the server only.
    pub fn file_identity(&self, recipient: &FileRecipient) -> Result<Identities, ApiError> {
        let keys = self.keys()?;
        let raw = keys
            .keyring
            .open(&recipient.sealed_identity, &identity_aad(&recipient.name))
            .map_err(|_| {
                ApiError::Integrity(format!(
                    "the stored identity of file recipient {:?} failed its integrity check",
                    recipient.name
                ))
            })?;
        let text = std::str::from_utf8(&raw).map_err(|_| {
            ApiError::Integrity(format!(
                "the stored identity of file recipient {:?} is not an age identity",
                recipient.name
            ))
        })?;
        Identities::from_text(text, "the server recipient").map_err(|_| {
            ApiError::Integrity(format!(
                "the stored identity of file recipient {:?} is not an age identity",
                recipient.name
            ))
        })
    }
}

/// What happened to one value handed to the server for decryption.
#[derive(Debug)]
pub enum Opened {
    Value(keyward_crypto::SecretBytes),
    /// The value was not encrypted to this recipient.
    NotARecipient,
    /// The value is not a valid age file (edited, truncated, or not base64).
    Corrupt,
}

/// Decrypts each base64 age file with `identity` (CPU work: call off the runtime).
pub fn open_all(identity: &Identities, values: &[String]) -> Vec<Opened> {
    use base64::Engine;
    values
        .iter()
        .map(|b64| {
            let Ok(bin) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
                return Opened::Corrupt;
            };
            match identity.decrypt_age(&bin) {
                Ok(Some(v)) => Opened::Value(v),
                Ok(None) => Opened::NotARecipient,
                Err(_) => Opened::Corrupt,
            }
        })
        .collect()
}
