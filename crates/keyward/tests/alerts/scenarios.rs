//! Scripted scenarios: each produces exactly the alerts its rule promises.

use crate::common::{Auth, InitOpts, ServeOpts, TestServer, wait_for};
use crate::receiver::{Received, Receiver};
use keyward_crypto::webhook::verify_webhook;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub const SIGNING_SECRET: &str = "alert-test-signing-secret-0123456789";

/// A server config file with one webhook sink at `url` plus `extra` TOML.
pub fn config_file(dir: &std::path::Path, url: &str, extra: &str) -> PathBuf {
    let path = dir.join("server.toml");
    std::fs::write(
        &path,
        format!(
            "[[alert.sink]]\nname = \"ops\"\ntype = \"webhook\"\nurl = \"{url}\"\nsigning_secret = \"{SIGNING_SECRET}\"\nmin_severity = \"low\"\n\n[[alert.sink]]\nname = \"log\"\ntype = \"log\"\nmin_severity = \"low\"\n\n{extra}"
        ),
    )
    .expect("write the config");
    path
}

pub fn start_with_config(config: &std::path::Path, args: &[&str]) -> TestServer {
    let mut all = vec!["--config".to_string(), config.display().to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    TestServer::start_with(
        InitOpts::default(),
        ServeOpts {
            args: all,
            ..Default::default()
        },
    )
}

/// Checks the signature and the contract's fields; returns the payload.
#[track_caller]
pub fn verified(r: &Received) -> Value {
    let header = r
        .headers
        .get("keyward-signature")
        .unwrap_or_else(|| panic!("no Keyward-Signature header: {:?}", r.headers));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    verify_webhook(SIGNING_SECRET.as_bytes(), header, &r.body, now, 300)
        .expect("the signature verifies with the sink's secret");
    assert!(
        verify_webhook(b"another-secret-entirely-000000", header, &r.body, now, 300).is_err(),
        "a wrong secret must not verify"
    );
    let v = r.json();
    for field in [
        "rule",
        "severity",
        "summary",
        "principal",
        "secret",
        "time",
        "count",
    ] {
        assert!(v.get(field).is_some(), "payload lacks {field}: {v}");
    }
    assert!(
        ["critical", "high", "medium", "low"].contains(&v["severity"].as_str().unwrap_or_default()),
        "{v}"
    );
    let t = v["time"].as_str().expect("time is a string");
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .expect("time is RFC 3339");
    assert!(t.ends_with('Z'), "time is UTC: {t}");
    assert!(v["count"].as_u64().is_some_and(|c| c >= 1), "{v}");
    v
}

/// Business hours that exclude now: an hour-long window two hours ahead, every day, UTC.
fn hours_excluding_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    let start = (now.hour() + 2) % 24;
    let end = (start + 1) % 24;
    format!("{start:02}:00-{end:02}:00")
}

