//! `keyward import` and `keyward export`.
//!
//! Mapping: `KEY` is stored as `PREFIX` + `key` (lower-cased), and exported back
//! as the last path segment upper-cased with other characters than letters and
//! digits turned into `_` (the same rule `keyward run --path` uses). So
//! UPPER_SNAKE_CASE names round-trip exactly; import refuses any other name
//! (listing them all, storing nothing) unless `--rename` accepts the names they
//! will come back as.

use super::resolve::{StoreClient, env_name};
use super::{ExportArgs, ExportFormat, ImportArgs};
use anyhow::{Context, Result, bail};
use base64::Engine;
use keyward_config::SecretString;
use keyward_crypto::SecretBytes;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

fn normalise_prefix(p: &str) -> Result<String> {
    if !p.starts_with('/') {
        bail!("--path must be an absolute store prefix such as /myapp/dev/, not `{p}`");
    }
    Ok(if p.ends_with('/') {
        p.to_owned()
    } else {
        format!("{p}/")
    })
}

fn trim_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    s
}

/// KEY -> value from a .env file, a JSON object or a secrets directory.
fn read_source(file: &Path) -> Result<BTreeMap<String, SecretString>> {
    let shown = file.display();
    if file.is_dir() {
        let mut out = BTreeMap::new();
        for entry in std::fs::read_dir(file).with_context(|| format!("cannot list {shown}"))? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let text = std::fs::read_to_string(entry.path())
                .with_context(|| format!("{}: not readable UTF-8 text", entry.path().display()))?;
            out.insert(name, SecretString::new(trim_newline(text)));
        }
        return Ok(out);
    }
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {shown}"))?;
    let text = SecretString::new(text);
    if file.extension().is_some_and(|e| e == "json") {
        let v: serde_json::Value = serde_json::from_str(text.expose())
            .map_err(|e| anyhow::anyhow!("{shown}:{}:{}: not valid JSON", e.line(), e.column()))?;
        let obj = v
            .as_object()
            .with_context(|| format!("{shown}: expected a JSON object {{\"KEY\": \"value\"}}"))?;
        let mut out = BTreeMap::new();
        for (k, v) in obj {
            let s = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(_) | serde_json::Value::Bool(_) => v.to_string(),
                _ => bail!("{shown}: the value of {k} is not text, a number or a boolean"),
            };
            out.insert(k.clone(), SecretString::new(s));
        }
        return Ok(out);
    }
    let doc = keyward_dotenv::Document::parse_named(text.expose(), &shown.to_string())?;
    Ok(doc.to_map())
}

/// EX_DATAERR from sysexits.h: the input names something keyward will not store.
const EX_DATAERR: i32 = 65;

/// Characters a store name may hold (the Secrets Manager rule the server enforces).
fn store_name_ok(name: &str) -> Option<char> {
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "/_+=.@-".contains(*c)))
}

pub fn import(a: ImportArgs) -> Result<i32> {
    let prefix = normalise_prefix(&a.path)?;
    let values = read_source(&a.file)?;
    let mut plan = Vec::new();
    // Names the store cannot hold, and names that would come back renamed: both
    // are listed in full before anything is stored.
    let mut unstorable = Vec::new();
    let mut renamed = Vec::new();
    for (key, value) in &values {
        let name = format!("{prefix}{}", key.to_ascii_lowercase());
        if let Some(c) = store_name_ok(key).or_else(|| key.is_empty().then_some(' ')) {
            unstorable.push(format!("  {key:?}: {c:?} cannot be part of a secret name (letters, digits and _ + = . @ - only)"));
            continue;
        }
        // A secrets directory names files as stored (lower case); .env and JSON
        // keys are variable names, compared with what export gives back.
        let back = if a.file.is_dir() {
            name[prefix.len()..].to_owned()
        } else {
            env_name(&name)
        };
        if back != *key {
            renamed.push((key.clone(), name.clone(), back));
        }
        plan.push((key, name, value));
    }
    let shown = a.file.display();
    if !unstorable.is_empty() {
        eprintln!(
            "error: {shown}: {} name{} cannot be stored; nothing was imported:\n{}",
            unstorable.len(),
            if unstorable.len() == 1 { "" } else { "s" },
            unstorable.join("\n")
        );
        eprintln!("hint: rename them in {shown} (UPPER_SNAKE_CASE round-trips exactly)");
        return Ok(EX_DATAERR);
    }
    if !renamed.is_empty() && !a.rename {
        eprintln!(
            "error: {shown}: {} name{} would not come back as written (exported and injected names are the secret's last segment upper-cased, other characters than letters and digits as `_`); nothing was imported:",
            renamed.len(),
            if renamed.len() == 1 { "" } else { "s" }
        );
        for (key, name, back) in &renamed {
            eprintln!("  {key} -> {name} -> {back}");
        }
        eprintln!(
            "hint: rename them in {shown} to UPPER_SNAKE_CASE, or pass --rename to store them as shown"
        );
        return Ok(EX_DATAERR);
    }
    for (key, name, back) in &renamed {
        eprintln!("note: {key} will be stored as {name} and export back as {back}");
    }
    let client = if a.dry_run {
        None
    } else {
        Some(super::super::client()?)
    };
    let mut done = Vec::new();
    for (key, name, value) in &plan {
        if let Some(c) = &client {
            c.put_secret(
                name,
                &SecretBytes::new(value.expose().as_bytes().to_vec()),
                false,
                None,
            )
            .with_context(|| format!("cannot store {key} at {name}"))?;
        }
        if !a.json {
            let verb = if a.dry_run { "would store" } else { "stored" };
            eprintln!("{verb} {key} -> {name}");
        }
        done.push(json!({"key": key, "name": name}));
    }
    if a.json {
        crate::output::print_json(
            &json!({"dry_run": a.dry_run, "prefix": prefix, "secrets": done}),
        );
    } else {
        eprintln!(
            "{} {} secret{} under {prefix}",
            if a.dry_run {
                "would import"
            } else {
                "imported"
            },
            done.len(),
            if done.len() == 1 { "" } else { "s" }
        );
    }
    Ok(0)
}

