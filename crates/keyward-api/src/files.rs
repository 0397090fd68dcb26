//! `/v1/files/recipients`: server recipients for encrypted config files. The
//! server holds an age identity whose private key never leaves it; files encrypted
//! to its public recipient are decrypted by the server for callers its policies
//! allow, and every decryption is audited.

use keyward_crypto::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most values one decrypt request may carry (a file's values travel together).
pub const MAX_DECRYPT_VALUES: usize = 1000;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFileRecipient {
    /// 1–64 characters: letters, digits, `-`, `_` and `.`.
    pub name: String,
}

/// A server recipient: encrypt files to `recipient` (`age1...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FileRecipientInfo {
    pub name: String,
    pub arn: String,
    pub recipient: String,
    /// RFC 3339.
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileRecipientList {
    pub recipients: Vec<FileRecipientInfo>,
}

/// One encrypted value to open: a binary age file, standard base64.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EncryptedValue {
    /// The value's key path in its file (`DATABASE_URL`, `db.password`), for errors.
    pub path: String,
    pub age_base64: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecryptValues {
    /// The file the values come from, as the caller names it (audited as given).
    #[serde(default)]
    pub file: Option<String>,
    /// 1–1000 values.
    pub values: Vec<EncryptedValue>,
}

/// One value's outcome: exactly one of `value_base64` and `error` is set. A value
/// not encrypted to this recipient has `error` = `not_a_recipient`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecryptedValue {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub value_base64: Option<SecretString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecryptedValues {
    pub values: Vec<DecryptedValue>,
}
