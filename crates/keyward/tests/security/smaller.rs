//! The smaller findings (issue 11, break 13): one value size limit, `RUST_LOG`,
//! and region names from the credential scope.

use crate::aws_server;
use crate::common::aws::{Service, call_with};
use crate::common::{InitOpts, TestServer};
use serde_json::json;
use std::time::{Duration, SystemTime};

#[test]
fn values_are_limited_to_65536_bytes_on_the_native_api_as_on_secrets_manager() {
    let s = TestServer::start();
    let at_limit = "a".repeat(65536);
    s.put_secret("size/at-limit", &at_limit);
    let over = s.put(
        &TestServer::secret_path("size/over"),
        &json!({"value": "a".repeat(65537)}),
    );
    assert_eq!(
        (over.status, over.code()),
        (413, "payload_too_large"),
        "{}",
        over.text
    );
    assert!(over.message().contains("65536"), "{}", over.text);
}

#[test]
fn rust_log_is_honoured_when_keyward_log_is_unset() {
    let mut s = TestServer::init_only(InitOpts::default());
    let mut cmd = s.serve_command();
    cmd.env_remove("KEYWARD_LOG").env("RUST_LOG", "trace");
    let mut child = cmd.spawn().expect("spawn");
    let healthy = crate::common::wait_for("the server", Duration::from_secs(60), || {
        reqwest::blocking::get(format!("{}/v1/sys/health", s.addr))
            .ok()
            .filter(|r| r.status().is_success())
    });
    drop(healthy);
    s.put_secret("log/x", "value");
    let _ = child.kill();
    let _ = child.wait();
    let log = s.stderr();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "no debug lines: {log}"
    );
    s.stop();
}

#[test]
fn a_made_up_region_in_the_credential_scope_is_refused() {
    let mut s = aws_server();
    let r = call_with(
        &s,
        Service::SecretsManager,
        "evil*region",
        "CreateSecret",
        &json!({"Name": "partition-probe", "SecretString": "v"}),
        s.admin_key(),
        SystemTime::now(),
        |_, _| {},
    );
    assert_eq!(r.error_type(), "InvalidSignatureException", "{}", r.json);
    assert!(r.message().contains("valid region"), "{}", r.json);
    // A real region other than the default works, and nothing was partitioned.
    s.sm("ap-southeast-2", "ListSecrets", json!({})).ok();
    s.stop();
    let db = rusqlite::Connection::open(s.db_path()).expect("open");
    let n: i64 = db
        .query_row(
            "SELECT count(*) FROM secrets WHERE region NOT IN ('us-east-1', 'ap-southeast-2')",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(n, 0);
}
