//! `POST /v1/batch/get`: one request, each secret authorized and audited on its own.

mod common;

use common::{Auth, TestServer};
use serde_json::json;

#[test]
fn batch_reads_authorize_and_audit_each_secret() {
    let srv = TestServer::start();
    srv.cli_ok(&["put", "/app/prod/a", "value-a-1"]);
    srv.cli_ok(&["put", "/app/prod/b", "value-b-2"]);
    srv.cli_ok(&["put", "/app/staging/c", "value-c-3"]);

    let r = srv
        .post(
            "/v1/batch/get",
            &json!({"names": ["/app/prod/a", "/app/prod/b", "/app/prod/missing"]}),
        )
        .expect(200);
    let got: Vec<(&str, &str)> = r.json["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or_default(),
                s["value"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![("/app/prod/a", "value-a-1"), ("/app/prod/b", "value-b-2")]
    );
    assert_eq!(r.json["errors"][0]["name"], "/app/prod/missing");
    assert_eq!(r.json["errors"][0]["code"], "not_found");

    // A principal allowed only /app/prod/* gets staging refused, prod answered.
    let (id, secret) = srv.create_principal("app", &[]);
    srv.put(
        "/v1/policies/prod-read",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                "Resource": "arn:aws:secretsmanager:*:*:secret:/app/prod/*"}]}),
    )
    .expect(200);
    srv.request(
        "PUT",
        "/v1/principals/app/policies/prod-read",
        &Auth::Admin,
        None,
        None,
    )
    .expect(200);
    let body = json!({"names": ["/app/prod/a", "/app/staging/c"]})
        .to_string()
        .into_bytes();
    let r = srv
        .request(
            "POST",
            "/v1/batch/get",
            &Auth::Key(id, secret),
            Some(body),
            None,
        )
        .expect(200);
    assert_eq!(
        r.json["secrets"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );
    assert_eq!(r.json["errors"][0]["code"], "access_denied");
    assert!(!r.text.contains("value-c-3"));

    // Each read left its own record.
    let audit = srv.get("/v1/audit?limit=50").expect(200);
    let records = audit.json["records"].as_array().expect("records");
    let reads = |resource_part: &str, outcome: &str| {
        records
            .iter()
            .filter(|r| {
                r["action"] == "secretsmanager:GetSecretValue"
                    && r["outcome"] == outcome
                    && r["resource"]
                        .as_str()
                        .unwrap_or_default()
                        .contains(resource_part)
            })
            .count()
    };
    assert_eq!(reads("/app/prod/a", "success"), 2);
    assert_eq!(reads("/app/staging/c", "denied"), 1);
    assert_eq!(reads("/app/prod/missing", "not_found"), 1);

    // Bad input.
    srv.post("/v1/batch/get", &json!({"names": []})).expect(400);
    srv.post("/v1/batch/get", &json!({"names": "x"}))
        .expect(400);
    let too_many: Vec<String> = (0..101).map(|i| format!("/n/{i}")).collect();
    srv.post("/v1/batch/get", &json!({"names": too_many}))
        .expect(400);
}
