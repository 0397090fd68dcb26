//! Shared helpers: a server with a `[rotation]` config, reading values and status.

use crate::common::{ServeOpts, TestServer, wait_for};
use serde_json::Value;
use std::time::Duration;

/// A server whose scheduler looks every 200 ms and retries after 300 ms; `extra`
/// is appended to the `[rotation]` section.
pub fn server_with(extra: &str) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir").keep();
    let cfg = dir.join("server.toml");
    std::fs::write(
        &cfg,
        format!("[rotation]\ncheck_every = 0.2\nretry_base = 0.3\nretry_max = 1\n{extra}\n"),
    )
    .expect("write server config");
    TestServer::start_with(
        Default::default(),
        ServeOpts {
            args: vec!["--config".into(), cfg.display().to_string()],
            ..Default::default()
        },
    )
}

/// `keyward get NAME [--stage S] [--field F]`, trimmed.
pub fn get(s: &TestServer, name: &str, stage: &str, field: Option<&str>) -> String {
    let mut args = vec!["get", name, "--stage", stage];
    if let Some(f) = field {
        args.extend(["--field", f]);
    }
    s.cli_ok(&args).trim_end_matches('\n').to_string()
}

pub fn status(s: &TestServer, name: &str) -> Value {
    serde_json::from_str(&s.cli_ok(&["rotation", "status", name, "--json"])).expect("status JSON")
}

/// Waits until `name` has no rotation in progress and was rotated at least once.
pub fn wait_rotated(s: &TestServer, name: &str) -> Value {
    wait_for("the rotation to complete", Duration::from_secs(20), || {
        let st = status(s, name);
        (st["in_progress"].is_null() && !st["last_rotated"].is_null()).then_some(st)
    })
}

/// Audit records with this action, newest first.
pub fn audited(s: &TestServer, action: &str) -> Vec<Value> {
    s.audit("")
        .into_iter()
        .filter(|r| r["action"] == action)
        .collect()
}

/// Number of versions `keyward history` lists.
pub fn version_count(s: &TestServer, name: &str) -> usize {
    let h: Value =
        serde_json::from_str(&s.cli_ok(&["history", name, "--json"])).expect("history JSON");
    h["versions"].as_array().map_or(0, Vec::len)
}
