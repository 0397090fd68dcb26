//! Alerts end to end (issue 16): a real `keyward serve` with `[[alert.sink]]` in its
//! config file, a real local webhook receiver on loopback, scripted scenarios, and
//! what arrives: exactly the expected alerts, signed, with no secret value anywhere.
//!
//! One test binary; each group is a module under `tests/alerts/`.

mod common;

#[path = "alerts/delivery.rs"]
mod delivery;
#[path = "alerts/receiver.rs"]
mod receiver;
#[path = "alerts/scenarios.rs"]
mod scenarios;
