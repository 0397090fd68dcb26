//! put, get, ls, history, rm, restore.

use super::client;
use crate::cli::{GetArgs, LsArgs, NameJson, PutArgs, RmArgs};
use crate::output::print_json;
use anyhow::{Context, Result, bail};
use keyward_client::api::secrets::{DeleteQuery, ListQuery};
use keyward_crypto::SecretBytes;
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
        eprintln!(
            "{} {} (version {})",
            if out.created { "created" } else { "updated" },
            a.name,
            out.version.as_ref().map_or("?", |v| v.version_id.as_str())
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
    let mut q = ListQuery {
        prefix: a.prefix.clone(),
        limit: Some(1000),
        include_deleted: a.include_deleted,
        recursive: a.no_recursive.then_some(false),
        next_token: None,
    };
    loop {
        let page = c.list_secrets(&q)?;
        all.extend(page.secrets);
        q.next_token = page.next_token;
        if q.next_token.is_none() {
            break;
        }
    }
    if a.json {
        print_json(&all);
    } else {
        for s in &all {
            let deleted = if s.deleted_at.is_some() {
                "  (scheduled for deletion)"
            } else {
                ""
            };
            println!("{}{deleted}", s.name);
        }
    }
    Ok(0)
}

pub fn history(a: NameJson) -> Result<i32> {
    let c = client()?;
    let v = c.history(&a.name)?;
    if a.json {
        print_json(&v);
    } else {
        println!("{:<38} {:<28} CREATED", "VERSION", "STAGES");
        for ver in &v.versions {
            println!(
                "{:<38} {:<28} {}",
                ver.version_id,
                ver.stages.join(","),
                ver.created_at
            );
        }
    }
    Ok(0)
}

pub fn rm(a: RmArgs) -> Result<i32> {
    let c = client()?;
    let v = c.delete_secret(
        &a.name,
        &DeleteQuery {
            recovery_window_days: a.recovery_window_days,
            force: a.force,
        },
    )?;
    if a.json {
        print_json(&v);
    } else if a.force {
        eprintln!("deleted {} for good", a.name);
    } else {
        eprintln!(
            "{} is scheduled for deletion on {}; undo with `keyward restore {}`",
            a.name,
            v.deletion_date.as_deref().unwrap_or("?"),
            a.name
        );
    }
    Ok(0)
}

pub fn restore(a: NameJson) -> Result<i32> {
    let c = client()?;
    let v = c.restore_secret(&a.name)?;
    if a.json {
        print_json(&v);
    } else {
        eprintln!("restored {}", a.name);
    }
    Ok(0)
}
