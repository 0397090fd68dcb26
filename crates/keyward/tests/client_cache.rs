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
