//! The managed scan's fingerprints are authorized like reads (issue 11, break 2).

use crate::common::{Auth, TestServer};
use crate::principal_with;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

const PROD: &str = "prod-database-password-kept-secret-1";
const DEV: &str = "dev-database-password-fine-to-scan-1";

#[test]
fn an_explicit_deny_on_values_also_denies_their_fingerprints() {
    let s = TestServer::start();
    s.put_secret("/myapp/prod/db", PROD);
    s.put_secret("/myapp/dev/db", DEV);
    let (id, secret) = principal_with(
        &s,
        "scanner",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
             "Resource": "arn:aws:secretsmanager:*:*:secret:/myapp/prod/*"}
        ]}),
    );
    let r = s
        .request(
            "POST",
            "/v1/scan/fingerprints",
            &Auth::Key(id, secret),
            Some(b"{}".to_vec()),
            None,
        )
        .expect(200);
    let names: Vec<&str> = r.json["fingerprints"]
        .as_array()
        .expect("fingerprints")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(names.contains(&"/myapp/dev/db"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("/myapp/prod/")),
        "{names:?}"
    );
    assert!(r.json["skipped"].as_u64().unwrap_or(0) >= 1, "{}", r.text);

    // Not even under another name: the prod value's fingerprint is absent.
    let key = hex::decode(r.json["key"].as_str().expect("key")).expect("hex key");
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("hmac");
    m.update(PROD.as_bytes());
    let prod_fp = hex::encode(m.finalize().into_bytes());
    assert!(
        !r.text.contains(&prod_fp),
        "the denied value was fingerprinted"
    );

    // Each secret fingerprinted is audited on its own.
    let records = s.audit("");
    let per_secret: Vec<&str> = records
        .iter()
        .filter(|r| r["action"] == "keyward:GetSecretFingerprint" && r["outcome"] == "success")
        .filter_map(|r| r["resource"].as_str())
        .collect();
    assert_eq!(per_secret.len(), 1, "{per_secret:?}");
    assert!(
        per_secret[0].contains(":secret:/myapp/dev/db"),
        "{per_secret:?}"
    );
}
