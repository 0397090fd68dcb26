//! Bad input of every kind gets a clear 4xx, never a panic or a 500.

use crate::common::{Auth, InitOpts, ServeOpts, TestServer};
use serde_json::json;

/// (method, path, body, expected status, expected code, text the message must contain)
type Case = (
    &'static str,
    String,
    Option<Vec<u8>>,
    u16,
    &'static str,
    &'static str,
);

#[test]
fn bad_input_is_rejected_clearly() {
    let mut srv = TestServer::start_with(
        InitOpts::default(),
        ServeOpts {
            args: vec!["--max-body-bytes".into(), "4096".into()],
            env: vec![],
            tls_ca: None,
        },
    );
    srv.put_secret("bad/existing", "existing-value");
    let s = |p: &str| p.to_string();
    let b = |t: &str| Some(t.as_bytes().to_vec());
    let big = format!("{{\"value\": \"{}\"}}", "x".repeat(5000));
    let long_name = "a".repeat(513);
    let cases: Vec<Case> = vec![
        // Malformed JSON.
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            b("{\"value\": "),
            400,
            "invalid_parameter",
            "not valid",
        ),
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            b("not json at all"),
            400,
            "invalid_parameter",
            "not valid",
        ),
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            b(""),
            400,
            "invalid_parameter",
            "empty",
        ),
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            Some(vec![0xff, 0xfe, 0x00, 0x7b]),
            400,
            "invalid_parameter",
            "not valid",
        ),
        (
            "POST",
            s("/v1/secrets"),
            b("[1, 2, 3]"),
            400,
            "invalid_parameter",
            "not valid",
        ),
        (
            "PUT",
            s("/v1/policies/badpol"),
            b("{\"Version\": "),
            400,
            "invalid_parameter",
            "policy document",
        ),
        (
            "PUT",
            s("/v1/policies/badpol"),
            b("{\"Version\": \"2012-10-17\", \"Statement\": []}"),
            400,
            "invalid_parameter",
            "policy document",
        ),
        // Wrong types.
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            b("{\"value\": 42}"),
            400,
            "invalid_parameter",
            "expected a string",
        ),
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            b("{\"value\": \"v\", \"tags\": \"red\"}"),
            400,
            "invalid_parameter",
            "tags",
        ),
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            b("{\"value\": \"v\", \"stages\": [1]}"),
            400,
            "invalid_parameter",
            "expected a string",
        ),
        (
            "POST",
            s("/v1/principals"),
            b("{\"name\": 7}"),
            400,
            "invalid_parameter",
            "not valid",
        ),
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            b("{\"value_base64\": \"***\"}"),
            400,
            "invalid_parameter",
            "base64",
        ),
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            b("{\"value\": \"a\", \"value_base64\": \"YQ==\"}"),
            400,
            "invalid_parameter",
            "not both",
        ),
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            b("{\"description\": \"no value\"}"),
            400,
            "invalid_parameter",
            "required",
        ),
        (
            "POST",
            s("/v1/secrets"),
            b("{\"value\": \"no name\"}"),
            400,
            "invalid_parameter",
            "`name` is required",
        ),
        // Unknown fields.
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            b("{\"value\": \"v\", \"colour\": \"red\"}"),
            400,
            "invalid_parameter",
            "colour",
        ),
        (
            "POST",
            s("/v1/principals"),
            b("{\"name\": \"p\", \"admin\": true}"),
            400,
            "invalid_parameter",
            "admin",
        ),
        // Oversize bodies.
        (
            "PUT",
            s("/v1/secrets/bad/x"),
            Some(big.clone().into_bytes()),
            413,
            "payload_too_large",
            "4096",
        ),
        (
            "POST",
            s("/v1/secrets"),
            Some(big.clone().into_bytes()),
            413,
            "payload_too_large",
            "4096",
        ),
        (
            "PUT",
            s("/v1/policies/bigpol"),
            Some(big.clone().into_bytes()),
            413,
            "payload_too_large",
            "4096",
        ),
        // Bad names: the error names the character and its position.
        (
            "PUT",
            s("/v1/secrets/bad%20name"),
            b("{\"value\": \"v\"}"),
            400,
            "invalid_parameter",
            "' ' at position 4",
        ),
        (
            "PUT",
            s("/v1/secrets/bad/n%C3%BCme"),
            b("{\"value\": \"v\"}"),
            400,
            "invalid_parameter",
            "'ü' at position 6",
        ),
        (
            "GET",
            s("/v1/secrets/x%23y"),
            None,
            400,
            "invalid_parameter",
            "'#' at position 2",
        ),
        (
            "POST",
            s("/v1/secrets"),
            Some(
                json!({"name": "a:b", "value": "v"})
                    .to_string()
                    .into_bytes(),
            ),
            400,
            "invalid_parameter",
            "':' at position 2",
        ),
        (
            "PUT",
            format!("/v1/secrets/{long_name}"),
            b("{\"value\": \"v\"}"),
            400,
            "invalid_parameter",
            "513 characters",
        ),
        (
            "POST",
            s("/v1/principals"),
            b("{\"name\": \"has space\"}"),
            400,
            "invalid_parameter",
            "' ' at position 4",
        ),
        (
            "PUT",
            s("/v1/policies/bad%20pol"),
            Some(
                crate::common::allow(&["s3:GetObject"])
                    .to_string()
                    .into_bytes(),
            ),
            400,
            "invalid_parameter",
            "policy name",
        ),
        // Unknown versions and stages.
        (
            "GET",
            s("/v1/secrets/bad/existing?version_id=00000000-0000-0000-0000-000000000000"),
            None,
            404,
            "not_found",
            "VersionId",
        ),
        (
            "GET",
            s("/v1/secrets/bad/existing?stage=NOSUCHSTAGE"),
            None,
            404,
            "not_found",
            "NOSUCHSTAGE",
        ),
        (
            "GET",
            s("/v1/secrets/bad/missing"),
            None,
            404,
            "not_found",
            "bad/missing",
        ),
        (
            "GET",
            s("/v1/history/bad/missing"),
            None,
            404,
            "not_found",
            "bad/missing",
        ),
        (
            "GET",
            s("/v1/principals/nobody"),
            None,
            404,
            "not_found",
            "nobody",
        ),
        (
            "GET",
            s("/v1/policies/nopolicy"),
            None,
            404,
            "not_found",
            "nopolicy",
        ),
        (
            "DELETE",
            s("/v1/keys/KWNOSUCHKEY"),
            None,
            404,
            "not_found",
            "KWNOSUCHKEY",
        ),
        (
            "GET",
            s("/v1/no/such/route"),
            None,
            404,
            "not_found",
            "no such route",
        ),
        // Recovery windows out of range, and conflicting options.
        (
            "DELETE",
            s("/v1/secrets/bad/existing?recovery_window_days=6"),
            None,
            400,
            "invalid_parameter",
            "between 7 and 30",
        ),
        (
            "DELETE",
            s("/v1/secrets/bad/existing?recovery_window_days=31"),
            None,
            400,
            "invalid_parameter",
            "between 7 and 30",
        ),
        (
            "DELETE",
            s("/v1/secrets/bad/existing?recovery_window_days=-1"),
            None,
            400,
            "invalid_parameter",
            "between 7 and 30",
        ),
        (
            "DELETE",
            s("/v1/secrets/bad/existing?recovery_window_days=ten"),
            None,
            400,
            "invalid_parameter",
            "query",
        ),
        (
            "DELETE",
            s("/v1/secrets/bad/existing?recovery_window_days=7&force=true"),
            None,
            400,
            "invalid_parameter",
            "RecoveryWindowInDays",
        ),
        // Bad query strings.
        (
            "GET",
            s("/v1/secrets?limit=0"),
            None,
            400,
            "invalid_parameter",
            "limit",
        ),
        (
            "GET",
            s("/v1/secrets?limit=1001"),
            None,
            400,
            "invalid_parameter",
            "limit",
        ),
        (
            "GET",
            s("/v1/secrets?limit=many"),
            None,
            400,
            "invalid_parameter",
            "query",
        ),
        (
            "GET",
            s("/v1/secrets?next_token=!!!notbase64"),
            None,
            400,
            "invalid_parameter",
            "next_token",
        ),
        (
            "GET",
            s("/v1/secrets?colour=red"),
            None,
            400,
            "invalid_parameter",
            "colour",
        ),
        (
            "GET",
            s("/v1/secrets/bad/existing?versionid=x"),
            None,
            400,
            "invalid_parameter",
            "versionid",
        ),
        (
            "GET",
            s("/v1/audit?since=yesterday"),
            None,
            400,
            "invalid_parameter",
            "RFC 3339",
        ),
        (
            "GET",
            s("/v1/audit?outcome=meh"),
            None,
            400,
            "invalid_parameter",
            "outcome",
        ),
        // Bad client request tokens.
        (
            "PUT",
            s("/v1/secrets/bad/existing"),
            b("{\"value\": \"v\", \"client_request_token\": \"short\"}"),
            400,
            "invalid_parameter",
            "client_request_token",
        ),
        (
            "PUT",
            s("/v1/secrets/bad/existing"),
            Some(
                json!({"value": "v", "client_request_token": "x".repeat(65)})
                    .to_string()
                    .into_bytes(),
            ),
            400,
            "invalid_parameter",
            "client_request_token",
        ),
    ];
    for (method, path, body, status, code, needle) in &cases {
        let r = srv.request(method, path, &Auth::Admin, body.clone(), None);
        assert_eq!(
            (r.status, r.code()),
            (*status, *code),
            "{method} {path}: {}",
            r.text
        );
        assert!(
            r.message().contains(needle),
            "{method} {path}: message does not mention {needle:?}: {}",
            r.message()
        );
    }
    // None of that changed the existing secret or killed the server.
    let r = srv.get("/v1/history/bad/existing").expect(200);
    assert_eq!(
        r.json["versions"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );
    assert_eq!(srv.cli_ok(&["get", "bad/existing"]), "existing-value\n");
    srv.wait_healthy();
    let stderr = srv.stderr();
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Each failure was audited as invalid / not found, never as an error.
    let errors = srv.audit("&outcome=error");
    assert!(
        errors.is_empty(),
        "failures audited as server errors: {errors:?}"
    );
    srv.restart();
}
