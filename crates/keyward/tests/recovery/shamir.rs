//! Shamir unseal: every K-subset of the N shares unseals, no (K-1)-subset does,
//! a corrupted share is named, and a sealed server refuses every secret
//! operation on both APIs.

use super::{operator_json, sealed_with_shares, unseal_with};
use crate::common::{Auth, TestServer, assert_failed};
use serde_json::json;
use sha2::{Digest, Sha256};

fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    (0u32..(1 << n))
        .filter(|m| m.count_ones() as usize == k)
        .map(|m| (0..n).filter(|i| m & (1 << i) != 0).collect())
        .collect()
}

fn status(s: &TestServer) -> serde_json::Value {
    let (v, out) = operator_json(s, &["status"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    v
}

#[test]
fn every_threshold_subset_of_the_shares_unseals_and_no_smaller_one_does() {
    let (s, shares) = sealed_with_shares(5, 3);
    assert_eq!(shares.len(), 5);
    let st = status(&s);
    assert_eq!(st["sealed"], json!(true), "{st}");
    assert_eq!(
        (st["threshold"].as_u64(), st["progress"].as_u64()),
        (Some(3), Some(0))
    );

    for subset in subsets(5, 2) {
        for (given, &i) in subset.iter().enumerate() {
            let v = unseal_with(&s, &shares[i]);
            assert_eq!(v["sealed"], json!(true), "{subset:?}: {v}");
            assert_eq!(v["progress"].as_u64(), Some(given as u64 + 1), "{v}");
        }
        assert_eq!(
            status(&s)["sealed"],
            json!(true),
            "2 shares {subset:?} unsealed"
        );
        let (v, _) = operator_json(&s, &["unseal", "--reset"]);
        assert_eq!(v["progress"].as_u64(), Some(0), "{v}");
    }

    for subset in subsets(5, 3) {
        for &i in &subset[..2] {
            unseal_with(&s, &shares[i]);
        }
        let v = unseal_with(&s, &shares[subset[2]]);
        assert_eq!(v["sealed"], json!(false), "{subset:?} did not unseal: {v}");
        // Unsealed for real: the admin reads and writes.
        s.put_secret("app/shamir", &format!("v{subset:?}"));
        s.cli_ok(&["operator", "seal"]);
        assert_eq!(status(&s)["sealed"], json!(true));
    }
    // Every share-unseal is in the audit chain.
    unseal_with(&s, &shares[0]);
    unseal_with(&s, &shares[1]);
    unseal_with(&s, &shares[4]);
    let all = s.audit("");
    let unseals: Vec<_> = all
        .into_iter()
        .filter(|r| r["action"] == json!("keyward:Unseal"))
        .collect();
    assert!(
        unseals.len() >= 10 * 3 + 10 * 2,
        "{} unseal records",
        unseals.len()
    );
    s.cli_ok(&["audit", "verify"]);
}

/// A share whose checksum is recomputed after changing its payload: well formed,
/// never issued.
fn forge(share: &str) -> String {
    let parts: Vec<&str> = share.split('-').collect();
    let mut payload = parts[4].to_string().into_bytes();
    payload[0] = if payload[0] == b'0' { b'1' } else { b'0' };
    let body = format!(
        "{}-{}-{}-{}-{}",
        parts[0],
        parts[1],
        parts[2],
        parts[3],
        String::from_utf8(payload).expect("ascii")
    );
    let sum = hex::encode(&Sha256::digest(body.as_bytes())[..4]);
    format!("{body}-{sum}")
}

#[test]
fn a_corrupted_or_foreign_share_is_named_and_not_counted() {
    let (s, shares) = sealed_with_shares(3, 2);
    // One mistyped character.
    let mut typo = shares[1].clone().into_bytes();
    let pos = typo.len() - 15;
    typo[pos] = if typo[pos] == b'a' { b'b' } else { b'a' };
    let err = assert_failed(&s.cli(&[
        "operator",
        "unseal",
        &String::from_utf8(typo).expect("ascii"),
    ]));
    assert!(err.contains("share 2 is mistyped"), "{err}");

    // A share of another data directory's key.
    let (_other, other_shares) = sealed_with_shares(3, 2);
    let err = assert_failed(&s.cli(&["operator", "unseal", &other_shares[0]]));
    assert!(err.contains("share 1 belongs to root key"), "{err}");

    // Well formed but never issued (wait out the backoff the last failure set).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let err = assert_failed(&s.cli(&["operator", "unseal", &forge(&shares[2])]));
    assert!(err.contains("share 3 was not issued"), "{err}");

    assert_eq!(
        operator_json(&s, &["status"]).0["progress"].as_u64(),
        Some(0)
    );
    std::thread::sleep(std::time::Duration::from_millis(2100));
    unseal_with(&s, &shares[0]);
    let v = unseal_with(&s, &shares[2]);
    assert_eq!(v["sealed"], json!(false), "{v}");
}

#[test]
fn a_sealed_server_refuses_every_secret_operation_on_both_apis() {
    let (mut s, shares) = sealed_with_shares(3, 2);
    unseal_with(&s, &shares[0]);
    unseal_with(&s, &shares[1]);
    s.put_secret("app/db", "s3cret-value");
    s.sm(
        "us-east-1",
        "CreateSecret",
        json!({"Name": "aws/one", "SecretString": "x"}),
    )
    .ok();
    // A restart forgets the key: the server is sealed again.
    s.stop();
    s.spawn();
    s.wait_health(503);
    unseal_with(&s, &shares[2]); // progress only: still sealed

    let native = [
        ("GET", "/v1/secrets/app%2Fdb", None),
        ("GET", "/v1/secrets", None),
        ("PUT", "/v1/secrets/app%2Fdb", Some(json!({"value": "new"}))),
        ("DELETE", "/v1/secrets/app%2Fdb", None),
        ("GET", "/v1/history/app%2Fdb", None),
        ("GET", "/v1/principals", None),
        ("GET", "/v1/audit", None),
        ("POST", "/v1/sys/backup", Some(json!({}))),
        ("POST", "/v1/sys/rotate-root-key", Some(json!({}))),
    ];
    for (method, path, body) in native {
        let r = s.request(
            method,
            path,
            &Auth::Admin,
            body.map(|b| b.to_string().into_bytes()),
            None,
        );
        assert_eq!(r.status, 503, "{method} {path} while sealed: {}", r.text);
        assert!(!r.text.contains("s3cret-value"));
    }
    let sm_ops = [
        ("GetSecretValue", json!({"SecretId": "aws/one"})),
        ("DescribeSecret", json!({"SecretId": "aws/one"})),
        ("ListSecrets", json!({})),
        (
            "PutSecretValue",
            json!({"SecretId": "aws/one", "SecretString": "y"}),
        ),
        (
            "CreateSecret",
            json!({"Name": "aws/two", "SecretString": "y"}),
        ),
        ("DeleteSecret", json!({"SecretId": "aws/one"})),
        ("BatchGetSecretValue", json!({"SecretIdList": ["aws/one"]})),
    ];
    for (op, body) in sm_ops {
        let r = s.sm("us-east-1", op, body);
        assert_eq!(
            r.status, 503,
            "secretsmanager {op} while sealed: {}",
            r.json
        );
    }
    for (op, body) in [
        (
            "GetParameter",
            json!({"Name": "/p", "WithDecryption": true}),
        ),
        (
            "PutParameter",
            json!({"Name": "/p", "Value": "v", "Type": "SecureString"}),
        ),
        ("GetParametersByPath", json!({"Path": "/"})),
    ] {
        let r = s.ssm("us-east-1", op, body);
        assert_eq!(r.status, 503, "ssm {op} while sealed: {}", r.json);
    }
    // Health and unseal still answer; the next share unseals.
    let v = unseal_with(&s, &shares[0]);
    assert_eq!(v["sealed"], json!(false), "{v}");
    assert_eq!(
        s.get("/v1/secrets/app%2Fdb").expect(200).json["value"],
        json!("s3cret-value")
    );
}
