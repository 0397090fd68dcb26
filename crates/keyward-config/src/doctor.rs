//! Content-only misconfiguration checks for `keyward doctor`: hard-coded secrets in
//! settings files, literal secrets in docker-compose `environment:` entries, weak or
//! example values in `.env` files. Pure functions over text the caller read; no git,
//! no filesystem. Findings give file, line and a fix, never the value.

use crate::model::Config;
use crate::problem::Severity;
use crate::rules::{placeholder_pattern, shannon_entropy};
use keyward_dotenv::Document;
use regex::Regex;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    /// `SECRET_KEY = '...'` in code.
    HardcodedSecret,
    /// `os.environ.get('SECRET_KEY', '...')`: a literal fallback that ships to production.
    LiteralFallback,
    /// A literal secret in a docker-compose `environment:` entry.
    ComposeLiteralSecret,
    /// A placeholder / example value in a `.env` file.
    ExampleValue,
    /// A short or low-entropy secret in a `.env` file.
    WeakValue,
    /// The `.env` file does not parse.
    Unparseable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    /// 1-based.
    pub line: usize,
    pub severity: Severity,
    pub kind: FindingKind,
    /// What is wrong (never the value).
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

static SECRETISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(SECRET|PASSWORD|PASSWD|_PASS$|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|SIGNING_?KEY)")
        .expect("static regex")
});
static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[A-Za-z_][\w\[\]., ]*)?=\s*[rRbBuU]?("([^"\\]*)"|'([^'\\]*)')\s*(#.*)?$"#)
        .expect("static regex")
});
static FALLBACK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:environ\.get|getenv|env|config)\s*\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*,\s*(?:default\s*=\s*)?[rRbBuU]?("([^"\\]*)"|'([^'\\]*)')"#,
    )
    .expect("static regex")
});

/// Whether a variable name looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    !name.ends_with("_FILE") && !name.ends_with("_PATH") && SECRETISH.is_match(name)
}

fn literal(c: &regex::Captures<'_>) -> String {
    c.get(3)
        .or_else(|| c.get(4))
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default()
}

/// Python settings (and similar): hard-coded secret assignments and literal
/// fallbacks in `os.environ.get` / `os.getenv` / `env(...)` / `config(...)`.
pub fn check_settings(file: &str, contents: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, line) in contents.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(c) = ASSIGN.captures(line) {
            let name = &c[1];
            let value = literal(&c);
            if is_secret_name(name) && !value.is_empty() {
                let extra = if value.starts_with("django-insecure") {
                    " (Django's insecure startproject key)"
                } else {
                    ""
                };
                out.push(Finding {
                    file: file.to_owned(),
                    line: i + 1,
                    severity: Severity::Error,
                    kind: FindingKind::HardcodedSecret,
                    message: format!("{name} is hard-coded in source{extra}."),
                    fix: format!(
                        "Read it from the environment instead: {name} = os.environ[\"{name}\"]; declare it in keyward.toml and rotate the leaked value (keyward gen --put ...)."
                    ),
                });
            }
        }
        for c in FALLBACK.captures_iter(line) {
            let name = &c[1];
            let value = literal(&c);
            if is_secret_name(name) && !value.is_empty() {
                out.push(Finding {
                    file: file.to_owned(),
                    line: i + 1,
                    severity: Severity::Error,
                    kind: FindingKind::LiteralFallback,
                    message: format!("{name} has a literal fallback value that would be used wherever the variable is unset, including production."),
                    fix: format!(
                        "Remove the fallback and fail when {name} is unset; put a development value in keyward.toml's dev_default instead."
                    ),
                });
            }
        }
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    if s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
    {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// docker-compose files: literal secret values under `environment:` (list or map
/// form). `${VAR}` references and `*_FILE` paths are fine.
pub fn check_compose(file: &str, contents: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut env_indent: Option<usize> = None;
    for (i, raw) in contents.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or(raw);
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = indent(line);
        if let Some(ei) = env_indent
            && (ind <= ei && !t.starts_with('-') || ind < ei)
        {
            env_indent = None;
        }
        if t == "environment:" {
            env_indent = Some(ind);
            continue;
        }
        let Some(_) = env_indent else { continue };
        let entry = unquote(t.strip_prefix('-').map(str::trim).unwrap_or(t));
        let (key, value) = if t.starts_with('-') {
            match entry.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => continue,
            }
        } else {
            match entry.split_once(':') {
                Some((k, v)) => (unquote(k), unquote(v)),
                None => continue,
            }
        };
        if value.is_empty() || value.contains('$') || !is_secret_name(key) {
            continue;
        }
        out.push(Finding {
            file: file.to_owned(),
            line: i + 1,
            severity: Severity::Error,
            kind: FindingKind::ComposeLiteralSecret,
            message: format!("{key} has a literal value in a docker-compose environment entry."),
            fix: format!(
                "Use {key}=${{{key}}} (run with `keyward run -- docker compose up`) or a Docker secret with {key}_FILE=/run/secrets/<name>, and rotate the committed value."
            ),
        });
    }
    out
}

