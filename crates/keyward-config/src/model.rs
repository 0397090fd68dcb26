//! The `keyward.toml` schema, its loading (with line/column errors) and the
//! semantic checks serde cannot express.

use regex::Regex;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::path::Path;

/// Environments where `dev_default` may be used unless `dev_environments` says otherwise.
pub const DEFAULT_DEV_ENVIRONMENTS: &[&str] = &["development", "dev", "local", "test"];

/// The placeholders a store path (`source`) may contain.
const PLACEHOLDERS: &[&str] = &["{env}", "{app}", "{name}", "{name_lower}"];

/// `keyward.toml`. Holds names, rules and where values live; never values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Application name (the `{app}` placeholder).
    pub app: String,
    /// Every environment the app is deployed to.
    pub environments: Vec<String>,
    /// Environments where `dev_default` values may be used.
    #[serde(default = "default_dev_environments")]
    pub dev_environments: Vec<String>,
    /// Declared variables, in file order.
    #[serde(default, deserialize_with = "ordered_vars")]
    pub vars: Vec<(String, VarSpec)>,
}

fn default_dev_environments() -> Vec<String> {
    DEFAULT_DEV_ENVIRONMENTS
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// One declared variable.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarSpec {
    pub description: Option<String>,
    /// An illustrative, non-real value for docs and `.env.example`.
    pub example: Option<String>,
    #[serde(default)]
    pub secret: bool,
    /// Required in every environment.
    #[serde(default)]
    pub required: bool,
    /// Required in these environments.
    #[serde(default)]
    pub required_in: Vec<String>,
    /// Used only in development-like environments when nothing else is set.
    pub dev_default: Option<String>,
    /// Store path, with `{env}`, `{app}`, `{name}`, `{name_lower}` placeholders.
    pub source: Option<String>,
    /// JSON key inside the stored secret (the secret must then be a JSON object).
    pub field: Option<String>,
    /// Another process-environment / `.env` name that also supplies this value.
    pub env: Option<String>,
    /// A file holding the value (e.g. `/run/secrets/x`); one trailing newline trimmed.
    pub file: Option<String>,
    #[serde(default, rename = "type")]
    pub ty: VarType,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    /// A regular expression the whole value must match.
    pub pattern: Option<String>,
    #[serde(default)]
    pub one_of: Vec<String>,
    #[serde(default)]
    pub rules: Vec<RuleName>,
    /// `keyward gen` format used in docs and fix-it messages (default: from rules).
    pub generate: Option<String>,
    /// Also export the store's previous version (`AWSPREVIOUS`) under this name, as a
    /// JSON list (`["<previous>"]`, or `[]` when there is none), the shape Django's
    /// `SECRET_KEY_FALLBACKS` takes: rotating the key then logs nobody out.
    pub previous_as: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VarType {
    #[default]
    String,
    Int,
    Bool,
    Url,
    Email,
    Port,
    Json,
    Duration,
}

impl VarType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Int => "int",
            Self::Bool => "bool",
            Self::Url => "url",
            Self::Email => "email",
            Self::Port => "port",
            Self::Json => "json",
            Self::Duration => "duration",
        }
    }
}

/// Named rule sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleName {
    /// At least 50 characters, no insecure/example patterns, enough entropy.
    DjangoSecretKey,
    /// At least 32 characters and enough entropy, no placeholders.
    StrongSecret,
    /// No placeholder / example patterns.
    NoPlaceholder,
}

impl RuleName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DjangoSecretKey => "django-secret-key",
            Self::StrongSecret => "strong-secret",
            Self::NoPlaceholder => "no-placeholder",
        }
    }
    pub fn describe(self) -> &'static str {
        match self {
            Self::DjangoSecretKey => {
                "at least 50 characters, no insecure or example patterns (django-insecure, change-this, example, ...), enough entropy"
            }
            Self::StrongSecret => "at least 32 characters, no placeholder patterns, enough entropy",
            Self::NoPlaceholder => "no placeholder or example patterns",
        }
    }
}

fn ordered_vars<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, VarSpec)>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<(String, VarSpec)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of variables, e.g. [vars.SECRET_KEY]")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out: Vec<(String, VarSpec)> = Vec::new();
            while let Some(k) = map.next_key::<String>()? {
                if out.iter().any(|(n, _)| *n == k) {
                    return Err(de::Error::custom(format!(
                        "variable `{k}` is declared twice"
                    )));
                }
                let v = map.next_value::<VarSpec>()?;
                out.push((k, v));
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

/// A semantic problem in `keyward.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub var: Option<String>,
    /// 1-based line of the variable's table, when it can be found.
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file} is not valid:\n{}", render_issues(file, issues))]
    Invalid {
        file: String,
        issues: Vec<ConfigIssue>,
    },
}

