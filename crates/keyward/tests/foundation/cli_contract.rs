//! The CLI contract from the issue, exactly as written there.

use crate::common::{InitOpts, ServeOpts, TestServer, assert_failed};
use serde_json::Value;

/// The IAM policy from the seed document (seeds/004, "IAM Permissions"), verbatim.
const SEED_POLICY: &str = include_str!("fixtures/seed_004_iam_policy.json");

#[test]
fn init_flags_and_arns() {
    let mut srv = TestServer::start_with(
        InitOpts {
            admin: Some(("KWTESTADMIN0001".into(), "test-admin-secret-0001".into())),
            account_id: Some("123456789012".into()),
            region: Some("eu-west-2".into()),
        },
        ServeOpts::default(),
    );
    assert_eq!(srv.init_json["access_key_id"], "KWTESTADMIN0001");
    assert_eq!(srv.init_json["secret_access_key"], "test-admin-secret-0001");
    assert_eq!(srv.init_json["account_id"], "123456789012");
    assert_eq!(srv.init_json["region"], "eu-west-2");
    // The database file in D ends in .db.
    let dbs: Vec<String> = std::fs::read_dir(&srv.data_dir)
        .expect("read data dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".db"))
        .collect();
    assert_eq!(dbs, vec!["keyward.db".to_string()]);

    // `keyward get NAME` prints the value alone.
    srv.cli_ok(&["put", "contract/db_url", "postgres://u:p@h/db"]);
    let out = srv.cli(&["get", "contract/db_url"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "postgres://u:p@h/db\n"
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // ARNs carry the account id and region given to init.
    let hist: Value =
        serde_json::from_str(&srv.cli_ok(&["history", "contract/db_url", "--json"])).expect("json");
    let arn = hist["arn"].as_str().expect("arn");
    assert!(
        arn.starts_with("arn:aws:secretsmanager:eu-west-2:123456789012:secret:contract/db_url-"),
        "{arn}"
    );
    assert!(
        hist["versions"][0]["created_by"]
            .as_str()
            .unwrap_or_default()
            .starts_with("arn:aws:iam::123456789012:user/"),
        "{hist}"
    );
    let ls: Value = serde_json::from_str(&srv.cli_ok(&["ls", "--json"])).expect("json");
    assert_eq!(ls[0]["arn"], arn, "{ls}");
    let p: Value = serde_json::from_str(&srv.cli_ok(&["principal", "create", "ci", "--json"]))
        .expect("principal create --json");
    assert_eq!(
        p["principal"]["arn"], "arn:aws:iam::123456789012:user/ci",
        "{p}"
    );

    // A wrong-length account id is refused.
    let d = tempfile::tempdir().expect("tempdir");
    let out = crate::common::bare_command()
        .args(["init", "--data-dir"])
        .arg(d.path().join("x"))
        .args(["--account-id", "12345"])
        .output()
        .expect("init");
    assert!(assert_failed(&out).contains("12 digits"));
    // Initialising twice is refused, and leaves the data alone.
    let out = crate::common::bare_command()
        .args(["init", "--json", "--data-dir"])
        .arg(&srv.data_dir)
        .output()
        .expect("init");
    assert!(assert_failed(&out).contains("already initialised"));
    srv.restart();
    assert_eq!(
        srv.cli_ok(&["get", "contract/db_url"]),
        "postgres://u:p@h/db\n"
    );
}

#[test]
fn seed_policy_is_accepted_verbatim_and_enforced() {
    let srv = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("policy.json");
    std::fs::write(&file, SEED_POLICY).expect("write policy");
    let file = file.to_str().expect("utf-8 path");
    srv.cli_ok(&["policy", "put", "secrets-access", "--file", file]);
    // Stored as given.
    let stored: Value =
        serde_json::from_str(&srv.cli_ok(&["policy", "get", "secrets-access"])).expect("json");
    let given: Value = serde_json::from_str(SEED_POLICY).expect("seed is JSON");
    assert_eq!(stored, given);

    let creds = |out: String| -> (String, String) {
        let v: Value = serde_json::from_str(&out).expect("principal create --json");
        (
            v["access_key_id"].as_str().expect("id").to_string(),
            v["secret_access_key"].as_str().expect("secret").to_string(),
        )
    };
    let (aid, asec) = creds(srv.cli_ok(&[
        "principal",
        "create",
        "ops-admin",
        "--tag",
        "Role=admin",
        "--json",
    ]));
    let (did, dsec) = creds(srv.cli_ok(&["principal", "create", "developer", "--json"]));
    srv.cli_ok(&["principal", "attach", "ops-admin", "secrets-access"]);
    srv.cli_ok(&["principal", "attach", "developer", "secrets-access"]);
    let show: Value =
        serde_json::from_str(&srv.cli_ok(&["principal", "show", "ops-admin", "--json"]))
            .expect("json");
    assert_eq!(show["policies"][0], "secrets-access", "{show}");

    srv.cli_ok(&["put", "staging/database/primary", "staging-pw"]);

    // Role=admin may create and update production secrets.
    let ok = |id: &str, secret: &str, args: &[&str]| {
        let out = srv.cli_as(id, secret, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let denied = |id: &str, secret: &str, args: &[&str]| {
        let out = srv.cli_as(id, secret, args);
        let stderr = assert_failed(&out);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(stderr.contains("not authorized"), "{args:?}: {stderr}");
    };
    ok(
        &aid,
        &asec,
        &["put", "production/database/primary", "prod-pw-1"],
    );
    ok(
        &aid,
        &asec,
        &["put", "production/database/primary", "prod-pw-2"],
    );
    // Without the tag: no writes, neither create nor put.
    denied(
        &did,
        &dsec,
        &["put", "production/database/primary", "dev-pw"],
    );
    denied(
        &did,
        &dsec,
        &["put", "production/api-keys/resend", "dev-key"],
    );
    // Both may read production, neither staging.
    assert_eq!(
        ok(&aid, &asec, &["get", "production/database/primary"]),
        "prod-pw-2\n"
    );
    assert_eq!(
        ok(&did, &dsec, &["get", "production/database/primary"]),
        "prod-pw-2\n"
    );
    denied(&aid, &asec, &["get", "staging/database/primary"]);
    denied(&did, &dsec, &["get", "staging/database/primary"]);
    // Nor write staging, even as Role=admin.
    denied(&aid, &asec, &["put", "staging/database/primary", "x"]);
    // Nor delete anything: the policy does not allow it.
    denied(&aid, &asec, &["rm", "production/database/primary"]);
    // The developer's attempt did not change the value.
    assert_eq!(
        srv.cli_ok(&["get", "production/database/primary"]),
        "prod-pw-2\n"
    );

    // Detaching takes the access away at once.
    srv.cli_ok(&["principal", "detach", "developer", "secrets-access"]);
    denied(&did, &dsec, &["get", "production/database/primary"]);

    // A document that is not a policy is refused, naming the file.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"Version": "2012-10-17", "Statement": "nope"}"#).expect("write");
    let out = srv.cli(&[
        "policy",
        "put",
        "bad",
        "--file",
        bad.to_str().expect("utf-8"),
    ]);
    assert!(assert_failed(&out).contains("bad.json"));
}
