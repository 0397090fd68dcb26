//! put, get, ls, history, rm, restore.

use super::client;
use crate::cli::{GetArgs, LsArgs, NameJson, PutArgs, RmArgs};
use crate::output::print_json;
use anyhow::{Context, Result, bail};
use keyward_client::encode_name;
use keyward_crypto::SecretBytes;
use reqwest::Method;
use std::io::{Read, Write};

pub fn put(a: PutArgs) -> Result<i32> {
    let value = match (&a.value, &a.from_file, a.stdin) {
        (Some(v), None, false) => SecretBytes::new(v.as_bytes().to_vec()),
        (None, Some(p), false) => SecretBytes::new(
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
        ),
        (None, None, true) => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("cannot read standard input")?;
            // A trailing newline from `echo` is never part of a secret.
            if buf.last() == Some(&b'\n') {
                buf.pop();
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
            }
            SecretBytes::new(buf)
        }
        _ => bail!("give the value as an argument, with --from-file PATH, or with --stdin"),
    };
    let c = client()?;
    let out = c.put_secret(
        &a.name,
        &value,
        a.from_file.is_some() && std::str::from_utf8(value.expose()).is_err(),
        a.description.as_deref(),
    )?;
    if a.json {
        print_json(&out);
    } else {
        let created = out["created"].as_bool().unwrap_or(false);
        eprintln!(
            "{} {} (version {})",
            if created { "created" } else { "updated" },
            a.name,
            out["version"]["version_id"].as_str().unwrap_or("?")
        );
    }
    Ok(0)
}

pub fn get(a: GetArgs) -> Result<i32> {
    let c = client()?;
    let v = c.get_secret(&a.name, a.version_id.as_deref(), a.stage.as_deref())?;
    if a.json {
        let value = match &a.field {
            Some(f) => serde_json::Value::String(v.field(f)?.expose().to_string()),
            None => match v.text() {
                Ok(t) => serde_json::Value::String(t.expose().to_string()),
                Err(_) => serde_json::Value::Null,
            },
        };
        print_json(&serde_json::json!({
            "name": v.name, "arn": v.arn, "version_id": v.version_id, "stages": v.stages, "value": value,
        }));
        return Ok(0);
    }
    let mut out = std::io::stdout().lock();
    match &a.field {
        Some(f) => writeln!(out, "{}", v.field(f)?.expose())?,
        None if v.is_binary => out.write_all(v.value.expose())?,
        None => writeln!(out, "{}", v.text()?.expose())?,
    }
    Ok(0)
}

pub fn ls(a: LsArgs) -> Result<i32> {
    let c = client()?;
    let mut all = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut q = vec![("limit", "1000".to_string())];
        if let Some(p) = &a.prefix {
            q.push(("prefix", p.clone()));
        }
        if a.no_recursive {
            q.push(("recursive", "false".into()));
        }
        if a.include_deleted {
            q.push(("include_deleted", "true".into()));
        }
        if let Some(t) = &next {
            q.push(("next_token", t.clone()));
        }
        let page = c.call(
            Method::GET,
            "/v1/secrets",
            &q,
            None,
            a.prefix.as_deref().unwrap_or("/"),
        )?;
        all.extend(page["secrets"].as_array().cloned().unwrap_or_default());
        next = page["next_token"].as_str().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    if a.json {
        print_json(&serde_json::Value::Array(all));
    } else {
        for s in &all {
            let deleted = if s["deleted_at"].is_string() {
                "  (scheduled for deletion)"
            } else {
                ""
            };
            println!("{}{deleted}", s["name"].as_str().unwrap_or_default());
        }
    }
    Ok(0)
}

pub fn history(a: NameJson) -> Result<i32> {
    let c = client()?;
    let v = c.call(
        Method::GET,
        &format!("/v1/history/{}", encode_name(&a.name)),
        &[],
        None,
        &a.name,
    )?;
    if a.json {
        print_json(&v);
    } else {
        println!("{:<38} {:<28} CREATED", "VERSION", "STAGES");
        for ver in v["versions"].as_array().into_iter().flatten() {
            let stages: Vec<&str> = ver["stages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str())
                .collect();
            println!(
                "{:<38} {:<28} {}",
                ver["version_id"].as_str().unwrap_or_default(),
                stages.join(","),
                ver["created_at"].as_str().unwrap_or_default()
            );
        }
    }
    Ok(0)
}

pub fn rm(a: RmArgs) -> Result<i32> {
    let c = client()?;
    let mut q = Vec::new();
    if a.force {
        q.push(("force", "true".to_string()));
    }
    if let Some(d) = a.recovery_window_days {
        q.push(("recovery_window_days", d.to_string()));
    }
    let v = c.call(
        Method::DELETE,
        &format!("/v1/secrets/{}", encode_name(&a.name)),
        &q,
        None,
        &a.name,
    )?;
    if a.json {
        print_json(&v);
    } else if a.force {
        eprintln!("deleted {} for good", a.name);
    } else {
        eprintln!(
            "{} is scheduled for deletion on {}; undo with `keyward restore {}`",
            a.name,
            v["deletion_date"].as_str().unwrap_or("?"),
            a.name
        );
    }
    Ok(0)
}

pub fn restore(a: NameJson) -> Result<i32> {
    let c = client()?;
    let v = c.call(
        Method::POST,
        &format!("/v1/restore/{}", encode_name(&a.name)),
        &[],
        None,
        &a.name,
    )?;
    if a.json {
        print_json(&v);
    } else {
        eprintln!("restored {}", a.name);
    }
    Ok(0)
}
