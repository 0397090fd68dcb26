//! The whole HTTP API driven in-process through `router()` with `oneshot`: no
//! socket, no child process, so each case runs in microseconds and a failure
//! points at the handler, not the harness. The real-binary tests in
//! `crates/keyward/tests` cover the same API end to end.

use axum::body::{Body, Bytes};
use futures::FutureExt;
use http::{Request, StatusCode};
use keyward_crypto::RootKey;
use keyward_server::identities::bootstrap_admin;
use keyward_server::listener::HttpLimits;
use keyward_server::{AppState, ServerConfig};
use keyward_store::Store;
use keyward_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::SystemTime;
use tower::ServiceExt;

struct Api {
    state: Arc<AppState>,
    id: String,
    secret: String,
}

impl Api {
    async fn new() -> Self {
        Self::with(ServerConfig::default()).await
    }

    async fn with(cfg: ServerConfig) -> Self {
        let root = RootKey::generate();
        let store = SqliteStore::open_in_memory().expect("store");
        store
            .set_setting("root_key_check", &root.check_value())
            .await
            .expect("check value");
        let keyring = keyward_server::keyring::load_or_create(&store, &root)
            .await
            .expect("keyring");
        let admin = bootstrap_admin(&store, &keyring, &cfg.account_id, "admin", None)
            .await
            .expect("admin");
        let state = AppState::new(Arc::new(store), cfg);
        state.unseal(&root).await.expect("unseal");
        Self {
            state,
            id: admin.access_key_id,
            secret: admin.secret_access_key.expose().to_string(),
        }
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let resp = keyward_server::router(self.state.clone())
            .oneshot(req)
            .await
            .expect("infallible");
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn token(&self) -> String {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        keyward_crypto::bearer::make_token(&self.id, &self.secret, now)
    }

    async fn native(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        self.send(self.native_request(method, path, body)).await
    }

    fn native_request(&self, method: &str, path: &str, body: Body) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.token()))
            .header("content-type", "application/json")
            .body(body)
            .expect("request")
    }

    async fn aws(&self, target: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.aws_request(target, &body.to_string(), &[]))
            .await
    }

    /// A SigV4-signed AWS JSON request, with `extra` headers added after signing.
    fn aws_request(&self, target: &str, body: &str, extra: &[(&str, &str)]) -> Request<Body> {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "content-type",
            "application/x-amz-json-1.1".parse().expect("h"),
        );
        headers.insert("x-amz-target", target.parse().expect("h"));
        headers.insert("host", "keyward.test".parse().expect("h"));
        let service = if target.starts_with("AmazonSSM.") {
            "ssm"
        } else {
            "secretsmanager"
        };
        let signed = keyward_sigv4::sign_request(
            &keyward_sigv4::RequestParts {
                method: "POST",
                path: "/",
                query: "",
                headers: &headers,
                authority: None,
                body: body.as_bytes(),
            },
            &keyward_sigv4::SigningParams {
                access_key_id: &self.id,
                secret_access_key: &self.secret,
                region: "us-east-1",
                service,
                time: SystemTime::now(),
            },
        )
        .expect("sign");
        let mut req = Request::builder().method("POST").uri("/");
        for (k, v) in &headers {
            req = req.header(k, v);
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        req.header("authorization", signed.authorization)
            .header("x-amz-date", signed.amz_date)
            .body(Body::from(body.to_string()))
            .expect("request")
    }
}

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
    let last = api
        .state
        .store
        .list_audit(&keyward_store::AuditQuery {
            limit: Some(1),
            descending: true,
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(last[0].event.request_id, id);
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

/// Every operation's `x-keyward-action` is the action its handler authorizes:
/// a caller allowed everything but that one action is refused each documented
/// operation, and the refusal names exactly the documented action. A handler that
/// authorizes under another name (the document and the code drifting apart) runs
/// instead, or is refused under the other name, and fails here. Per-item operations
/// (batch reads, fingerprints, rotate-all) name the action each item is checked
/// against, so a secret exists for them to reach.
#[tokio::test]
async fn every_documented_action_is_the_one_the_route_authorizes() {
    let api = Api::new().await;
    let ok = |(status, body): (StatusCode, Value)| {
        assert!(status.is_success(), "setup: {status} {body}");
        body
    };
    ok(api
        .native(
            "POST",
            "/v1/secrets",
            Some(json!({"name": "probe", "value": "probe-value-0123456789"})),
        )
        .await);
    let created = ok(api
        .native("POST", "/v1/principals", Some(json!({"name": "nobody"})))
        .await);
    let allow_all = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    ok(api
        .native("PUT", "/v1/policies/allow-all", Some(allow_all))
        .await);
    ok(api
        .native("PUT", "/v1/principals/nobody/policies/allow-all", None)
        .await);
    // rotate-all reaches only secrets with a rotation.
    ok(api
        .native(
            "PUT",
            "/v1/rotation/probe",
            Some(json!({"rotator": "generated"})),
        )
        .await);
    let nobody = Api {
        state: api.state.clone(),
        id: created["access_key_id"].as_str().expect("key id").into(),
        secret: created["secret_access_key"]
            .as_str()
            .expect("secret")
            .into(),
    };
    let req = Request::get("/v1/openapi.json")
        .body(Body::empty())
        .expect("req");
    let (_, doc) = api.send(req).await;
    let mut problems = Vec::new();
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let Some(action) = op["x-keyward-action"].as_str() else {
                continue;
            };
            // Unauthenticated operations (unseal, break-glass) name the action
            // they are audited as; no policy can apply before a caller is known.
            let open = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            let exempt = AUDITED_NOT_AUTHORIZED
                .iter()
                .any(|(m, p, _)| m == method && p == path);
            if open || exempt {
                continue;
            }
            let deny = json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "Action": action, "Resource": "*"}]});
            ok(api.native("PUT", "/v1/policies/deny-one", Some(deny)).await);
            if checked == 0 {
                ok(api
                    .native("PUT", "/v1/principals/nobody/policies/deny-one", None)
                    .await);
            }
            let method = method.to_uppercase();
            let body = valid_body(&method, path);
            let (status, answer) = nobody.native(&method, &fill_path_params(path), body).await;
            let text = answer.to_string();
            let names_it = text.contains(&format!("perform: {action} on"))
                || text.contains(&format!("does not allow {action} on"));
            let skipped_the_probe = SKIP_WHAT_IS_DENIED.contains(&path.as_str())
                && status == StatusCode::OK
                && answer["skipped"] == 1;
            if !names_it && !skipped_the_probe {
                problems.push(format!(
                    "{method} {path} documents {action} but answered {status}: {answer}"
                ));
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} operations were checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Operations whose documented action names their audit record only.
const AUDITED_NOT_AUTHORIZED: &[(&str, &str, &str)] = &[(
    "post",
    "/v1/sts/session",
    "as with AWS STS, no permission is needed: the caller's own MFA code is the check",
)];

