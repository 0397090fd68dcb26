//! The whole HTTP API driven in-process through `router()` with `oneshot`: no
//! socket, no child process, so each case runs in microseconds and a failure
//! points at the handler, not the harness. The real-binary tests in
//! `crates/keyward/tests` cover the same API end to end.

mod common;

use axum::body::{Body, Bytes};
use common::Api;
use futures::FutureExt;
use http::{Request, StatusCode};
use keyward_server::ServerConfig;
use keyward_server::listener::HttpLimits;
use serde_json::{Value, json};
use std::convert::Infallible;
use tower::ServiceExt;

#[tokio::test]
async fn health_answers_without_credentials() {
    let api = Api::new().await;
    let req = Request::get("/v1/sys/health")
        .body(Body::empty())
        .expect("req");
    let (status, body) = api.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sealed"], false);
}

#[tokio::test]
async fn a_request_without_a_token_is_refused() {
    let api = Api::new().await;
    let req = Request::get("/v1/secrets/app/key")
        .body(Body::empty())
        .expect("req");
    let (status, body) = api.send(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "missing_credentials");
}

#[tokio::test]
async fn native_write_then_read_round_trips() {
    let api = Api::new().await;
    let (status, body) = api
        .native("PUT", "/v1/secrets/app/key", Some(json!({"value": "v-1"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = api.native("GET", "/v1/secrets/app/key", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["value"], "v-1");
    let (status, body) = api.native("GET", "/v1/secrets/app/missing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn the_aws_protocol_reads_what_the_native_api_wrote() {
    let api = Api::new().await;
    api.native(
        "PUT",
        "/v1/secrets/shared",
        Some(json!({"value": "s3cr3t"})),
    )
    .await;
    let (status, body) = api
        .aws(
            "secretsmanager.GetSecretValue",
            json!({"SecretId": "shared"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["SecretString"], "s3cr3t");
    assert_eq!(body["VersionStages"], json!(["AWSCURRENT"]));
    let (status, body) = api
        .aws("secretsmanager.GetSecretValue", json!({"SecretId": "nope"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["__type"], "ResourceNotFoundException");
}

#[tokio::test]
async fn unknown_routes_and_oversize_bodies_get_clear_errors() {
    let api = Api::with(ServerConfig {
        max_body_bytes: 1024,
        ..Default::default()
    })
    .await;
    let (status, body) = api.native("GET", "/v1/nowhere", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = api
        .native(
            "PUT",
            "/v1/secrets/app/big",
            Some(json!({"value": "x".repeat(2000)})),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
}

#[tokio::test]
async fn every_request_is_audited_once_whatever_its_outcome() {
    let api = Api::new().await;
    let before = api
        .state
        .store
        .audit_head()
        .await
        .expect("head")
        .map_or(0, |h| h.seq);
    api.native("PUT", "/v1/secrets/a", Some(json!({"value": "1"})))
        .await;
    api.native("GET", "/v1/secrets/a", None).await;
    api.native("GET", "/v1/secrets/none", None).await;
    api.aws("secretsmanager.GetSecretValue", json!({"SecretId": "a"}))
        .await;
    let after = api
        .state
        .store
        .audit_head()
        .await
        .expect("head")
        .map_or(0, |h| h.seq);
    assert_eq!(after - before, 4);
}

#[tokio::test]
async fn the_request_id_is_the_servers_and_matches_the_audit_record() {
    let api = Api::new().await;
    api.native("PUT", "/v1/secrets/rid", Some(json!({"value": "1"})))
        .await;
    // A client's own id headers are not adopted.
    let req = api.aws_request(
        "secretsmanager.GetSecretValue",
        r#"{"SecretId": "rid"}"#,
        &[
            ("x-request-id", "forged-id"),
            ("x-amzn-requestid", "forged-id"),
        ],
    );
    let resp = keyward_server::router(api.state.clone())
        .oneshot(req)
        .await
        .expect("infallible");
    assert_eq!(resp.status(), StatusCode::OK);
    let id = resp.headers()["x-amzn-requestid"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert_ne!(id, "forged-id");
    assert_eq!(api.last_audit().await.event.request_id, id);
}

/// `fields` with `pad` padded so that the JSON text is exactly `len` bytes long.
fn json_of_len(len: usize, pad: &str, fields: Value) -> Value {
    let mut v = fields;
    v[pad] = Value::String(String::new());
    let base = v.to_string().len();
    v[pad] = Value::String("x".repeat(len - base));
    assert_eq!(v.to_string().len(), len);
    v
}

#[tokio::test]
async fn a_body_at_the_limit_is_read_and_past_it_each_api_answers_in_its_own_format() {
    let api = Api::with(ServerConfig {
        max_body_bytes: 1024,
        ..Default::default()
    })
    .await;
    let native = |len| json_of_len(len, "value", json!({}));
    let (status, body) = api
        .native("PUT", "/v1/secrets/limit/at", Some(native(1024)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = api
        .native("PUT", "/v1/secrets/limit/over", Some(native(1025)))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("the request body is larger than 1024 bytes (the limit)"),
        "{body}"
    );

    let aws = |name, len| json_of_len(len, "SecretString", json!({"Name": name}));
    let (status, body) = api
        .aws("secretsmanager.CreateSecret", aws("aws-at", 1024))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = api
        .aws("secretsmanager.CreateSecret", aws("aws-over", 1025))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["__type"], "RequestEntityTooLargeException", "{body}");
    assert_eq!(
        body["message"], "Request body is larger than the 1024 byte limit",
        "{body}"
    );
}

fn one_request_at_a_time() -> ServerConfig {
    ServerConfig {
        http: HttpLimits {
            max_concurrent_requests: 1,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A request that needs no I/O: with a slot free it is answered within one poll,
/// so a poll that leaves it pending shows it waiting for a slot, not a clock.
fn no_io_request() -> Request<Body> {
    Request::get("/v1/nowhere")
        .body(Body::empty())
        .expect("req")
}

#[tokio::test]
async fn past_the_concurrency_limit_a_request_waits_for_a_slot() {
    let api = Api::with(one_request_at_a_time()).await;
    let app = keyward_server::router(api.state.clone());
    let free = app
        .clone()
        .oneshot(no_io_request())
        .now_or_never()
        .expect("with a slot free it is answered at once")
        .expect("infallible");
    assert_eq!(free.status(), StatusCode::NOT_FOUND);

    // The only slot is held by a write whose body arrives when released.
    let (reading_tx, reading) = tokio::sync::oneshot::channel();
    let (release, released) = tokio::sync::oneshot::channel::<Bytes>();
    let body = futures::stream::once(async move {
        let _ = reading_tx.send(());
        Ok::<_, Infallible>(released.await.unwrap_or_default())
    });
    let held = api.native_request("PUT", "/v1/secrets/held", Body::from_stream(body));
    let held = tokio::spawn(app.clone().oneshot(held));
    reading.await.expect("the held request reads its body");

    let mut waiting = std::pin::pin!(app.clone().oneshot(no_io_request()));
    assert!(
        futures::poll!(&mut waiting).is_pending(),
        "a request past the limit waits"
    );
    release
        .send(Bytes::from(json!({"value": "v"}).to_string()))
        .expect("the held request is still reading");
    let held = held.await.expect("task").expect("infallible");
    assert_eq!(held.status(), StatusCode::CREATED);
    let waited = waiting.await.expect("infallible");
    assert_eq!(waited.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_change_stream_holds_no_slot_while_it_streams() {
    let api = Api::with(one_request_at_a_time()).await;
    let app = keyward_server::router(api.state.clone());
    let watch = api.native_request("GET", "/v1/watch", Body::empty());
    let stream = app.clone().oneshot(watch).await.expect("infallible");
    assert_eq!(stream.status(), StatusCode::OK);
    // The stream is open (its body is held here), and the one slot is free.
    let next = app
        .clone()
        .oneshot(no_io_request())
        .now_or_never()
        .expect("the open stream holds no slot")
        .expect("infallible");
    assert_eq!(next.status(), StatusCode::NOT_FOUND);
    let (status, body) = api.native("GET", "/v1/sys/health", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    drop(stream);
}

/// 200 answers that are not a JSON object, so have no schema to describe, and why.
/// Every other `/v1` operation's 200 answer must name a described type.
const NOT_JSON_ANSWERS: &[(&str, &str, &str)] = &[
    (
        "post",
        "/v1/sys/backup",
        "the answer is the encrypted backup file itself",
    ),
    (
        "get",
        "/v1/watch",
        "the answer is a stream of server-sent events",
    ),
];

/// Whether `schema` (inline or a `$ref` into `components`) says what the answer
/// holds: a bare `Object` (no properties, no variants) tells a client nothing.
fn described(doc: &Value, schema: &Value) -> Result<(), String> {
    let schema = match schema["$ref"].as_str() {
        Some(r) => {
            let name = r
                .strip_prefix("#/components/schemas/")
                .ok_or_else(|| format!("{r} is not a component"))?;
            let found = &doc["components"]["schemas"][name];
            if !found.is_object() {
                return Err(format!("{r} is not in components.schemas"));
            }
            found
        }
        None => schema,
    };
    let has = |k: &str| {
        schema[k].as_object().is_some_and(|m| !m.is_empty())
            || schema[k].as_array().is_some_and(|a| !a.is_empty())
    };
    if ["properties", "oneOf", "anyOf", "allOf"]
        .iter()
        .any(|k| has(k))
    {
        Ok(())
    } else {
        Err(format!("a bare schema: {schema}"))
    }
}

#[tokio::test]
async fn every_json_answer_is_described_in_the_openapi_document() {
    let api = Api::new().await;
    let req = Request::get("/v1/openapi.json")
        .body(Body::empty())
        .expect("req");
    let (status, doc) = api.send(req).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        assert!(path.starts_with("/v1/"), "{path}");
        for (method, op) in ops.as_object().expect("operations") {
            let success: Vec<(&String, &Value)> = op["responses"]
                .as_object()
                .expect("responses")
                .iter()
                .filter(|(code, _)| code.starts_with('2'))
                .collect();
            if success.is_empty() {
                problems.push(format!("{method} {path}: no success answer declared"));
            }
            let listed = NOT_JSON_ANSWERS
                .iter()
                .find(|(m, p, _)| m == method && p == path);
            if listed.is_some() {
                seen.push(format!("{method} {path}"));
            }
            for (code, resp) in success {
                let content = &resp["content"];
                if let Some((_, _, why)) = listed {
                    let types: Vec<&String> = content
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(t, _)| t)
                        .collect();
                    if types.is_empty() || types.iter().any(|t| t.contains("json")) {
                        problems.push(format!(
                            "{method} {path} {code} is listed as not JSON ({why}) but answers {types:?}"
                        ));
                    }
                    continue;
                }
                let schema = &content["application/json"]["schema"];
                if schema.is_null() {
                    problems.push(format!("{method} {path} {code}: no JSON body declared"));
                } else if let Err(e) = described(&doc, schema) {
                    problems.push(format!("{method} {path} {code}: {e}"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "undescribed answers:\n{}",
        problems.join("\n")
    );
    assert_eq!(
        seen.len(),
        NOT_JSON_ANSWERS.len(),
        "a listed exception is gone: {seen:?}"
    );
}

#[tokio::test]
async fn a_get_parameters_record_names_the_secrets_it_read_through_references() {
    let api = Api::new().await;
    let created = api.create_secret("prod/db", "v-0123456789").await;
    let secret_arn = created["secret"]["arn"].as_str().expect("arn").to_string();
    api.native("PUT", "/v1/secrets/plain", Some(json!({"value": "1"})))
        .await;
    let (status, answer) = api
        .aws(
            "AmazonSSM.GetParameters",
            json!({"Names": ["/aws/reference/secretsmanager/prod/db", "/dummy"],
                "WithDecryption": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["Parameters"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    let resource = api.last_audit().await.event.resource.unwrap_or_default();
    assert!(resource.contains(&secret_arn), "{resource}");
    assert!(resource.contains("parameter/dummy"), "{resource}");
}
