//! The rotation engine: drives AWS's four steps (`createSecret`, `setSecret`,
//! `testSecret`, `finishSecret`) for a secret with the rotator its configuration
//! names, persisting each completed step in the store so that a rotation
//! interrupted anywhere (a killed server, an unreachable target) resumes on the
//! next attempt; schedules rotations; retries failures with backoff.
//!
//! It owns rotation state and the movement of `AWSPENDING`/`AWSCURRENT`; what a
//! step does to the target belongs to the rotators in `keyward-rotate`, made by
//! [`keyward_rotate::build`] only. It must never put a value in an error, a log
//! line or an audit record: records name the secret, the token and the step.

mod allowed;
mod engine;
mod job;
pub(crate) mod master;
pub mod schedule;
mod status;
mod steps;
mod temp_access;

pub use allowed::url_allowed;
pub use engine::{
    Driven, begin, cancel, drive, in_progress as engine_in_progress, next_run, runner_for,
};
pub use job::RotationJob;
pub use status::status;

use keyward_crypto::SecretString;
use std::collections::HashMap;
use std::time::Duration;

/// What the server config's `[rotation]` section says.
#[derive(Debug, Clone)]
pub struct RotationSettings {
    /// `RotationLambdaARN`s that run as a `command` or `webhook` rotator.
    pub lambdas: HashMap<String, LambdaTarget>,
    /// Programs a secret's `command` rotator may name (exact paths): an API
    /// caller must never choose what the server executes.
    pub commands: Vec<String>,
    /// URLs under which a secret's `webhook` rotator may call (see `allowed`).
    pub webhook_urls: Vec<String>,
    /// Signs the `webhook` rotator's requests.
    pub webhook_secret: Option<SecretString>,
    /// Lowered only by the documented test setting.
    pub limits: schedule::Limits,
    /// How often the scheduler looks for due and retried rotations.
    pub check_every: Duration,
    /// First retry delay after a failure; doubles per attempt up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long one external step may run.
    pub step_timeout: Duration,
    /// keyward's URL as external rotators reach it (`AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
}

impl Default for RotationSettings {
    fn default() -> Self {
        Self {
            lambdas: HashMap::new(),
            commands: Vec::new(),
            webhook_urls: Vec::new(),
            webhook_secret: None,
            limits: schedule::Limits::default(),
            check_every: Duration::from_secs(60),
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(3600),
            step_timeout: Duration::from_secs(300),
            endpoint: None,
        }
    }
}

/// A Lambda ARN's stand-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaTarget {
    /// `command` or `webhook`.
    pub rotator: String,
    pub command: Option<String>,
    pub url: Option<String>,
}
