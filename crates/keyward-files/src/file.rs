//! Whole-file operations: encrypt a plaintext file, open (verify the MAC and
//! decrypt) an encrypted one, and write it back after edits, re-keys or merges.

use crate::error::{FilesError, Result};
use crate::format::{Doc, Format, Leaf, dup_check, path_string};
use crate::mac;
use crate::meta::Meta;
use crate::value::{Decrypter, Recipients, decode_value, decrypt_value};
use keyward_crypto::{SecretBytes, SecretString};
use std::collections::HashMap;

/// Runs `f` over `items` on a few threads (X25519 dominates the cost).
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    // A thread costs far less than one X25519 operation (tens of microseconds).
    if threads < 2 || items.len() < 16 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

fn new_mac_key() -> Result<SecretBytes> {
    let mut k = vec![0u8; mac::MAC_KEY_LEN];
    getrandom::getrandom(&mut k).map_err(|e| FilesError::Encrypt(format!("no randomness: {e}")))?;
    Ok(SecretBytes::new(k))
}

/// Encrypts every string leaf (by index) to `recipients`.
fn encrypt_leaves(
    recipients: &Recipients,
    jobs: &[(usize, SecretString)],
) -> Result<Vec<(usize, String)>> {
    par_map(jobs, |(i, v)| {
        recipients.encrypt(v.expose().as_bytes()).map(|c| (*i, c))
    })
    .into_iter()
    .collect()
}

fn apply(doc: &mut dyn Doc, edits: &[(usize, String)]) -> Result<()> {
    let refs: Vec<(usize, &str)> = edits.iter().map(|(i, s)| (*i, s.as_str())).collect();
    doc.set_strings(&refs)
}

/// Seals `doc` (whose string leaves are ciphertexts) with a MAC under `key`.
fn seal(
    format: Format,
    doc: &dyn Doc,
    recipients: &Recipients,
    key: &SecretBytes,
    wrapped_key: String,
) -> Result<String> {
    // MAC what a reader will parse: a format may place an inserted key elsewhere
    // than the end of its in-memory order (TOML puts top-level keys before tables).
    let (reread, _) = format.parse(&doc.text())?;
    let meta = Meta {
        recipients: recipients.as_strs().to_vec(),
        mac_key: wrapped_key,
        mac: mac::compute(key.expose(), recipients, reread.leaves())?,
    };
    format.render(doc, Some(&meta))
}

/// Encrypts a plaintext file: every string value to `recipients`, a new MAC key.
pub fn encrypt(text: &str, format: Format, recipients: &Recipients) -> Result<String> {
    let (mut doc, meta) = format.parse(text)?;
    if meta.is_some()
        || doc
            .leaves()
            .iter()
            .any(|l| l.is_string && crate::value::is_encrypted_value(l.value.expose()))
    {
        return Err(FilesError::AlreadyEncrypted);
    }
    dup_check(doc.leaves())?;
    let jobs: Vec<(usize, SecretString)> = doc
        .leaves()
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_string)
        .map(|(i, l)| (i, l.value.clone()))
        .collect();
    let edits = encrypt_leaves(recipients, &jobs)?;
    apply(doc.as_mut(), &edits)?;
    let key = new_mac_key()?;
    let wrapped = recipients.encrypt(key.expose())?;
    seal(format, doc.as_ref(), recipients, &key, wrapped)
}

/// Whether `text` is a keyward-encrypted file of `format` (metadata present).
pub fn is_encrypted(text: &str, format: Format) -> bool {
    matches!(format.parse(text), Ok((_, Some(_))))
}

/// An encrypted file whose MAC was verified and whose values are decrypted.
pub struct Opened {
    pub format: Format,
    doc: Box<dyn Doc>,
    recipients: Recipients,
    mac_key: SecretBytes,
    wrapped_key: String,
    /// Per leaf: the plaintext (strings) or the clear scalar text.
    plain: Vec<SecretString>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("format", &self.format)
            .field("recipients", &self.recipients)
            .field("leaves", &self.doc.leaves())
            .finish_non_exhaustive()
    }
}

