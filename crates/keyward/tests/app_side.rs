//! End-to-end tests of the application side (issue 4): `keyward run`, `check`,
//! `docs`, `example`, `gen`, `import`/`export`, `doctor`, `--offline-cache` and
//! `--watch`, against a real `keyward serve` on a free port.
//!
//! Helpers live in `app_side/harness.rs`; the tests are grouped by area.

#[path = "app_side/harness.rs"]
mod harness;

#[path = "app_side/run.rs"]
mod run;

#[path = "app_side/tools.rs"]
mod tools;

#[path = "app_side/transfer.rs"]
mod transfer;

#[path = "app_side/live.rs"]
mod live;

#[path = "app_side/rollover.rs"]
mod rollover;
