//! End-to-end tests of the rotation engine (issue 14): a real `keyward serve`
//! driven through the CLI, the native API and the AWS API.

mod common;

#[path = "rotation/cli.rs"]
mod cli;
#[path = "rotation/crash.rs"]
mod crash;
#[path = "rotation/pg_crash.rs"]
mod pg_crash;
#[path = "rotation/schedule.rs"]
mod schedule;
#[path = "rotation/support.rs"]
mod support;
#[path = "rotation/webhook.rs"]
mod webhook;

// The alert tests' loopback receiver, here behind a rotation service.
#[allow(dead_code)]
#[path = "alerts/receiver.rs"]
mod receiver;
