//! Recovery (issue 17): Shamir unseal, break-glass access, root-key rotation and
//! encrypted backups, each against real `keyward serve` processes and the CLI.
//!
//! One test binary; each capability is a module under `tests/recovery/`.

mod common;

#[path = "recovery/backup.rs"]
mod backup;
#[path = "recovery/break_glass.rs"]
mod break_glass;
#[path = "recovery/rotation.rs"]
mod rotation;
#[path = "recovery/shamir.rs"]
mod shamir;

use common::{InitOpts, TestServer};
use serde_json::Value;
use std::process::{Output, Stdio};

/// A data directory whose root key is split into `n` shares, `k` needed; the
/// server is started (sealed). Returns the server and the shares.
pub fn sealed_with_shares(n: u8, k: u8) -> (TestServer, Vec<String>) {
    let (n, k) = (n.to_string(), k.to_string());
    let mut s = TestServer::init_only_with_args(
        InitOpts::default(),
        &["--key-shares", &n, "--key-threshold", &k],
    );
    assert!(
        !s.data_dir.join("root.key").exists(),
        "a split root key must not be written to disk"
    );
    let shares: Vec<String> = s.init_json["unseal_shares"]
        .as_array()
        .expect("init --json has unseal_shares")
        .iter()
        .map(|v| v.as_str().expect("a share is a string").to_string())
        .collect();
    s.spawn();
    s.wait_health(503);
    (s, shares)
}

/// `keyward operator ARGS --json` as the admin; the parsed output and the process result.
pub fn operator_json(s: &TestServer, args: &[&str]) -> (Value, Output) {
    let mut all = vec!["operator"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = s.cli(&all);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (v, out)
}

/// `keyward operator unseal SHARE --json`: the seal status it printed.
#[track_caller]
pub fn unseal_with(s: &TestServer, share: &str) -> Value {
    let (v, out) = operator_json(s, &["unseal", share]);
    assert!(
        out.status.success(),
        "operator unseal failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    v
}

/// Runs the CLI as the admin with `input` on standard input.
pub fn cli_with_stdin(s: &TestServer, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = s
        .cli_command(&s.access_key_id, &s.secret_access_key)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn keyward");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait keyward")
}
