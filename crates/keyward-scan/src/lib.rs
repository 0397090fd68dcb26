//! keyward-scan: a fast, accurate leak scanner (issue 5).
//!
//! **Owns:** the rule set (TOML data, embedded by default, user-extendable), the matcher
//! (Aho-Corasick keyword prefilter + independent per-rule regexes on candidate lines + a
//! randomness model), file input (parallel walk honouring `.gitignore`), git input (whole
//! history, `--since`, `--staged`, pre-commit hook, all through the `git` CLI), baselines,
//! inline allow comments, reporters (human / JSON / SARIF 2.1.0) and the matcher side of
//! store-aware scanning ([`managed::ManagedFingerprints`]).
//!
//! **Must not:** print, log or store a secret in full (findings carry a redacted preview and a
//! fingerprint only), panic on any input (binary, invalid UTF-8, huge lines, CRLF), talk to the
//! network, verify candidates against vendor APIs, or hold plaintext of managed secrets (only
//! keyed fingerprints). It does not implement the server side of `--managed` nor the `keyward`
//! binary: the binary calls [`cli::run`] with [`cli::ScanArgs`].
//!
//! ```no_run
//! use keyward_scan::{Scanner, RuleSet};
//! let scanner = Scanner::new(RuleSet::builtin()).unwrap();
//! let findings = scanner.scan_bytes("config.env", b"TOKEN=...");
//! ```

pub mod baseline;
pub mod cli;
pub mod encrypted;
pub mod entropy;
pub mod error;
pub mod git;
pub mod managed;
pub mod report;
pub mod rules;
pub mod scanner;
mod validate;
pub mod walk;

pub use error::{Result, ScanError};
pub use managed::{InMemoryManaged, ManagedFingerprints};
pub use rules::RuleSet;
pub use scanner::{Finding, Scanner};
pub use walk::{WalkOptions, WalkStats, scan_paths};
