//! `keyward rekey`: re-encrypt a whole tree of encrypted files in one command.

use super::RekeyArgs;
use super::io::{load_identities, read_text, write_atomic};
use anyhow::Result;
use keyward_files::{Format, Recipients};
use std::path::{Path, PathBuf};

/// Directories never searched.
const SKIP_DIRS: &[&str] = &[
    ".git",
    "target",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
];
/// Larger files are not config files.
const MAX_FILE: u64 = 16 * 1024 * 1024;

fn walk(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_file() {
        out.push(p.to_path_buf());
        return;
    }
    let Ok(rd) = std::fs::read_dir(p) else { return };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if !SKIP_DIRS.contains(&e.file_name().to_string_lossy().as_ref()) {
                walk(&path, out);
            }
        } else if ft.is_file() {
            out.push(path);
        }
    }
}

/// Encrypted files under `paths`, found by content.
fn encrypted_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for p in paths {
        walk(p, &mut all);
    }
    all.into_iter()
        .filter(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.len() <= MAX_FILE)
                && std::fs::read_to_string(p).is_ok_and(|t| keyward_files::looks_encrypted(&t))
        })
        .collect()
}

struct Outcome {
    file: PathBuf,
    values: usize,
    added: Vec<String>,
    removed: Vec<String>,
    keys: Vec<String>,
}

pub fn rekey(a: RekeyArgs) -> Result<i32> {
    let add = if a.add_recipient.is_empty() {
        Vec::new()
    } else {
        Recipients::parse(super::server::resolve_recipients(&a.add_recipient)?)?
            .as_strs()
            .to_vec()
    };
    let remove = if a.remove_recipient.is_empty() {
        Vec::new()
    } else {
        Recipients::parse(super::server::resolve_recipients(&a.remove_recipient)?)?
            .as_strs()
            .to_vec()
    };
    let ids = load_identities(&a.ids)?;
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let files = encrypted_files(&paths);
    if files.is_empty() {
        eprintln!(
            "keyward rekey: no keyward-encrypted files under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(1);
    }
    // indicatif draws only when standard error is a terminal.
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} rekey [{bar:30}] {pos}/{len} files {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for f in &files {
        bar.set_message(f.display().to_string());
        match rekey_one(f, &ids, &add, &remove, a.dry_run) {
            Ok(o) => done.push(o),
            Err(e) => failed.push((f.clone(), format!("{e:#}"))),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    report(&a, &done, &failed);
    Ok(if failed.is_empty() { 0 } else { 1 })
}

fn rekey_one(
    f: &Path,
    ids: &dyn keyward_files::Decrypter,
    add: &[String],
    remove: &[String],
    dry_run: bool,
) -> Result<Outcome> {
    let text = read_text(f)?;
    let format = Format::from_path(f);
    let mut o = keyward_files::open(&text, format, ids)?;
    let current = o.recipients().as_strs().to_vec();
    let mut next: Vec<String> = current
        .iter()
        .filter(|r| !remove.contains(r))
        .cloned()
        .collect();
    next.extend(add.iter().cloned());
    let next = Recipients::parse(&next).map_err(|_| {
        anyhow::anyhow!("removing the recipients would leave no one able to decrypt it")
    })?;
    let outcome = Outcome {
        file: f.to_path_buf(),
        values: o.entries().filter(|e| e.2).count(),
        added: next
            .as_strs()
            .iter()
            .filter(|r| !current.contains(r))
            .cloned()
            .collect(),
        removed: current
            .iter()
            .filter(|r| !next.as_strs().contains(r))
            .cloned()
            .collect(),
        keys: o.entries().filter(|e| e.2).map(|e| e.0).collect(),
    };
    if !dry_run {
        o.rekey(next)?;
        write_atomic(f, &o.render()?, 0o644)?;
    }
    Ok(outcome)
}

fn report(a: &RekeyArgs, done: &[Outcome], failed: &[(PathBuf, String)]) {
    let exposed: Vec<&Outcome> = done.iter().filter(|o| !o.removed.is_empty()).collect();
    if a.json {
        crate::output::print_json(&serde_json::json!({
            "dry_run": a.dry_run,
            "files": done.iter().map(|o| serde_json::json!({
                "file": o.file.display().to_string(),
                "values": o.values,
                "added_recipients": o.added,
                "removed_recipients": o.removed,
            })).collect::<Vec<_>>(),
            "failed": failed.iter().map(|(f, e)| serde_json::json!({"file": f.display().to_string(), "error": e})).collect::<Vec<_>>(),
            "rotate": exposed.iter().map(|o| serde_json::json!({"file": o.file.display().to_string(), "keys": o.keys})).collect::<Vec<_>>(),
        }));
    } else {
        let verb = if a.dry_run {
            "would re-encrypt"
        } else {
            "re-encrypted"
        };
        for o in done {
            let mut change = Vec::new();
            if !o.added.is_empty() {
                change.push(format!("+{}", o.added.join(" +")));
            }
            if !o.removed.is_empty() {
                change.push(format!("-{}", o.removed.join(" -")));
            }
            println!(
                "{}: {verb} {} value{}{}",
                o.file.display(),
                o.values,
                if o.values == 1 { "" } else { "s" },
                if change.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", change.join(", "))
                }
            );
        }
        for (f, e) in failed {
            eprintln!("error: {}: {e}", f.display());
        }
        eprintln!(
            "keyward rekey: {} file{} {verb}{}",
            done.len(),
            if done.len() == 1 { "" } else { "s" },
            if failed.is_empty() {
                String::new()
            } else {
                format!(", {} failed (left unchanged)", failed.len())
            }
        );
    }
    if !exposed.is_empty() {
        let removed: std::collections::BTreeSet<&String> =
            exposed.iter().flat_map(|o| &o.removed).collect();
        eprintln!(
            "WARNING: {} can still decrypt every OLD version of these files in git history (and any copy they kept). Re-keying protects new versions only. Rotate these secrets in the store and wherever they are used:",
            removed.into_iter().cloned().collect::<Vec<_>>().join(", ")
        );
        for o in exposed {
            eprintln!("  {}: {}", o.file.display(), o.keys.join(", "));
        }
    }
}