/// `.env` files: example/placeholder values and weak values in secret variables
/// (declared `secret = true` in `config`, or secret-looking names).
pub fn check_env_file(file: &str, contents: &str, config: Option<&Config>) -> Vec<Finding> {
    let doc = match Document::parse_named(contents, file) {
        Ok(d) => d,
        Err(e) => {
            return vec![Finding {
                file: file.to_owned(),
                line: e.line,
                severity: Severity::Error,
                kind: FindingKind::Unparseable,
                message: e.to_string(),
                fix: "Fix the quoting on that line; values with spaces or '#' need quotes."
                    .to_owned(),
            }];
        }
    };
    let values = doc.to_map();
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let entries: Vec<_> = doc.entries().collect();
    for e in entries.iter().rev() {
        if !seen.insert(e.key) || e.is_empty || e.has_references {
            continue;
        }
        let declared = config.and_then(|c| c.var(e.key));
        let secret = declared.map_or_else(|| is_secret_name(e.key), |s| s.secret);
        if !secret {
            continue;
        }
        let Some(v) = values.get(e.key) else { continue };
        let v = v.expose();
        let finding = |kind, severity, message: String, fix: String| Finding {
            file: file.to_owned(),
            line: e.line,
            severity,
            kind,
            message,
            fix,
        };
        if let Some(p) = placeholder_pattern(v, true) {
            out.push(finding(
                FindingKind::ExampleValue,
                Severity::Warning,
                format!("{} looks like an example value (matches '{p}').", e.key),
                format!(
                    "Generate a real value: keyward gen --format urlsafe, and set {}=<generated>.",
                    e.key
                ),
            ));
        } else if v.chars().count() < 16 || shannon_entropy(v) < 3.0 {
            out.push(finding(
                FindingKind::WeakValue,
                Severity::Warning,
                format!("{} is weak (shorter than 16 characters or low entropy).", e.key),
                format!("Generate a strong value: keyward gen --format urlsafe, and set {}=<generated>.", e.key),
            ));
        }
    }
    out.sort_by_key(|f| f.line);
    out
}

/// Dispatches on the file name: `.env*` files, docker-compose / compose files, and
/// everything else as settings source.
pub fn check_file(file: &str, contents: &str, config: Option<&Config>) -> Vec<Finding> {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    if base == ".env" || base.starts_with(".env.") || base.ends_with(".env") {
        if base.ends_with(".example") || base.ends_with(".sample") || base.ends_with(".template") {
            return Vec::new();
        }
        check_env_file(file, contents, config)
    } else if (base.contains("compose") || base.contains("docker"))
        && (base.ends_with(".yml") || base.ends_with(".yaml"))
    {
        check_compose(file, contents)
    } else {
        check_settings(file, contents)
    }
}
