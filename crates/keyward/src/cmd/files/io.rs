//! Reading and writing files, finding identities and recipients.

use super::IdentityArgs;
use super::server::{Keys, ServerRecipient, resolve_recipients};
use anyhow::{Context, Result, anyhow, bail};
use keyward_files::{Decrypter, Format, Identities, Opened, Recipients};
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

/// --identity, else $KEYWARD_AGE_IDENTITY_FILE, else the default file; plus the
/// server recipient when one is named.
pub fn load_identities(args: &IdentityArgs) -> Result<Keys> {
    let server = args
        .server_recipient
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| {
            ServerRecipient::connect(
                n.strip_prefix(super::server::SERVER_PREFIX).unwrap_or(n),
                None,
            )
        })
        .transpose()?;
    let local = local_identities(args, server.is_some())?;
    Ok(Keys { local, server })
}

/// The local identity files; `None` when there are none and a server recipient
/// can decrypt instead (`optional`).
fn local_identities(args: &IdentityArgs, optional: bool) -> Result<Option<Identities>> {
    let mut paths = args.identity.clone();
    if paths.is_empty() {
        match std::env::var_os(IDENTITY_ENV).filter(|v| !v.is_empty()) {
            Some(p) => paths.push(PathBuf::from(p)),
            None => match default_identity_path().filter(|p| p.exists()) {
                Some(p) => paths.push(p),
                None if optional => return Ok(None),
                None => bail!(
                    "no age identity: pass --identity KEYFILE, set {IDENTITY_ENV}, create one with `keyward keygen`, or decrypt through the server with --server-recipient NAME"
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
    all.map(Some)
        .ok_or_else(|| anyhow!("no identity file given"))
}

/// --recipient, else the nearest .keyward-recipients at or above `file`'s directory.
pub fn find_recipients(given: &[String], file: &Path) -> Result<Recipients> {
    if !given.is_empty() {
        return Ok(Recipients::parse(resolve_recipients(given)?)?);
    }
    let start = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let mut dir = start.parent();
    while let Some(d) = dir {
        let candidate = d.join(RECIPIENTS_FILE);
        if candidate.is_file() {
            let text = std::fs::read_to_string(&candidate)
                .with_context(|| format!("cannot read {}", candidate.display()))?;
            let list: Vec<String> = text
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            let list =
                resolve_recipients(&list).with_context(|| format!("in {}", candidate.display()))?;
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
pub fn open_file(path: &Path, format: Format, ids: &dyn Decrypter) -> Result<Opened> {
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
