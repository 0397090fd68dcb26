//! `keyward operator`: seal state, unseal shares, break-glass access, root-key
//! rotation and backups. Unseal and status need no credentials (a sealed server
//! has none to check); everything else is an authorized, audited admin action.

use crate::output::print_json;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use keyward_client::{Client, Credentials};
use keyward_crypto::SecretString;
use reqwest::Method;
use serde_json::{Value, json};
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
        #[arg(long)]
        json: bool,
    },
    /// Seal the server: drop every key from memory until it is unsealed again.
    Seal,
    /// Show the seal state: sealed or not, and for shares the threshold and progress.
    Status {
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

fn print_status(v: &Value, as_json: bool) {
    if as_json {
        print_json(v);
        return;
    }
    let sealed = v["sealed"].as_bool().unwrap_or(true);
    println!("sealed: {sealed}");
    if let Some(k) = v["threshold"].as_u64() {
        println!(
            "unseal shares: {k} of {} needed (root key {})",
            v["shares"].as_u64().unwrap_or(0),
            v["key_id"].as_str().unwrap_or("?")
        );
        if sealed {
            println!("progress: {}/{k}", v["progress"].as_u64().unwrap_or(0));
        }
    }
}

pub fn run(c: OperatorCmd) -> Result<i32> {
    match c {
        OperatorCmd::Unseal { share, reset, json } => {
            let body = if reset {
                json!({"reset": true})
            } else {
                let share = match share.as_deref() {
                    None | Some("-") => read_stdin("the share")?,
                    Some(s) => s.to_string(),
                };
                let share = SecretString::new(share.trim().to_string());
                if share.expose().is_empty() {
                    bail!("no share given: pass it as an argument or on standard input");
                }
                json!({"share": share.expose()})
            };
            let v = anonymous_client()?.call(
                Method::POST,
                "/v1/sys/unseal",
                &[],
                Some(&body),
                "unseal",
            )?;
            print_status(&v, json);
            if !json && v["sealed"] == json!(false) {
                eprintln!("unsealed");
            }
        }
        OperatorCmd::Seal => {
            super::client()?.call(Method::POST, "/v1/sys/seal", &[], None, "seal")?;
            println!("sealed");
        }
        OperatorCmd::Status { json } => {
            let v = anonymous_client()?.call(
                Method::GET,
                "/v1/sys/seal-status",
                &[],
                None,
                "status",
            )?;
            print_status(&v, json);
        }
        OperatorCmd::BreakGlass { name, json } => {
            let text = read_stdin("the unseal shares")?;
            let shares: Vec<&str> = text.split_whitespace().collect();
            if shares.is_empty() {
                bail!("no shares on standard input: give one share per line");
            }
            let body = json!({"shares": shares, "name": name});
            let v = anonymous_client()?.call(
                Method::POST,
                "/v1/sys/break-glass",
                &[],
                Some(&body),
                &name,
            )?;
            if json {
                print_json(&v);
            } else {
                println!(
                    "principal:         {}",
                    v["principal"].as_str().unwrap_or_default()
                );
                println!(
                    "access_key_id:     {}",
                    v["access_key_id"].as_str().unwrap_or_default()
                );
                println!(
                    "secret_access_key: {}",
                    v["secret_access_key"].as_str().unwrap_or_default()
                );
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
                    json!({"new_root_key": key.to_hex()})
                }
                None => json!({}),
            };
            let v = match super::client()?.call(
                Method::POST,
                "/v1/sys/rotate-root-key",
                &[],
                Some(&body),
                "root key",
            ) {
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
                println!(
                    "root key rotated: now {}",
                    v["key_id"].as_str().unwrap_or("?")
                );
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
            let body = json!({"key_shares": key_shares, "key_threshold": key_threshold});
            let v = super::client()?.call(
                Method::POST,
                "/v1/sys/rekey-shares",
                &[],
                Some(&body),
                "shares",
            )?;
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

fn print_shares(v: &Value) {
    let Some(shares) = v["unseal_shares"].as_array() else {
        return;
    };
    println!(
        "new unseal shares ({} of {} needed; the old shares no longer work):",
        v["unseal_threshold"].as_u64().unwrap_or(0),
        shares.len()
    );
    for s in shares {
        println!("  {}", s.as_str().unwrap_or_default());
    }
    println!("the shares are shown only now; give each to a different key holder");
}
