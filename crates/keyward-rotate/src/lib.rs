//! keyward-rotate owns what a rotation does to the *target* a secret unlocks: make a
//! new value (`createSecret`), teach the target to accept it (`setSecret`), prove it
//! works (`testSecret`), and tidy up once it is current (`finishSecret`) — AWS Secrets
//! Manager's four-step protocol, one [`Rotator`] per kind of target.
//!
//! It must not touch the store, labels, audit or schedules: the engine in
//! `keyward-server` persists each step, moves `AWSPENDING`/`AWSCURRENT`/`AWSPREVIOUS`
//! and decides when to retry. A rotator only sees values as [`SecretString`] and never
//! puts one in an error, a log line or a `Debug` output.

pub mod external;
pub mod generated;

use std::fmt;

pub mod postgres;

use async_trait::async_trait;
pub use external::{ExternalContext, ExternalRotator};
pub use keyward_crypto::SecretString;

/// The four steps, with the names AWS passes to a rotation Lambda as `Step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Step {
    #[serde(rename = "createSecret")]
    CreateSecret,
    #[serde(rename = "setSecret")]
    SetSecret,
    #[serde(rename = "testSecret")]
    TestSecret,
    #[serde(rename = "finishSecret")]
    FinishSecret,
}

impl Step {
    /// In protocol order.
    pub const ALL: [Step; 4] = [
        Step::CreateSecret,
        Step::SetSecret,
        Step::TestSecret,
        Step::FinishSecret,
    ];

    /// AWS's name for the step (`createSecret`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::CreateSecret => "createSecret",
            Step::SetSecret => "setSecret",
            Step::TestSecret => "testSecret",
            Step::FinishSecret => "finishSecret",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.as_str() == s)
    }

    /// The step after this one, `None` after `finishSecret`.
    pub fn next(self) -> Option<Step> {
        let i = Step::ALL.iter().position(|s| *s == self)?;
        Step::ALL.get(i + 1).copied()
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rotator is told about the rotation it takes part in. Values are
/// [`SecretString`]s: redacted in `Debug`, zeroized on drop.
#[derive(Debug)]
pub struct StepContext<'a> {
    /// The secret's ARN (what AWS passes as `SecretId`).
    pub secret_arn: &'a str,
    /// The secret's name, for messages.
    pub secret_name: &'a str,
    /// The rotation's `ClientRequestToken`: the pending version's id.
    pub token: &'a str,
    /// `AWSCURRENT`'s value.
    pub current: &'a SecretString,
    /// `AWSPREVIOUS`'s value, if the secret has one (alternating users toggle from it).
    pub previous: Option<&'a SecretString>,
    /// The admin secret's `AWSCURRENT` value, for rotators that need one
    /// (`--master-secret`, or the `masterarn` field of the secret).
    pub master: Option<&'a SecretString>,
}

/// Why a step failed. Messages name the secret, the target and the cause, never a value.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The secret or the rotator's options cannot be rotated as they are; retrying will
    /// not help until someone fixes them.
    #[error("{0}")]
    Config(String),
    /// The target could not be reached or refused the step; the engine retries with backoff.
    #[error("{0}")]
    Target(String),
    /// `testSecret` could not log in with the pending value.
    #[error("{0}")]
    Test(String),
}

impl RotateError {
    /// Whether retrying the same step later may succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, RotateError::Config(_))
    }
}

/// One kind of rotation target. Each method is one step of AWS's protocol and must be
/// idempotent: the engine may call a step again after a crash or a failed attempt.
#[async_trait]
pub trait Rotator: Send + Sync + fmt::Debug {
    /// The rotator's name as configured (`generated`, `postgres-single-user`, ...).
    fn kind(&self) -> &'static str;

