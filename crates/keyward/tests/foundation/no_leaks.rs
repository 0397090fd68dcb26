//! No secret value ever appears in the server's output at trace level, the audit
//! mirror, audit records, error messages, or listings; nor in plaintext on disk.

use crate::common::{Auth, InitOpts, ServeOpts, TestServer};
use base64::Engine;
use serde_json::json;

/// Distinctive values, each written through a different path.
const PUT_NEW: &str = "LeakCanary-put-new-Q7x2Vb9k";
const PUT_AGAIN: &str = "LeakCanary-put-again-Zr4mN8wp";
const CREATE: &str = "LeakCanary-create-Hs3tK6yd";
const BINARY: &str = "LeakCanary-binary-Pq5cW1ne";
const JSON_FIELD: &str = "LeakCanary-jsonfield-Ud8fL2ra";
const BAD_NAME: &str = "LeakCanary-badname-Yg6vC3mo";
const MALFORMED: &str = "LeakCanary-malformed-Kb9sE4ti";
const UNKNOWN_FIELD: &str = "LeakCanary-unknownfield-Wn2hJ7qa";
const BAD_TOKEN: &str = "LeakCanary-badtoken-Fe1xR5zu";
const DENIED: &str = "LeakCanary-denied-Mc4yT8lo";
const CLI_STDIN: &str = "LeakCanary-stdin-Ov3gB6ps";
/// A number sent where a string is expected: JSON error messages like to echo it.
const NUMBER: &str = "73914628503917";

const ALL: [&str; 12] = [
    PUT_NEW,
    PUT_AGAIN,
    CREATE,
    BINARY,
    JSON_FIELD,
    BAD_NAME,
    MALFORMED,
    UNKNOWN_FIELD,
    BAD_TOKEN,
    DENIED,
    CLI_STDIN,
    NUMBER,
];

