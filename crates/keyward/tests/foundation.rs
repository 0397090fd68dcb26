//! End-to-end tests of keyward's foundation (issue 2): a real `keyward serve`
//! process, driven through the CLI and the native HTTP API.
//!
//! One test binary; each area is a module under `tests/foundation/`.

mod common;

#[path = "foundation/auth_matrix.rs"]
mod auth_matrix;
#[path = "foundation/bad_input.rs"]
mod bad_input;
#[path = "foundation/cli_contract.rs"]
mod cli_contract;
#[path = "foundation/no_leaks.rs"]
mod no_leaks;
#[path = "foundation/old_format.rs"]
mod old_format;
#[path = "foundation/restart_dev.rs"]
mod restart_dev;
#[path = "foundation/root_key.rs"]
mod root_key;
#[path = "foundation/server_config.rs"]
mod server_config;
#[path = "foundation/tamper.rs"]
mod tamper;
#[path = "foundation/version_limits.rs"]
mod version_limits;
#[path = "foundation/versions.rs"]
mod versions;
