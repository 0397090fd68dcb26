//! What `run` and `check` share: loading keyward.toml, the process environment and
//! .env files, a [`StoreLookup`] over the keyward client, resolving (config mode or
//! `--path` mode) and printing problems without values.

use super::ConfigArgs;
use anyhow::{Context, Result};
use keyward_client::{Client, ClientError, SecretValue};
use keyward_config::{
    Config, DotenvFile, LookupError, Problem, ProblemKind, Provenance, Resolved, SecretString,
    Severity, Sources, StoreLookup,
};
use keyward_dotenv::{Document, ExpandMode};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// The store as seen by `resolve`: the live server, or an offline snapshot.
#[derive(Debug)]
pub struct StoreClient {
    client: Result<Client, String>,
    /// Values read in this run, by store path (for the offline snapshot).
    seen: RefCell<BTreeMap<String, SecretString>>,
    /// Set after the first transport failure, so later lookups fail fast.
    unreachable: RefCell<Option<String>>,
    snapshot: Option<BTreeMap<String, SecretString>>,
    /// Answers fetched ahead, concurrently (see [`StoreClient::prefetch`]).
    prefetched: RefCell<BTreeMap<String, Result<SecretValue, ClientError>>>,
}

impl StoreClient {
    /// The live store from KEYWARD_ADDR / KEYWARD_ACCESS_KEY_ID / ..._SECRET_ACCESS_KEY.
    /// Missing credentials are reported per lookup, not as a crash.
    pub fn from_env() -> Self {
        Self {
            client: Client::from_env().map_err(|e| format!("no store is configured ({e})")),
            seen: RefCell::default(),
            unreachable: RefCell::default(),
            snapshot: None,
            prefetched: RefCell::default(),
        }
    }

    /// Answers lookups from an offline snapshot only.
    pub fn from_snapshot(values: BTreeMap<String, SecretString>) -> Self {
        Self {
            client: Err("offline".into()),
            seen: RefCell::default(),
            unreachable: RefCell::default(),
            snapshot: Some(values),
            prefetched: RefCell::default(),
        }
    }

    /// Why the server could not be reached, if it could not.
    pub fn unreachable(&self) -> Option<String> {
        self.unreachable.borrow().clone()
    }

    pub fn take_seen(&self) -> BTreeMap<String, SecretString> {
        std::mem::take(&mut *self.seen.borrow_mut())
    }

    fn live(&self) -> Result<&Client, LookupError> {
        if let Some(why) = self.unreachable.borrow().as_ref() {
            return Err(LookupError::Unavailable(why.clone()));
        }
        self.client
            .as_ref()
            .map_err(|why| LookupError::Unavailable(why.clone()))
    }

    fn map_err(&self, e: ClientError) -> LookupError {
        match e {
            ClientError::AccessDenied { .. } => LookupError::Denied,
            ClientError::Unauthenticated { message } => {
                LookupError::Other(format!("not authenticated ({message})"))
            }
            ClientError::Transport(m) => {
                *self.unreachable.borrow_mut() = Some(m.clone());
                LookupError::Unavailable(m)
            }
            ClientError::Config(m) => LookupError::Unavailable(m),
            other => LookupError::Other(other.to_string()),
        }
    }

    /// Fetches `paths` concurrently (8 connections) so that `resolve`'s one-by-one
    /// lookups are answered from memory: start-up costs about one round trip
    /// instead of one per secret.
    pub fn prefetch(&self, paths: &[String]) {
        let (None, Ok(client), None) = (&self.snapshot, &self.client, self.unreachable()) else {
            return;
        };
        // One request per 100 names; the server audits each read and commits the
        // records together. Servers without the batch route get concurrent reads.
        let mut fetched = BTreeMap::new();
        for chunk in paths.chunks(100) {
            match client.get_secrets(chunk) {
                Ok(results) => fetched.extend(results),
                Err(_) => fetched.extend(fetch_concurrently(client, chunk)),
            }
        }
        self.prefetched.borrow_mut().extend(fetched);
    }

    /// Every secret under `prefix`, by name (for `--path` mode and `export`).
    pub fn list(&self, prefix: &str) -> Result<BTreeMap<String, SecretString>, LookupError> {
        if let Some(snap) = &self.snapshot {
            return Ok(snap
                .iter()
                .filter(|(k, _)| k.starts_with(prefix) && !k.contains('#'))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect());
        }
        let names = list_names(self.live()?, prefix).map_err(|e| self.map_err(e))?;
        self.prefetch(&names);
        let mut out = BTreeMap::new();
        for n in names {
            if let Some(v) = self.get(&n)? {
                out.insert(n, v);
            }
        }
        Ok(out)
    }
}

