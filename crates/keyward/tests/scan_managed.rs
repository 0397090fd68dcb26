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

/// The stored values of the every-form test: none is recognised by a built-in rule.
const DSN: &str = "postgres://kwapp:Vq7pLx93Tz@db-main.internal:5432/ledger";
const YAML_TOKEN: &str = "yml-Rt5Wq9Kx2Lm7Np3";
const JSON_TOKEN: &str = "jsn-Hb6Vc1Xz8Qe4Ws0";

fn managed_report(srv: &TestServer, dir: &str, extra: &[&str]) -> (String, Vec<Value>) {
    let mut args = vec![
        "scan",
        dir,
        "--managed",
        "--format",
        "json",
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    let out = srv.cli(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let findings: Value = serde_json::from_str(&stdout).expect("json findings");
    let managed = findings
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["rule"] == "managed-secret")
        .cloned()
        .collect();
    (stdout, managed)
}

#[test]
fn managed_scan_finds_values_in_every_form_and_prints_no_part_of_them() {
    let srv = TestServer::start();
    srv.cli_ok(&["put", "/myapp/prod/payments_token", STORED]);
    srv.cli_ok(&["put", "/myapp/prod/database_url", DSN]);
    srv.cli_ok(&["put", "/myapp/prod/yaml_token", YAML_TOKEN]);
    srv.cli_ok(&[
        "put",
        "/myapp/prod/payments",
        &format!(r#"{{"token":"{JSON_TOKEN}"}}"#),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        // file, contents, secret path, line
        (
            "settings.py",
            format!("DEBUG = False\nPAYMENTS_TOKEN = \"{STORED}\"\n"),
            "/myapp/prod/payments_token",
            2,
        ),
        (
            ".env",
            format!("# local\nDATABASE_URL={DSN}\n"),
            "/myapp/prod/database_url",
            2,
        ),
        (
            "NOTES.txt",
            format!("the database:\n\n{DSN}\n"),
            "/myapp/prod/database_url",
            3,
        ),
        (
            "config.yaml",
            format!("api:\n  token: {YAML_TOKEN}\n"),
            "/myapp/prod/yaml_token",
            2,
        ),
        (
            "settings.json",
            format!("{{\n  \"payments\": {{\n    \"token\": \"{JSON_TOKEN}\"\n  }}\n}}\n"),
            "/myapp/prod/payments#token",
            3,
        ),
    ];
    for (name, body, _, _) in &files {
        std::fs::write(dir.path().join(name), body).expect("write");
    }
    let dir_arg = dir.path().to_str().expect("utf-8 path");
    let (stdout, managed) = managed_report(&srv, dir_arg, &[]);
    for (name, _, secret, line) in &files {
        let hit = managed
            .iter()
            .find(|f| f["path"].as_str().unwrap_or_default().ends_with(name))
            .unwrap_or_else(|| panic!("no managed hit in {name}: {managed:?}"));
        assert_eq!(hit["secret_path"], *secret, "{name}");
        assert_eq!(hit["line"], *line, "{name}");
    }
    assert_eq!(managed.len(), files.len(), "{managed:?}");
    // No part of any value: the preview is its length only, and not even 4
    // consecutive characters of a value appear anywhere in the report.
    for f in &managed {
        let p = f["preview"].as_str().unwrap_or_default();
        assert!(
            p.strip_prefix("********(")
                .is_some_and(|r| r.ends_with(" chars)")),
            "{p}"
        );
    }
    for value in [STORED, DSN, YAML_TOKEN, JSON_TOKEN] {
        for w in value.as_bytes().windows(4) {
            let w = std::str::from_utf8(w).expect("ascii");
            if w.chars().all(|c| c.is_ascii_alphanumeric()) {
                assert!(!stdout.contains(w), "{w:?} of a value in the report");
            }
        }
    }
    // --show-prefix opts in to the first characters.
    let (_, shown) = managed_report(&srv, dir_arg, &["--show-prefix"]);
    assert!(
        shown.iter().any(|f| f["preview"]
            .as_str()
            .is_some_and(|p| p.starts_with(&YAML_TOKEN[..4]))),
        "{shown:?}"
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