fn shell_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "'\\''"))
}

fn k8s_name(prefix: &str) -> String {
    let s: String = prefix
        .split('/')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() { "secrets".into() } else { s }
}

/// Renders `map` (KEY -> value) in a text format.
pub fn render(
    format: ExportFormat,
    map: &BTreeMap<String, SecretString>,
    name: &str,
    namespace: Option<&str>,
) -> Result<SecretString> {
    let mut out = String::new();
    match format {
        ExportFormat::Dotenv => {
            out = keyward_dotenv::write_map(map.iter().map(|(k, v)| (k.as_str(), v)))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        ExportFormat::Json => {
            let obj: serde_json::Map<String, serde_json::Value> = map
                .iter()
                .map(|(k, v)| (k.clone(), json!(v.expose())))
                .collect();
            out = serde_json::to_string_pretty(&obj)?;
            out.push('\n');
        }
        ExportFormat::Yaml => {
            if map.is_empty() {
                out.push_str("{}\n");
            }
            // JSON string escapes are a subset of YAML double-quoted escapes.
            for (k, v) in map {
                out.push_str(&format!("{}: {}\n", json!(k), json!(v.expose())));
            }
        }
        ExportFormat::Shell => {
            for (k, v) in map {
                out.push_str(&format!("export {k}={}\n", shell_quote(v.expose())));
            }
        }
        ExportFormat::K8s => {
            out.push_str("apiVersion: v1\nkind: Secret\nmetadata:\n");
            out.push_str(&format!("  name: {}\n", json!(name)));
            if let Some(ns) = namespace {
                out.push_str(&format!("  namespace: {}\n", json!(ns)));
            }
            out.push_str("type: Opaque\n");
            if map.is_empty() {
                out.push_str("data: {}\n");
            } else {
                out.push_str("data:\n");
            }
            let b64 = base64::engine::general_purpose::STANDARD;
            for (k, v) in map {
                out.push_str(&format!("  {k}: {}\n", b64.encode(v.expose())));
            }
        }
        ExportFormat::DockerSecretsDir => bail!("docker-secrets-dir writes a directory"),
    }
    Ok(SecretString::new(out))
}

fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(data)?;
    Ok(())
}

pub fn export(a: ExportArgs) -> Result<i32> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let prefix = normalise_prefix(&a.path)?;
    let store = StoreClient::from_env();
    let secrets = store
        .list(&prefix)
        .map_err(|e| anyhow::anyhow!("cannot read the secrets under {prefix}: {e}"))?;
    let mut map: BTreeMap<String, SecretString> = BTreeMap::new();
    let mut from: BTreeMap<String, String> = BTreeMap::new();
    for (name, v) in secrets {
        let key = env_name(&name);
        if let Some(other) = from.insert(key.clone(), name.clone()) {
            bail!("{other} and {name} both export as {key}; rename one of them");
        }
        map.insert(key, v);
    }
    if a.format == ExportFormat::DockerSecretsDir {
        let dir = a
            .output
            .as_ref()
            .context("--format docker-secrets-dir needs -o DIRECTORY")?;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        for (k, v) in &map {
            write_private(&dir.join(k.to_ascii_lowercase()), v.expose().as_bytes())?;
        }
        eprintln!("wrote {} secret files to {}", map.len(), dir.display());
        return Ok(0);
    }
    let name = a.name.clone().unwrap_or_else(|| k8s_name(&prefix));
    let text = render(a.format, &map, &name, a.namespace.as_deref())?;
    match &a.output {
        Some(p) => {
            write_private(p, text.expose().as_bytes())?;
            eprintln!("wrote {} secrets to {} (mode 0600)", map.len(), p.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.expose().as_bytes())?;
            out.flush()?;
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_names() {
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(k8s_name("/myapp/prod/"), "myapp-prod");
        assert_eq!(k8s_name("/My_App/"), "my-app");
        assert_eq!(normalise_prefix("/a/b").unwrap(), "/a/b/");
        assert!(normalise_prefix("a/").is_err());
    }
}