impl StoreLookup for StoreClient {
    fn get(&self, path: &str) -> Result<Option<SecretString>, LookupError> {
        if let Some(snap) = &self.snapshot {
            return Ok(snap.get(path).cloned());
        }
        let fetched = self.prefetched.borrow_mut().remove(path);
        let answer = match fetched {
            Some(r) => r,
            None => self.live()?.get_secret(path, None, None),
        };
        match answer {
            Ok(v) => {
                let text = v.text().map_err(|_| {
                    LookupError::Other(
                        "the secret is binary; environment variables need text".into(),
                    )
                })?;
                self.seen.borrow_mut().insert(path.to_owned(), text.clone());
                Ok(Some(text))
            }
            Err(ClientError::SecretNotFound { .. }) => Ok(None),
            Err(e) => Err(self.map_err(e)),
        }
    }

    fn get_previous(&self, path: &str) -> Result<Option<SecretString>, LookupError> {
        let key = previous_key(path);
        if let Some(snap) = &self.snapshot {
            return Ok(snap.get(&key).cloned());
        }
        match self.live()?.get_secret(path, None, Some("AWSPREVIOUS")) {
            Ok(v) => {
                let text = v.text().map_err(|_| {
                    LookupError::Other(
                        "the previous version is binary; environment variables need text".into(),
                    )
                })?;
                self.seen.borrow_mut().insert(key, text.clone());
                Ok(Some(text))
            }
            Err(ClientError::SecretNotFound { .. }) => Ok(None),
            Err(e) => Err(self.map_err(e)),
        }
    }
}

/// Where the offline snapshot keeps a path's previous version. Secret names cannot
/// contain `#`, so the key never collides with a secret's own.
fn previous_key(path: &str) -> String {
    format!("{path}#AWSPREVIOUS")
}

/// Names of the live secrets under `prefix` (recursive, every page).
pub fn list_names(c: &Client, prefix: &str) -> Result<Vec<String>, ClientError> {
    let mut names = Vec::new();
    let mut q = keyward_client::api::secrets::ListQuery {
        prefix: Some(prefix.to_owned()),
        limit: Some(1000),
        ..Default::default()
    };
    loop {
        let page = c.list_secrets(&q)?;
        names.extend(
            page.secrets
                .into_iter()
                .filter(|s| s.deleted_at.is_none())
                .map(|s| s.name),
        );
        q.next_token = page.next_token;
        if q.next_token.is_none() {
            return Ok(names);
        }
    }
}

/// `/myapp/prod/database-url` -> `DATABASE_URL`.
pub fn env_name(secret_name: &str) -> String {
    let last = secret_name
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(secret_name);
    let mut s: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// The UTF-8 part of the process environment.
pub fn process_env() -> BTreeMap<String, SecretString> {
    std::env::vars_os()
        .filter_map(|(k, v)| {
            Some((
                k.into_string().ok()?,
                SecretString::new(v.into_string().ok()?),
            ))
        })
        .collect()
}

/// Loads keyward.toml; `Err` is a printable message (file:line: ...).
pub fn load_config(args: &ConfigArgs) -> Result<Config, String> {
    if !args.config.exists() {
        return Err(format!(
            "{} does not exist.\nCreate it to declare your app's variables (see `keyward docs --help`), pass --config FILE, or use `keyward run --path PREFIX` to inject every secret under a store prefix.",
            args.config.display()
        ));
    }
    Config::load(&args.config).map_err(|e| e.to_string())
}

/// The environment to resolve: --env / KEYWARD_ENV, else the first declared.
pub fn pick_env(config: &Config, args: &ConfigArgs) -> String {
    args.env
        .clone()
        .filter(|e| !e.is_empty())
        .or_else(|| config.environments.first().cloned())
        .unwrap_or_else(|| "development".into())
}

/// Parses every --env-file.
pub fn dotenv_files(
    args: &ConfigArgs,
    penv: &BTreeMap<String, SecretString>,
) -> Result<Vec<DotenvFile>> {
    let mode = if args.expand {
        ExpandMode::Expand
    } else {
        ExpandMode::None
    };
    args.env_files
        .iter()
        .map(|p| {
            let doc = Document::load(p)
                .with_context(|| format!("cannot use --env-file {}", p.display()))?;
            Ok(DotenvFile::from_document(
                p.display().to_string(),
                &doc,
                mode,
                penv,
            ))
        })
        .collect()
}

/// What a successful resolve gives `run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    pub values: BTreeMap<String, SecretString>,
    /// Values to mask with --redact.
    pub redact: Vec<SecretString>,
}

/// Which store names a running command depends on (for --watch).
#[derive(Debug, Clone)]
pub enum WatchSet {
    Paths(BTreeSet<String>),
    Prefix(String),
}

impl WatchSet {
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Self::Paths(p) => p.contains(name),
            Self::Prefix(p) => name.starts_with(p.as_str()),
        }
    }
}

/// Redact secrets (declared `secret`, or from the store or a file), 4+ characters.
pub fn injection_from(config: &Config, r: &Resolved) -> Injection {
    let redact = r
        .values
        .iter()
        .filter(|(name, v)| {
            let declared = config.var(name).is_some_and(|s| s.secret);
            let placed = matches!(
                r.provenance.get(*name),
                Some(
                    Provenance::Store { .. }
                        | Provenance::FileVar { .. }
                        | Provenance::DeclaredFile { .. }
                )
            );
            (declared || placed) && v.expose().chars().count() >= 4
        })
        .map(|(_, v)| v.clone())
        .chain(
            // previous_as lists: redact the previous values themselves.
            r.provenance
                .iter()
                .filter(|(_, p)| matches!(p, Provenance::StorePrevious { .. }))
                .filter_map(|(name, _)| r.values.get(name))
                .flat_map(keyward_config::fallback_values)
                .filter(|v| v.expose().chars().count() >= 4),
        )
        .collect();
    Injection {
        values: r.values.clone(),
        redact,
    }
}

