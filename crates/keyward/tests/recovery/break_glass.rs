//! Break-glass: with every admin credential lost, K shares make a new admin key;
//! the use is audited as keyward:BreakGlass. The procedure is docs/break-glass.md.

use super::{cli_with_stdin, sealed_with_shares, unseal_with};
use crate::common::assert_failed;
use serde_json::{Value, json};

#[test]
fn k_shares_recover_admin_access_and_the_use_is_audited() {
    let (s, shares) = sealed_with_shares(5, 3);
    unseal_with(&s, &shares[0]);
    unseal_with(&s, &shares[3]);
    unseal_with(&s, &shares[4]);
    s.put_secret("prod/db", "the-value");
    // Every admin credential is lost: the admin's only key is deleted.
    s.cli_ok(&["key", "rm", &s.access_key_id]);
    let denied = s.cli(&["get", "prod/db"]);
    assert_failed(&denied);

    // Too few shares: refused (and audited once access is back).
    let two = format!("{}\n{}\n", shares[1], shares[2]);
    let out = cli_with_stdin(&s, &["operator", "break-glass", "--json"], &two);
    let err = assert_failed(&out);
    assert!(err.contains("2 of 3 shares"), "{err}");

    std::thread::sleep(std::time::Duration::from_millis(100));
    let three = format!("{}\n{}\n{}\n", shares[1], shares[2], shares[0]);
    let out = cli_with_stdin(
        &s,
        &[
            "operator",
            "break-glass",
            "--name",
            "recovery-admin",
            "--json",
        ],
        &three,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let id = v["access_key_id"].as_str().expect("key id");
    let secret = v["secret_access_key"].as_str().expect("secret");
    let got = s.cli_as(id, secret, &["get", "prod/db"]);
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&got.stdout).trim(), "the-value");

    let records: Vec<Value> = {
        let out = s.cli_as(id, secret, &["audit", "ls", "--json", "--limit", "1000"]);
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let glass: Vec<&Value> = records
        .iter()
        .filter(|r| r["action"] == json!("keyward:BreakGlass"))
        .collect();
    assert!(
        glass.iter().any(|r| r["outcome"] == json!("success")),
        "no successful keyward:BreakGlass record: {glass:?}"
    );
    assert!(
        glass.iter().any(|r| r["outcome"] != json!("success")),
        "the refused attempt is not audited: {glass:?}"
    );
    let verify = s.cli_as(id, secret, &["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}
