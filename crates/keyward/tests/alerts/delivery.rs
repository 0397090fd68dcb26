//! Delivery: alerts survive a sink outage and a restart, a hanging sink holds up
//! nothing but its own deliveries, and a flood of bad signatures stays a handful
//! of alerts.

use crate::common::{Auth, TestServer, free_port, wait_for};
use crate::receiver::Receiver;
use crate::scenarios::{config_file, start_with_config, verified};
use serde_json::Value;
use std::time::{Duration, Instant};

const FAST_RETRY: &str = "[alert.delivery]\ntimeout = 1\nretry_initial = 0.2\nretry_max = 1\n\n[alert.rules.first_read]\nenabled = false\n";

fn deny_everything(s: &TestServer) -> Auth {
    let (id, secret) = s.create_principal("nobody", &[]);
    Auth::Key(id, secret)
}

fn ops_rows(s: &TestServer) -> Vec<Value> {
    let ls: Value = serde_json::from_str(&s.cli_ok(&["alert", "ls", "--json"])).expect("json");
    ls.as_array()
        .expect("array")
        .iter()
        .filter(|r| r["sink"] == "ops")
        .cloned()
        .collect()
}

#[test]
fn alerts_raised_while_the_sink_is_down_arrive_after_a_restart_once_it_is_back() {
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(
        dir.path(),
        &format!("http://127.0.0.1:{port}/hook"),
        FAST_RETRY,
    );
    let mut s = start_with_config(&config, &[]);
    s.put_secret("app/key", "value-that-must-not-leak-93f1");
    let nobody = deny_everything(&s);
    s.request(
        "GET",
        &TestServer::secret_path("app/key"),
        &nobody,
        None,
        None,
    )
    .expect(403);
    // Queued and failing: the receiver is not there.
    let row = wait_for("a failed attempt", Duration::from_secs(20), || {
        ops_rows(&s)
            .into_iter()
            .find(|r| r["attempts"].as_u64().unwrap_or(0) >= 1)
    });
    assert_eq!(row["state"], "pending", "{row}");
    assert_eq!(row["rule"], "unauthorized_access");
    assert!(
        row["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot connect"),
        "{row}"
    );
    assert!(
        !row["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains(&port.to_string()),
        "errors do not repeat the sink URL: {row}"
    );
    // Restart while the sink is still down.
    s.restart();
    std::thread::sleep(Duration::from_millis(500));
    let hook = Receiver::start(port);
    wait_for("the queued alert", Duration::from_secs(30), || {
        (!hook.received().is_empty()).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    let got = hook.received();
    assert_eq!(got.len(), 1, "delivered once");
    let v = verified(&got[0]);
    assert_eq!(v["rule"], "unauthorized_access");
    assert_eq!(v["principal"], "arn:aws:iam::000000000000:user/nobody");
    let rows = ops_rows(&s);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["state"], "delivered");
    assert!(
        rows[0]["attempts"].as_u64().unwrap_or(0) >= 2,
        "{:?}",
        rows[0]
    );
}

#[test]
fn a_hanging_sink_does_not_hold_up_requests_and_is_retried() {
    let hook = Receiver::start(0);
    hook.hang(true);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(dir.path(), &hook.url(), FAST_RETRY);
    let s = start_with_config(&config, &[]);
    s.put_secret("app/key", "value-that-must-not-leak-2b7d");
    let nobody = deny_everything(&s);
    s.request(
        "GET",
        &TestServer::secret_path("app/key"),
        &nobody,
        None,
        None,
    )
    .expect(403);
    // While deliveries hang, reads keep being answered (the harness's client
    // would time out after 30 s if one were stuck behind a delivery).
    for _ in 0..50 {
        s.get(&TestServer::secret_path("app/key")).expect(200);
    }
    let row = wait_for("a timed-out attempt", Duration::from_secs(20), || {
        ops_rows(&s).into_iter().find(|r| {
            r["last_error"]
                .as_str()
                .unwrap_or_default()
                .contains("timed out")
        })
    });
    assert_eq!(row["state"], "pending");
    hook.hang(false);
    wait_for("the retried alert", Duration::from_secs(20), || {
        (!hook.received().is_empty()).then_some(())
    });
    verified(&hook.received()[0]);
}

#[test]
fn ten_thousand_bad_signatures_produce_a_bounded_number_of_alerts() {
    let hook = Receiver::start(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let window = 3;
    let config = config_file(
        dir.path(),
        &hook.url(),
        &format!("{FAST_RETRY}\n[alert.rules.brute_force]\nthreshold = 10\nwindow = {window}\n"),
    );
    let s = start_with_config(&config, &["--auth-failure-window", "1"]);
    let started = Instant::now();
    let addr = s.addr.clone();
    let id = s.access_key_id.clone();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (addr, id) = (addr.clone(), id.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::new();
                let now = crate::common::now();
                for _ in 0..2500 {
                    let bad = format!("Bearer kw1.{id}.{now}.{}", "0".repeat(64));
                    let r = http
                        .get(format!("{addr}/v1/secrets"))
                        .header("authorization", bad)
                        .send()
                        .expect("send");
                    assert!(r.status().is_client_error(), "{}", r.status());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("sender");
    }
    let flood_secs = started.elapsed().as_secs_f64();
    // Let the folded audit summaries and the rules' windows close.
    std::thread::sleep(Duration::from_secs(window + 3));
    let alerts: Vec<Value> = hook.received().iter().map(verified).collect();
    let brute: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["rule"] == "brute_force")
        .collect();
    assert!(!brute.is_empty(), "the flood raised no alert");
    // One alert when the threshold is crossed and one follow-up per window, for
    // the source and the key together; plus the rate limit's summary at most.
    let windows = (flood_secs + window as f64 + 3.0) / window as f64;
    let bound = 2.0 * (windows.ceil() + 1.0) + 1.0;
    assert!(
        (alerts.len() as f64) <= bound,
        "{} alerts for 10,000 bad signatures in {flood_secs:.1}s (bound {bound}): {alerts:#?}",
        alerts.len()
    );
    // Every failure is accounted for in the counts.
    let counted: u64 = brute.iter().map(|a| a["count"].as_u64().unwrap_or(0)).sum();
    assert!(
        counted >= 10_000,
        "alerts account for {counted} failures: {alerts:#?}"
    );
}
