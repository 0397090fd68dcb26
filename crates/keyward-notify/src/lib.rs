//! keyward-notify owns alerting: the rules evaluated over committed audit records
//! ([`rules`]), the rate limits that keep an attack from becoming an alert flood
//! ([`throttle`]), the sinks alerts go to ([`sink`]: webhook, Slack, PagerDuty,
//! email, log), and the delivery of the persistent outbox with retries
//! ([`delivery`]). [`Notifier`] ties them together for the server.
//!
//! It must not sit on a request's path (the server feeds it from the audit stream
//! and a background job), must never see a secret value (audit records hold none;
//! sink URLs, signing secrets and passwords are `SecretString`s and never appear in
//! errors or logs), and must not talk to storage except through
//! `keyward_store::Store`'s outbox methods.

pub mod alert;
pub mod config;
pub mod delivery;
pub mod rules;
pub mod sink;
pub mod throttle;

pub use alert::{Alert, Severity};
pub use config::{AlertConfig, ConfigError};
pub use delivery::Notifier;