fn render_issues(file: &str, issues: &[ConfigIssue]) -> String {
    issues
        .iter()
        .map(|i| match (i.line, &i.var) {
            (Some(l), Some(v)) => format!("  {file}:{l}: [vars.{v}] {}", i.message),
            (None, Some(v)) => format!("  [vars.{v}] {}", i.message),
            _ => format!("  {}", i.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[start..at].chars().count() + 1)
}

pub(crate) fn is_env_name(name: &str) -> bool {
    let mut b = name.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

impl Config {
    /// Parses and checks `keyward.toml` text. `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            ConfigError::Syntax {
                file: file.to_owned(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        let mut issues = config.check();
        for issue in &mut issues {
            if let Some(v) = &issue.var {
                issue.line = find_var_line(text, v);
            }
        }
        if issues.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                file: file.to_owned(),
                issues,
            })
        }
    }

    /// Reads and checks a `keyward.toml` file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_toml_str(&text, &file)
    }

    /// The declared variable `name`.
    pub fn var(&self, name: &str) -> Option<&VarSpec> {
        self.vars.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Whether `dev_default` values may be used in `env`.
    pub fn is_dev_environment(&self, env: &str) -> bool {
        self.dev_environments.iter().any(|d| d == env)
    }

    /// Whether `name` must have a value in `env`.
    pub fn is_required(&self, spec: &VarSpec, env: &str) -> bool {
        spec.required || spec.required_in.iter().any(|e| e == env)
    }

    /// `source` with its placeholders filled in for `env`.
    pub fn store_path(&self, name: &str, spec: &VarSpec, env: &str) -> Option<String> {
        spec.source.as_ref().map(|s| {
            s.replace("{env}", env)
                .replace("{app}", &self.app)
                .replace("{name_lower}", &name.to_ascii_lowercase())
                .replace("{name}", name)
        })
    }

    /// Every semantic problem (all of them, not the first).
    pub fn check(&self) -> Vec<ConfigIssue> {
        let mut issues = Vec::new();
        let top = |m: String| ConfigIssue {
            var: None,
            line: None,
            message: m,
        };
        if self.app.trim().is_empty() {
            issues.push(top("`app` must not be empty".into()));
        }
        if self.environments.is_empty() {
            issues.push(top(
                "`environments` must list at least one environment".into()
            ));
        }
        for (i, e) in self.environments.iter().enumerate() {
            if e.trim().is_empty() || e.contains(['/', '{', '}']) {
                issues.push(top(format!(
                    "environment name `{e}` must be non-empty and contain no '/', '{{' or '}}'"
                )));
            }
            if self.environments[..i].contains(e) {
                issues.push(top(format!("environment `{e}` is listed twice")));
            }
        }
        for (name, spec) in &self.vars {
            let mut bad = |m: String| {
                issues.push(ConfigIssue {
                    var: Some(name.clone()),
                    line: None,
                    message: m,
                })
            };
            if !is_env_name(name) {
                bad(
                    "the variable name must be letters, digits and '_', not starting with a digit"
                        .into(),
                );
            }
            for e in &spec.required_in {
                if !self.environments.contains(e) {
                    bad(format!(
                        "required_in names `{e}`, which is not in `environments` ({})",
                        self.environments.join(", ")
                    ));
                }
            }
            if spec.required && !spec.required_in.is_empty() {
                bad(
                    "use either `required = true` (every environment) or `required_in`, not both"
                        .into(),
                );
            }
            if spec.dev_default.is_some()
                && !self.environments.iter().any(|e| self.is_dev_environment(e))
            {
                bad(format!(
                    "dev_default is only used in development-like environments ({}), and none is listed in `environments`",
                    self.dev_environments.join(", ")
                ));
            }
            if let Some(src) = &spec.source {
                if src.trim().is_empty() {
                    bad("`source` must be a store path such as \"/{app}/{env}/secret_key\"".into());
                }
                let mut rest = src.as_str();
                while let Some(open) = rest.find('{') {
                    let tail = &rest[open..];
                    match tail.find('}') {
                        Some(close) if PLACEHOLDERS.contains(&&tail[..=close]) => {
                            rest = &tail[close + 1..]
                        }
                        _ => {
                            bad(format!(
                                "`source` has an unknown placeholder; use {}",
                                PLACEHOLDERS.join(", ")
                            ));
                            break;
                        }
                    }
                }
            }
            if spec.field.is_some() && spec.source.is_none() {
                bad("`field` picks a key inside a stored JSON secret, so it needs `source`".into());
            }
            if let Some(alias) = &spec.env
                && (!is_env_name(alias) || alias == name)
            {
                bad(format!(
                    "`env` must be another variable name, not `{alias}`"
                ));
            }
            if let Some(p) = &spec.previous_as {
                for m in crate::previous::check_spec(self, name, spec, p) {
                    bad(m);
                }
            }
            if let Some(p) = &spec.pattern
                && let Err(e) = Regex::new(p)
            {
                bad(format!("`pattern` is not a valid regular expression: {e}"));
            }
            if let (Some(min), Some(max)) = (spec.min_length, spec.max_length)
                && min > max
            {
                bad(format!(
                    "min_length ({min}) is greater than max_length ({max})"
                ));
            }
            if let Some(g) = &spec.generate
                && g.parse::<crate::generator::Format>().is_err()
            {
                bad(format!(
                    "`generate` must be one of {}",
                    crate::generator::Format::NAMES.join(", ")
                ));
            }
            if let Some(d) = &spec.dev_default
                && let Err(why) = crate::rules::check_type(spec.ty, d)
            {
                bad(format!(
                    "dev_default is not a valid {} ({why})",
                    spec.ty.as_str()
                ));
            }
        }
        issues
    }
}

fn find_var_line(text: &str, var: &str) -> Option<usize> {
    let header = format!("[vars.{var}]");
    let quoted = format!("[vars.\"{var}\"]");
    let dotted = format!("{var} =");
    text.lines()
        .position(|l| {
            let t = l.trim();
            t.starts_with(&header) || t.starts_with(&quoted) || t.starts_with(&dotted)
        })
        .map(|i| i + 1)
}
