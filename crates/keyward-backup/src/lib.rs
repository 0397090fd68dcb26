//! keyward-backup owns keyward's backup files: a consistent snapshot of a SQLite
//! data directory, its manifest (counts, audit-chain head, creation time,
//! version) and MAC, encryption with age (to an X25519 recipient, or "to the root
//! key"), and reading one back: decrypt, check every byte and the audit chain,
//! restore.
//!
//! It must not talk HTTP, print, or decide where keys come from: the server and
//! the CLI hand it a database path and key material.
//!
//! # File layout
//!
//! ```text
//! keyward-backup 1\n
//! {header JSON}\n          key id, created at, encryption, the stored (wrapped) keyring
//! <age file>               encrypts: {manifest JSON}\n <database image>
//! ```
//!
//! The header is in the clear so a backup names the root key it needs and so a
//! root-key holder can unwrap the keyring it carries. "To the root key" means age
//! with a passphrase derived from the keyring's audit key
//! ([`keyward_crypto::AuditKey::backup_passphrase`]): a running server has that
//! key without holding the root key, and after a root-key rotation an older
//! backup still opens with the root key of its time. age authenticates every
//! chunk and the end of the stream, so a flipped byte or a truncation is refused;
//! the manifest binds the header and the image's SHA-256, and its MAC (a subkey of
//! the audit key) shows the backup was made by a holder of this keyring.

mod export;
mod format;
pub mod schedule;
mod snapshot;

pub use export::{SecretExport, VersionExport};
pub use format::{Counts, Encryption, HeadInfo, Header, Manifest};
pub use snapshot::{facts_of, snapshot_db};

use keyward_crypto::{AuditKey, Keyring, RootKey};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

pub const MAGIC: &str = "keyward-backup 1";
/// The database file inside a data directory.
pub const DB_FILE: &str = "keyward.db";
/// Headers and manifests are small; anything longer is not a backup.
const MAX_LINE: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(String),
    #[error("not a keyward backup: {0}")]
    NotABackup(String),
    #[error("the backup is damaged or was modified ({0}); it cannot be trusted: use another copy")]
    Integrity(String),
    #[error(
        "this backup needs root key {needed}: {why}. Give the root key of the time the backup was made (--root-key-file, KEYWARD_ROOT_KEY) or, for a backup made with --recipient, the age identity (--identity)"
    )]
    WrongKey { needed: String, why: String },
    #[error("{0}")]
    Database(String),
    #[error("{0}")]
    Refused(String),
}

impl From<std::io::Error> for BackupError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e.to_string())
    }
}