/// Reads the metadata and checks the MAC without decrypting values.
fn open_verified(
    text: &str,
    format: Format,
    keys: &dyn Decrypter,
) -> Result<(Box<dyn Doc>, Recipients, SecretBytes, String)> {
    let (doc, meta) = format.parse(text)?;
    let meta = meta.ok_or(FilesError::NotEncrypted)?;
    let recipients = Recipients::parse(&meta.recipients)
        .map_err(|e| FilesError::Meta(format!("recipients line: {e}")))?;
    let bin = decode_value("the MAC key", &meta.mac_key)
        .map_err(|_| FilesError::Meta("the MAC key is not a valid keyward:age:v1: value".into()))?;
    let key = match keys.decrypt_age(&bin) {
        Ok(Some(k)) => k,
        Ok(None) => {
            return Err(FilesError::NoMatchingIdentity {
                what: "this file".into(),
                recipients: recipients.as_strs().join(", "),
            });
        }
        Err(FilesError::Encrypt(_)) => {
            return Err(FilesError::Meta(
                "the MAC key's ciphertext is corrupt".into(),
            ));
        }
        // E.g. a server recipient that refused: its own message says why.
        Err(e) => return Err(e),
    };
    if key.expose().len() != mac::MAC_KEY_LEN {
        return Err(FilesError::Meta("the MAC key has the wrong length".into()));
    }
    mac::verify(key.expose(), &recipients, doc.leaves(), &meta.mac)?;
    Ok((doc, recipients, key, meta.mac_key))
}

/// Verifies the MAC and decrypts every value.
pub fn open(text: &str, format: Format, keys: &dyn Decrypter) -> Result<Opened> {
    let (doc, recipients, mac_key, wrapped_key) = open_verified(text, format, keys)?;
    // Values that do not decode are reported by the loop below, naming their path.
    let bins: Vec<Vec<u8>> = doc
        .leaves()
        .iter()
        .filter(|l| l.is_string)
        .filter_map(|l| decode_value("", l.value.expose()).ok())
        .collect();
    keys.prepare(&bins.iter().map(Vec::as_slice).collect::<Vec<_>>())?;
    let plain = par_map(doc.leaves(), |l: &Leaf| -> Result<SecretString> {
        if !l.is_string {
            return Ok(l.value.clone());
        }
        let path = path_string(&l.path);
        let bytes = decrypt_value(keys, &path, l.value.expose(), &recipients)?;
        String::from_utf8(bytes.expose().to_vec())
            .map(SecretString::new)
            .map_err(|_| FilesError::BadValue {
                path,
                why: "the decrypted value is not UTF-8 text".into(),
            })
    })
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    Ok(Opened {
        format,
        doc,
        recipients,
        mac_key,
        wrapped_key,
        plain,
    })
}

impl Opened {
    pub fn recipients(&self) -> &Recipients {
        &self.recipients
    }

    /// (path, value) per leaf in file order; only string leaves were encrypted.
    pub fn entries(&self) -> impl Iterator<Item = (String, &SecretString, bool)> {
        self.doc
            .leaves()
            .iter()
            .zip(&self.plain)
            .map(|(l, v)| (path_string(&l.path), v, l.is_string))
    }

    /// The plaintext file, layout and comments as in the encrypted one.
    pub fn plaintext(&self) -> Result<String> {
        let mut doc = self.doc.boxed_clone();
        let edits: Vec<(usize, &str)> = doc
            .leaves()
            .iter()
            .zip(&self.plain)
            .enumerate()
            .filter(|(_, (l, _))| l.is_string)
            .map(|(i, (_, v))| (i, v.expose()))
            .collect();
        doc.set_strings(&edits)?;
        self.format.render(doc.as_ref(), None)
    }

