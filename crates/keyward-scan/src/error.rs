//! Typed errors of the scanner.

use std::path::PathBuf;

/// Everything that can make a scan fail as a whole (exit code 2).
///
/// Per-file problems (unreadable file, vanished file) are not errors: they are reported as
/// warnings on stderr and the scan goes on.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A rules file could not be parsed.
    #[error("rules {origin}: {message}")]
    Rules {
        /// Where the rules came from (`built-in` or a file path).
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A rule's regular expression does not compile.
    #[error("rule `{rule}`: invalid regex: {source}")]
    Regex {
        /// Rule id.
        rule: String,
        /// Underlying regex error.
        #[source]
        source: Box<regex::Error>,
    },
    /// A rule example does not behave as declared (only reported by [`crate::rules::RuleSet::check_examples`]).
    #[error("rule `{rule}`: {message}")]
    Example {
        /// Rule id.
        rule: String,
        /// What went wrong.
        message: String,
    },
    /// I/O error on a path that the user asked for.
    #[error("{}: {source}", path.display())]
    Io {
        /// Path involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// `git` failed or is not available.
    #[error("git: {0}")]
    Git(String),
    /// Baseline file problem.
    #[error("baseline {}: {message}", path.display())]
    Baseline {
        /// Baseline path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Invalid combination of options.
    #[error("{0}")]
    Usage(String),
    /// Output could not be written or serialised.
    #[error("output: {0}")]
    Output(String),
}

/// Result alias.
pub type Result<T, E = ScanError> = std::result::Result<T, E>;

impl ScanError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ScanError::Io {
            path: path.into(),
            source,
        }
    }
}
