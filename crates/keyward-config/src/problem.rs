//! Problems found while resolving or validating: each names the variable, says what
//! is wrong and how to fix it, and never contains the value.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Blocks startup (`resolve` returns `Err`).
    Error,
    /// Reported, does not block.
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// A required variable has no value from any source.
    Missing,
    TooShort,
    TooLong,
    /// The value contains a known placeholder / example pattern.
    ExampleValue,
    /// Too few distinct characters, too little entropy, or a repeated pattern.
    LowEntropy,
    /// The value does not parse as the declared `type`.
    InvalidType,
    PatternMismatch,
    NotOneOf,
    /// The store could not be asked (denied, unreachable, ...).
    LookupFailed,
    /// A `*_FILE` or declared `file` could not be read.
    FileUnreadable,
    /// A `field` was declared but the stored secret is not a JSON object holding it.
    FieldMissing,
    /// Two sources were set at once where one silently wins.
    Ambiguous,
    /// The same value is used in more than one environment.
    DuplicateAcrossEnvironments,
    /// The environment is not declared in `environments`.
    UnknownEnvironment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The variable concerned.
    pub var: String,
    /// The environment it was resolved for, when there is one.
    pub env: Option<String>,
    pub severity: Severity,
    pub kind: ProblemKind,
    /// What is wrong and how to fix it (may span lines). Never contains the value.
    pub message: String,
}

impl Problem {
    pub(crate) fn error(var: &str, env: Option<&str>, kind: ProblemKind, message: String) -> Self {
        Self {
            var: var.to_owned(),
            env: env.map(str::to_owned),
            severity: Severity::Error,
            kind,
            message,
        }
    }
    pub(crate) fn warning(
        var: &str,
        env: Option<&str>,
        kind: ProblemKind,
        message: String,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(var, env, kind, message)
        }
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}