    /// `createSecret`: the pending value, computed from the current one (same shape,
    /// new credential). Called once per token; the engine stores the result as
    /// `AWSPENDING` before any later step runs.
    async fn create(&self, ctx: &StepContext<'_>) -> Result<SecretString, RotateError>;

    /// `setSecret`: make the target accept `pending` (e.g. `ALTER ROLE ... PASSWORD`),
    /// keeping the current credential working unless the rotator replaces it in place.
    async fn set(&self, ctx: &StepContext<'_>, pending: &SecretString) -> Result<(), RotateError>;

    /// `testSecret`: prove `pending` works on the target.
    async fn test(&self, ctx: &StepContext<'_>, pending: &SecretString) -> Result<(), RotateError>;

    /// `finishSecret`: runs after the engine has made `pending` current. Most targets
    /// have nothing to do here.
    async fn finish(
        &self,
        _ctx: &StepContext<'_>,
        _pending: &SecretString,
    ) -> Result<(), RotateError> {
        Ok(())
    }
}

/// The rotators a secret can be configured with, by name.
pub const ROTATOR_NAMES: [&str; 5] = [
    "generated",
    "postgres-single-user",
    "postgres-alternating-users",
    "command",
    "webhook",
];

/// A rotator's options as configured for one secret (and, for `webhook`, the
/// signing secret from the server config).
#[derive(Debug, Default)]
pub struct RotatorOptions<'a> {
    pub format: Option<&'a str>,
    pub length: Option<i64>,
    pub field: Option<&'a str>,
    pub command: Option<&'a str>,
    pub url: Option<&'a str>,
    pub webhook_secret: Option<SecretString>,
    /// How long one external step may run.
    pub timeout: Option<std::time::Duration>,
}

/// What [`build`] makes: a rotator whose values the engine stores, or one whose
/// external code writes them through the API itself.
#[derive(Debug)]
pub enum Built {
    Values(Box<dyn Rotator>),
    External(Box<dyn ExternalRotator>),
}

/// The one place a rotator is made from its configured name.
pub fn build(name: &str, opts: RotatorOptions<'_>) -> Result<Built, RotateError> {
    let timeout = opts.timeout.unwrap_or(std::time::Duration::from_secs(300));
    match name {
        "generated" => Ok(Built::Values(Box::new(generated::Generated::new(
            generated::Policy::parse(opts.format, opts.length, opts.field)?,
        )))),
        "command" => {
            let program = opts.command.filter(|c| !c.is_empty()).ok_or_else(|| {
                RotateError::Config("the command rotator needs --command PATH".into())
            })?;
            Ok(Built::External(Box::new(external::Command {
                program: program.into(),
                timeout,
            })))
        }
        "webhook" => {
            let url = opts
                .url
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .ok_or_else(|| {
                    RotateError::Config("the webhook rotator needs --url http(s)://...".into())
                })?;
            let signing_secret = opts.webhook_secret.ok_or_else(|| {
                RotateError::Config("the webhook rotator needs a signing secret: set [rotation] webhook_secret_file in the server config".into())
            })?;
            Ok(Built::External(Box::new(external::Webhook {
                url: url.to_owned(),
                signing_secret,
                timeout,
            })))
        }
        "postgres-single-user" => Ok(Built::Values(Box::new(postgres::SingleUser::default()))),
        "postgres-alternating-users" => Ok(Built::Values(Box::new(
            postgres::AlternatingUsers::default(),
        ))),
        other => Err(RotateError::Config(format!(
            "unknown rotator `{other}`; use one of {}",
            ROTATOR_NAMES.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_use_aws_names_in_protocol_order() {
        let names: Vec<_> = Step::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            ["createSecret", "setSecret", "testSecret", "finishSecret"]
        );
        assert_eq!(Step::parse("testSecret"), Some(Step::TestSecret));
        assert_eq!(Step::parse("TestSecret"), None);
        assert_eq!(Step::CreateSecret.next(), Some(Step::SetSecret));
        assert_eq!(Step::FinishSecret.next(), None);
        assert_eq!(
            serde_json::to_string(&Step::SetSecret).unwrap(),
            "\"setSecret\""
        );
    }
}
