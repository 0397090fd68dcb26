//! `keyward run --offline-cache`: an encrypted snapshot of the store values a run
//! used, for when the server cannot be reached.
//!
//! The file lives in `$XDG_CACHE_HOME/keyward/` (else `~/.cache/keyward/`), mode
//! 0600 in a 0700 directory. It is sealed with XChaCha20-Poly1305
//! (`keyward_crypto::seal`) under `keyward_crypto::snapshot_key`, derived from the
//! secret access key, so only someone
//! holding that key can open it, and rotating the access key orphans old
//! snapshots. The associated data binds app, environment, server and access key
//! id, so a snapshot cannot be replayed for another app or environment. The
//! creation time sits inside the sealed payload, so it cannot be back-dated.

use anyhow::{Context, Result, bail};
use keyward_client::Credentials;
use keyward_config::SecretString;
use keyward_crypto::Kek;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use zeroize::Zeroizing;

#[derive(Serialize, Deserialize)]
struct Payload {
    created: i64,
    values: BTreeMap<String, SecretString>,
}

fn cache_dir() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .context("neither XDG_CACHE_HOME nor HOME is set, so there is no cache directory")?;
    Ok(base.join("keyward"))
}

fn ids(creds: &Credentials, app: &str, env: &str) -> (String, Vec<u8>) {
    let mut aad = Vec::new();
    for part in [app, env, creds.addr.as_str(), creds.access_key_id.as_str()] {
        aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    let file = hex::encode(&Sha256::digest(&aad)[..12]);
    let mut full = b"keyward-run-snapshot/v1".to_vec();
    full.extend_from_slice(&aad);
    (format!("run-{file}.snapshot"), full)
}

fn key(creds: &Credentials) -> Result<Kek> {
    Ok(keyward_crypto::snapshot_key(
        creds.secret_access_key.expose().as_bytes(),
    ))
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Writes the snapshot atomically; returns its path.
pub fn save(
    creds: &Credentials,
    app: &str,
    env: &str,
    values: &BTreeMap<String, SecretString>,
) -> Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let dir = cache_dir()?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let (name, aad) = ids(creds, app, env);
    let plain = Zeroizing::new(serde_json::to_vec(&Payload {
        created: now(),
        values: values.clone(),
    })?);
    let sealed = keyward_crypto::seal(&key(creds)?, &plain, &aad);
    let path = dir.join(name);
    let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(&sealed.0)?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// A snapshot no older than `max_age`, with its age.
pub fn load(
    creds: &Credentials,
    app: &str,
    env: &str,
    max_age: Duration,
) -> Result<(BTreeMap<String, SecretString>, Duration, PathBuf)> {
    let (name, aad) = ids(creds, app, env);
    let path = cache_dir()?.join(name);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "there is no offline snapshot for app `{app}`, environment `{env}` ({}); run once with --offline-cache while the server is reachable",
            path.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let plain = keyward_crypto::open(&key(creds)?, &bytes, &aad).map_err(|_| {
        anyhow::anyhow!(
            "the offline snapshot {} cannot be opened (made with another access key, or damaged); delete it",
            path.display()
        )
    })?;
    let p: Payload = serde_json::from_slice(&plain).context("the offline snapshot is damaged")?;
    let age = Duration::from_secs(now().saturating_sub(p.created).max(0) as u64);
    if age > max_age {
        bail!(
            "the offline snapshot for `{app}` / `{env}` is {} old, older than --max-age {}; refusing to start with values that may have been rotated. Bring the server back or raise --max-age",
            human(age),
            human(max_age)
        );
    }
    Ok((p.values, age, path))
}

pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{}s", s / 60, s % 60),
        3600..86400 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{}h", s / 86400, (s % 86400) / 3600),
    }
}
