//! Resolving every declared variable for one environment.
//!
//! Precedence, highest first (the first source with a non-empty value wins):
//!
//! 1. **Process environment** (`NAME`, then the declared `env` alias). Whatever the
//!    operator exported for this very run is the most explicit decision there is;
//!    12-factor apps and python-dotenv/django-environ users expect a real
//!    environment variable to beat any file (`load_dotenv()` does not override).
//! 2. **`NAME_FILE`** in the process environment (Docker/Kubernetes secrets
//!    convention), then the declared `file`. Also an explicit deployment decision,
//!    but one level removed, so a plain `NAME` still wins (with a warning).
//! 3. **The store** (`source`, optional `field`): the team's source of truth for
//!    this environment.
//! 4. **`.env` files**, in the order given (first file wins). They are local
//!    conveniences that go stale, so they never shadow the store; to override the
//!    store locally, export the variable.
//! 5. **`dev_default`**, only in development-like environments.
//!
//! An empty value counts as unset at every level (so `SECRET_KEY=` in a copied
//! `.env.example` does not hide the store or the dev default).

use crate::model::{Config, VarSpec};
use crate::problem::{Problem, ProblemKind};
use crate::rules::{gen_command, validate_value};
use keyward_crypto::SecretString;
use keyward_dotenv::{Document, ExpandMode};
use std::collections::BTreeMap;
use std::fmt;

/// Reads secrets from the keyward store (the CLI implements it over HTTP).
pub trait StoreLookup {
    /// The value stored at `path`, `Ok(None)` if there is none.
    fn get(&self, path: &str) -> Result<Option<SecretString>, LookupError>;

    /// The version before the current one (`AWSPREVIOUS`), `Ok(None)` if there is
    /// none. Only `previous_as` variables ask; a store that cannot tell says so.
    fn get_previous(&self, path: &str) -> Result<Option<SecretString>, LookupError> {
        Err(LookupError::Other(format!(
            "this store cannot read the previous version of {path}"
        )))
    }
}

/// Why the store could not answer. Messages must not contain secret values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("access denied")]
    Denied,
    #[error("the store is unreachable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Other(String),
}

/// Reads `*_FILE` and declared `file` paths. Replaceable for tests.
pub trait FileReader {
    fn read_to_string(&self, path: &str) -> std::io::Result<String>;
}

/// The real filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsFiles;

impl FileReader for OsFiles {
    fn read_to_string(&self, path: &str) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

static OS_FILES: OsFiles = OsFiles;

/// One parsed `.env` file.
#[derive(Debug, Clone)]
pub struct DotenvFile {
    /// Shown in provenance, e.g. `.env.local`.
    pub name: String,
    pub values: BTreeMap<String, SecretString>,
}

impl DotenvFile {
    pub fn new(name: impl Into<String>, values: BTreeMap<String, SecretString>) -> Self {
        Self {
            name: name.into(),
            values,
        }
    }

    /// From a parsed document; with [`ExpandMode::Expand`], references resolve
    /// through `process_env` first, then earlier entries of the same file.
    pub fn from_document(
        name: impl Into<String>,
        doc: &Document,
        mode: ExpandMode,
        process_env: &BTreeMap<String, SecretString>,
    ) -> Self {
        Self {
            name: name.into(),
            values: doc.values(mode, |k| process_env.get(k).cloned()),
        }
    }
}

/// Everything `resolve` may read. Nothing is read from globals.
pub struct Sources<'a> {
    /// A snapshot of the process environment.
    pub process_env: BTreeMap<String, SecretString>,
    /// Parsed `.env` files, highest priority first.
    pub dotenv_files: Vec<DotenvFile>,
    /// The store, if one is configured and reachable in this run.
    pub store: Option<&'a dyn StoreLookup>,
    /// How `*_FILE` paths are read.
    pub files: &'a dyn FileReader,
}

impl fmt::Debug for Sources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sources")
            .field("process_env", &self.process_env.keys().collect::<Vec<_>>())
            .field(
                "dotenv_files",
                &self
                    .dotenv_files
                    .iter()
                    .map(|d| &d.name)
                    .collect::<Vec<_>>(),
            )
            .field("store", &self.store.is_some())
            .finish()
    }
}

impl Default for Sources<'_> {
    fn default() -> Self {
        Self {
            process_env: BTreeMap::new(),
            dotenv_files: Vec::new(),
            store: None,
            files: &OS_FILES,
        }
    }
}

