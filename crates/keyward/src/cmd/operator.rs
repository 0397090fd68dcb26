//! `keyward operator`: seal state, unseal shares, break-glass access, root-key
//! rotation and backups. Unseal and status need no credentials (a sealed server
//! has none to check); everything else is an authorized, audited admin action.

use crate::output::print_json;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use keyward_client::api::sys::{
    BreakGlass, RekeyShares, RootKeyRotated, RotateRootKey, SealStatus, Unseal,
};
use keyward_client::{Client, Credentials};
use keyward_crypto::SecretString;
use std::io::Read;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum OperatorCmd {
    /// Give one unseal share to a sealed server; prints the progress (e.g. 2/3).
    ///
    /// Each key holder runs this once with their own share. A mistyped share, or
    /// one of another root key, is named and not counted. With `-` (or no SHARE)
    /// the share is read from standard input, which keeps it out of `ps` and the
    /// shell history.
    Unseal {
        /// The share (kws1-...), or `-` for standard input.
        share: Option<String>,
        /// Forget the shares given so far and start over.
        #[arg(long, conflicts_with = "share")]
        reset: bool,
        /// Print the seal state as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Seal the server: drop every key from memory until it is unsealed again.
    Seal,
    /// Show the seal state: sealed or not, and for shares the threshold and progress.
    Status {
        /// Print the seal state as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Emergency access when every admin credential is lost: K unseal shares on
    /// standard input (one per line) create a new administrator access key.
    ///
    /// The shares prove the holders could rebuild the root key, which is already
    /// full power over the data; this turns that into a credential without
    /// editing the database. The use is written to the audit chain as
    /// `keyward:BreakGlass` (alert rules key on it). See docs/break-glass.md.
    BreakGlass {
        /// Name of the principal to create (AdministratorAccess attached).
        #[arg(long, default_value = "break-glass")]
        name: String,
        /// Print the new access key as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replace the root key online: the keyring is re-wrapped under a new key, no
    /// request fails meanwhile. For a split key new shares are printed (the old
    /// ones stop working); otherwise the new key is written to --new-key-file.
    RotateRootKey {
        /// Where to write the new root key (0600, must not exist). Required unless
        /// the root key is split into shares.
        #[arg(long, value_name = "FILE")]
        new_key_file: Option<PathBuf>,
        /// Print the new root key's id (and new shares) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Issue new unseal shares for the current root key (another N or K, or to
    /// retire a lost share); the old shares stop working.
    RekeyShares {
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(2..=255))]
        key_shares: u8,
        #[arg(long, value_name = "K", value_parser = clap::value_parser!(u8).range(2..=255))]
        key_threshold: u8,
        /// Print the new shares as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Encrypted backups: create, verify, restore, list.
    #[command(subcommand)]
    Backup(super::backup::BackupCmd),
}

/// A client for the endpoints that take no credentials (unseal, status): the
/// address from KEYWARD_ADDR, credentials if set (ignored by the server).
fn anonymous_client() -> Result<Client> {
    let creds = Credentials::from_env().unwrap_or_else(|_| Credentials {
        addr: std::env::var("KEYWARD_ADDR")
            .ok()
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| keyward_client::DEFAULT_ADDR.to_string()),
        access_key_id: "anonymous".into(),
        secret_access_key: SecretString::new(String::new()),
        session_token: None,
    });
    Ok(Client::new(creds)?)
}

fn read_stdin(what: &str) -> Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .with_context(|| format!("cannot read {what} from standard input"))?;
    Ok(s)
}

fn print_status(v: &SealStatus, as_json: bool) {
    if as_json {
        print_json(v);
        return;
    }
    println!("sealed: {}", v.sealed);
    if let Some(k) = v.threshold {
        println!(
            "unseal shares: {k} of {} needed (root key {})",
            v.shares.unwrap_or(0),
            v.key_id.as_deref().unwrap_or("?")
        );
        if v.sealed {
            println!("progress: {}/{k}", v.progress.unwrap_or(0));
        }
    }
}

pub fn run(c: OperatorCmd) -> Result<i32> {
    match c {
        OperatorCmd::Unseal { share, reset, json } => {
            let body = if reset {
                Unseal {
                    reset: true,
                    ..Default::default()
                }
            } else {
                let share = match share.as_deref() {
                    None | Some("-") => read_stdin("the share")?,
                    Some(s) => s.to_string(),
                };
                let share = SecretString::new(share.trim().to_string());
                if share.expose().is_empty() {
                    bail!("no share given: pass it as an argument or on standard input");
                }
                Unseal {
                    share: Some(share),
                    ..Default::default()
                }
            };
            let v = anonymous_client()?.unseal(&body)?;
            print_status(&v, json);
            if !json && !v.sealed {
                eprintln!("unsealed");
            }
        }
        OperatorCmd::Seal => {
            super::client()?.seal()?;
            println!("sealed");
        }
        OperatorCmd::Status { json } => {
            let v = anonymous_client()?.seal_status()?;
            print_status(&v, json);
        }
        OperatorCmd::BreakGlass { name, json } => {
            let text = read_stdin("the unseal shares")?;
            let shares: Vec<SecretString> = text
                .split_whitespace()
                .map(|s| SecretString::new(s.to_owned()))
                .collect();
            if shares.is_empty() {
                bail!("no shares on standard input: give one share per line");
            }
            let v = anonymous_client()?.break_glass(&BreakGlass { shares, name })?;
            if json {
                print_json(&v);
            } else {
                println!("principal:         {}", v.principal);
                println!("access_key_id:     {}", v.access_key_id);
                println!("secret_access_key: {}", v.secret_access_key.expose());
                eprintln!(
                    "break-glass access granted and audited (keyward:BreakGlass); delete this key once regular access is restored"
                );
            }
        }
        OperatorCmd::RotateRootKey { new_key_file, json } => {
            // The new key is made and saved here, before the server switches to
            // it: a lost answer cannot leave the only copy in a dead process.
            let body = match &new_key_file {
                Some(p) => {
                    let key = keyward_crypto::RootKey::generate();
                    crate::datadir::write_private(p, format!("{}\n", key.to_hex()).as_bytes())
                        .with_context(|| format!("{} must not exist yet", p.display()))?;
                    RotateRootKey {
                        new_root_key: Some(SecretString::new(key.to_hex())),
                    }
                }
                None => RotateRootKey::default(),
            };
            let v = match super::client()?.rotate_root_key(&body) {
                Ok(v) => v,
                Err(e) => {
                    if let Some(p) = &new_key_file {
                        eprintln!(
                            "the new key was saved to {} first; if the rotation did not happen the old key still works and that file can be deleted",
                            p.display()
                        );
                    }
                    return Err(e.into());
                }
            };
            if json {
                print_json(&v);
            } else {
                println!("root key rotated: now {}", v.key_id);
                if let Some(p) = &new_key_file {
                    println!(
                        "new root key in {}; the old key no longer unseals this data directory (keep it for older backups)",
                        p.display()
                    );
                }
                print_shares(&v);
            }
        }
        OperatorCmd::RekeyShares {
            key_shares,
            key_threshold,
            json,
        } => {
            let v = super::client()?.rekey_shares(&RekeyShares {
                key_shares,
                key_threshold,
            })?;
            if json {
                print_json(&v);
            } else {
                print_shares(&v);
            }
        }
        OperatorCmd::Backup(b) => return super::backup::run(b),
    }
    Ok(0)
}

fn print_shares(v: &RootKeyRotated) {
    let Some(shares) = &v.unseal_shares else {
        return;
    };
    println!(
        "new unseal shares ({} of {} needed; the old shares no longer work):",
        v.unseal_threshold.unwrap_or(0),
        shares.len()
    );
    for s in shares {
        println!("  {}", s.expose());
    }
    println!("the shares are shown only now; give each to a different key holder");
}
