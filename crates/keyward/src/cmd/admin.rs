//! principal, key, policy, audit, token.

use super::client;
use crate::cli::{AuditCmd, KeyCmd, PolicyCmd, PrincipalCmd};
use crate::output::print_json;
use anyhow::{Context, Result, bail};
use keyward_client::api::Tag;
use keyward_client::api::identities::AuditQuery;
use keyward_crypto::SecretString;

fn parse_tags(tags: &[String]) -> Result<Vec<Tag>> {
    tags.iter()
        .map(|t| {
            let (k, v) = t
                .split_once('=')
                .with_context(|| format!("tag {t:?} must be KEY=VALUE"))?;
            Ok(Tag {
                key: k.to_owned(),
                value: v.to_owned(),
            })
        })
        .collect()
}

/// Prints a new access key; `answer` is the server's whole answer, for `--json`.
fn print_new_key(
    answer: &impl serde::Serialize,
    access_key_id: &str,
    secret: &SecretString,
    as_json: bool,
) {
    if as_json {
        print_json(answer);
    } else {
        println!("access_key_id:     {access_key_id}");
        println!("secret_access_key: {}", secret.expose());
        eprintln!("the secret access key is shown only now; store it safely");
    }
}

pub fn principal(c: PrincipalCmd) -> Result<i32> {
    let cl = client()?;
    match c {
        PrincipalCmd::Create { name, tags, json } => {
            let v = cl.create_principal(&name, parse_tags(&tags)?)?;
            print_new_key(&v, &v.access_key_id, &v.secret_access_key, json);
        }
        PrincipalCmd::Ls { json } => {
            let v = cl.list_principals()?;
            if json {
                print_json(&v.principals);
            } else {
                for p in &v.principals {
                    println!("{:<24} {}", p.name, p.policies.join(","));
                }
            }
        }
        PrincipalCmd::Show { name, json } => {
            let v = cl.principal(&name)?;
            if json {
                print_json(&v);
            } else {
                println!("name:     {}", v.name);
                println!("arn:      {}", v.arn);
                // As compact JSON arrays: `["AKIA..."]`.
                println!("keys:     {}", serde_json::json!(v.access_key_ids));
                println!("policies: {}", serde_json::json!(v.policies));
            }
        }
        PrincipalCmd::Rm { name } => {
            cl.delete_principal(&name)?;
            eprintln!("deleted principal {name}");
        }
        PrincipalCmd::Attach { principal, policy } => {
            cl.attach_policy(&principal, &policy)?;
            eprintln!("attached {policy} to {principal}");
        }
        PrincipalCmd::Detach { principal, policy } => {
            cl.detach_policy(&principal, &policy)?;
            eprintln!("detached {policy} from {principal}");
        }
    }
    Ok(0)
}

pub fn key(c: KeyCmd) -> Result<i32> {
    let cl = client()?;
    match c {
        KeyCmd::Create { principal, json } => {
            let v = cl.create_access_key(&principal)?;
            print_new_key(&v, &v.access_key_id, &v.secret_access_key, json);
        }
        KeyCmd::Rm { access_key_id } => {
            cl.delete_access_key(&access_key_id)?;
            eprintln!("deleted access key {access_key_id}");
        }
    }
    Ok(0)
}

pub fn policy(c: PolicyCmd) -> Result<i32> {
    let cl = client()?;
    match c {
        PolicyCmd::Put { name, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            // Check locally first so the error names the file.
            if let Err(e) = keyward_policy::Policy::parse(&text) {
                bail!("{}: not a valid policy document: {e}", file.display());
            }
            let doc: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            cl.put_policy(&name, &doc)?;
            eprintln!("stored policy {name}");
        }
        PolicyCmd::Get { name, json } => {
            let v = cl.policy(&name)?;
            if json {
                print_json(&v);
            } else {
                print_json(&v.document);
            }
        }
        PolicyCmd::Ls { json } => {
            let v = cl.list_policies()?;
            if json {
                print_json(&v.policies);
            } else {
                for p in &v.policies {
                    println!("{}", p.name);
                }
            }
        }
        PolicyCmd::Rm { name } => {
            cl.delete_policy(&name)?;
            eprintln!("deleted policy {name}");
        }
    }
    Ok(0)
}

pub fn audit(c: AuditCmd) -> Result<i32> {
    match c {
        AuditCmd::Ls {
            secret,
            principal,
            outcome,
            since,
            limit,
            json,
        } => {
            let cl = client()?;
            let v = cl.audit(&AuditQuery {
                secret,
                principal,
                outcome,
                since,
                after_seq: None,
                limit: Some(limit),
            })?;
            if json {
                print_json(&v.records);
            } else {
                // Records stay JSON: their fields are the store's (see the README).
                for r in v.records.as_array().into_iter().flatten() {
                    println!(
                        "#{:<6} {} {:<16} {:<40} {} {}",
                        r["seq"],
                        r["time"].as_str().unwrap_or_default(),
                        r["outcome"].as_str().unwrap_or_default(),
                        r["action"].as_str().unwrap_or_default(),
                        r["principal"].as_str().unwrap_or("-"),
                        r["resource"].as_str().unwrap_or("-"),
                    );
                }
            }
            Ok(0)
        }
        AuditCmd::Verify {
            data_dir,
            root_key_file,
            json,
        } => {
            let report = match data_dir {
                Some(dir) => super::server::verify_offline(&dir, root_key_file.as_deref())?,
                None => client()?.verify_audit()?,
            };
            if json {
                print_json(&report);
            } else if report.ok {
                println!("audit chain intact: {} records verified", report.records);
            } else {
                eprintln!("audit chain BROKEN ({} records read):", report.records);
                for p in &report.problems {
                    eprintln!("  - {p}");
                }
            }
            Ok(if report.ok { 0 } else { 1 })
        }
    }
}

pub fn token() -> Result<i32> {
    println!("{}", client()?.token());
    Ok(0)
}
