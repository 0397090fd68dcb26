//! Regression tests for the breaks a hostile probe of keyward found (issue 11):
//! each attack is replayed against a real `keyward serve` process, and each of these
//! tests failed against the build before its fix (run them against an older build
//! with `KEYWARD_TEST_BIN=path/to/keyward`).
//!
//! One test binary; each break is a module under `tests/security/`.

mod common;

#[path = "security/auth_limits.rs"]
mod auth_limits;
#[path = "security/batch.rs"]
mod batch;
#[path = "security/by_path.rs"]
mod by_path;
#[path = "security/conditions.rs"]
mod conditions;
#[path = "security/crash_audit.rs"]
mod crash_audit;
#[path = "security/denials.rs"]
mod denials;
#[path = "security/fail_closed.rs"]
mod fail_closed;
#[path = "security/fingerprints.rs"]
mod fingerprints;
#[path = "security/limits.rs"]
mod limits;
#[path = "security/mfa.rs"]
mod mfa;
#[path = "security/replication.rs"]
mod replication;
#[path = "security/smaller.rs"]
mod smaller;
#[path = "security/store_integrity.rs"]
mod store_integrity;
#[path = "security/tls.rs"]
mod tls;
#[path = "security/unseal.rs"]
mod unseal;

use common::{InitOpts, ServeOpts, TestServer};
use serde_json::Value;

pub const ACCOUNT: &str = "123456789012";

/// A server with a known account id and admin key, so ARNs are predictable.
pub fn aws_server() -> TestServer {
    aws_server_with(&[])
}

/// [`aws_server`] with extra `serve` arguments.
pub fn aws_server_with(args: &[&str]) -> TestServer {
    TestServer::start_with(
        InitOpts {
            admin: Some((
                "AKIASECURITYTEST0001".into(),
                "security-test-admin-secret-000000000000".into(),
            )),
            account_id: Some(ACCOUNT.into()),
            region: Some("us-east-1".into()),
        },
        ServeOpts {
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
            tls_ca: None,
        },
    )
}

/// A principal holding `doc` as its only policy; returns its key.
pub fn principal_with(s: &TestServer, name: &str, doc: &Value) -> (String, String) {
    let key = s.create_principal(name, &[]);
    s.grant(name, &format!("{name}-policy"), doc);
    key
}

/// Runs `sql` against the stopped server's database, then starts it again.
pub fn edit_database(s: &mut TestServer, sql: &str) {
    s.stop();
    let db = rusqlite::Connection::open(s.db_path()).expect("open database");
    db.execute_batch(&format!("PRAGMA foreign_keys = ON; {sql}"))
        .expect("edit database");
    drop(db);
    s.spawn();
    s.wait_healthy();
}
