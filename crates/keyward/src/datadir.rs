//! The data directory: where the database and (optionally) the root key file live,
//! and how the root key is found.

use anyhow::{Context, Result, bail};
use keyward_crypto::RootKey;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const DB_FILE: &str = "keyward.db";
pub const KEY_FILE: &str = "root.key";

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join(DB_FILE)
}

/// Creates `dir` with mode 0700 if it does not exist.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    }
    Ok(())
}

/// Writes a file readable by the owner only (0600), refusing to overwrite.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(contents)?;
    f.sync_all()?;
    Ok(())
}

/// Where the root key came from, for messages.
#[derive(Debug, Clone)]
pub enum KeySource {
    Env,
    File(PathBuf),
    Passphrase,
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Env => f.write_str("KEYWARD_ROOT_KEY"),
            KeySource::File(p) => write!(f, "key file {}", p.display()),
            KeySource::Passphrase => f.write_str("the passphrase (KEYWARD_PASSPHRASE)"),
        }
    }
}

fn read_key_file(path: &Path) -> Result<RootKey> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read root key file {}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "the root key file is readable by others; chmod 600 it");
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read root key file {}", path.display()))?;
    RootKey::from_text(&text)
        .with_context(|| format!("root key file {} is not a valid key", path.display()))
}

/// Finds the root key: `--root-key-file`, `KEYWARD_ROOT_KEY`, `KEYWARD_ROOT_KEY_FILE`
/// (Docker secrets style), `KEYWARD_PASSPHRASE` (Argon2id with the stored salt), then
/// `DIR/root.key`. `None` means start sealed.
pub fn find_root_key(
    dir: &Path,
    key_file: Option<&Path>,
    passphrase_salt: Option<&str>,
) -> Result<Option<(RootKey, KeySource)>> {
    if let Some(p) = key_file {
        return Ok(Some((read_key_file(p)?, KeySource::File(p.to_path_buf()))));
    }
    if let Ok(text) = std::env::var("KEYWARD_ROOT_KEY")
        && !text.is_empty()
    {
        let key = RootKey::from_text(&text)
            .context("KEYWARD_ROOT_KEY is not a valid key (64 hex or 44 base64 characters)")?;
        return Ok(Some((key, KeySource::Env)));
    }
    if let Ok(p) = std::env::var("KEYWARD_ROOT_KEY_FILE")
        && !p.is_empty()
    {
        let p = PathBuf::from(p);
        return Ok(Some((read_key_file(&p)?, KeySource::File(p))));
    }
    if let Ok(pass) = std::env::var("KEYWARD_PASSPHRASE")
        && !pass.is_empty()
    {
        let Some(salt) = passphrase_salt else {
            bail!(
                "KEYWARD_PASSPHRASE is set, but this data directory was not initialised with a passphrase (run `keyward init --passphrase`)"
            );
        };
        let salt = hex::decode(salt).context("the stored passphrase salt is corrupt")?;
        let key = keyward_crypto::derive_root_key_from_passphrase(pass.as_bytes(), &salt)?;
        return Ok(Some((key, KeySource::Passphrase)));
    }
    let default = dir.join(KEY_FILE);
    if default.exists() {
        return Ok(Some((read_key_file(&default)?, KeySource::File(default))));
    }
    Ok(None)
}
