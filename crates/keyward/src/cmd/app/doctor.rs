//! `keyward doctor`: keyward_config's content checks over a repository's settings
//! files, docker-compose files and .env files, plus git checks (with the `git`
//! CLI): .env files that are not ignored, tracked, or present in history.
//! keyward-encrypted files are fine to commit and skipped; deployment secrets
//! files in plaintext (`.env.production`, ...) are told to be encrypted.

use super::DoctorArgs;
use anyhow::Result;
use keyward_config::doctor::{Finding, check_file};
use keyward_config::{Config, Severity};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

const SKIP_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "env",
    "target",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    "dist",
    "build",
    ".keyward",
    "site-packages",
];
const MAX_FILE: u64 = 1024 * 1024;

fn is_env_file(base: &str) -> bool {
    base == ".env" || base.starts_with(".env.") || base.ends_with(".env")
}

fn is_example(base: &str) -> bool {
    [".example", ".sample", ".template", ".dist"]
        .iter()
        .any(|s| base.ends_with(s))
}

fn interesting(path: &Path) -> bool {
    let base = path
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default();
    let in_settings_dir = path
        .parent()
        .and_then(|p| p.file_name())
        .is_some_and(|d| d == "settings");
    is_env_file(&base)
        || ((base.contains("compose") || base.contains("docker"))
            && (base.ends_with(".yml") || base.ends_with(".yaml")))
        || (base.ends_with(".py") && (base.starts_with("settings") || in_settings_dir))
        || base == "config.py"
        || base == "secure_settings.py"
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 12 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !SKIP_DIRS.contains(&name.as_str()) {
                walk(&p, out, depth + 1);
            }
        } else if ft.is_file() && interesting(&p) {
            out.push(p);
        }
    }
}

fn git(root: &Path, args: &[&str]) -> Option<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .ok()
}

fn finding(file: &str, line: usize, message: String, fix: String) -> Finding {
    Finding {
        file: file.to_owned(),
        line,
        severity: Severity::Error,
        kind: keyward_config::doctor::FindingKind::HardcodedSecret,
        message,
        fix,
    }
}

/// (kind label, finding) for the git checks on one .env file.
fn git_checks(root: &Path, rel: &str) -> Vec<(&'static str, Finding)> {
    let mut out = Vec::new();
    let ignored = git(root, &["check-ignore", "-q", "--no-index", "--", rel])
        .is_some_and(|o| o.status.success());
    let tracked =
        git(root, &["ls-files", "--error-unmatch", "--", rel]).is_some_and(|o| o.status.success());
    if tracked {
        out.push(("git_tracked", finding(rel, 1,
            format!("{rel} is tracked by git, so every clone has its values."),
            format!("git rm --cached {rel}, add it to .gitignore, commit, and rotate every value in it (keyward gen --put ...)."))));
    } else if !ignored {
        out.push((
            "git_not_ignored",
            finding(
                rel,
                1,
                format!("{rel} is not ignored by git; one `git add .` commits it."),
                format!("Add `{rel}` (or `.env*` with `!.env.example`) to .gitignore."),
            ),
        ));
    }
    out
}

fn history(root: &Path, rel: &str) -> Option<(&'static str, Finding)> {
    let o = git(root, &["log", "--all", "--oneline", "--", rel])?;
    let text = String::from_utf8_lossy(&o.stdout);
    let commits: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if !o.status.success() || commits.is_empty() {
        return None;
    }
    let first = commits
        .last()
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("?");
    Some(("git_history", finding(rel, 1,
        format!("{rel} is in git history ({} commit{}, first {first}); removing it now does not unpublish its values.", commits.len(), if commits.len() == 1 { "" } else { "s" }),
        "Rotate every value it ever held; then purge it from history (git filter-repo --path .env --invert-paths) and force-push if you must.".into())))
}

pub fn doctor(a: DoctorArgs) -> Result<i32> {
    let root = a.path.clone();
    if !root.is_dir() {
        anyhow::bail!("{} is not a directory", root.display());
    }
    let config_path = a
        .config
        .clone()
        .unwrap_or_else(|| root.join("keyward.toml"));
    let config = if config_path.exists() {
        match Config::load(&config_path) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("warning: ignoring {}: {e}", config_path.display());
                None
            }
        }
    } else {
        None
    };
    let mut files = Vec::new();
    walk(&root, &mut files, 0);
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    let mut findings: Vec<(String, Finding)> = Vec::new();
    let mut encrypted = std::collections::BTreeSet::new();
    for f in &files {
        if std::fs::metadata(f).is_ok_and(|m| m.len() > MAX_FILE) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        if keyward_files::looks_encrypted(&text) {
            // Ciphertext is meant to be committed: no content or git findings.
            encrypted.insert(rel(f));
            continue;
        }
        if let Some(x) = keyward_scan::encrypted::plaintext_finding(&rel(f), text.as_bytes()) {
            findings.push(("not_encrypted".into(), finding(&x.path, x.line,
                format!("{} holds deployment secrets in plaintext.", x.path),
                format!("Encrypt it: `keyward keygen` once, then `keyward encrypt {} --recipient age1...` (or list recipients in .keyward-recipients); commit the encrypted file and run it with `keyward run --file {}`.", x.path, x.path))));
        }
        for x in check_file(&rel(f), &text, config.as_ref()) {
            findings.push((super::resolve::kind_name_finding(x.kind), x));
        }
    }
    let in_git = !a.no_git
        && git(&root, &["rev-parse", "--is-inside-work-tree"]).is_some_and(|o| o.status.success());
    if in_git {
        let mut env_files: Vec<String> = files
            .iter()
            .filter(|f| {
                f.file_name().is_some_and(|b| {
                    let b = b.to_string_lossy();
                    is_env_file(&b) && !is_example(&b)
                })
            })
            .map(|f| rel(f))
            .filter(|r| !encrypted.contains(r))
            .collect();
        if !env_files.iter().any(|f| f == ".env") {
            env_files.push(".env".into()); // deleted now, maybe still in history
        }
        for f in &env_files {
            if root.join(f).exists() {
                for (k, x) in git_checks(&root, f) {
                    findings.push((k.into(), x));
                }
            }
            if let Some((k, x)) = history(&root, f) {
                findings.push((k.into(), x));
            }
        }
    }
    findings.sort_by(|a, b| (&a.1.file, a.1.line).cmp(&(&b.1.file, b.1.line)));
    if a.json {
        let list: Vec<_> = findings
            .iter()
            .map(|(k, f)| {
                json!({
                    "file": f.file, "line": f.line, "kind": k,
                    "severity": if f.severity == Severity::Error { "error" } else { "warning" },
                    "message": f.message, "fix": f.fix,
                })
            })
            .collect();
        crate::output::print_json(
            &json!({"ok": findings.is_empty(), "files_checked": files.len(), "git": in_git, "findings": list}),
        );
    } else {
        for (k, f) in &findings {
            let sev = if f.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            println!(
                "{}:{}: {sev}[{k}]: {}\n    fix: {}",
                f.file, f.line, f.message, f.fix
            );
        }
        eprintln!(
            "keyward doctor: {} finding{} in {} files{}",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            files.len(),
            if in_git { " (git checks included)" } else { "" }
        );
    }
    Ok(if findings.is_empty() { 0 } else { 1 })
}