impl<'a> Sources<'a> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with_process_env<K: Into<String>, V: Into<SecretString>>(
        mut self,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.process_env = env.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        self
    }
    /// Adds a `.env` file below those already added.
    pub fn with_dotenv(mut self, file: DotenvFile) -> Self {
        self.dotenv_files.push(file);
        self
    }
    pub fn with_store(mut self, store: &'a dyn StoreLookup) -> Self {
        self.store = Some(store);
        self
    }
    pub fn with_files(mut self, files: &'a dyn FileReader) -> Self {
        self.files = files;
        self
    }
}

/// Where a value came from (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// The process environment variable `var` (the name itself or its alias).
    ProcessEnv { var: String },
    /// The file named by the process environment variable `var` (`NAME_FILE`).
    FileVar { var: String, path: String },
    /// The declared `file`.
    DeclaredFile { path: String },
    /// The store at `path`, key `field` inside it if declared.
    Store { path: String, field: Option<String> },
    /// A `.env` file.
    Dotenv { file: String, var: String },
    /// The declared `dev_default`.
    DevDefault,
    /// A `previous_as` list: the store's previous version of `path` (`field` inside
    /// it if declared), or none when the current value did not come from the store.
    StorePrevious {
        path: Option<String>,
        field: Option<String>,
    },
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProcessEnv { var } => write!(f, "environment variable {var}"),
            Self::FileVar { var, path } => write!(f, "file {path} (from {var})"),
            Self::DeclaredFile { path } => write!(f, "file {path}"),
            Self::Store {
                path,
                field: Some(k),
            } => write!(f, "store {path} (field {k})"),
            Self::Store { path, field: None } => write!(f, "store {path}"),
            Self::Dotenv { file, var } => write!(f, "{file} ({var})"),
            Self::DevDefault => f.write_str("dev_default in keyward.toml"),
            Self::StorePrevious {
                path: Some(path),
                field,
            } => {
                write!(f, "store {path}, previous version (AWSPREVIOUS)")?;
                match field {
                    Some(k) => write!(f, ", field {k}"),
                    None => Ok(()),
                }
            }
            Self::StorePrevious { path: None, .. } => {
                f.write_str("no previous version (the current value is not from the store)")
            }
        }
    }
}

/// The resolved values of one environment.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub env: String,
    /// Declared variables that have a value, by name, and their `previous_as`
    /// companions.
    pub values: BTreeMap<String, SecretString>,
    /// Where each value came from.
    pub provenance: BTreeMap<String, Provenance>,
    /// Problems that do not block (weak values in development, ambiguity, ...).
    pub warnings: Vec<Problem>,
}

impl Resolved {
    pub fn get(&self, name: &str) -> Option<&SecretString> {
        self.values.get(name)
    }
}

/// Trims one trailing newline (`\n` or `\r\n`), as `*_FILE` conventions expect.
fn trim_one_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    s
}

fn non_empty(v: Option<&SecretString>) -> Option<&SecretString> {
    v.filter(|s| !s.is_empty())
}

/// Resolves and validates every declared variable for `env`, collecting every
/// problem. `Err` holds all problems (errors and warnings) when any is an error.
pub fn resolve(
    config: &Config,
    env: &str,
    sources: &Sources<'_>,
) -> Result<Resolved, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut out = Resolved {
        env: env.to_owned(),
        ..Resolved::default()
    };
    if !config.environments.iter().any(|e| e == env) {
        problems.push(Problem::error(
            "",
            Some(env),
            ProblemKind::UnknownEnvironment,
            format!(
                "Unknown environment `{env}`.\nkeyward.toml declares: {}.",
                config.environments.join(", ")
            ),
        ));
        return Err(problems);
    }
    for (name, spec) in &config.vars {
        let before = problems.len();
        let found = resolve_one(config, name, spec, env, sources, &mut problems);
        let Some((value, prov)) = found else {
            // A variable that already has an error (unreadable NAME_FILE, store
            // unreachable) is not also reported as merely unset.
            let reported = problems[before..].iter().any(Problem::is_error);
            if config.is_required(spec, env) && !reported {
                problems.push(missing(config, name, spec, env));
            }
            continue;
        };
        let check_spec;
        let spec_for_checks = if prov == Provenance::DevDefault {
            // The committed dev default is by design not a strong secret: check its
            // shape, not its strength.
            check_spec = VarSpec {
                rules: Vec::new(),
                ..spec.clone()
            };
            &check_spec
        } else {
            spec
        };
        problems.extend(validate_value(
            config,
            name,
            spec_for_checks,
            env,
            value.expose(),
        ));
        if let Some((alias, list, from)) =
            crate::previous::companion(name, spec, env, &prov, sources, &mut problems)
        {
            out.values.insert(alias.clone(), list);
            out.provenance.insert(alias, from);
        }
        out.values.insert(name.clone(), value);
        out.provenance.insert(name.clone(), prov);
    }
    if problems.iter().any(Problem::is_error) {
        return Err(problems);
    }
    out.warnings = problems;
    Ok(out)
}

