//! The server in-process for the tests in this folder: an unsealed in-memory
//! server with a bootstrap admin, and requests signed as a principal (bearer
//! token for the native API, SigV4 for the AWS protocols) sent to `router()`
//! with `oneshot`.

#![allow(dead_code)] // each test binary uses its own part

use axum::body::Body;
use http::{Request, StatusCode};
use keyward_crypto::RootKey;
use keyward_server::identities::bootstrap_admin;
use keyward_server::{AppState, ServerConfig};
use keyward_store::Store;
use keyward_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::SystemTime;
use tower::ServiceExt;

pub struct Api {
    pub state: Arc<AppState>,
    pub id: String,
    pub secret: String,
}

impl Api {
    pub async fn new() -> Self {
        Self::with(ServerConfig::default()).await
    }

    pub async fn with(cfg: ServerConfig) -> Self {
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

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
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

    pub fn token(&self) -> String {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        keyward_crypto::bearer::make_token(&self.id, &self.secret, now)
    }

    pub async fn native(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        self.send(self.native_request(method, path, body)).await
    }

    pub fn native_request(&self, method: &str, path: &str, body: Body) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.token()))
            .header("content-type", "application/json")
            .body(body)
            .expect("request")
    }

    pub async fn aws(&self, target: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.aws_request(target, &body.to_string(), &[]))
            .await
    }

    /// A SigV4-signed AWS JSON request, with `extra` headers added after signing.
    pub fn aws_request(&self, target: &str, body: &str, extra: &[(&str, &str)]) -> Request<Body> {
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

impl Api {
    /// A new principal `name` with `policy` attached (made by this admin), and
    /// requests signed as it.
    pub async fn principal_with(&self, name: &str, policy: Value) -> Api {
        let (status, created) = self
            .native("POST", "/v1/principals", Some(json!({ "name": name })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        for (method, path, body) in [
            ("PUT", format!("/v1/policies/{name}-policy"), Some(policy)),
            (
                "PUT",
                format!("/v1/principals/{name}/policies/{name}-policy"),
                None,
            ),
        ] {
            let (status, answer) = self.native(method, &path, body).await;
            assert!(status.is_success(), "{method} {path}: {answer}");
        }
        Api {
            state: self.state.clone(),
            id: created["access_key_id"].as_str().expect("key id").into(),
            secret: created["secret_access_key"]
                .as_str()
                .expect("secret")
                .into(),
        }
    }
}

impl Api {
    /// Creates secret `name` holding `value` as this principal; the answer
    /// (`{secret, version, created}`).
    pub async fn create_secret(&self, name: &str, value: &str) -> Value {
        let (status, answer) = self
            .native(
                "POST",
                "/v1/secrets",
                Some(json!({ "name": name, "value": value })),
            )
            .await;
        assert!(status.is_success(), "create {name}: {answer}");
        answer
    }

    /// The newest audit record.
    pub async fn last_audit(&self) -> keyward_store::AuditRecord {
        let mut last = self
            .state
            .store
            .list_audit(&keyward_store::AuditQuery {
                limit: Some(1),
                descending: true,
                ..Default::default()
            })
            .await
            .expect("audit");
        last.pop().expect("an audit record")
    }
}