#[test]
fn secret_values_never_leak() {
    let mirror_dir = tempfile::tempdir().expect("tempdir");
    let mirror = mirror_dir.path().join("audit.jsonl");
    let srv = TestServer::start_with(
        InitOpts::default(),
        ServeOpts {
            args: vec!["--audit-mirror".into(), mirror.display().to_string()],
            env: vec![],
            tls_ca: None,
        },
    );
    // Everything a client was told, to grep later.
    let mut seen: Vec<String> = Vec::new();
    let mut send = |method: &str, path: &str, auth: &Auth, body: String| {
        let r = srv.request(method, path, auth, Some(body.into_bytes()), None);
        seen.push(r.text.clone());
        r
    };

    // Successful writes through every value path.
    let r = send(
        "PUT",
        "/v1/secrets/leak/a",
        &Auth::Admin,
        json!({"value": PUT_NEW}).to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = send(
        "PUT",
        "/v1/secrets/leak/a",
        &Auth::Admin,
        json!({"value": PUT_AGAIN}).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(
        "POST",
        "/v1/secrets",
        &Auth::Admin,
        json!({"name": "leak/b", "value": CREATE, "description": "a plain description"})
            .to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let b64 = base64::engine::general_purpose::STANDARD.encode(BINARY);
    let r = send(
        "PUT",
        "/v1/secrets/leak/bin",
        &Auth::Admin,
        json!({"value_base64": b64}).to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = send(
        "PUT",
        "/v1/secrets/leak/json",
        &Auth::Admin,
        json!({"value": json!({"password": JSON_FIELD}).to_string()}).to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.text);

    // Failed requests carrying values.
    let r = send(
        "PUT",
        "/v1/secrets/leak%20bad%20name",
        &Auth::Admin,
        json!({"value": BAD_NAME}).to_string(),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let r = send(
        "PUT",
        "/v1/secrets/leak/malformed",
        &Auth::Admin,
        format!("{{\"value\": \"{MALFORMED}\", "),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let r = send(
        "PUT",
        "/v1/secrets/leak/malformed2",
        &Auth::Admin,
        format!("{{\"value\" \"{MALFORMED}\"}}"),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let r = send(
        "PUT",
        "/v1/secrets/leak/unknown",
        &Auth::Admin,
        json!({"value": UNKNOWN_FIELD, "colour": "red"}).to_string(),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let r = send(
        "PUT",
        "/v1/secrets/leak/number",
        &Auth::Admin,
        format!("{{\"value\": {NUMBER}}}"),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let r = send(
        "PUT",
        "/v1/secrets/leak/token",
        &Auth::Admin,
        json!({"value": BAD_TOKEN, "client_request_token": "short"}).to_string(),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let (id, secret) = srv.create_principal("leak-nobody", &[]);
    let r = send(
        "PUT",
        "/v1/secrets/leak/a",
        &Auth::Key(id.clone(), secret.clone()),
        json!({"value": DENIED}).to_string(),
    );
    assert_eq!(r.status, 403, "{}", r.text);
    let r = send(
        "PUT",
        "/v1/secrets/leak/a",
        &Auth::None,
        json!({"value": DENIED}).to_string(),
    );
    assert_eq!(r.status, 403, "{}", r.text);

    // The CLI, from standard input.
    let mut child = srv
        .cli_command(&srv.access_key_id, &srv.secret_access_key)
        .args(["put", "leak/stdin", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn put");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{CLI_STDIN}").expect("write stdin");
    }
    let out = child.wait_with_output().expect("put --stdin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    seen.push(String::from_utf8_lossy(&out.stdout).into_owned());
    seen.push(String::from_utf8_lossy(&out.stderr).into_owned());

    // Read them back (values are expected in these answers only).
    for (name, want) in [
        ("leak/a", PUT_AGAIN),
        ("leak/b", CREATE),
        ("leak/stdin", CLI_STDIN),
    ] {
        assert_eq!(srv.cli_ok(&["get", name]), format!("{want}\n"));
    }
    assert_eq!(
        srv.cli_ok(&["get", "leak/json", "--field", "password"]),
        format!("{JSON_FIELD}\n")
    );
    let r = srv.get("/v1/secrets/leak/bin").expect(200);
    assert_eq!(r.json["value_base64"], b64.as_str());
    let prev = srv.get("/v1/secrets/leak/a?stage=AWSPREVIOUS").expect(200);
    assert_eq!(prev.json["value"], PUT_NEW);

    // Listings and metadata.
    for name in ["leak/a", "leak/b", "leak/bin", "leak/json", "leak/stdin"] {
        seen.push(srv.cli_ok(&["history", name, "--json"]));
        seen.push(srv.cli_ok(&["history", name]));
    }
    seen.push(srv.cli_ok(&["ls", "--json"]));
    seen.push(srv.cli_ok(&["ls"]));
    seen.push(srv.cli_ok(&["audit", "ls", "--json", "--limit", "10000"]));
    seen.push(srv.get("/v1/audit?limit=10000").expect(200).text);
    // Denied and failed CLI calls: their error messages.
    for args in [vec!["put", "leak bad", DENIED], vec!["get", "leak/missing"]] {
        let out = srv.cli(&args);
        assert!(!out.status.success());
        seen.push(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let out = srv.cli_as(&id, &secret, &["put", "leak/a", DENIED]);
    assert!(!out.status.success());
    seen.push(String::from_utf8_lossy(&out.stderr).into_owned());

    // Let the mirror catch up with every record stored so far before reading it.
    // (The mirror starts at the chain's head when the server starts: `init`'s
    // records come before it.)
    let newest = srv.audit("")[0]["seq"].as_i64().expect("seq");
    let mirror_text = crate::common::wait_for(
        "the audit mirror to catch up",
        std::time::Duration::from_secs(30),
        || {
            let t = std::fs::read_to_string(&mirror).ok()?;
            let last = t
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter_map(|v| v["seq"].as_i64())
                .max()?;
            (last >= newest).then_some(t)
        },
    );
    assert!(mirror_text.contains("secretsmanager:PutSecretValue"));

    let captured = [
        ("server stdout", srv.stdout()),
        ("server stderr", srv.stderr()),
        ("audit mirror", mirror_text),
        ("responses and CLI output", seen.join("\n")),
    ];
    // Trace logging is really on (or this test proves nothing).
    assert!(
        captured[1].1.contains("TRACE") || captured[1].1.contains("DEBUG"),
        "server did not log at trace level"
    );
    for (what, text) in &captured {
        for v in ALL {
            assert!(!text.contains(v), "{what} contains the value {v}");
        }
        assert!(
            !text.contains(&b64),
            "{what} contains the base64 of a value"
        );
    }

    // Nothing is stored in plaintext either.
    let mut disk = Vec::new();
    for entry in std::fs::read_dir(&srv.data_dir).expect("read data dir") {
        let p = entry.expect("entry").path();
        if p.is_file() {
            disk.extend(std::fs::read(&p).expect("read file"));
        }
    }
    for v in ALL {
        assert!(
            !disk.windows(v.len()).any(|w| w == v.as_bytes()),
            "the data directory contains {v} in plaintext"
        );
    }
}
