//! SigV4-signed calls to keyward's AWS JSON 1.1 API, for tests that drive the
//! Secrets Manager and SSM operations without an SDK in between (so they can also
//! send what an SDK never would).

use super::TestServer;
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// Which AWS service an operation belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Service {
    SecretsManager,
    Ssm,
}

impl Service {
    fn target_prefix(self) -> &'static str {
        match self {
            Service::SecretsManager => "secretsmanager",
            Service::Ssm => "AmazonSSM",
        }
    }
    fn signing_name(self) -> &'static str {
        match self {
            Service::SecretsManager => "secretsmanager",
            Service::Ssm => "ssm",
        }
    }
}

/// An answer of the AWS API.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub request_id: String,
}

impl Reply {
    pub fn error_type(&self) -> &str {
        self.json["__type"].as_str().unwrap_or("")
    }
    pub fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or("")
    }
    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "{}", self.json);
        self.json
    }
}

/// One signed call. `tamper` may change the request after signing.
#[allow(clippy::too_many_arguments)]
pub fn call_with(
    s: &TestServer,
    service: Service,
    region: &str,
    op: &str,
    body: &Value,
    key: (&str, &str),
    time: SystemTime,
    tamper: impl FnOnce(&mut reqwest::header::HeaderMap, &mut Vec<u8>),
) -> Reply {
    let mut body_bytes = body.to_string().into_bytes();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "content-type",
        "application/x-amz-json-1.1".parse().expect("header"),
    );
    headers.insert(
        "x-amz-target",
        format!("{}.{op}", service.target_prefix())
            .parse()
            .expect("header"),
    );
    headers.insert(
        "host",
        format!("127.0.0.1:{}", s.port).parse().expect("header"),
    );
    let parts = keyward_sigv4::RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        authority: None,
        body: &body_bytes,
    };
    let signed = keyward_sigv4::sign_request(
        &parts,
        &keyward_sigv4::SigningParams {
            access_key_id: key.0,
            secret_access_key: key.1,
            region,
            service: service.signing_name(),
            time,
        },
    )
    .expect("sign");
    headers.insert(
        "authorization",
        signed.authorization.parse().expect("header"),
    );
    headers.insert("x-amz-date", signed.amz_date.parse().expect("header"));
    tamper(&mut headers, &mut body_bytes);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let r = client
        .post(format!("{}/", s.addr))
        .headers(headers)
        .body(body_bytes)
        .send()
        .expect("send");
    let status = r.status().as_u16();
    let request_id = r
        .headers()
        .get("x-amzn-requestid")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = r.text().unwrap_or_default();
    Reply {
        status,
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        request_id,
    }
}

/// A Secrets Manager call as `key`, signed now.
pub fn sm_as(s: &TestServer, key: (&str, &str), region: &str, op: &str, body: Value) -> Reply {
    call_with(
        s,
        Service::SecretsManager,
        region,
        op,
        &body,
        key,
        SystemTime::now(),
        |_, _| {},
    )
}

/// An SSM call as `key`, signed now.
pub fn ssm_as(s: &TestServer, key: (&str, &str), region: &str, op: &str, body: Value) -> Reply {
    call_with(
        s,
        Service::Ssm,
        region,
        op,
        &body,
        key,
        SystemTime::now(),
        |_, _| {},
    )
}

impl TestServer {
    /// The admin's key pair.
    pub fn admin_key(&self) -> (&str, &str) {
        (&self.access_key_id, &self.secret_access_key)
    }
    /// A Secrets Manager call as the admin.
    pub fn sm(&self, region: &str, op: &str, body: Value) -> Reply {
        sm_as(self, self.admin_key(), region, op, body)
    }
    /// An SSM call as the admin.
    pub fn ssm(&self, region: &str, op: &str, body: Value) -> Reply {
        ssm_as(self, self.admin_key(), region, op, body)
    }
}