impl From<rusqlite::Error> for BackupError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Database(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, BackupError>;

/// Who can decrypt a new backup.
#[derive(Debug)]
pub enum Target {
    /// Holders of the root key (of the time the backup is made).
    RootKey,
    /// Holders of one of these age identities.
    Recipients(Vec<age::x25519::Recipient>),
}

/// Parses `age1...` recipients.
pub fn parse_recipients(list: &[String]) -> Result<Target> {
    use std::str::FromStr;
    let r = list
        .iter()
        .map(|s| {
            age::x25519::Recipient::from_str(s.trim()).map_err(|_| {
                BackupError::Refused(format!(
                    "--recipient {s:?} is not an age X25519 recipient (age1...)"
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Target::Recipients(r))
}

/// Reports bytes done of a total, for progress bars.
pub type Progress<'a> = &'a dyn Fn(u64, u64);

/// Writes a backup of the database `image` (already a consistent snapshot, see
/// [`snapshot_db`]) to `out`. `audit_key` is the keyring's (it MACs the manifest
/// and, for [`Target::RootKey`], keys the encryption).
pub fn write_backup(
    image: &Path,
    audit_key: &AuditKey,
    target: &Target,
    out: &mut dyn Write,
    progress: Progress,
) -> Result<Manifest> {
    let facts = facts_of(image)?;
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let header = Header {
        key_id: facts.key_id.clone(),
        created_at: now.clone(),
        keyward_version: env!("CARGO_PKG_VERSION").to_string(),
        encryption: match target {
            Target::RootKey => Encryption::RootKey,
            Target::Recipients(_) => Encryption::AgeRecipient,
        },
        keyring: facts.keyring.clone(),
    };
    let header_line = serde_json::to_string(&header).expect("the header serialises");
    let (db_len, db_sha256) = hash_file(image)?;
    let mut manifest = Manifest {
        format: 1,
        keyward_version: header.keyward_version.clone(),
        created_at: now,
        key_id: facts.key_id,
        counts: facts.counts,
        audit_head: facts.head,
        db_len,
        db_sha256,
        header_sha256: hex::encode(Sha256::digest(header_line.as_bytes())),
        mac: String::new(),
    };
    manifest.mac = manifest.compute_mac(audit_key);
    let manifest_line = serde_json::to_string(&manifest).expect("the manifest serialises");

    writeln!(out, "{MAGIC}")?;
    writeln!(out, "{header_line}")?;
    let encryptor = match target {
        Target::RootKey => {
            let mut r = age::scrypt::Recipient::new(age_secret(audit_key));
            // The passphrase is 256 random bits: stretching it buys nothing.
            r.set_work_factor(10);
            age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
        }
        Target::Recipients(list) => {
            age::Encryptor::with_recipients(list.iter().map(|r| r as &dyn age::Recipient))
        }
    }
    .map_err(|e| BackupError::Io(format!("cannot set up encryption: {e}")))?;
    let mut w = encryptor.wrap_output(out)?;
    writeln!(w, "{manifest_line}")?;
    let mut db = std::fs::File::open(image)?;
    copy_with_progress(&mut db, &mut w, db_len, progress)?;
    w.finish()?;
    Ok(manifest)
}

/// Snapshots the live database `db` (a private temporary copy, removed after)
/// and writes its backup to `out`.
pub fn backup_live(
    db: &Path,
    audit_key: &AuditKey,
    target: &Target,
    out: &mut dyn Write,
    progress: Progress,
) -> Result<Manifest> {
    let dir = tempfile::Builder::new()
        .prefix("keyward-backup")
        .tempdir()?;
    let image = dir.path().join(DB_FILE);
    snapshot_db(db, &image)?;
    write_backup(&image, audit_key, target, out, progress)
}

/// The audit key of a database image's keyring, unwrapped with `root` (for a
/// backup made without a running server).
pub fn audit_key_of(db: &Path, root: &RootKey) -> Result<AuditKey> {
    let facts = facts_of(db)?;
    Keyring::from_stored(&facts.keyring, root)
        .map(|r| r.audit_key().clone())
        .map_err(|e| BackupError::WrongKey {
            needed: facts.key_id,
            why: e.to_string(),
        })
}

fn age_secret(audit_key: &AuditKey) -> age::secrecy::SecretString {
    age::secrecy::SecretString::from(audit_key.backup_passphrase().expose().to_string())
}

fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let n = std::io::copy(&mut f, &mut h)?;
    Ok((n, hex::encode(h.finalize())))
}

fn copy_with_progress(
    from: &mut dyn Read,
    to: &mut dyn Write,
    total: u64,
    progress: Progress,
) -> Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut done = 0u64;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            break;
        }
        to.write_all(&buf[..n])?;
        done += n as u64;
        progress(done, total);
    }
    Ok(done)
}

/// Key material to open a backup with.
pub struct Unlock {
    pub root_keys: Vec<RootKey>,
    pub identities: Vec<Box<dyn age::Identity>>,
    /// The keyring's audit key itself (a running server has it, not the root
    /// key): opens and checks a backup to the root key made from that keyring.
    pub audit_key: Option<AuditKey>,
}

impl std::fmt::Debug for Unlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Unlock({} root keys, {} identities)",
            self.root_keys.len(),
            self.identities.len()
        )
    }
}

/// A decrypted backup, its database image in a private temporary directory
/// (removed on drop).
#[derive(Debug)]
pub struct Opened {
    pub header: Header,
    pub manifest: Manifest,
    dir: tempfile::TempDir,
    /// The audit key, when a root key of the backup was given: without it the MAC
    /// and the audit chain cannot be checked.
    audit_key: Option<AuditKey>,
}

