//! keyward-client's TTL cache drops a secret as soon as the server's change stream
//! reports a write, long before its 300 s TTL.

mod common;

use common::TestServer;
use keyward_client::{CachedClient, Client, Credentials, DEFAULT_TTL};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn cache_is_invalidated_by_the_change_stream() {
    let srv = TestServer::start();
    srv.cli_ok(&["put", "/app/prod/jwt_key", "jwt-key-one-0001"]);
    let client = Client::new(Credentials {
        addr: srv.addr.clone(),
        access_key_id: srv.access_key_id.clone(),
        secret_access_key: srv.secret_access_key.clone().into(),
        session_token: None,
    })
    .expect("client");
    let cache = Arc::new(CachedClient::new(client, DEFAULT_TTL));
    let read = |c: &CachedClient| {
        c.get("/app/prod/jwt_key")
            .expect("get")
            .text()
            .expect("text")
            .expose()
            .to_string()
    };
    assert_eq!(read(&cache), "jwt-key-one-0001");
    cache.follow_changes().expect("follow");
    // Let the subscription connect before the write (it clears the cache when it does).
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(read(&cache), "jwt-key-one-0001");

    srv.cli_ok(&["put", "/app/prod/jwt_key", "jwt-key-two-0002"]);
    let start = Instant::now();
    loop {
        if read(&cache) == "jwt-key-two-0002" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the cache still serves the old value"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn cache_serves_the_last_good_value_while_the_server_is_down_and_env_fallback_combines() {
    use keyward_client::{ClientError, SecretSource};
    let mut srv = TestServer::start();
    srv.cli_ok(&["put", "/app/prod/api_key", "api-key-good-0001"]);
    let creds = Credentials {
        addr: srv.addr.clone(),
        access_key_id: srv.access_key_id.clone(),
        secret_access_key: srv.secret_access_key.clone().into(),
        session_token: None,
    };
    // TTL zero: every read goes to the server while it is up.
    let stale_ok = CachedClient::new(Client::new(creds.clone()).expect("client"), Duration::ZERO)
        .with_max_stale(Duration::from_secs(3600));
    let strict = CachedClient::new(Client::new(creds).expect("client"), Duration::ZERO)
        .with_max_stale(Duration::ZERO);
    for c in [&stale_ok, &strict] {
        assert_eq!(
            c.get_secret_or_env("/app/prod/api_key", "KEYWARD_TEST_UNSET_VAR", None)
                .expect("read")
                .expose(),
            "api-key-good-0001"
        );
    }
    // A secret the store does not have falls back to the variable, through the cache
    // (PATH is always set).
    let path = std::env::var("PATH").expect("PATH");
    assert_eq!(
        SecretSource::get_secret_or_env(&stale_ok, "/app/prod/nope", "PATH", None)
            .expect("env fallback")
            .expose(),
        path
    );
    srv.stop();
    // Server gone: the last good value, within the bound; the strict cache errs.
    assert_eq!(
        stale_ok
            .get("/app/prod/api_key")
            .expect("stale value")
            .text()
            .expect("text")
            .expose(),
        "api-key-good-0001"
    );
    assert!(matches!(
        strict.get("/app/prod/api_key"),
        Err(ClientError::Transport(_))
    ));
    // Server gone and nothing cached: the variable.
    assert_eq!(
        strict
            .get_secret_or_env("/app/prod/never_read", "PATH", None)
            .expect("env fallback")
            .expose(),
        path
    );
}
