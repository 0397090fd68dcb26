//! Git integration: the per-key merge driver and its installation.

use super::MergeDriverArgs;
use super::io::{load_identities, read_text, write_atomic};
use anyhow::{Context, Result, bail};
use keyward_files::Format;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Sets the merge driver and textconv in the repository's config, and marks
/// `file` (or `*.enc.*` files) in .gitattributes.
pub fn install(file: Option<&Path>) -> Result<()> {
    let here = file
        .and_then(|f| std::path::absolute(f).ok())
        .and_then(|f| f.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let root = std::path::PathBuf::from(
        git(&here, &["rev-parse", "--show-toplevel"])
            .context("--install-git must run inside a git repository")?,
    );
    // The absolute path of this binary, so git finds it whatever its PATH is.
    let exe = std::env::current_exe().context("cannot find the keyward binary's path")?;
    let exe = exe.display().to_string().replace('\'', "'\\''");
    let root_s = root.display().to_string();
    for (k, v) in [
        (
            "merge.keyward.name",
            "keyward: merge encrypted files key by key".to_owned(),
        ),
        (
            "merge.keyward.driver",
            format!("'{exe}' merge-driver %O %A %B %P"),
        ),
        ("diff.keyward.textconv", format!("'{exe}' textconv")),
    ] {
        git(&root, &["config", k, &v])?;
    }
    let patterns: Vec<String> = match file {
        Some(f) => {
            let abs = std::path::absolute(f)?;
            let canon_root = root.canonicalize().unwrap_or(root.clone());
            let canon = abs
                .parent()
                .and_then(|p| p.canonicalize().ok())
                .map(|p| p.join(abs.file_name().unwrap_or_default()))
                .unwrap_or(abs);
            let rel = canon.strip_prefix(&canon_root).with_context(|| {
                format!("{} is not inside the repository {root_s}", f.display())
            })?;
            vec![format!("/{}", rel.display())]
        }
        None => ["env", "json", "yaml", "yml", "toml"]
            .iter()
            .map(|e| format!("*.enc.{e}"))
            .collect(),
    };
    let attrs = root.join(".gitattributes");
    let mut text = std::fs::read_to_string(&attrs).unwrap_or_default();
    let mut added = Vec::new();
    for p in patterns {
        let line = format!("{p} merge=keyward diff=keyward");
        if !text.lines().any(|l| l.trim() == line) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&line);
            text.push('\n');
            added.push(p);
        }
    }
    write_atomic(&attrs, &text, 0o644)?;
    eprintln!(
        "keyward: git merge driver and diff textconv configured in {root_s}{}",
        if added.is_empty() {
            String::new()
        } else {
            format!("; .gitattributes now covers {}", added.join(", "))
        }
    );
    eprintln!(
        "keyward: commit .gitattributes; each clone runs `keyward encrypt --install-git` once for the git config."
    );
    Ok(())
}

/// Content sniffing when git gives no path: JSON starts with `{`; a TOML or .env
/// file parses as such; otherwise YAML.
fn sniff(text: &str) -> Format {
    if text.trim_start().starts_with('{') {
        return Format::Json;
    }
    for f in [Format::Dotenv, Format::Toml] {
        if f.parse(text).is_ok() {
            return f;
        }
    }
    Format::Yaml
}

pub fn merge_driver(a: MergeDriverArgs) -> Result<i32> {
    let ours = read_text(&a.ours)?;
    let theirs = read_text(&a.theirs)?;
    let base = read_text(&a.base).unwrap_or_default();
    let format = match &a.path {
        Some(p) => Format::from_path(p),
        None => sniff(&ours),
    };
    let shown = a
        .path
        .as_ref()
        .map_or_else(|| a.ours.display().to_string(), |p| p.display().to_string());
    let ids = load_identities(&a.ids)
        .with_context(|| format!("keyward merge driver cannot decrypt {shown}"))?;
    let merged = keyward_files::merge::merge(&base, &ours, &theirs, format, &ids)
        .with_context(|| format!("keyward merge driver: {shown}"))?;
    write_atomic(&a.ours, &merged.text, 0o644)?;
    if merged.conflicts.is_empty() {
        eprintln!("keyward: merged {shown} key by key");
        Ok(0)
    } else {
        eprintln!(
            "keyward: CONFLICT in {shown}: both sides changed {}. Our values are kept for those keys; fix them with `keyward edit {shown}` (theirs: `git show :3:{shown} | keyward decrypt -`), then `git add {shown}`.",
            merged
                .conflicts
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(1)
    }
}