fn read_line(r: &mut dyn BufRead, what: &str) -> Result<String> {
    let mut line = Vec::new();
    r.take(MAX_LINE as u64).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(BackupError::NotABackup(format!("no complete {what} line")));
    }
    line.pop();
    String::from_utf8(line).map_err(|_| BackupError::NotABackup(format!("the {what} is not text")))
}

impl Opened {
    /// Decrypts `file`, checks the header binding, the image's length and hash,
    /// and (with a root key) the MAC.
    pub fn open(file: &Path, unlock: &Unlock, progress: Progress) -> Result<Self> {
        let f = std::fs::File::open(file)
            .map_err(|e| BackupError::Io(format!("cannot read {}: {e}", file.display())))?;
        let total = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut r = BufReader::new(f);
        if read_line(&mut r, "format")? != MAGIC {
            return Err(BackupError::NotABackup(format!(
                "{} does not start with {MAGIC:?}",
                file.display()
            )));
        }
        let header_line = read_line(&mut r, "header")?;
        let header: Header = serde_json::from_str(&header_line)
            .map_err(|e| BackupError::Integrity(format!("unreadable header: {e}")))?;
        let mut audit_key = unlock.audit_key.clone();
        let mut why = String::from("no root key was given");
        for root in unlock.root_keys.iter().filter(|_| audit_key.is_none()) {
            match Keyring::from_stored(&header.keyring, root) {
                Ok(ring) => {
                    audit_key = Some(ring.audit_key().clone());
                    break;
                }
                Err(e) => why = e.to_string(),
            }
        }
        let mut identities: Vec<&dyn age::Identity> =
            unlock.identities.iter().map(|i| i.as_ref()).collect();
        let scrypt_id = audit_key.as_ref().map(|k| {
            let mut id = age::scrypt::Identity::new(age_secret(k));
            id.set_max_work_factor(10);
            id
        });
        match (&header.encryption, &scrypt_id) {
            (Encryption::RootKey, Some(id)) => identities.push(id),
            (Encryption::RootKey, None) => {
                return Err(BackupError::WrongKey {
                    needed: header.key_id.clone(),
                    why,
                });
            }
            (Encryption::AgeRecipient, _) if identities.is_empty() => {
                return Err(BackupError::WrongKey {
                    needed: header.key_id.clone(),
                    why: "it was encrypted to an age recipient and no --identity was given".into(),
                });
            }
            _ => {}
        }
        let decryptor = age::Decryptor::new_buffered(&mut r).map_err(|e| {
            BackupError::Integrity(format!("the encrypted part is unreadable: {e}"))
        })?;
        let stream = decryptor
            .decrypt(identities.into_iter())
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys
                | age::DecryptError::DecryptionFailed
                | age::DecryptError::KeyDecryptionFailed => BackupError::WrongKey {
                    needed: header.key_id.clone(),
                    why: format!("the given keys do not decrypt it ({e})"),
                },
                other => BackupError::Integrity(other.to_string()),
            })?;
        let mut stream = BufReader::new(stream);
        let manifest_line = read_line(&mut stream, "manifest").map_err(integrity)?;
        let manifest: Manifest = serde_json::from_str(&manifest_line)
            .map_err(|e| BackupError::Integrity(format!("unreadable manifest: {e}")))?;
        let dir = tempfile::Builder::new()
            .prefix("keyward-restore")
            .tempdir()?;
        let image = dir.path().join(DB_FILE);
        let mut out = std::fs::File::create(&image)?;
        let mut hasher = HashingWriter {
            inner: &mut out,
            hash: Sha256::new(),
        };
        let n = copy_with_progress(&mut stream, &mut hasher, total, progress).map_err(integrity)?;
        let digest = hex::encode(hasher.hash.finalize());
        out.sync_all()?;
        if n != manifest.db_len || digest != manifest.db_sha256 {
            return Err(BackupError::Integrity(
                "the database image does not match its manifest".into(),
            ));
        }
        if hex::encode(Sha256::digest(header_line.as_bytes())) != manifest.header_sha256 {
            return Err(BackupError::Integrity(
                "the header does not belong to this backup".into(),
            ));
        }
        if let Some(k) = &audit_key
            && !keyward_crypto::constant_time_eq(
                manifest.compute_mac(k).as_bytes(),
                manifest.mac.as_bytes(),
            )
        {
            return Err(BackupError::Integrity(
                "the manifest's MAC does not verify".into(),
            ));
        }
        Ok(Self {
            header,
            manifest,
            dir,
            audit_key,
        })
    }

    /// The decrypted database image (do not write to it: copy it first).
    pub fn image(&self) -> PathBuf {
        self.dir.path().join(DB_FILE)
    }

    /// A copy of the image to open a store on (opening one writes: WAL,
    /// migrations), so the image itself stays as restored.
    pub(crate) fn scratch_copy(&self, name: &str) -> Result<PathBuf> {
        let copy = self.dir.path().join(name);
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(self.dir.path().join(format!("{name}{suffix}")));
        }
        std::fs::copy(self.image(), &copy)?;
        Ok(copy)
    }

    pub fn audit_key(&self) -> Option<&AuditKey> {
        self.audit_key.as_ref()
    }

    /// Checks the image against the manifest's counts and chain head, and the
    /// audit chain record by record. Needs the root key (the audit key).
    pub async fn verify(&self) -> Result<VerifyReport> {
        let facts = facts_of(&self.image())?;
        if facts.counts != self.manifest.counts {
            return Err(BackupError::Integrity(
                "the database's contents do not match the manifest's counts".into(),
            ));
        }
        if facts.head != self.manifest.audit_head {
            return Err(BackupError::Integrity(
                "the audit chain's head does not match the manifest".into(),
            ));
        }
        let Some(key) = &self.audit_key else {
            return Err(BackupError::WrongKey {
                needed: self.header.key_id.clone(),
                why: "the MAC and the audit chain can only be checked with the root key".into(),
            });
        };
        let copy = self.scratch_copy("verify.db")?;
        let store = keyward_store_sqlite::SqliteStore::open_existing(&copy)
            .map_err(|e| BackupError::Integrity(format!("the database image: {e}")))?;
        let report = keyward_store::audit::verify_stored(&store, key)
            .await
            .map_err(|e| BackupError::Database(e.to_string()))?;
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(self.dir.path().join(format!("verify.db{suffix}")));
        }
        if !report.ok {
            return Err(BackupError::Integrity(format!(
                "the audit chain does not verify: {}",
                report.problems.join("; ")
            )));
        }
        Ok(VerifyReport {
            audit_records: report.records,
            manifest: self.manifest.clone(),
        })
    }

    /// Writes the image as the database of `data_dir`, which must be empty or
    /// absent (nothing is overwritten).
    pub fn restore_into(&self, data_dir: &Path, progress: Progress) -> Result<PathBuf> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if data_dir.exists() {
            let mut entries = std::fs::read_dir(data_dir)?;
            if entries.next().is_some() {
                return Err(BackupError::Refused(format!(
                    "{} is not empty: restore into a new or empty directory (nothing is overwritten)",
                    data_dir.display()
                )));
            }
        } else {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(data_dir)?;
        }
        let target = data_dir.join(DB_FILE);
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&target)?;
        let mut from = std::fs::File::open(self.image())?;
        copy_with_progress(&mut from, &mut out, self.manifest.db_len, progress)?;
        out.sync_all()?;
        std::fs::File::open(data_dir)?.sync_all()?;
        Ok(target)
    }
}

fn integrity(e: BackupError) -> BackupError {
    match e {
        BackupError::Io(m) | BackupError::NotABackup(m) => BackupError::Integrity(m),
        other => other,
    }
}

struct HashingWriter<'a> {
    inner: &'a mut std::fs::File,
    hash: Sha256,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What [`Opened::verify`] found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    pub audit_records: usize,
    pub manifest: Manifest,
}

/// Reads just the clear header of a backup file (for listings).
pub fn read_header(file: &Path) -> Result<Header> {
    let f = std::fs::File::open(file)?;
    let mut r = BufReader::new(f);
    if read_line(&mut r, "format")? != MAGIC {
        return Err(BackupError::NotABackup(file.display().to_string()));
    }
    serde_json::from_str(&read_line(&mut r, "header")?)
        .map_err(|e| BackupError::NotABackup(e.to_string()))
}

#[cfg(test)]
mod tests;
