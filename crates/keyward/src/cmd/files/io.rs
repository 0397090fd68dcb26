//! Reading and writing files, finding identities and recipients.

use super::IdentityArgs;
use anyhow::{Context, Result, anyhow, bail};
use keyward_files::{Format, Identities, Opened, Recipients};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const IDENTITY_ENV: &str = "KEYWARD_AGE_IDENTITY_FILE";
pub const RECIPIENTS_FILE: &str = ".keyward-recipients";

/// ~/.config/keyward/age.key (XDG_CONFIG_HOME honoured).
pub fn default_identity_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("keyward").join("age.key"))
}

/// --identity, else $KEYWARD_AGE_IDENTITY_FILE, else the default file.
pub fn load_identities(args: &IdentityArgs) -> Result<Identities> {
    let mut paths = args.identity.clone();
    if paths.is_empty() {
        match std::env::var_os(IDENTITY_ENV).filter(|v| !v.is_empty()) {
            Some(p) => paths.push(PathBuf::from(p)),
            None => match default_identity_path().filter(|p| p.exists()) {
                Some(p) => paths.push(p),
                None => bail!(
                    "no age identity: pass --identity KEYFILE, set {IDENTITY_ENV}, or create one with `keyward keygen`"
                ),
            },
        }
    }
    let mut all: Option<Identities> = None;
    for p in &paths {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("cannot read the identity file {}", p.display()))?;
        let ids = Identities::from_text(&text, &p.display().to_string())?;
        match &mut all {
            Some(a) => a.extend(ids),
            None => all = Some(ids),
        }
    }
    all.ok_or_else(|| anyhow!("no identity file given"))
}

/// --recipient, else the nearest .keyward-recipients at or above `file`'s directory.
pub fn find_recipients(given: &[String], file: &Path) -> Result<Recipients> {
    if !given.is_empty() {
        return Ok(Recipients::parse(given)?);
    }
    let start = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let mut dir = start.parent();
    while let Some(d) = dir {
        let candidate = d.join(RECIPIENTS_FILE);
        if candidate.is_file() {
            let text = std::fs::read_to_string(&candidate)
                .with_context(|| format!("cannot read {}", candidate.display()))?;
            let list = text
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty());
            return Recipients::parse(list).with_context(|| format!("in {}", candidate.display()));
        }
        dir = d.parent();
    }
    Err(keyward_files::FilesError::NoRecipients.into())
}

/// The format from --format or the file name.
pub fn pick_format(given: Option<&str>, path: &Path) -> Result<Format> {
    match given {
        Some(f) => Format::from_name(f)
            .ok_or_else(|| anyhow!("unknown --format `{f}`: use env, json, yaml or toml")),
        None => Ok(Format::from_path(path)),
    }
}

/// Reads a text file ("-" is standard input).
pub fn read_text(path: &Path) -> Result<String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        return Ok(s);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| anyhow!("{} is not UTF-8 text", path.display()))
}

/// Replaces `path` atomically (temp file + rename), keeping its permissions, or
/// `mode` for a new file.
pub fn write_atomic(path: &Path, text: &str, mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mode = std::fs::metadata(path).map_or(mode, |m| m.permissions().mode() & 0o7777);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.keyward-{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Opens an encrypted file; errors name the file.
pub fn open_file(path: &Path, format: Format, ids: &Identities) -> Result<Opened> {
    let text = read_text(path)?;
    keyward_files::open(&text, format, ids).with_context(|| format!("{}", path.display()))
}

/// For `keyward run --file`: every value of each file, by key path.
pub fn open_for_run(
    files: &[PathBuf],
    ids: &IdentityArgs,
) -> Result<
    Vec<(
        String,
        std::collections::BTreeMap<String, keyward_config::SecretString>,
    )>,
> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let ids = load_identities(ids)?;
    files
        .iter()
        .map(|p| {
            let o = open_file(p, Format::from_path(p), &ids)?;
            let map = o.entries().map(|(k, v, _)| (k, v.clone())).collect();
            Ok((p.display().to_string(), map))
        })
        .collect()
}