/// Resolves one environment of `config` from the process environment, .env files
/// and `store`.
pub fn resolve_config(
    config: &Config,
    env: &str,
    penv: &BTreeMap<String, SecretString>,
    dotenv: &[DotenvFile],
    store: &StoreClient,
) -> Result<Resolved, Vec<Problem>> {
    let set = |n: &str| penv.get(n).is_some_and(|v| !v.is_empty());
    let needed: Vec<String> = config
        .vars
        .iter()
        .filter(|(name, spec)| {
            // Skip what the environment already decides (no needless reads in the audit log).
            !std::iter::once(name.as_str())
                .chain(spec.env.as_deref())
                .any(|n| set(n) || set(&format!("{n}_FILE")))
        })
        .filter_map(|(name, spec)| config.store_path(name, spec, env))
        .collect();
    store.prefetch(&needed);
    let mut sources = Sources::new()
        .with_process_env(penv.clone())
        .with_store(store);
    for f in dotenv {
        sources = sources.with_dotenv(f.clone());
    }
    keyward_config::resolve(config, env, &sources)
}

/// `--path` mode: every secret under `prefix`; exported variables and .env files
/// keep the documented precedence (process env > store > .env).
pub fn resolve_prefix(
    prefix: &str,
    penv: &BTreeMap<String, SecretString>,
    dotenv: &[DotenvFile],
    store: &StoreClient,
) -> Result<Injection, Vec<Problem>> {
    let secrets = store.list(prefix).map_err(|e| {
        vec![Problem {
            var: String::new(),
            env: None,
            severity: Severity::Error,
            kind: ProblemKind::LookupFailed,
            message: format!(
                "The secrets under {prefix} could not be read from the store: {e}.\nStart the server or point KEYWARD_ADDR at it, check your access key and policy, or use --offline-cache."
            ),
        }]
    })?;
    let mut values = BTreeMap::new();
    for f in dotenv.iter().rev() {
        values.extend(f.values.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let mut redact = Vec::new();
    for (name, v) in secrets {
        let var = env_name(&name);
        if penv.contains_key(&var) {
            values.remove(&var);
            continue;
        }
        if v.expose().chars().count() >= 4 {
            redact.push(v.clone());
        }
        values.insert(var, v);
    }
    Ok(Injection { values, redact })
}

pub fn kind_name(k: ProblemKind) -> String {
    snake(&format!("{k:?}"))
}

pub fn problem_json(p: &Problem) -> serde_json::Value {
    serde_json::json!({
        "var": p.var,
        "env": p.env,
        "severity": if p.is_error() { "error" } else { "warning" },
        "kind": kind_name(p.kind),
        "message": p.message,
    })
}

/// Prints problems to stderr, errors first: `error: [VAR] message` with the
/// message's further lines indented.
pub fn print_problems(problems: &[Problem]) {
    let mut sorted: Vec<&Problem> = problems.iter().collect();
    sorted.sort_by_key(|p| p.severity);
    for p in sorted {
        let label = if p.is_error() { "error" } else { "warning" };
        let var = if p.var.is_empty() {
            String::new()
        } else {
            format!("[{}] ", p.var)
        };
        let mut lines = p.message.lines();
        eprintln!("{label}: {var}{}", lines.next().unwrap_or(""));
        for l in lines {
            eprintln!("    {l}");
        }
    }
}

/// `HardcodedSecret` -> `hardcoded_secret`.
pub fn kind_name_finding(k: keyward_config::doctor::FindingKind) -> String {
    snake(&format!("{k:?}"))
}

fn snake(dbg: &str) -> String {
    let mut out = String::new();
    for (i, c) in dbg.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Fetches `paths` with up to 8 concurrent requests.
fn fetch_concurrently(
    client: &Client,
    paths: &[String],
) -> BTreeMap<String, Result<SecretValue, ClientError>> {
    let queue = Mutex::new(paths.to_vec());
    let results = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..paths.len().min(8) {
            s.spawn(|| {
                while let Some(p) = queue.lock().ok().and_then(|mut q| q.pop()) {
                    let r = client.get_secret(&p, None, None);
                    if let Ok(mut m) = results.lock() {
                        m.insert(p, r);
                    }
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        assert_eq!(env_name("/myapp/prod/database_url"), "DATABASE_URL");
        assert_eq!(env_name("/myapp/prod/api-key.v2"), "API_KEY_V2");
        assert_eq!(env_name("/a/1x"), "_1X");
        assert_eq!(kind_name(ProblemKind::LookupFailed), "lookup_failed");
    }
}
