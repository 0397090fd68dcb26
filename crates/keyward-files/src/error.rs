//! Typed errors. None of them carries a value: parse errors name a line and
//! column, value errors name the key path.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum FilesError {
    #[error("{format} syntax error: {message}")]
    Parse {
        format: &'static str,
        message: String,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "this file is not keyward-encrypted (no `# keyward:mac=` line or `_keyward` member); encrypt it first with `keyward encrypt`"
    )]
    NotEncrypted,
    #[error(
        "this file is already keyward-encrypted; change values with `keyward set` or `keyward edit`, recipients with `keyward rekey`"
    )]
    AlreadyEncrypted,
    #[error("no recipients: give --recipient age1... or list them in a .keyward-recipients file")]
    NoRecipients,
    #[error("`{0}` is not an age X25519 recipient (expected age1...)")]
    BadRecipient(String),
    #[error("identity: {0}")]
    Identity(String),
    #[error(
        "none of the identities given can decrypt {what}; the file is encrypted to: {recipients}"
    )]
    NoMatchingIdentity { what: String, recipients: String },
    #[error(
        "file MAC mismatch: the encrypted entries were changed outside keyward (a value edited, an entry dropped, added, reordered, or moved to another key, or the recipient list changed); restore the file from git or re-create it"
    )]
    MacMismatch,
    #[error("malformed keyward metadata: {0}")]
    Meta(String),
    #[error("value of `{path}`: {why}")]
    BadValue { path: String, why: String },
    #[error("`{0}` appears more than once; give every key once")]
    DuplicateKey(String),
    #[error("no key `{0}` in this file")]
    NoSuchKey(String),
    #[error("`{0}` is not a valid key here")]
    InvalidKey(String),
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

pub type Result<T, E = FilesError> = std::result::Result<T, E>;