/// Per-item operations that pass over the items the caller may not see and
/// count them, rather than refuse the request.
const SKIP_WHAT_IS_DENIED: &[&str] = &["/v1/scan/fingerprints", "/v1/scan/leaks"];

/// `path` with each `{param}` replaced by the probe's names.
fn fill_path_params(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{id}" => "AKIAPROBE",
            "{policy}" => "allow-all",
            s if s.starts_with('{') => "probe",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A body that passes each operation's input checks, so that authorization is
/// what answers.
fn valid_body(method: &str, path: &str) -> Option<Value> {
    let body = match (method, path) {
        ("GET" | "DELETE", _) => return None,
        ("POST", "/v1/secrets") => json!({"name": "probe-2", "value": "v-0123456789"}),
        ("PUT", "/v1/secrets/{name}") => json!({"value": "v-0123456789"}),
        ("PUT", "/v1/policies/{name}") => json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        ("POST", "/v1/principals") => json!({"name": "probe-2"}),
        ("POST", "/v1/batch/get") => json!({"names": ["probe"]}),
        ("POST", "/v1/alerts/test") => json!({"sink": "probe"}),
        ("POST", "/v1/files/recipients") => json!({"name": "probe-2"}),
        ("POST", "/v1/files/recipients/{name}/decrypt") => json!({"values": []}),
        ("PUT", "/v1/rotation/{name}") => json!({"rotator": "generated"}),
        ("POST", "/v1/scan/leaks") => json!({"found": [{"secret": "probe", "hits": 1}]}),
        ("POST", "/v1/sys/restore-secret") => json!({"id": "8f1c2d3e-4b5a-4c6d-8e7f-901234567890",
            "region": "us-east-1", "name": "probe",
            "arn": "arn:aws:secretsmanager:us-east-1:000000000000:secret:probe-AbCdEf",
            "description": null, "kms_key_id": null, "tags": [], "metadata": {},
            "versions": []}),
        ("POST", "/v1/sys/rekey-shares") => json!({"key_shares": 3, "key_threshold": 2}),
        _ => json!({}),
    };
    Some(body)
}

/// A restore is authorized against the ARN of the secret it writes and of the one
/// it replaces: a caller allowed to restore `team-a/*` cannot overwrite `prod/db`
/// by naming it beside a `team-a` ARN, nor by sending `prod/db`'s own ARN.
#[tokio::test]
async fn a_restore_cannot_replace_a_secret_the_caller_may_not_restore() {
    let api = Api::new().await;
    let (status, prod) = api
        .native(
            "POST",
            "/v1/secrets",
            Some(json!({"name": "prod/db", "value": "prod-value-0123456789"})),
        )
        .await;
    assert!(status.is_success(), "{prod}");
    let (_, created) = api
        .native("POST", "/v1/principals", Some(json!({"name": "team-a"})))
        .await;
    // The second resource is an ARN no secret has yet: restoring under it may not
    // destroy the `prod/db` that exists under another suffix.
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "keyward:RestoreSecret",
        "Resource": ["arn:aws:secretsmanager:*:*:secret:team-a/*",
            "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-Zz9Zz9"]}]});
    for (method, path, body) in [
        ("PUT", "/v1/policies/restore-a", Some(policy)),
        ("PUT", "/v1/principals/team-a/policies/restore-a", None),
    ] {
        let (status, answer) = api.native(method, path, body).await;
        assert!(status.is_success(), "{answer}");
    }
    let team_a = Api {
        state: api.state.clone(),
        id: created["access_key_id"].as_str().expect("id").into(),
        secret: created["secret_access_key"].as_str().expect("key").into(),
    };
    let export = |name: &str, arn: &str| {
        json!({"id": "8f1c2d3e-4b5a-4c6d-8e7f-901234567890", "region": "us-east-1",
            "name": name, "arn": arn, "description": null, "kms_key_id": null,
            "tags": [], "metadata": {}, "versions": []})
    };
    let a_arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:team-a/x-AbCdEf";
    let prod_arn = prod["secret"]["arn"].as_str().expect("arn");

    let (status, answer) = team_a
        .native(
            "POST",
            "/v1/sys/restore-secret",
            Some(export("prod/db", a_arn)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer
            .to_string()
            .contains("is not the ARN of secret prod/db"),
        "{answer}"
    );
    let (status, answer) = team_a
        .native(
            "POST",
            "/v1/sys/restore-secret",
            Some(export("prod/db", prod_arn)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (status, answer) = team_a
        .native(
            "POST",
            "/v1/sys/restore-secret",
            Some(export(
                "prod/db",
                "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-Zz9Zz9",
            )),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");

    let (status, still) = api.native("GET", "/v1/secrets/prod/db", None).await;
    assert_eq!(status, StatusCode::OK, "{still}");
    assert_eq!(still["value"], "prod-value-0123456789");

    // What the policy allows still works.
    let (status, answer) = team_a
        .native(
            "POST",
            "/v1/sys/restore-secret",
            Some(export("team-a/x", a_arn)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}
