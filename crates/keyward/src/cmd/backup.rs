//! `keyward operator backup`: create (through the server, or offline on a data
//! directory), verify, restore, list.

use crate::datadir;
use crate::output::print_json;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use keyward_backup::{Opened, Target, Unlock};
use keyward_client::ClientError;
use keyward_crypto::RootKey;
use keyward_crypto::shamir::{Share, combine_shares};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum BackupCmd {
    /// Write an encrypted backup of everything: secrets with every version and
    /// label (deleted-but-recoverable ones too), identities, policies, rotation
    /// settings and the audit chain.
    ///
    /// Through the running server (KEYWARD_ADDR; needs keyward:CreateBackup;
    /// audited) from a consistent snapshot while it keeps serving, or with
    /// --data-dir straight from a data directory. Encrypted to the root key
    /// unless --recipient names age recipients.
    Create {
        /// Where to write the backup (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Encrypt to this age recipient (age1...) instead of the root key; repeatable.
        #[arg(long, value_name = "AGE_RECIPIENT")]
        recipient: Vec<String>,
        /// Back up this data directory directly instead of through the server
        /// (needs its root key).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[command(flatten)]
        keys: KeyArgs,
        /// Print the backup's file, root key id, time, encryption and counts as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Decrypt a backup and check it without restoring: every byte (a flipped
    /// byte or a truncation is refused), the manifest's MAC and counts, and the
    /// audit chain. Exits 0 only when all of it holds.
    Verify {
        file: PathBuf,
        #[command(flatten)]
        keys: KeyArgs,
        /// Print the verification's result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Restore a backup into a new data directory (--data-dir), or one secret's
    /// history into the running server (--secret), after verifying it.
    ///
    /// A restored directory takes its key material the way `serve` does: the
    /// root key of the backup's time (file or environment), or unsealing with
    /// that key's shares. --secret replaces the server's secret of that name
    /// with the backup's versions and labels (keyward:RestoreSecret, audited);
    /// the server must hold the backup's keyring (the same data directory's
    /// lineage).
    Restore {
        file: PathBuf,
        /// A new or empty data directory to restore into.
        #[arg(long, required_unless_present = "secret", conflicts_with = "secret")]
        data_dir: Option<PathBuf>,
        /// Restore only this secret, into the server at KEYWARD_ADDR.
        #[arg(long)]
        secret: Option<String>,
        /// The secret's region (default: the backup's default region).
        #[arg(long, requires = "secret")]
        region: Option<String>,
        #[command(flatten)]
        keys: KeyArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the backups in directories (newest first), from their clear headers.
    Ls {
        /// Directories to look in.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Print the backups found as a JSON array.
        #[arg(long)]
        json: bool,
    },
}

/// Key material for reading a backup.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Root key file (otherwise KEYWARD_ROOT_KEY, KEYWARD_ROOT_KEY_FILE, or DIR/root.key with --data-dir).
    #[arg(long, value_name = "FILE")]
    root_key_file: Option<PathBuf>,
    /// A file of unseal shares, one per line (at least the threshold), instead of a root key.
    #[arg(long, value_name = "FILE")]
    unseal_shares: Option<PathBuf>,
    /// age identity file (AGE-SECRET-KEY-1...) for a backup made with --recipient; repeatable.
    #[arg(long, value_name = "FILE")]
    identity: Vec<PathBuf>,
}

impl KeyArgs {
    /// Every root key these arguments and the environment name.
    fn root_keys(&self, dir: Option<&Path>) -> Result<Vec<RootKey>> {
        let mut keys = Vec::new();
        if let Some(p) = &self.unseal_shares {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let shares = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(Share::parse)
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("in {}", p.display()))?;
            keys.push(combine_shares(&shares).with_context(|| format!("in {}", p.display()))?);
        }
        // The same places `serve` looks (a missing DIR/root.key is fine here).
        let dir = dir.unwrap_or_else(|| Path::new("/nonexistent-keyward-dir"));
        if let Some((k, _)) = datadir::find_root_key(dir, self.root_key_file.as_deref(), None)? {
            keys.push(k);
        }
        Ok(keys)
    }

    fn unlock(&self, dir: Option<&Path>) -> Result<Unlock> {
        let mut identities: Vec<Box<dyn age::Identity>> = Vec::new();
        for p in &self.identity {
            let file = age::IdentityFile::from_file(p.display().to_string())
                .with_context(|| format!("cannot read age identity file {}", p.display()))?;
            for id in file
                .into_identities()
                .with_context(|| format!("{}: unsupported identity", p.display()))?
            {
                identities.push(id);
            }
        }
        Ok(Unlock {
            root_keys: self.root_keys(dir)?,
            identities,
            audit_key: None,
        })
    }
}

/// A byte progress bar on standard error when it is a terminal.
fn bar(what: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(0);
    b.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b.set_message(what.to_string());
    b
}

fn create_new(path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))
}

