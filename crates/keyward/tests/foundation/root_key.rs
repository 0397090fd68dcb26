//! The root key: a wrong one is refused at start; without one the server starts
//! sealed and only the right key unseals it.

use crate::common::{Auth, InitOpts, ServeOpts, TestServer};
use serde_json::json;
use std::net::TcpStream;
use std::time::Duration;

const OTHER_KEY: &str = "abababababababababababababababababababababababababababababababab";

#[test]
fn wrong_root_key_is_refused_at_start() {
    let mut srv = TestServer::init_only(InitOpts::default());
    srv.serve_opts = ServeOpts {
        args: vec![],
        env: vec![("KEYWARD_ROOT_KEY".into(), OTHER_KEY.into())],
        tls_ca: None,
    };
    assert_ne!(srv.root_key(), OTHER_KEY);
    srv.spawn();
    let status = srv.wait_exit(Duration::from_secs(60));
    assert!(!status.success(), "serve with a wrong key exited 0");
    let stderr = srv.stderr();
    assert!(
        stderr.contains("root key does not match this data directory"),
        "no clear message: {stderr}"
    );
    assert!(stderr.contains("KEYWARD_ROOT_KEY"), "{stderr}");
    assert!(!stderr.contains("listening"), "{stderr}");
    assert!(!stderr.contains(OTHER_KEY), "the key was echoed: {stderr}");
    assert!(
        TcpStream::connect(("127.0.0.1", srv.port)).is_err(),
        "something listens on the port"
    );

    // A malformed key is refused too, with a message naming the variable.
    srv.serve_opts.env = vec![("KEYWARD_ROOT_KEY".into(), "not-a-key".into())];
    srv.spawn();
    let status = srv.wait_exit(Duration::from_secs(60));
    assert!(!status.success());
    assert!(
        srv.stderr().contains("KEYWARD_ROOT_KEY is not a valid key"),
        "{}",
        srv.stderr()
    );
}

#[test]
fn without_a_root_key_the_server_starts_sealed() {
    let mut srv = TestServer::init_only(InitOpts::default());
    let root = srv.root_key();
    let key_path = srv.data_dir.join("root.key");
    std::fs::remove_file(&key_path).expect("remove root.key");
    srv.spawn();
    srv.wait_health(503);
    let health = srv.request("GET", "/v1/sys/health", &Auth::None, None, None);
    assert_eq!(health.json["sealed"], true, "{}", health.text);
    let status = srv.request("GET", "/v1/sys/seal-status", &Auth::None, None, None);
    assert_eq!(status.json["sealed"], true);

    // Nothing is served while sealed.
    let r = srv.request("GET", "/v1/secrets", &Auth::Admin, None, None);
    assert_eq!((r.status, r.code()), (503, "sealed"), "{}", r.text);
    let out = srv.cli(&["ls"]);
    assert!(!out.status.success());

    // Wrong key: refused, still sealed.
    let r = srv.post("/v1/sys/unseal", &json!({"root_key": OTHER_KEY}));
    assert_eq!(
        (r.status, r.code()),
        (403, "invalid_credentials"),
        "{}",
        r.text
    );
    assert!(r.message().contains("does not match"), "{}", r.text);
    assert!(!r.text.contains(OTHER_KEY));
    // Malformed key and malformed bodies: refused, still sealed.
    let r = srv.post("/v1/sys/unseal", &json!({"root_key": "zz"}));
    assert_eq!(r.status, 400, "{}", r.text);
    let r = srv.post("/v1/sys/unseal", &json!({}));
    assert_eq!(r.status, 400, "{}", r.text);
    let r = srv.post("/v1/sys/unseal", &json!({"root_key": root, "extra": 1}));
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.message().contains("extra"), "{}", r.text);
    let r = srv.request(
        "POST",
        "/v1/sys/unseal",
        &Auth::None,
        Some(vec![b' '; 300 * 1024]),
        None,
    );
    assert_eq!(
        (r.status, r.code()),
        (413, "payload_too_large"),
        "{}",
        r.text
    );
    srv.wait_health(503);

    // The right key unseals, once the wrong guess's backoff has run out.
    let r = crate::common::wait_for("the unseal backoff", Duration::from_secs(30), || {
        let r = srv.post("/v1/sys/unseal", &json!({"root_key": root}));
        (r.status != 429).then_some(r)
    });
    assert_eq!(r.status, 200, "{}", r.text);
    srv.wait_health(200);
    srv.put_secret("sealed/test", "after-unseal-value");
    assert_eq!(srv.cli_ok(&["get", "sealed/test"]), "after-unseal-value\n");
    let unseals: Vec<_> = srv
        .audit("")
        .into_iter()
        .filter(|r| r["action"] == "keyward:Unseal")
        .collect();
    // Every attempt made while sealed is in the chain: one success, one wrong key.
    let outcome = |o: &str| unseals.iter().filter(|r| r["outcome"] == o).count();
    assert_eq!(outcome("success"), 1, "{unseals:?}");
    assert!(outcome("unauthenticated") >= 1, "{unseals:?}");
    assert!(!srv.stderr().contains(&root), "the root key was logged");
}