fn resolve_one(
    config: &Config,
    name: &str,
    spec: &VarSpec,
    env: &str,
    sources: &Sources<'_>,
    problems: &mut Vec<Problem>,
) -> Option<(SecretString, Provenance)> {
    let dev = config.is_dev_environment(env);
    let names: Vec<&str> = std::iter::once(name).chain(spec.env.as_deref()).collect();
    let penv = &sources.process_env;

    // 1. Process environment.
    for n in &names {
        if let Some(v) = non_empty(penv.get(*n)) {
            if non_empty(penv.get(&format!("{n}_FILE"))).is_some() {
                problems.push(Problem::warning(
                    name,
                    Some(env),
                    ProblemKind::Ambiguous,
                    format!("Both {n} and {n}_FILE are set; using {n}.\nUnset one of them to make the choice explicit."),
                ));
            }
            return Some((
                v.clone(),
                Provenance::ProcessEnv {
                    var: (*n).to_owned(),
                },
            ));
        }
    }
    // 2. NAME_FILE, then the declared file.
    for n in &names {
        let var = format!("{n}_FILE");
        if let Some(path) = non_empty(penv.get(&var)) {
            let path = path.expose().to_owned();
            return match sources.files.read_to_string(&path) {
                Ok(s) => Some((
                    SecretString::new(trim_one_newline(s)),
                    Provenance::FileVar { var, path },
                )),
                Err(e) => {
                    problems.push(Problem::error(
                        name,
                        Some(env),
                        ProblemKind::FileUnreadable,
                        format!("{var} is set but the file {path} could not be read ({e}).\nFix the path or unset {var}."),
                    ));
                    None
                }
            };
        }
    }
    if let Some(path) = &spec.file {
        match sources.files.read_to_string(path) {
            Ok(s) => {
                let s = trim_one_newline(s);
                if !s.is_empty() {
                    return Some((
                        SecretString::new(s),
                        Provenance::DeclaredFile { path: path.clone() },
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problems.push(Problem::error(
                name,
                Some(env),
                ProblemKind::FileUnreadable,
                format!("{name}: the declared file {path} could not be read ({e})."),
            )),
        }
    }
    // 3. The store.
    let mut store_down: Option<String> = None;
    if let (Some(store), Some(path)) = (sources.store, config.store_path(name, spec, env)) {
        let lookup_problem = |msg: String| {
            if dev {
                Problem::warning(name, Some(env), ProblemKind::LookupFailed, msg)
            } else {
                Problem::error(name, Some(env), ProblemKind::LookupFailed, msg)
            }
        };
        match store.get(&path) {
            Ok(Some(v)) => match &spec.field {
                None if !v.is_empty() => {
                    return Some((v, Provenance::Store { path, field: None }));
                }
                None => {}
                Some(field) => match extract_field(&v, field) {
                    Ok(Some(x)) => {
                        return Some((x, Provenance::Store { path, field: Some(field.clone()) }));
                    }
                    Ok(None) => {}
                    Err(why) => problems.push(Problem::error(
                        name,
                        Some(env),
                        ProblemKind::FieldMissing,
                        format!(
                            "{name}: the secret at {path} {why}.\nStore a JSON object such as {{\"{field}\": \"...\"}} there, or remove `field`."
                        ),
                    )),
                },
            },
            Ok(None) => {}
            // Outside development an unreachable store fails closed for a secret
            // this environment requires: a .env file may hold a stale value.
            // Anything else may come from a lower source or stay unset, loudly.
            Err(e @ LookupError::Unavailable(_)) if !dev => {
                if config.is_required(spec, env) && spec.secret {
                    problems.push(Problem::error(
                        name,
                        Some(env),
                        ProblemKind::LookupFailed,
                        format!(
                            "{name} could not be read from the store at {path}: {e}.\n{name} is a secret required in `{env}`, so keyward will not fall back to a .env file or start without it.\nStart the keyward server (or fix KEYWARD_ADDR), run with --offline-cache, or set {name} in the environment."
                        ),
                    ));
                    return None;
                }
                store_down = Some(format!("{e}"));
            }
            Err(e) => problems.push(lookup_problem(format!(
                "{name} could not be read from the store at {path}: {e}.\nCheck your keyward login and access policy, or set {name} in the environment."
            ))),
        }
    }
    // 4. .env files, first wins.
    for f in &sources.dotenv_files {
        for n in &names {
            if let Some(v) = non_empty(f.values.get(*n)) {
                if let Some(why) = &store_down {
                    problems.push(Problem::warning(
                        name,
                        Some(env),
                        ProblemKind::LookupFailed,
                        format!(
                            "{name}: {why}; using {} instead (the store may hold a newer value).",
                            f.name
                        ),
                    ));
                }
                return Some((
                    v.clone(),
                    Provenance::Dotenv {
                        file: f.name.clone(),
                        var: (*n).to_owned(),
                    },
                ));
            }
        }
    }
    // 5. dev_default.
    match &spec.dev_default {
        Some(d) if dev => Some((SecretString::new(d.clone()), Provenance::DevDefault)),
        _ => {
            if let (Some(why), Some(path)) = (&store_down, config.store_path(name, spec, env)) {
                let required = config.is_required(spec, env);
                let msg = format!(
                    "{name} could not be read from the store at {path}: {why}.\n{}",
                    if required {
                        format!(
                            "Start the keyward server (or fix KEYWARD_ADDR), run with --offline-cache, or set {name} in the environment or a --env-file."
                        )
                    } else {
                        format!("{name} is optional in `{env}`; starting without it.")
                    }
                );
                problems.push(if required {
                    Problem::error(name, Some(env), ProblemKind::LookupFailed, msg)
                } else {
                    Problem::warning(name, Some(env), ProblemKind::LookupFailed, msg)
                });
            }
            None
        }
    }
}

/// Picks `field` from a stored JSON object. `Err` says what is wrong (no value).
pub(crate) fn extract_field(
    secret: &SecretString,
    field: &str,
) -> Result<Option<SecretString>, String> {
    let json: serde_json::Value =
        serde_json::from_str(secret.expose()).map_err(|_| "is not JSON".to_owned())?;
    let obj = json
        .as_object()
        .ok_or_else(|| "is not a JSON object".to_owned())?;
    match obj.get(field) {
        None | Some(serde_json::Value::Null) => Err(format!("has no key \"{field}\"")),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(SecretString::new(s.clone()))),
        Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
            Ok(Some(SecretString::new(v.to_string())))
        }
        Some(_) => Err(format!("has a non-text value under \"{field}\"")),
    }
}

/// The seed's "must be set" message, with keyward's commands.
fn missing(config: &Config, name: &str, spec: &VarSpec, env: &str) -> Problem {
    let mut msg = format!("{name} environment variable must be set.");
    if spec.dev_default.is_some() && !config.is_dev_environment(env) {
        msg.push_str(&format!(
            "\n(Its dev_default is only used in {}; `{env}` needs a real value.)",
            config.dev_environments.join(", ")
        ));
    }
    if let Some(d) = &spec.description {
        msg.push_str(&format!("\n{name}: {d}"));
    }
    match gen_command(config, name, spec, Some(env)) {
        Some(cmd) => {
            msg.push_str(&format!(
                "\nGenerate a secure key with:\n  {cmd}\nThen set it in your environment, or in a .env file passed with --env-file:\n  {name}=<generated_key>"
            ));
        }
        None => {
            if let Some(path) = config.store_path(name, spec, env) {
                msg.push_str(&format!(
                    "\nStore it with:\n  keyward put {path} --stdin\nor set it"
                ));
            } else {
                msg.push_str("\nSet it");
            }
            let shown = if spec.secret {
                "<value>".to_owned()
            } else {
                spec.example.clone().unwrap_or_else(|| "<value>".into())
            };
            msg.push_str(&format!(
                " in your environment, or in a .env file passed with --env-file:\n  {name}={shown}"
            ));
        }
    }
    Problem::error(name, Some(env), ProblemKind::Missing, msg)
}
