//! Rules as data: the TOML schema, the embedded default rule set and user extension files.

use serde::Deserialize;

use crate::error::{Result, ScanError};

/// The built-in rule set, embedded at compile time.
pub const BUILTIN_RULES: &str = include_str!("../rules/default.toml");

/// Marker that rule examples may contain to break up realistic-looking fake tokens (so that
/// source-hosting push protection does not flag this repository); removed before use.
pub const EXAMPLE_SPLIT: &str = "~~";

/// How a regex match is confirmed before it becomes a finding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validate {
    /// Only the regex, `min_entropy` and the placeholder filter.
    #[default]
    None,
    /// The value must pass the randomness model (generic assignments).
    Random,
    /// Password inside a URL or connection string: no placeholder, not the user name, some
    /// complexity.
    Password,
    /// A PEM header that must be followed by a base64 body.
    Pem,
}

/// One rule as written in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Stable id, reported as `rule`.
    pub id: String,
    /// Human description (also the SARIF rule text).
    pub description: String,
    /// Literal keywords; the rule's regex only runs on lines containing one of them. Empty =
    /// run on every line (slow; avoid).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Match keywords case-sensitively (default: ASCII case-insensitive).
    #[serde(default)]
    pub case_sensitive: bool,
    /// Regex (Rust `regex` syntax, byte-oriented, ASCII classes). The secret is the first
    /// participating capture group whose name starts with `secret`, else group 1, else the
    /// whole match.
    pub regex: String,
    /// Minimum Shannon entropy (bits per char) of the secret.
    #[serde(default)]
    pub min_entropy: f64,
    /// Extra validation of the secret.
    #[serde(default)]
    pub validate: Validate,
    /// Generic rule: lower priority (dropped when a specific rule matches the same span),
    /// skipped in lock files.
    #[serde(default)]
    pub generic: bool,
    /// Base confidence (0..1) of a match.
    #[serde(default = "default_confidence")]
    pub confidence: f64,
    /// Regexes on the secret that mark documented examples / known non-secrets.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Lines that must yield exactly one finding of this rule.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Lines that must not yield a finding of this rule.
    #[serde(default)]
    pub negatives: Vec<String>,
}

fn default_confidence() -> f64 {
    0.9
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default, rename = "rule")]
    rules: Vec<RuleDef>,
}

/// An ordered list of rule definitions.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// The rules, in evaluation/report order.
    pub rules: Vec<RuleDef>,
}

impl RuleSet {
    /// The embedded default rules.
    pub fn builtin() -> Self {
        // The embedded file is tested; failing to parse it is a build defect.
        Self::from_toml(BUILTIN_RULES, "built-in").unwrap_or_default()
    }

    /// Parse a rules TOML document (`[[rule]]` tables).
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let file: RuleFile = toml::from_str(text).map_err(|e| ScanError::Rules {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let mut seen = std::collections::HashSet::new();
        for r in &file.rules {
            if r.id.is_empty() || !seen.insert(r.id.clone()) {
                return Err(ScanError::Rules {
                    origin: origin.to_string(),
                    message: format!("empty or duplicate rule id `{}`", r.id),
                });
            }
        }
        Ok(Self { rules: file.rules })
    }

    /// Read and parse a rules file.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ScanError::io(path, e))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Add `other`'s rules; a rule with an existing id replaces it.
    pub fn extend(&mut self, other: RuleSet) {
        for r in other.rules {
            if let Some(slot) = self.rules.iter_mut().find(|x| x.id == r.id) {
                *slot = r;
            } else {
                self.rules.push(r);
            }
        }
    }

    /// Drop the rules with these ids.
    pub fn disable(&mut self, ids: &[String]) {
        self.rules.retain(|r| !ids.contains(&r.id));
    }
}

/// Example text with the split marker removed.
pub fn example_text(s: &str) -> String {
    s.replace(EXAMPLE_SPLIT, "")
}
