//! Failed authentication is rate-limited per source and per access key id, valid
//! requests always pass, and the folded failures are audited with a count (issue
//! 11, break 9).

use crate::aws_server_with;
use crate::common::aws::sm_as;
use crate::common::{token, wait_for};
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

#[test]
fn a_flood_of_bad_signatures_is_throttled_and_folded_into_counted_records() {
    let s = aws_server_with(&["--auth-failure-window", "1"]);
    let bad = (
        s.access_key_id.as_str(),
        "not-the-secret-key-at-all-000000000000",
    );
    let mut answered = 0;
    let mut throttled = 0;
    for _ in 0..600 {
        let r = sm_as(&s, bad, "us-east-1", "ListSecrets", json!({}));
        match r.error_type() {
            "InvalidSignatureException" => answered += 1,
            "ThrottlingException" => {
                assert_eq!(r.status, 400, "AWS's status for throttling");
                throttled += 1;
            }
            other => panic!("unexpected answer {other}: {}", r.json),
        }
        // A valid request always passes, even from the flooding source.
        if answered + throttled == 550 {
            s.sm("us-east-1", "ListSecrets", json!({})).ok();
        }
    }
    assert!(
        // The default burst is 300, refilled at 100 a minute.
        (300..=330).contains(&answered),
        "{answered} answered normally"
    );
    assert_eq!(answered + throttled, 600);

    // The folded failures are summarised: one record per source and window, with
    // counts that add up, and no record per throttled request.
    let summaries = wait_for(
        "the folded failures' summary",
        Duration::from_secs(30),
        || {
            let recs: Vec<_> = s
                .audit("")
                .into_iter()
                .filter(|r| {
                    r["action"] == "keyward:AuthenticationFailures" && r["source_ip"] == "127.0.0.1"
                })
                .collect();
            let total: u64 = recs.iter().filter_map(|r| r["count"].as_u64()).sum();
            (total == throttled as u64).then_some(recs)
        },
    );
    assert!(!summaries.is_empty());
    let per_request = s
        .audit("&outcome=unauthenticated")
        .iter()
        .filter(|r| r["action"] == "secretsmanager:ListSecrets")
        .count();
    assert_eq!(
        per_request, answered,
        "throttled requests left records of their own"
    );
    assert!(
        s.stderr().contains(&s.access_key_id),
        "the log names the key id"
    );
}

#[test]
fn a_key_id_cannot_be_locked_out_and_the_native_api_answers_429() {
    let s = aws_server_with(&[
        "--auth-failures-per-minute",
        "5",
        "--auth-failure-burst",
        "5",
    ]);
    let from = |last: u8| {
        reqwest::blocking::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
    };
    let get = |client: &reqwest::blocking::Client, secret: &str| {
        client
            .get(format!("{}/v1/secrets", s.addr))
            .header(
                "authorization",
                format!("Bearer {}", token(&s.access_key_id, secret)),
            )
            .send()
            .expect("send")
            .status()
            .as_u16()
    };
    // One bad try each from many addresses: the key id's own limit applies.
    let statuses: Vec<u16> = (2..14)
        .map(|last| get(&from(last), "wrong-secret-0000000000"))
        .collect();
    assert_eq!(&statuses[..5], &[403; 5], "{statuses:?}");
    assert!(statuses[6..].iter().all(|s| *s == 429), "{statuses:?}");
    // The real key still works, from a fresh address and from a throttled one.
    assert_eq!(get(&from(20), &s.secret_access_key), 200);
    assert_eq!(get(&from(13), &s.secret_access_key), 200);
}
