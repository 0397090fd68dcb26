//! principal, key, policy, audit, token.

use super::client;
use crate::cli::{AuditCmd, KeyCmd, PolicyCmd, PrincipalCmd};
use crate::output::print_json;
use anyhow::{Context, Result, bail};
use keyward_client::encode_name;
use reqwest::Method;
use serde_json::json;

fn parse_tags(tags: &[String]) -> Result<Vec<serde_json::Value>> {
    tags.iter()
        .map(|t| {
            let (k, v) = t
                .split_once('=')
                .with_context(|| format!("tag {t:?} must be KEY=VALUE"))?;
            Ok(json!({"key": k, "value": v}))
        })
        .collect()
}

fn print_new_key(v: &serde_json::Value, as_json: bool) {
    if as_json {
        print_json(v);
    } else {
        println!(
            "access_key_id:     {}",
            v["access_key_id"].as_str().unwrap_or_default()
        );
        println!(
            "secret_access_key: {}",
            v["secret_access_key"].as_str().unwrap_or_default()
        );
        eprintln!("the secret access key is shown only now; store it safely");
    }
}

pub fn principal(c: PrincipalCmd) -> Result<i32> {
    let cl = client()?;
    match c {
        PrincipalCmd::Create { name, tags, json } => {
            let body = json!({"name": name, "tags": parse_tags(&tags)?});
            let v = cl.call(Method::POST, "/v1/principals", &[], Some(&body), &name)?;
            print_new_key(&v, json);
        }
        PrincipalCmd::Ls { json } => {
            let v = cl.call(Method::GET, "/v1/principals", &[], None, "principals")?;
            if json {
                print_json(&v["principals"]);
            } else {
                for p in v["principals"].as_array().into_iter().flatten() {
                    let policies: Vec<&str> = p["policies"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|x| x.as_str())
                        .collect();
                    println!(
                        "{:<24} {}",
                        p["name"].as_str().unwrap_or_default(),
                        policies.join(",")
                    );
                }
            }
        }
        PrincipalCmd::Show { name, json } => {
            let v = cl.call(
                Method::GET,
                &format!("/v1/principals/{}", encode_name(&name)),
                &[],
                None,
                &name,
            )?;
            if json {
                print_json(&v);
            } else {
                println!("name:     {}", v["name"].as_str().unwrap_or_default());
                println!("arn:      {}", v["arn"].as_str().unwrap_or_default());
                println!("keys:     {}", v["access_key_ids"]);
                println!("policies: {}", v["policies"]);
            }
        }
        PrincipalCmd::Rm { name } => {
            cl.call(
                Method::DELETE,
                &format!("/v1/principals/{}", encode_name(&name)),
                &[],
                None,
                &name,
            )?;
            eprintln!("deleted principal {name}");
        }
        PrincipalCmd::Attach { principal, policy } => {
            cl.call(
                Method::PUT,
                &format!(
                    "/v1/principals/{}/policies/{}",
                    encode_name(&principal),
                    encode_name(&policy)
                ),
                &[],
                None,
                &policy,
            )?;
            eprintln!("attached {policy} to {principal}");
        }
        PrincipalCmd::Detach { principal, policy } => {
            cl.call(
                Method::DELETE,
                &format!(
                    "/v1/principals/{}/policies/{}",
                    encode_name(&principal),
                    encode_name(&policy)
                ),
                &[],
                None,
                &policy,
            )?;
            eprintln!("detached {policy} from {principal}");
        }
    }
    Ok(0)
}

pub fn key(c: KeyCmd) -> Result<i32> {
    let cl = client()?;
    match c {
        KeyCmd::Create { principal, json } => {
            let v = cl.call(
                Method::POST,
                &format!("/v1/principals/{}/keys", encode_name(&principal)),
                &[],
                None,
                &principal,
            )?;
            print_new_key(&v, json);
        }
        KeyCmd::Rm { access_key_id } => {
            cl.call(
                Method::DELETE,
                &format!("/v1/keys/{}", encode_name(&access_key_id)),
                &[],
                None,
                &access_key_id,
            )?;
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
            cl.call(
                Method::PUT,
                &format!("/v1/policies/{}", encode_name(&name)),
                &[],
                Some(&doc),
                &name,
            )?;
            eprintln!("stored policy {name}");
        }
        PolicyCmd::Get { name, json } => {
            let v = cl.call(
                Method::GET,
                &format!("/v1/policies/{}", encode_name(&name)),
                &[],
                None,
                &name,
            )?;
            if json {
                print_json(&v);
            } else {
                print_json(&v["document"]);
            }
        }
        PolicyCmd::Ls { json } => {
            let v = cl.call(Method::GET, "/v1/policies", &[], None, "policies")?;
            if json {
                print_json(&v["policies"]);
            } else {
                for p in v["policies"].as_array().into_iter().flatten() {
                    println!("{}", p["name"].as_str().unwrap_or_default());
                }
            }
        }
        PolicyCmd::Rm { name } => {
            cl.call(
                Method::DELETE,
                &format!("/v1/policies/{}", encode_name(&name)),
                &[],
                None,
                &name,
            )?;
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
            let mut q = vec![("limit", limit.to_string())];
            for (k, v) in [
                ("secret", secret),
                ("principal", principal),
                ("outcome", outcome),
                ("since", since),
            ] {
                if let Some(v) = v {
                    q.push((k, v));
                }
            }
            let v = cl.call(Method::GET, "/v1/audit", &q, None, "audit")?;
            if json {
                print_json(&v["records"]);
            } else {
                for r in v["records"].as_array().into_iter().flatten() {
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
                None => {
                    let cl = client()?;
                    cl.call(Method::GET, "/v1/audit/verify", &[], None, "audit")?
                }
            };
            let ok = report["ok"].as_bool().unwrap_or(false);
            if json {
                print_json(&report);
            } else if ok {
                println!("audit chain intact: {} records verified", report["records"]);
            } else {
                eprintln!("audit chain BROKEN ({} records read):", report["records"]);
                for p in report["problems"].as_array().into_iter().flatten() {
                    eprintln!("  - {}", p.as_str().unwrap_or_default());
                }
            }
            Ok(if ok { 0 } else { 1 })
        }
    }
}

pub fn token() -> Result<i32> {
    println!("{}", client()?.token());
    Ok(0)
}
