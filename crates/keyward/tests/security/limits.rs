//! Header, idle and request timeouts, a connection limit, and credentials checked
//! before a body is read (issue 11, break 10). Each wait here is a bound on how
//! long the server may take, never a measurement.

use crate::common::{InitOpts, ServeOpts, TestServer, token};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn server(args: &[&str]) -> TestServer {
    TestServer::start_with(
        InitOpts::default(),
        ServeOpts {
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
            tls_ca: None,
        },
    )
}

fn connect(s: &TestServer) -> TcpStream {
    let c = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    c
}

/// Reads until the server closes or `limit` passes; returns what arrived and
/// whether the server closed the connection.
fn read_until_closed(c: &mut TcpStream, limit: Duration) -> (String, bool) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < limit {
        match c.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&got).into_owned(), true);
            }
            Err(_) => break,
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), false)
}

#[test]
fn idle_and_slow_connections_are_closed() {
    let s = server(&["--header-read-timeout", "1", "--request-timeout", "2"]);
    // Connected, says nothing.
    let mut idle = connect(&s);
    let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(12));
    assert!(closed, "an idle connection was kept open");

    // Half a header, never finished.
    let mut slow = connect(&s);
    slow.write_all(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n")
        .expect("write");
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(12));
    assert!(closed, "a half-sent header kept the connection open");

    // A byte-a-second body behind valid credentials: the request times out.
    let mut trickle = connect(&s);
    let t = token(&s.access_key_id, &s.secret_access_key);
    write!(
        trickle,
        "PUT /v1/secrets/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    )
    .expect("write");
    let writer = {
        let mut w = trickle.try_clone().expect("clone");
        std::thread::spawn(move || {
            for _ in 0..30 {
                std::thread::sleep(Duration::from_millis(300));
                if w.write_all(b" ").is_err() {
                    break;
                }
            }
        })
    };
    let (answer, _) = read_until_closed(&mut trickle, Duration::from_secs(12));
    assert!(answer.starts_with("HTTP/1.1 408"), "got: {answer:?}");
    let _ = writer.join();
}

#[test]
fn requests_without_credentials_are_answered_before_their_body() {
    let s = server(&[]);
    for (head, expect) in [
        (
            "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.ListSecrets\r\nContent-Type: application/x-amz-json-1.1\r\n",
            "MissingAuthenticationToken",
        ),
        (
            "PUT /v1/secrets/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
            "missing_credentials",
        ),
    ] {
        let mut c = connect(&s);
        // Announce a big body, send none of it.
        write!(c, "{head}Content-Length: 200000\r\n\r\n").expect("write");
        let mut buf = [0u8; 4096];
        let n = c.read(&mut buf).expect("an answer without the body");
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        assert!(answer.contains(expect), "{answer}");
    }
}

#[test]
fn connections_past_the_limit_wait_for_a_free_slot() {
    let s = server(&["--max-connections", "2", "--header-read-timeout", "30"]);
    let mut held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut c = connect(&s);
            c.write_all(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n")
                .expect("write");
            c
        })
        .collect();
    // Give the server a moment to take both in.
    std::thread::sleep(Duration::from_millis(300));
    let mut third = connect(&s);
    third
        .write_all(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    third
        .set_read_timeout(Some(Duration::from_millis(800)))
        .expect("timeout");
    let mut buf = [0u8; 1024];
    assert!(
        third.read(&mut buf).is_err(),
        "a third connection was served while the limit was taken"
    );
    // Free one slot: the waiting connection is served.
    held.pop();
    third
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let n = third.read(&mut buf).expect("served once a slot frees");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

#[test]
fn the_change_stream_outlives_the_timeouts() {
    let s = server(&["--header-read-timeout", "1", "--request-timeout", "1"]);
    let mut c = connect(&s);
    let t = token(&s.access_key_id, &s.secret_access_key);
    write!(
        c,
        "GET /v1/watch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\n\r\n"
    )
    .expect("write");
    std::thread::sleep(Duration::from_secs(3));
    s.put_secret("watched/after-the-timeouts", "v");
    let mut got = String::new();
    let mut buf = [0u8; 4096];
    let start = Instant::now();
    while !got.contains("watched/after-the-timeouts") && start.elapsed() < Duration::from_secs(15) {
        match c.read(&mut buf) {
            Ok(0) => panic!("the stream was closed: {got}"),
            Ok(n) => got.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(e) => panic!("the stream broke: {e}: {got}"),
        }
    }
    assert!(got.contains("event: change"), "{got}");
}
