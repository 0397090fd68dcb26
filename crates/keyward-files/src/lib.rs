//! keyward-files: encrypted config files that stay reviewable in git.
//!
//! Every string value of a `.env`, JSON, YAML or TOML file is encrypted on its own
//! as a standard age file (X25519 recipients), written in place as
//! `keyward:age:v1:<base64>`; keys, comments and layout stay as they were. A
//! file-level HMAC-SHA256 over the recipients and every key path and stored value,
//! in order, detects dropped, added, reordered, swapped or edited entries. Its key
//! is random per file and stored encrypted to the same recipients.
//!
//! [`file::encrypt`] and [`file::open`] are the entry points; [`merge::merge`]
//! is the three-way merge behind the git merge driver.

pub mod error;
pub mod file;
pub mod format;
pub mod mac;
pub mod merge;
pub mod meta;
pub mod value;

pub use error::FilesError;
pub use file::{Opened, encrypt, is_encrypted, open};
pub use format::Format;
pub use value::{
    Decrypter, Identities, Recipients, VALUE_PREFIX, generate_identity, is_encrypted_value,
};

/// A quick, parse-free check for scanners: does `text` carry keyward metadata?
pub fn looks_encrypted(text: &str) -> bool {
    text.contains(VALUE_PREFIX)
        && (text.lines().any(|l| l.starts_with("# keyward:mac=")) || text.contains("\"_keyward\""))
}
