//! Every native endpoint that authorizes applies the request's condition keys
//! (aws:SourceIp, aws:SecureTransport, aws:UserAgent), not only the secret ones: a
//! policy that denies by condition must hold on backups, root-key rotation, seal
//! and the change stream too, or a `Deny` written for them silently never matches.

use crate::common::{Auth, TestServer};
use crate::principal_with;
use serde_json::{Value, json};

const BLOCKED_AGENT: &str = "blocked-agent/1.0";

/// Allowed everything, except from a user agent the policy names.
fn deny_by_user_agent() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringLike": {"aws:UserAgent": "blocked-agent/*"}}}
    ]})
}

fn restore_body(s: &TestServer) -> Value {
    json!({
        "id": uuid_like(),
        "region": "us-east-1",
        "name": "restored",
        "arn": format!("arn:aws:secretsmanager:us-east-1:{}:secret:restored-AbCdEf", account(s)),
        "description": null,
        "kms_key_id": null,
        "tags": [],
        "metadata": {},
        "versions": [],
    })
}

fn uuid_like() -> &'static str {
    "6f1c3c8e-8a47-4d55-9d0a-3b0c7f0e2a11"
}

/// The server's account id, read off a secret's ARN.
fn account(s: &TestServer) -> String {
    s.put_secret("seed", "v");
    let history = s.get("/v1/history/seed").expect(200).json;
    let arn = history["arn"].as_str().expect("arn").to_string();
    arn.split(':').nth(4).expect("account in ARN").to_string()
}

#[test]
fn server_endpoints_apply_request_condition_keys() {
    let s = TestServer::start();
    let (id, secret) = principal_with(&s, "ua-limited", &deny_by_user_agent());
    let key = Auth::Key(id, secret);
    let restore = restore_body(&s);
    let cases: Vec<(&str, &str, Option<Value>)> = vec![
        ("POST", "/v1/sys/backup", Some(json!({}))),
        ("POST", "/v1/sys/restore-secret", Some(restore)),
        ("POST", "/v1/sys/rotate-root-key", Some(json!({}))),
        (
            "POST",
            "/v1/sys/rekey-shares",
            Some(json!({"key_shares": 3, "key_threshold": 2})),
        ),
        ("POST", "/v1/sys/seal", None),
        ("GET", "/v1/watch", None),
        ("POST", "/v1/mfa/enable", None),
        ("GET", "/v1/secrets", None),
        ("GET", "/v1/audit", None),
    ];
    for (method, path, body) in &cases {
        let body = body.as_ref().map(|b| b.to_string().into_bytes());
        let r = s.request(method, path, &key, body, Some(BLOCKED_AGENT));
        assert_eq!(
            r.status, 403,
            "{method} {path} from a denied user agent: {}",
            r.text
        );
        assert!(
            r.message().contains("explicit deny"),
            "{method} {path}: {}",
            r.text
        );
    }
    // The server is still unsealed and the key works from another agent: the
    // denials above came from the condition, not from the key.
    let r = s.request("GET", "/v1/secrets", &key, None, Some("keyward-test/1"));
    assert_eq!(r.status, 200, "{}", r.text);
    s.get("/v1/sys/seal-status").expect(200);
    assert_eq!(
        s.get("/v1/sys/seal-status").json["sealed"],
        json!(false),
        "a denied seal request sealed the server"
    );
}