fn by_rule(alerts: &[Value]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for a in alerts {
        *m.entry(a["rule"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    m
}

#[test]
fn scripted_scenarios_raise_exactly_their_alerts_signed_and_without_values() {
    let hook = Receiver::start(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(
        dir.path(),
        &hook.url(),
        &format!(
            "[alert.rules.brute_force]\nthreshold = 5\nwindow = 600\n\n[alert.rules.first_read]\nenabled = false\n\n[alert.rules.unusual_access]\nthreshold = 5\nwindow = 3600\n\n[[alert.rules.off_hours.business_hours]]\nsecrets = \"night/\"\ntime_zone = \"UTC\"\ndays = \"all\"\nhours = \"{}\"\n",
            hours_excluding_now()
        ),
    );
    let s = start_with_config(&config, &[]);
    let values: Vec<String> = (0..8)
        .map(|i| format!("VALUE-{i}-never-in-an-alert-7c1e"))
        .collect();
    for (i, v) in values.iter().take(6).enumerate() {
        s.put_secret(&format!("team/s{i}"), v);
    }
    s.put_secret("other/x", &values[6]);
    s.put_secret("night/db", &values[7]);
    let (rid, rsecret) = s.create_principal("reader", &[]);
    s.grant(
        "reader",
        "team-read",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": "arn:aws:secretsmanager:*:*:secret:team/*"}]}),
    );
    let reader = Auth::Key(rid.clone(), rsecret.clone());

    // 1. Bad credentials x5 for one access key from one source: one brute_force.
    for _ in 0..5 {
        let r = s.request(
            "GET",
            &TestServer::secret_path("team/s0"),
            &Auth::Key(rid.clone(), "wrong-secret-wrong-secret".into()),
            None,
            None,
        );
        assert!(r.status == 401 || r.status == 403, "{}", r.text);
    }
    // 2. A read of a denied path: unauthorized_access (critical).
    let r = s.request(
        "GET",
        &TestServer::secret_path("other/x"),
        &reader,
        None,
        None,
    );
    assert_eq!(r.status, 403, "{}", r.text);
    // 3. A read that fails (no such secret): failed_retrieval.
    let r = s.request(
        "GET",
        &TestServer::secret_path("team/missing"),
        &reader,
        None,
        None,
    );
    assert_eq!(r.status, 404, "{}", r.text);
    // 4. Off-hours access: the window configured excludes now.
    s.get(&TestServer::secret_path("night/db")).expect(200);
    // 5. A burst of reads by one principal: 6 distinct secrets, threshold 5.
    for i in 0..6 {
        s.request(
            "GET",
            &TestServer::secret_path(&format!("team/s{i}")),
            &reader,
            None,
            None,
        )
        .expect(200);
    }

    let expected: BTreeMap<String, usize> = [
        ("brute_force", 1),
        ("unauthorized_access", 1),
        ("failed_retrieval", 1),
        ("off_hours", 1),
        ("unusual_access", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    wait_for(
        "five alerts at the webhook",
        Duration::from_secs(30),
        || (hook.received().len() >= 5).then_some(()),
    );
    // Nothing more trickles in afterwards.
    std::thread::sleep(Duration::from_secs(3));
    let got = hook.received();
    let alerts: Vec<Value> = got.iter().map(verified).collect();
    assert_eq!(by_rule(&alerts), expected, "{alerts:#?}");
    let find = |rule: &str| {
        alerts
            .iter()
            .find(|a| a["rule"] == rule)
            .expect("present")
            .clone()
    };
    let denied = find("unauthorized_access");
    assert_eq!(denied["severity"], "critical");
    assert_eq!(denied["principal"], "arn:aws:iam::000000000000:user/reader");
    assert_eq!(denied["secret"], "other/x");
    let brute = find("brute_force");
    assert_eq!(brute["count"], 5);
    assert!(
        brute["summary"].as_str().unwrap_or_default().contains(&rid),
        "{brute}"
    );
    assert_eq!(find("off_hours")["secret"], "night/db");
    assert_eq!(find("off_hours")["severity"], "medium");
    assert_eq!(
        find("unusual_access")["principal"],
        "arn:aws:iam::000000000000:user/reader"
    );
    assert_eq!(find("failed_retrieval")["severity"], "high");
    assert!(got.iter().all(|r| r.path == "/hook"));

    // `alert ls --json`: every alert once per sink, delivered.
    let ls: Value = serde_json::from_str(&s.cli_ok(&["alert", "ls", "--json"])).expect("json");
    let rows = ls.as_array().expect("an array");
    let ops: Vec<&Value> = rows.iter().filter(|r| r["sink"] == "ops").collect();
    assert_eq!(ops.len(), 5, "{ls:#}");
    assert!(ops.iter().all(|r| r["state"] == "delivered"), "{ls:#}");
    assert_eq!(rows.iter().filter(|r| r["sink"] == "log").count(), 5);

    // No value in any alert, log line, alert listing or audit-visible output.
    let stderr = s.stderr();
    assert!(
        stderr.contains("keyward::alert"),
        "the log sink writes alerts to the log"
    );
    let haystacks = [
        got.iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect::<Vec<_>>()
            .join("\n"),
        stderr,
        s.stdout(),
        ls.to_string(),
    ];
    for v in values.iter().chain([&rsecret]) {
        for h in &haystacks {
            assert!(
                !h.contains(v.as_str()),
                "a secret value leaked into alerts or logs"
            );
        }
    }
}

#[test]
fn alert_test_sends_to_one_sink_and_names_unknown_ones() {
    let hook = Receiver::start(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(dir.path(), &hook.url(), "");
    let s = start_with_config(&config, &[]);
    let out = s.cli_ok(&["alert", "test", "ops"]);
    assert!(out.contains("delivered"), "{out}");
    let got = hook.received();
    assert_eq!(got.len(), 1);
    let v = verified(&got[0]);
    assert_eq!(v["rule"], "test");
    let out = s.cli(&["alert", "test", "nope"]);
    let err = crate::common::assert_failed(&out);
    assert!(err.contains("nope") && err.contains("ops"), "{err}");
    // A sink that is down: the command says so and fails.
    drop(hook);
    std::thread::sleep(Duration::from_millis(100));
    let out = s.cli(&["alert", "test", "ops"]);
    let err = crate::common::assert_failed(&out);
    assert!(err.contains("failed"), "{err}");
}

#[test]
fn a_managed_secret_found_by_scan_raises_leaked_secret() {
    let hook = Receiver::start(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(
        dir.path(),
        &hook.url(),
        "[alert.rules.first_read]\nenabled = false\n",
    );
    let s = start_with_config(&config, &[]);
    let value = "leaked-value-Zq8vN3kW5xR7tY2u";
    s.put_secret("prod/api-token", value);
    let tree = tempfile::tempdir().expect("tempdir");
    std::fs::write(tree.path().join("config.txt"), format!("token = {value}\n")).expect("write");
    let dir_arg = tree.path().to_str().expect("utf-8");
    let out = s.cli(&[
        "scan",
        dir_arg,
        "--managed",
        "--format",
        "json",
        "--no-progress",
    ]);
    assert!(!out.status.success(), "the scan finds the leak");
    wait_for("the leaked_secret alert", Duration::from_secs(30), || {
        (!hook.received().is_empty()).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    let alerts: Vec<Value> = hook.received().iter().map(verified).collect();
    assert_eq!(
        by_rule(&alerts).get("leaked_secret"),
        Some(&1),
        "{alerts:#?}"
    );
    let a = &alerts[0];
    assert_eq!(a["severity"], "critical");
    assert_eq!(a["secret"], "prod/api-token");
    let bodies: String = hook
        .received()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert!(!bodies.contains(value) && !s.stderr().contains(value));
}
