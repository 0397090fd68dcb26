//! A write and its audit record commit together: after `kill -9` under write load,
//! no stored version lacks its record (issue 11, break 5).

use crate::common::{Auth, TestServer};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const WRITERS: usize = 6;

#[test]
fn no_version_survives_a_crash_without_its_audit_record() {
    let mut s = TestServer::start();
    for round in 0..3 {
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (addr, id, secret) = (
                    s.addr.clone(),
                    s.access_key_id.clone(),
                    s.secret_access_key.clone(),
                );
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let http = reqwest::blocking::Client::builder()
                        .timeout(Duration::from_secs(5))
                        .build()
                        .expect("client");
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let token = crate::common::token(&id, &secret);
                        let _ = http
                            .put(format!("{addr}/v1/secrets/crash%2Fw{w}"))
                            .header("authorization", format!("Bearer {token}"))
                            .json(&json!({"value": format!("round-{round}-value-{n}")}))
                            .send();
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(1500));
        s.stop(); // SIGKILL, mid-write
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            let _ = t.join();
        }
        s.spawn();
        s.wait_healthy();
    }

    // A fast server writes more than one page of records in three rounds, and a
    // version kept from the first round is audited on the oldest page: read all.
    let records = s.audit_all();
    let audited: HashSet<String> = records
        .iter()
        .filter(|r| r["outcome"] == "success")
        .filter_map(|r| r["version_id"].as_str().map(str::to_string))
        .collect();
    let mut versions = 0;
    for w in 0..WRITERS {
        let h = s.request(
            "GET",
            &format!("/v1/history/crash%2Fw{w}"),
            &Auth::Admin,
            None,
            None,
        );
        if h.status == 404 {
            continue;
        }
        for v in h.json["versions"].as_array().expect("versions") {
            let id = v["version_id"].as_str().expect("version id");
            versions += 1;
            assert!(
                audited.contains(id),
                "version {id} of crash/w{w} has no audit record among {} records",
                records.len()
            );
        }
    }
    assert!(versions > 0, "the writers stored nothing");
    let verify = s.get("/v1/audit/verify").expect(200);
    assert_eq!(verify.json["ok"], true, "{}", verify.text);
}
