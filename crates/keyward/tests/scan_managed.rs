//! `keyward scan --managed` (issue 5): the scanner finds a value stored in keyward
//! planted in a file, naming the secret's path, while only keyed fingerprints cross
//! the API — never the value.

mod common;

use common::{TestServer, allow};
use serde_json::{Value, json};

/// No built-in rule matches this: only the store knows it is a secret.
const STORED: &str = "mgd-Zq8v7XkP2nWm4RtY9sLbQ3";

fn plant(dir: &std::path::Path) {
    std::fs::write(
        dir.join("settings.py"),
        format!("DEBUG = False\nALLOWED_HOSTS = ['*']\nPAYMENTS_TOKEN = \"{STORED}\"\n"),
    )
    .expect("write settings.py");
}

#[test]
fn managed_scan_finds_a_stored_value_without_receiving_it() {
    let srv = TestServer::start();
    srv.cli_ok(&["put", "/myapp/prod/payments_token", STORED]);
    srv.cli_ok(&[
        "put",
        "/myapp/prod/db",
        r#"{"username":"app","password":"pw-Lk29xQm8RtV4nB7z"}"#,
    ]);

    // What the fingerprint endpoint returns holds no value.
    let r = srv.post("/v1/scan/fingerprints", &json!({})).expect(200);
    assert!(!r.text.contains(STORED), "a stored value crossed the API");
    assert!(
        !r.text.contains("pw-Lk29xQm8RtV4nB7z"),
        "a JSON field value crossed the API"
    );
    assert_eq!(r.json["key"].as_str().map(str::len), Some(64));

    let dir = tempfile::tempdir().expect("tempdir");
    plant(dir.path());
    std::fs::write(
        dir.path().join("deploy.sh"),
        "export DB_PASSWORD=pw-Lk29xQm8RtV4nB7z\n",
    )
    .expect("write");

    let dir_arg = dir.path().to_str().expect("utf-8 path");
    // Without --managed nothing fires: no pattern knows this value.
    let plain = srv.cli(&["scan", dir_arg, "--format", "json", "--no-progress"]);
    let plain_findings: Value = serde_json::from_slice(&plain.stdout).expect("json");
    assert!(
        plain_findings
            .as_array()
            .expect("array")
            .iter()
            .all(|f| f["rule"] != "managed-secret"),
        "{plain_findings}"
    );

    let out = srv.cli(&[
        "scan",
        dir_arg,
        "--managed",
        "--format",
        "json",
        "--no-progress",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains(STORED),
        "the report printed the secret in full"
    );
    let findings: Value = serde_json::from_str(&stdout).expect("json findings");
    let managed: Vec<&Value> = findings
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["rule"] == "managed-secret")
        .collect();
    let hit = managed
        .iter()
        .find(|f| f["secret_path"] == "/myapp/prod/payments_token")
        .unwrap_or_else(|| panic!("no managed hit for the planted value: {findings}"));
    assert_eq!(hit["line"], 3);
    assert!(
        hit["path"]
            .as_str()
            .unwrap_or_default()
            .ends_with("settings.py")
    );
    assert!(
        managed
            .iter()
            .any(|f| f["secret_path"] == "/myapp/prod/db#password"),
        "JSON field not found: {findings}"
    );

    // The request was audited.
    let audit = srv.get("/v1/audit?limit=20").expect(200);
    assert!(
        audit.json["records"]
            .as_array()
            .expect("records")
            .iter()
            .any(|r| r["action"] == "keyward:GetSecretFingerprints" && r["outcome"] == "success"),
        "{}",
        audit.text
    );
}

#[test]
fn fingerprints_respect_policies() {
    let srv = TestServer::start();
    srv.cli_ok(&["put", "/myapp/prod/payments_token", STORED]);
    let (id, secret) = srv.create_principal("scanner", &[]);
    // May list, but not fingerprint: gets nothing.
    srv.put(
        "/v1/policies/list-only",
        &allow(&["secretsmanager:ListSecrets"]),
    )
    .expect(200);
    srv.request(
        "PUT",
        "/v1/principals/scanner/policies/list-only",
        &common::Auth::Admin,
        None,
        None,
    )
    .expect(200);
    let r = srv
        .request(
            "POST",
            "/v1/scan/fingerprints",
            &common::Auth::Key(id.clone(), secret.clone()),
            Some(b"{}".to_vec()),
            None,
        )
        .expect(200);
    assert_eq!(
        r.json["fingerprints"].as_array().map(Vec::len),
        Some(0),
        "{}",
        r.text
    );
    assert_eq!(r.json["skipped"], 1);
    // No credentials: refused.
    srv.request(
        "POST",
        "/v1/scan/fingerprints",
        &common::Auth::None,
        Some(b"{}".to_vec()),
        None,
    )
    .expect(403);
}
