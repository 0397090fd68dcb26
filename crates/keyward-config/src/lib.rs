//! keyward-config owns an application's *declared* configuration: `keyward.toml`
//! (committed to git, names and rules only, never values), resolving each declared
//! variable for one environment from explicit sources, validating values (types,
//! lengths, patterns, named rule sets such as `django-secret-key`), cross-environment
//! duplicate detection by keyed fingerprint, generated documentation and
//! `.env.example`, secret generation ([`generator`], re-exported at the root; `gen` is a
//! reserved word in Rust 2024), stream redaction ([`redact`]) and
//! content-only misconfiguration checks ([`doctor`]).
//!
//! It must not read the process environment, call git, or talk to the network: the
//! caller passes an environment snapshot, parsed `.env` files and a [`StoreLookup`].
//! The only I/O it does is reading `*_FILE` / declared `file` paths through a
//! replaceable [`FileReader`]. No message it produces ever contains a value.

mod docs;
pub mod doctor;
mod dupes;
/// Secret generation lives in `keyward-crypto` (the server shares it); re-exported
/// so `keyward_config::generator` keeps working.
pub use keyward_crypto::generator;
mod model;
mod previous;
mod problem;
pub mod redact;
mod resolve;
mod rules;

pub use docs::{docs_markdown, env_example};
pub use dupes::check_cross_env_duplicates;
pub use generator::{Format, GenError, PasswordPolicy, generate, generate_password};
pub use keyward_crypto::SecretString;
pub use model::{
    Config, ConfigError, ConfigIssue, DEFAULT_DEV_ENVIRONMENTS, RuleName, VarSpec, VarType,
};
pub use previous::{fallback_values, previous_list};
pub use problem::{Problem, ProblemKind, Severity};
pub use resolve::{
    DotenvFile, FileReader, LookupError, OsFiles, Provenance, Resolved, Sources, StoreLookup,
    resolve,
};
pub use rules::{distinct_chars, placeholder_pattern, shannon_entropy, validate_value};
