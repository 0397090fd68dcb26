//! `keyward rotation set`, `keyward rotate` (one, --type, --all, --dry-run),
//! `rotation status`, failures and what the audit log keeps.

use super::support::*;
use crate::common::{TestServer, assert_failed};
use serde_json::{Value, json};

const OLD_KEY: &str = "re_old_key_0123456789abcdef";

fn api_key_secret(s: &TestServer) {
    let value = json!({"api_key": OLD_KEY, "owner": "billing"}).to_string();
    s.put_secret("production/api-keys/resend", &value);
    s.cli_ok(&[
        "rotation",
        "set",
        "production/api-keys/resend",
        "--rotator",
        "generated",
        "--format",
        "hex",
        "--length",
        "20",
        "--field",
        "api_key",
    ]);
}

#[test]
fn the_seed_form_rotates_an_api_key_keeping_the_previous_one() {
    let s = TestServer::start();
    api_key_secret(&s);
    let out = s
        .cli_command(&s.access_key_id, &s.secret_access_key)
        .args([
            "rotate",
            "--type",
            "api-key",
            "--name",
            "resend",
            "--env",
            "production",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_key = get(
        &s,
        "production/api-keys/resend",
        "AWSCURRENT",
        Some("api_key"),
    );
    assert_eq!(new_key.len(), 40, "20 bytes in hex");
    assert_ne!(new_key, OLD_KEY);
    assert_eq!(
        get(
            &s,
            "production/api-keys/resend",
            "AWSCURRENT",
            Some("previous_key")
        ),
        OLD_KEY
    );
    assert_eq!(
        get(
            &s,
            "production/api-keys/resend",
            "AWSCURRENT",
            Some("owner")
        ),
        "billing"
    );
    assert_eq!(
        get(
            &s,
            "production/api-keys/resend",
            "AWSPREVIOUS",
            Some("api_key")
        ),
        OLD_KEY
    );
    let rotated_at = get(
        &s,
        "production/api-keys/resend",
        "AWSCURRENT",
        Some("rotated_at"),
    );
    assert!(
        rotated_at.ends_with('Z') && rotated_at.contains('T'),
        "{rotated_at}"
    );

    let st = status(&s, "production/api-keys/resend");
    assert_eq!(st["runs_as"], "generated");
    assert!(!st["last_rotated"].is_null());
    assert!(st["in_progress"].is_null());
    assert!(st["last_error"].is_null());

    // Each step audited by the system principal, naming the version, never a value.
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        let recs = audited(&s, &format!("keyward:RotationStep/{step}"));
        assert_eq!(recs.len(), 1, "one record of {step}");
        assert_eq!(recs[0]["principal"], "keyward:system");
        assert!(recs[0]["version_id"].is_string());
    }
    let all = serde_json::to_string(&s.audit("")).unwrap();
    for value in [OLD_KEY, new_key.as_str()] {
        assert!(!all.contains(value), "a value reached the audit log");
        assert!(
            !s.stderr().contains(value),
            "a value reached the server log"
        );
    }
}

#[test]
fn the_seed_form_refuses_to_guess_the_environment() {
    let s = TestServer::start();
    let out = s
        .cli_command(&s.access_key_id, &s.secret_access_key)
        .env_remove("ENVIRONMENT")
        .args(["rotate", "--type", "database", "--name", "primary"])
        .output()
        .expect("run");
    let err = assert_failed(&out);
    assert!(err.contains("--env"), "{err}");
    // $ENVIRONMENT is the seed's default.
    let out = s
        .cli_command(&s.access_key_id, &s.secret_access_key)
        .env("ENVIRONMENT", "staging")
        .args(["rotate", "--type", "database", "--name", "primary"])
        .output()
        .expect("run");
    let err = assert_failed(&out);
    assert!(err.contains("staging/database/primary"), "{err}");
}

#[test]
fn a_dry_run_changes_nothing_but_its_own_audit_record() {
    let s = TestServer::start();
    api_key_secret(&s);
    s.put_secret("production/generated/session", "s".repeat(40).as_str());
    s.cli_ok(&[
        "rotation",
        "set",
        "production/generated/session",
        "--rotator",
        "generated",
        "--format",
        "django",
        "--schedule",
        "rate(30 days)",
    ]);
    let before_status = s.cli_ok(&["rotation", "status", "--json"]);
    let before_values = (
        s.cli_ok(&["history", "production/api-keys/resend", "--json"]),
        s.cli_ok(&["history", "production/generated/session", "--json"]),
    );
    let before_audit = s.audit("");
    let out = s.cli_ok(&["rotate", "--all", "--dry-run"]);
    assert!(
        out.contains("production/api-keys/resend: would rotate"),
        "{out}"
    );
    assert!(
        out.contains("production/generated/session: would rotate"),
        "{out}"
    );
    assert!(out.contains("rate(30 days)"), "{out}");
    let out = s.cli_ok(&["rotate", "production/api-keys/resend", "--dry-run"]);
    assert!(out.contains("would rotate"), "{out}");
    assert_eq!(s.cli_ok(&["rotation", "status", "--json"]), before_status);
    assert_eq!(
        (
            s.cli_ok(&["history", "production/api-keys/resend", "--json"]),
            s.cli_ok(&["history", "production/generated/session", "--json"]),
        ),
        before_values
    );
    let after_audit = s.audit("");
    let new: Vec<&Value> = after_audit[..after_audit.len() - before_audit.len()]
        .iter()
        .filter(|r| {
            !matches!(
                r["action"].as_str(),
                Some(
                    "secretsmanager:ListSecrets"
                        | "secretsmanager:DescribeSecret"
                        | "secretsmanager:ListSecretVersionIds"
                        | "cloudtrail:LookupEvents"
                )
            )
        })
        .collect();
    assert!(!new.is_empty());
    assert!(
        new.iter().all(|r| r["action"] == "keyward:RotationDryRun"),
        "the dry run wrote more than its own record: {new:?}"
    );

    // Then the real thing rotates both.
    let out = s.cli_ok(&["rotate", "--all"]);
    assert!(out.contains("production/api-keys/resend: rotated"), "{out}");
    assert!(
        out.contains("production/generated/session: rotated"),
        "{out}"
    );
    assert_eq!(
        get(&s, "production/generated/session", "AWSCURRENT", None)
            .chars()
            .count(),
        50
    );
}

#[test]
fn a_failed_rotation_leaves_awscurrent_and_is_audited_as_rotation_failed() {
    let s = TestServer::start();
    s.put_secret("app/plain", "not-json-value-123");
    // --field on a value that is not JSON: createSecret cannot work.
    s.cli_ok(&[
        "rotation",
        "set",
        "app/plain",
        "--rotator",
        "generated",
        "--field",
        "api_key",
    ]);
    let out = s.cli(&["rotate", "app/plain"]);
    let err = assert_failed(&out);
    assert!(err.contains("createSecret"), "{err}");
    assert!(
        !err.contains("not-json-value-123"),
        "the value leaked into the error"
    );
    assert_eq!(
        get(&s, "app/plain", "AWSCURRENT", None),
        "not-json-value-123"
    );
    let failed = audited(&s, "keyward:RotationFailed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["outcome"], "error");
    assert_eq!(failed[0]["error_code"], "createSecret");
    let st = status(&s, "app/plain");
    assert!(st["last_error"].as_str().unwrap().contains("createSecret"));
    assert!(
        st["in_progress"].is_null(),
        "a configuration error rolls back"
    );
    // Nothing pending remains: the next rotation is not blocked.
    let h: Value = serde_json::from_str(&s.cli_ok(&["history", "app/plain", "--json"])).unwrap();
    assert!(!h.to_string().contains("AWSPENDING"), "{h}");
}

#[test]
fn rotating_needs_a_configuration_and_cancel_says_when_nothing_is_in_progress() {
    let s = TestServer::start();
    s.put_secret("app/client-driven", "v1-value");
    let r = s.post("/v1/rotate/app/client-driven", &json!({}));
    assert_eq!(r.status, 400, "no rotation configured: {}", r.text);
    s.cli_ok(&[
        "rotation",
        "set",
        "app/client-driven",
        "--rotator",
        "generated",
    ]);
    let first = s
        .post("/v1/rotate/app/client-driven", &json!({}))
        .expect(200);
    assert_eq!(first.json["rotated"], true);
    // Cancel with nothing in progress says so.
    let out = s.cli_ok(&["rotation", "cancel", "app/client-driven"]);
    assert!(out.contains("no rotation was in progress"), "{out}");
}

#[test]
fn a_leaked_value_found_by_scan_managed_rotate_is_rotated_and_the_reason_audited() {
    let s = TestServer::start();
    let leaked = "tok_live_Zk3m9QpL2xV8wR4nB7yT";
    s.put_secret("production/api-keys/stripe", leaked);
    s.put_secret(
        "production/api-keys/untouched",
        "tok_live_safe_Yh6Gf5Dd4Ss3Aa2Q",
    );
    s.cli_ok(&[
        "rotation",
        "set",
        "production/api-keys/stripe",
        "--rotator",
        "generated",
        "--format",
        "urlsafe",
    ]);
    s.cli_ok(&[
        "rotation",
        "set",
        "production/api-keys/untouched",
        "--rotator",
        "generated",
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("deploy.sh"),
        format!("export STRIPE_KEY={leaked}\n"),
    )
    .expect("write");
    let out = s.cli(&[
        "scan",
        "--managed",
        "--rotate",
        "--no-progress",
        dir.path().to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rotated leaked secret production/api-keys/stripe"),
        "{err}"
    );
    assert_ne!(
        get(&s, "production/api-keys/stripe", "AWSCURRENT", None),
        leaked
    );
    assert_eq!(
        get(&s, "production/api-keys/stripe", "AWSPREVIOUS", None),
        leaked
    );
    assert_eq!(
        get(&s, "production/api-keys/untouched", "AWSCURRENT", None),
        "tok_live_safe_Yh6Gf5Dd4Ss3Aa2Q",
        "a secret that did not leak was rotated"
    );
    let why: Vec<Value> = audited(&s, "secretsmanager:RotateSecret")
        .into_iter()
        .filter(|r| {
            r["user_agent"]
                .as_str()
                .is_some_and(|u| u.contains("keyward-rotate-reason/leak"))
        })
        .collect();
    assert_eq!(why.len(), 1, "the leak is the recorded reason");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(leaked));
}
