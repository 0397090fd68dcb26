//! Unseal is not a passphrase oracle (issue 11, break 4).

use crate::common::{Auth, InitOpts, TestServer};
use serde_json::json;
use std::time::Duration;

#[test]
fn an_unsealed_server_answers_unseal_the_same_whatever_is_sent() {
    let s = TestServer::start();
    let bodies: Vec<Vec<u8>> = vec![
        json!({"root_key": s.root_key()}).to_string().into_bytes(),
        json!({"root_key": "00".repeat(32)})
            .to_string()
            .into_bytes(),
        json!({"passphrase": "correct horse battery staple"})
            .to_string()
            .into_bytes(),
        b"{not json".to_vec(),
        Vec::new(),
    ];
    let answers: Vec<(u16, String)> = bodies
        .into_iter()
        .map(|b| {
            let r = s.request("POST", "/v1/sys/unseal", &Auth::None, Some(b), None);
            (r.status, r.text)
        })
        .collect();
    assert_eq!(answers[0].0, 200, "{answers:?}");
    for a in &answers {
        assert_eq!(a, &answers[0], "answers differ: {answers:?}");
    }
}

#[test]
fn a_sealed_server_throttles_unseal_and_audits_every_attempt() {
    let mut s = TestServer::init_only(InitOpts::default());
    // Keep the key out of the data directory so the server starts sealed.
    let root = s.root_key();
    std::fs::remove_file(s.data_dir.join("root.key")).expect("move the key away");
    s.spawn();
    s.wait_health(503);

    let attempt = |key: &str| {
        s.request(
            "POST",
            "/v1/sys/unseal",
            &Auth::None,
            Some(json!({"root_key": key}).to_string().into_bytes()),
            Some("unseal-test"),
        )
    };
    let wrong = attempt(&"ab".repeat(32));
    assert_eq!(wrong.status, 403, "{}", wrong.text);
    // At once again: refused without trying, with a time to wait.
    let again = attempt(&"cd".repeat(32));
    assert_eq!(
        (again.status, again.code()),
        (429, "throttled"),
        "{}",
        again.text
    );
    // Logged at once, while still sealed.
    assert!(
        s.stderr().contains("unseal attempt failed"),
        "{}",
        s.stderr()
    );

    // After the backoff, the right key unseals.
    let ok = crate::common::wait_for("the unseal backoff to end", Duration::from_secs(30), || {
        let r = attempt(&root);
        (r.status != 429).then_some(r)
    });
    assert_eq!(ok.status, 200, "{}", ok.text);

    let records: Vec<_> = s
        .audit("")
        .into_iter()
        .filter(|r| r["action"] == "keyward:Unseal" && r["user_agent"] == "unseal-test")
        .collect();
    let outcomes: Vec<&str> = records
        .iter()
        .filter_map(|r| r["outcome"].as_str())
        .collect();
    assert!(
        outcomes.iter().filter(|o| **o == "unauthenticated").count() >= 2,
        "{outcomes:?}"
    );
    assert!(outcomes.contains(&"success"), "{outcomes:?}");
    assert!(
        records.iter().all(|r| r["source_ip"] == "127.0.0.1"),
        "{records:?}"
    );
}