pub fn run(c: BackupCmd) -> Result<i32> {
    match c {
        BackupCmd::Create {
            out,
            recipient,
            data_dir,
            keys,
            json,
        } => create(&out, &recipient, data_dir.as_deref(), &keys, json),
        BackupCmd::Verify { file, keys, json } => {
            let opened = open(&file, &keys, None)?;
            let report = runtime()?.block_on(opened.verify())?;
            if json {
                print_json(
                    &json!({"ok": true, "file": file, "audit_records": report.audit_records, "manifest": report.manifest}),
                );
            } else {
                let m = &report.manifest;
                println!("ok: {} verifies", file.display());
                println!("created:  {} (keyward {})", m.created_at, m.keyward_version);
                println!("root key: {}", m.key_id);
                println!(
                    "contents: {} secrets ({} scheduled for deletion), {} versions, {} principals, {} policies",
                    m.counts.secrets,
                    m.counts.deleted_secrets,
                    m.counts.versions,
                    m.counts.principals,
                    m.counts.policies
                );
                println!("audit chain: {} records, intact", report.audit_records);
            }
            Ok(0)
        }
        BackupCmd::Restore {
            file,
            data_dir,
            secret,
            region,
            keys,
            json,
        } => {
            let opened = open(&file, &keys, None)?;
            if let Some(name) = secret {
                return restore_secret(&opened, &name, region.as_deref(), json);
            }
            let data_dir = data_dir.context("--data-dir or --secret is required")?;
            let verified = if opened.audit_key().is_some() {
                Some(runtime()?.block_on(opened.verify())?)
            } else {
                eprintln!(
                    "note: without the root key the MAC and audit chain are not checked now; run `keyward audit verify` after unsealing"
                );
                None
            };
            let b = bar("restoring");
            b.set_length(opened.manifest.db_len);
            let db = opened.restore_into(&data_dir, &|done, _| b.set_position(done))?;
            b.finish_and_clear();
            if json {
                print_json(&json!({
                    "data_dir": data_dir,
                    "database": db,
                    "key_id": opened.manifest.key_id,
                    "counts": opened.manifest.counts,
                    "audit_chain_verified": verified.is_some(),
                }));
            } else {
                println!("restored {} into {}", file.display(), data_dir.display());
                println!(
                    "start it with `keyward serve --data-dir {}` and the root key {} of the backup's time (KEYWARD_ROOT_KEY, --root-key-file), or unseal with its shares",
                    data_dir.display(),
                    opened.manifest.key_id
                );
            }
            Ok(0)
        }
        BackupCmd::Ls { dirs, json } => ls(&dirs, json),
    }
}

fn restore_secret(opened: &Opened, name: &str, region: Option<&str>, as_json: bool) -> Result<i32> {
    let rt = runtime()?;
    // The whole backup is checked first: nothing from a damaged one is restored.
    rt.block_on(opened.verify())?;
    let export = rt.block_on(opened.export_secret(name, region))?;
    let v = super::client()?.restore_from_backup(name, &export)?;
    if as_json {
        print_json(&v);
    } else {
        println!(
            "restored {} with {} versions from the backup of {}",
            name, v.versions, opened.manifest.created_at
        );
    }
    Ok(0)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn open(file: &Path, keys: &KeyArgs, dir: Option<&Path>) -> Result<Opened> {
    let unlock = keys.unlock(dir)?;
    let b = bar("decrypting");
    b.set_length(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0));
    let opened = Opened::open(file, &unlock, &|done, _| b.set_position(done));
    b.finish_and_clear();
    Ok(opened?)
}

