//! One encrypted value: a standard binary age file (X25519 recipients), written
//! as `keyward:age:v1:` + standard base64, so `base64 -d | age -d -i KEY` reads it.

use crate::error::{FilesError, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyward_crypto::SecretBytes;
use std::io::{Read, Write};
use std::str::FromStr;

/// What every encrypted value starts with.
pub const VALUE_PREFIX: &str = "keyward:age:v1:";

/// Whether `s` looks like a keyward-encrypted value.
pub fn is_encrypted_value(s: &str) -> bool {
    s.starts_with(VALUE_PREFIX)
}

/// A file's recipients, sorted and without duplicates (their order is in the MAC).
#[derive(Clone)]
pub struct Recipients {
    list: Vec<age::x25519::Recipient>,
    text: Vec<String>,
}

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.text).finish()
    }
}

impl PartialEq for Recipients {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Recipients {
    /// Parses `age1...` strings; the error names the one at fault.
    pub fn parse<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Result<Self> {
        let mut text: Vec<String> = Vec::new();
        for s in items {
            let s = s.as_ref().trim();
            age::x25519::Recipient::from_str(s)
                .map_err(|_| FilesError::BadRecipient(s.to_owned()))?;
            text.push(s.to_owned());
        }
        text.sort();
        text.dedup();
        if text.is_empty() {
            return Err(FilesError::NoRecipients);
        }
        let list = text
            .iter()
            .map(|s| {
                age::x25519::Recipient::from_str(s).map_err(|_| FilesError::BadRecipient(s.clone()))
            })
            .collect::<Result<_>>()?;
        Ok(Self { list, text })
    }

    /// The recipients as `age1...` strings, sorted.
    pub fn as_strs(&self) -> &[String] {
        &self.text
    }

    /// Encrypts `plaintext` to every recipient and encodes it as a value string.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<String> {
        let enc =
            age::Encryptor::with_recipients(self.list.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| FilesError::Encrypt(e.to_string()))?;
        let mut out = Vec::with_capacity(plaintext.len() + 256);
        let mut w = enc
            .wrap_output(&mut out)
            .map_err(|e| FilesError::Encrypt(e.to_string()))?;
        w.write_all(plaintext)
            .and_then(|()| w.finish().map(|_| ()))
            .map_err(|e| FilesError::Encrypt(e.to_string()))?;
        let mut s = String::with_capacity(VALUE_PREFIX.len() + out.len() * 4 / 3 + 4);
        s.push_str(VALUE_PREFIX);
        STANDARD.encode_string(&out, &mut s);
        Ok(s)
    }
}

/// Something that can open age files: local identities, or a server that holds
/// the private key and decrypts under its policies.
pub trait Decrypter: Send + Sync {
    /// Opens one binary age file. `Ok(None)` when none of its keys matches.
    fn decrypt_age(&self, age_file: &[u8]) -> Result<Option<SecretBytes>>;

    /// Announces the age files about to be opened, so a decrypter that asks a
    /// server can ask once per file instead of once per value. Local keys need nothing.
    fn prepare(&self, _age_files: &[&[u8]]) -> Result<()> {
        Ok(())
    }
}

/// Age identities read from identity files (`AGE-SECRET-KEY-1...` lines).
pub struct Identities {
    ids: Vec<Box<dyn age::Identity + Send + Sync>>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identities({} keys)", self.ids.len())
    }
}

impl Identities {
    /// Parses identity-file text (the format of `age-keygen` and `keyward keygen`).
    pub fn from_text(text: &str, source: &str) -> Result<Self> {
        let file = age::IdentityFile::from_buffer(text.as_bytes())
            .map_err(|_| FilesError::Identity(format!("{source} is not an age identity file")))?;
        let ids = file.into_identities().map_err(|_| {
            FilesError::Identity(format!(
                "{source} holds an identity keyward cannot use (only X25519 AGE-SECRET-KEY-1 keys)"
            ))
        })?;
        if ids.is_empty() {
            return Err(FilesError::Identity(format!(
                "{source} holds no AGE-SECRET-KEY-1 line"
            )));
        }
        Ok(Self { ids })
    }

    /// Merges several identity sets (every key is tried).
    pub fn extend(&mut self, other: Identities) {
        self.ids.extend(other.ids);
    }
}

impl Decrypter for Identities {
    fn decrypt_age(&self, age_file: &[u8]) -> Result<Option<SecretBytes>> {
        let dec = age::Decryptor::new(age_file).map_err(|e| FilesError::Encrypt(e.to_string()))?;
        match dec.decrypt(self.ids.iter().map(|i| i.as_ref() as &dyn age::Identity)) {
            Ok(mut r) => {
                let mut out = Vec::new();
                r.read_to_end(&mut out).map_err(|_| {
                    FilesError::Encrypt("the ciphertext is corrupt (authentication failed)".into())
                })?;
                Ok(Some(SecretBytes::new(out)))
            }
            Err(age::DecryptError::NoMatchingKeys) => Ok(None),
            Err(e) => Err(FilesError::Encrypt(e.to_string())),
        }
    }
}

/// A fresh identity: (`AGE-SECRET-KEY-1...` text, `age1...` recipient).
pub fn generate_identity() -> (keyward_crypto::SecretString, String) {
    use age::secrecy::ExposeSecret;
    let id = age::x25519::Identity::generate();
    let secret = keyward_crypto::SecretString::new(id.to_string().expose_secret().to_owned());
    (secret, id.to_public().to_string())
}

/// Decodes a value string into the binary age file; `path` names it in errors.
pub fn decode_value(path: &str, value: &str) -> Result<Vec<u8>> {
    let b64 = value
        .strip_prefix(VALUE_PREFIX)
        .ok_or_else(|| FilesError::BadValue {
            path: path.to_owned(),
            why: format!("not encrypted (does not start with {VALUE_PREFIX})"),
        })?;
    STANDARD
        .decode(b64.trim())
        .map_err(|_| FilesError::BadValue {
            path: path.to_owned(),
            why: "the ciphertext is not valid base64 (was it edited by hand?)".into(),
        })
}

/// Decrypts a value string; errors name `path`.
pub fn decrypt_value(
    keys: &dyn Decrypter,
    path: &str,
    value: &str,
    recipients: &Recipients,
) -> Result<SecretBytes> {
    let bin = decode_value(path, value)?;
    match keys.decrypt_age(&bin) {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(FilesError::NoMatchingIdentity {
            what: format!("`{path}`"),
            recipients: recipients.as_strs().join(", "),
        }),
        Err(FilesError::Encrypt(why)) => Err(FilesError::BadValue {
            path: path.to_owned(),
            why: format!("cannot decrypt: {why}"),
        }),
        Err(e) => Err(e),
    }
}