    /// The encrypted file as it stands (MAC recomputed).
    pub fn render(&self) -> Result<String> {
        seal(
            self.format,
            self.doc.as_ref(),
            &self.recipients,
            &self.mac_key,
            self.wrapped_key.clone(),
        )
    }

    /// Re-encrypts an edited plaintext of this file: values unchanged at the same
    /// key path keep their ciphertext (small diffs), the rest are encrypted anew.
    pub fn reseal_plaintext(&self, new_text: &str) -> Result<(String, usize)> {
        let (mut doc, meta) = self.format.parse(new_text)?;
        if meta.is_some() {
            return Err(FilesError::AlreadyEncrypted);
        }
        dup_check(doc.leaves())?;
        let old: HashMap<_, _> = self
            .doc
            .leaves()
            .iter()
            .zip(&self.plain)
            .filter(|(l, _)| l.is_string)
            .map(|(l, v)| (&l.path, (v, l.value.expose().to_owned())))
            .collect();
        let mut keep = Vec::new();
        let mut jobs = Vec::new();
        for (i, l) in doc.leaves().iter().enumerate().filter(|(_, l)| l.is_string) {
            match old.get(&l.path) {
                Some((v, cipher)) if v.expose() == l.value.expose() => {
                    keep.push((i, cipher.clone()))
                }
                _ => jobs.push((i, l.value.clone())),
            }
        }
        let changed = jobs.len();
        let mut edits = encrypt_leaves(&self.recipients, &jobs)?;
        edits.extend(keep);
        apply(doc.as_mut(), &edits)?;
        Ok((
            seal(
                self.format,
                doc.as_ref(),
                &self.recipients,
                &self.mac_key,
                self.wrapped_key.clone(),
            )?,
            changed,
        ))
    }

    /// Sets `key` (a path like `KEY` or `db.password`) to `value`, adding a
    /// top-level key when it does not exist.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let cipher = self.recipients.encrypt(value.as_bytes())?;
        let at = self
            .doc
            .leaves()
            .iter()
            .position(|l| path_string(&l.path) == key);
        let before = self.by_path();
        match at {
            Some(i) => self.doc.set_strings(&[(i, cipher.as_str())])?,
            None => self.doc.insert(key, &cipher)?,
        }
        self.realign(before, Some((key, value)));
        Ok(())
    }

    /// Removes a top-level key.
    pub fn remove(&mut self, key: &str) -> Result<()> {
        let before = self.by_path();
        self.doc.remove(key)?;
        self.realign(before, None);
        Ok(())
    }

    fn by_path(&mut self) -> HashMap<String, SecretString> {
        self.doc
            .leaves()
            .iter()
            .map(|l| path_string(&l.path))
            .zip(std::mem::take(&mut self.plain))
            .collect()
    }

    /// Re-aligns the plaintexts with the leaves after an edit.
    fn realign(&mut self, mut before: HashMap<String, SecretString>, set: Option<(&str, &str)>) {
        if let Some((k, v)) = set {
            before.insert(k.to_owned(), SecretString::new(v.to_owned()));
        }
        self.plain = self
            .doc
            .leaves()
            .iter()
            .map(|l| {
                let p = path_string(&l.path);
                before.remove(&p).unwrap_or_else(|| l.value.clone())
            })
            .collect();
    }

    /// Encrypts every value, and a new MAC key, to `recipients`.
    pub fn rekey(&mut self, recipients: Recipients) -> Result<()> {
        let jobs: Vec<(usize, SecretString)> = self
            .doc
            .leaves()
            .iter()
            .zip(&self.plain)
            .enumerate()
            .filter(|(_, (l, _))| l.is_string)
            .map(|(i, (_, v))| (i, v.clone()))
            .collect();
        let edits = encrypt_leaves(&recipients, &jobs)?;
        apply(self.doc.as_mut(), &edits)?;
        self.mac_key = new_mac_key()?;
        self.wrapped_key = recipients.encrypt(self.mac_key.expose())?;
        self.recipients = recipients;
        Ok(())
    }
}