fn create(
    out: &Path,
    recipients: &[String],
    data_dir: Option<&Path>,
    keys: &KeyArgs,
    as_json: bool,
) -> Result<i32> {
    let target = if recipients.is_empty() {
        Target::RootKey
    } else {
        keyward_backup::parse_recipients(recipients)?
    };
    let mut file = create_new(out)?;
    let result = (|| -> Result<serde_json::Value> {
        match data_dir {
            Some(dir) => {
                let db = datadir::db_path(dir);
                if !db.exists() {
                    bail!(
                        "{} is not a keyward data directory (no {})",
                        dir.display(),
                        datadir::DB_FILE
                    );
                }
                let roots = keys.root_keys(Some(dir))?;
                let audit_key = roots
                    .iter()
                    .find_map(|r| keyward_backup::audit_key_of(&db, r).ok())
                    .context("no root key of this data directory was found: set KEYWARD_ROOT_KEY, pass --root-key-file or --unseal-shares")?;
                let b = bar("backing up");
                let m = keyward_backup::backup_live(
                    &db,
                    &audit_key,
                    &target,
                    &mut file,
                    &|done, total| {
                        b.set_length(total);
                        b.set_position(done);
                    },
                )?;
                b.finish_and_clear();
                Ok(serde_json::to_value(m)?)
            }
            None => {
                let req = keyward_client::api::sys::CreateBackup {
                    recipients: recipients.to_vec(),
                };
                let resp = super::client()?
                    .download_backup(&req)
                    .map_err(|e| match e {
                        // Said as before: the server's refusal with its status line,
                        // an unreachable server without the generic hint.
                        ClientError::Api {
                            status, message, ..
                        } => {
                            let status = reqwest::StatusCode::from_u16(status)
                                .map_or_else(|_| status.to_string(), |s| s.to_string());
                            anyhow::anyhow!("the server refused the backup ({status}): {message}")
                        }
                        ClientError::Transport(why) => anyhow::anyhow!(why),
                        other => other.into(),
                    })?;
                let counts = resp.counts.clone();
                let b = bar("downloading");
                b.set_length(resp.content_length().unwrap_or(0));
                let mut reader = b.wrap_read(resp);
                std::io::copy(&mut reader, &mut file)?;
                b.finish_and_clear();
                Ok(json!({"counts": counts}))
            }
        }
    })();
    match result {
        Ok(v) => {
            file.sync_all()?;
            let header = keyward_backup::read_header(out)?;
            if as_json {
                print_json(
                    &json!({"file": out, "key_id": header.key_id, "created_at": header.created_at, "encryption": header.encryption, "counts": v["counts"]}),
                );
            } else {
                println!(
                    "backup written to {} (root key {}, {:?})",
                    out.display(),
                    header.key_id,
                    header.encryption
                );
            }
            let _ = file.flush();
            Ok(0)
        }
        Err(e) => {
            // Never leave a partial file that looks like a backup.
            drop(file);
            let _ = std::fs::remove_file(out);
            Err(e)
        }
    }
}

fn ls(dirs: &[PathBuf], as_json: bool) -> Result<i32> {
    let mut found = Vec::new();
    for d in dirs {
        let entries =
            std::fs::read_dir(d).with_context(|| format!("cannot list {}", d.display()))?;
        for e in entries.flatten() {
            let p = e.path();
            if let Ok(h) = keyward_backup::read_header(&p) {
                let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                found.push((h, p, size));
            }
        }
    }
    found.sort_by(|a, b| b.0.created_at.cmp(&a.0.created_at));
    if as_json {
        print_json(&json!(found
            .iter()
            .map(|(h, p, size)| json!({"file": p, "created_at": h.created_at, "key_id": h.key_id, "encryption": h.encryption, "keyward_version": h.keyward_version, "bytes": size}))
            .collect::<Vec<_>>()));
    } else {
        for (h, p, size) in &found {
            println!(
                "{}  {}  {:>10} B  {:?}  {}",
                h.created_at,
                h.key_id,
                size,
                h.encryption,
                p.display()
            );
        }
    }
    Ok(0)
}
