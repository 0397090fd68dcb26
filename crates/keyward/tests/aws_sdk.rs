//! The official AWS SDK for Rust (`aws-sdk-secretsmanager`) against a real
//! `keyward serve`: the SDK serializes, signs (SigV4) and decodes every call, so a
//! response shape or error code the SDK cannot read fails here. The client is built
//! from `Config::builder()` (no `aws-config`) with static credentials, region
//! us-east-1 and `endpoint_url` on loopback.
//!
//! Transport: the SDK hands each finished request (serialized and signed) to an
//! `HttpClient`; ours sends it as it is over reqwest, which the tests build anyway.
//! The SDK's own hyper client (`aws-smithy-http-client`) would add HTTP/2, its
//! connector stack and a second build of hyper, axum and reqwest with other features:
//! minutes of compile on a 2-core machine for a plain-HTTP loopback test.
//!
//! The tests are synchronous: `TestServer` uses reqwest's blocking client, which must
//! not run inside an async runtime, so each SDK call is driven by `Sdk::run`.

mod common;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::config::retry::RetryConfig;
use aws_sdk_secretsmanager::config::{AsyncSleep, BehaviorVersion, Credentials, Region, Sleep};
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, Tag};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Headers, StatusCode};
use aws_smithy_types::body::SdkBody;
use common::{InitOpts, ServeOpts, TestServer, allow};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const ADMIN_KEY_ID: &str = "AKIAAWSSDKTEST000001";
const ADMIN_SECRET: &str = "aws-sdk-test-secret-key-000000000000000";

fn server() -> TestServer {
    TestServer::start_with(
        InitOpts {
            admin: Some((ADMIN_KEY_ID.into(), ADMIN_SECRET.into())),
            account_id: Some(ACCOUNT.into()),
            region: Some(REGION.into()),
        },
        ServeOpts::default(),
    )
}

/// Sends the SDK's requests over reqwest: method, URI, every header and the body as
/// the SDK made and signed them; status, headers and body back as keyward answered.
#[derive(Debug, Clone)]
struct Transport(reqwest::Client);

impl HttpConnector for Transport {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.0.clone();
        HttpConnectorFuture::new(async move {
            let mut headers = reqwest::header::HeaderMap::new();
            for (name, value) in request.headers() {
                headers.append(
                    reqwest::header::HeaderName::from_bytes(name.as_bytes())
                        .map_err(|e| ConnectorError::other(e.into(), None))?,
                    reqwest::header::HeaderValue::from_str(value)
                        .map_err(|e| ConnectorError::other(e.into(), None))?,
                );
            }
            let method = reqwest::Method::from_bytes(request.method().as_bytes())
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            let body = request
                .body()
                .bytes()
                .ok_or_else(|| ConnectorError::other("streaming request body".into(), None))?
                .to_vec();
            let response = client
                .request(method, request.uri())
                .headers(headers)
                .body(body)
                .send()
                .await
                .map_err(|e| ConnectorError::io(e.into()))?;
            let status = StatusCode::try_from(response.status().as_u16())
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            let headers = Headers::try_from(response.headers().clone())
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            let body = response
                .bytes()
                .await
                .map_err(|e| ConnectorError::io(e.into()))?;
            let mut out = HttpResponse::new(status, SdkBody::from(body));
            *out.headers_mut() = headers;
            Ok(out)
        })
    }
}

impl HttpClient for Transport {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// The SDK's timer (its `rt-tokio` feature would bring its own, and with it other
/// features of tokio-util that rebuild reqwest and axum for the tests).
#[derive(Debug)]
struct TokioSleep;

impl AsyncSleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        Sleep::new(tokio::time::sleep(duration))
    }
}

/// A Secrets Manager SDK client for one key, with the runtime that drives it.
struct Sdk {
    rt: tokio::runtime::Runtime,
    client: Client,
}

impl Sdk {
    /// The SDK as an application would configure it, pointed at `s` and signing
    /// with `key_id`/`secret`. Retries are off so that every refusal is exactly one
    /// request (and one audit record).
    fn new(s: &TestServer, key_id: &str, secret: &str) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let conf = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(format!("http://127.0.0.1:{}", s.port))
            .credentials_provider(Credentials::new(key_id, secret, None, None, "keyward-test"))
            .http_client(Transport(
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .expect("http client"),
            ))
            .sleep_impl(TokioSleep)
            .retry_config(RetryConfig::disabled())
            .build();
        Sdk {
            rt,
            client: Client::from_conf(conf),
        }
    }

    fn admin(s: &TestServer) -> Self {
        assert_eq!(s.access_key_id, ADMIN_KEY_ID);
        Self::new(s, &s.access_key_id, &s.secret_access_key)
    }

    fn run<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

/// Unwraps an SDK result, printing the decoded error (code and message, never a
/// value) on failure.
#[track_caller]
fn ok<T, E>(r: Result<T, SdkError<E, HttpResponse>>) -> T
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match r {
        Ok(v) => v,
        Err(e) => panic!("SDK call failed: {}", DisplayErrorContext(&e)),
    }
}

/// A refused call as the SDK decoded it: its service error, HTTP status and the
/// `x-amzn-RequestId` keyward answered with.
struct Refusal<E> {
    err: E,
    status: u16,
    request_id: String,
}

#[track_caller]
fn refused<T: std::fmt::Debug, E>(r: Result<T, SdkError<E, HttpResponse>>) -> Refusal<E>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let e = match r {
        Ok(v) => panic!("expected the call to be refused, it succeeded: {v:?}"),
        Err(e) => e,
    };
    let SdkError::ServiceError(service) = e else {
        panic!(
            "expected a service error the SDK decoded, got {}",
            DisplayErrorContext(&e)
        );
    };
    let status = service.raw().status().as_u16();
    let request_id = service
        .raw()
        .headers()
        .get("x-amzn-requestid")
        .expect("keyward answers with x-amzn-RequestId")
        .to_string();
    // The same error `SdkError::into_service_error()` gives for a service error.
    Refusal {
        err: service.into_err(),
        status,
        request_id,
    }
}

/// The one audit record of `request_id`.
#[track_caller]
fn audit_record(s: &TestServer, request_id: &str) -> Value {
    let mine: Vec<Value> = s
        .audit("")
        .into_iter()
        .filter(|r| r["request_id"] == request_id)
        .collect();
    assert_eq!(mine.len(), 1, "one audit record for {request_id}: {mine:?}");
    mine.into_iter().next().unwrap()
}

fn stages(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

fn tag_map(tags: &[Tag]) -> HashMap<String, String> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `SecretBinary` equals `want` (without printing 64 KiB on failure).
#[track_caller]
fn assert_binary(got: Option<&Blob>, want: &[u8]) {
    let got = got.expect("SecretBinary").as_ref();
    assert!(
        got == want,
        "SecretBinary differs: {} bytes, expected {}; first difference at {:?}",
        got.len(),
        want.len(),
        got.iter().zip(want).position(|(a, b)| a != b)
    );
}

fn now_secs() -> i64 {
    common::now()
}

#[test]
fn string_secret_full_lifecycle() {
    let s = server();
    let sdk = Sdk::admin(&s);
    let c = &sdk.client;
    let name = "/sdk/app/db";

    // CreateSecret (string, description, tags).
    let created = ok(sdk.run(
        c.create_secret()
            .name(name)
            .secret_string("sdk-marker-v1")
            .description("first description")
            .tags(Tag::builder().key("team").value("core").build())
            .send(),
    ));
    let arn = created.arn().expect("ARN").to_string();
    let prefix = format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-");
    assert!(arn.starts_with(&prefix), "{arn}");
    assert_eq!(arn.len(), prefix.len() + 6, "{arn}");
    assert_eq!(created.name(), Some(name));
    let v1 = created.version_id().expect("VersionId").to_string();
    // An unrelated secret that the name filter below must leave out.
    ok(sdk.run(
        c.create_secret()
            .name("/other/app/db")
            .secret_string("sdk-marker-other")
            .send(),
    ));

    // GetSecretValue by name and by ARN.
    for id in [name, arn.as_str()] {
        let got = ok(sdk.run(c.get_secret_value().secret_id(id).send()));
        assert_eq!(got.secret_string(), Some("sdk-marker-v1"), "by {id}");
        assert!(got.secret_binary().is_none());
        assert_eq!(got.arn(), Some(arn.as_str()));
        assert_eq!(got.name(), Some(name));
        assert_eq!(got.version_id(), Some(v1.as_str()));
        assert_eq!(stages(got.version_stages()), ["AWSCURRENT"]);
        let created_at = got.created_date().expect("CreatedDate").secs();
        assert!((created_at - now_secs()).abs() < 300, "{created_at}");
    }

    // PutSecretValue: a new version takes AWSCURRENT, the old one AWSPREVIOUS.
    let put = ok(sdk.run(
        c.put_secret_value()
            .secret_id(name)
            .secret_string("sdk-marker-v2")
            .send(),
    ));
    let v2 = put.version_id().expect("VersionId").to_string();
    assert_ne!(v2, v1);
    assert_eq!(put.arn(), Some(arn.as_str()));
    assert_eq!(stages(put.version_stages()), ["AWSCURRENT"]);
    let current = ok(sdk.run(c.get_secret_value().secret_id(name).send()));
    assert_eq!(current.secret_string(), Some("sdk-marker-v2"));
    assert_eq!(current.version_id(), Some(v2.as_str()));
    let previous = ok(sdk.run(
        c.get_secret_value()
            .secret_id(&arn)
            .version_stage("AWSPREVIOUS")
            .send(),
    ));
    assert_eq!(previous.secret_string(), Some("sdk-marker-v1"));
    assert_eq!(previous.version_id(), Some(v1.as_str()));
    assert_eq!(stages(previous.version_stages()), ["AWSPREVIOUS"]);
    let by_version = ok(sdk.run(c.get_secret_value().secret_id(name).version_id(&v1).send()));
    assert_eq!(by_version.secret_string(), Some("sdk-marker-v1"));

    // DescribeSecret.
    let d = ok(sdk.run(c.describe_secret().secret_id(name).send()));
    assert_eq!(d.arn(), Some(arn.as_str()));
    assert_eq!(d.name(), Some(name));
    assert_eq!(d.description(), Some("first description"));
    let vts = d.version_ids_to_stages().expect("VersionIdsToStages");
    assert_eq!(vts.len(), 2, "{vts:?}");
    assert_eq!(stages(&vts[&v2]), ["AWSCURRENT"]);
    assert_eq!(stages(&vts[&v1]), ["AWSPREVIOUS"]);
    assert_eq!(
        tag_map(d.tags()),
        HashMap::from([("team".to_string(), "core".to_string())])
    );
    assert!(d.created_date().is_some());
    assert!(d.last_changed_date().is_some());
    assert!(d.deleted_date().is_none());
    assert_eq!(d.rotation_enabled(), None);

    // ListSecrets: everything, then only what the name filter matches.
    let all = ok(sdk.run(c.list_secrets().send()));
    let mut names: Vec<&str> = all.secret_list().iter().filter_map(|e| e.name()).collect();
    names.sort_unstable();
    assert_eq!(names, ["/other/app/db", name]);
    let filtered = ok(sdk.run(
        c.list_secrets()
            .filters(
                Filter::builder()
                    .key(FilterNameStringType::Name)
                    .values("/sdk/")
                    .build(),
            )
            .send(),
    ));
    let [entry] = filtered.secret_list() else {
        panic!("one secret under /sdk/: {:?}", filtered.secret_list());
    };
    assert_eq!(entry.name(), Some(name));
    assert_eq!(entry.arn(), Some(arn.as_str()));
    assert_eq!(entry.description(), Some("first description"));
    let listed_vts = entry
        .secret_versions_to_stages()
        .expect("SecretVersionsToStages");
    assert_eq!(stages(&listed_vts[&v2]), ["AWSCURRENT"]);
    assert_eq!(stages(&listed_vts[&v1]), ["AWSPREVIOUS"]);
    assert!(filtered.next_token().is_none());

    // UpdateSecret: description only, so no new version.
    let updated = ok(sdk.run(
        c.update_secret()
            .secret_id(name)
            .description("second description")
            .send(),
    ));
    assert_eq!(updated.arn(), Some(arn.as_str()));
    assert_eq!(updated.version_id(), None);
    let d = ok(sdk.run(c.describe_secret().secret_id(name).send()));
    assert_eq!(d.description(), Some("second description"));
    assert_eq!(d.version_ids_to_stages().expect("versions").len(), 2);
    let still = ok(sdk.run(c.get_secret_value().secret_id(name).send()));
    assert_eq!(still.version_id(), Some(v2.as_str()));

    // TagResource / UntagResource.
    ok(sdk.run(
        c.tag_resource()
            .secret_id(&arn)
            .tags(Tag::builder().key("env").value("prod").build())
            .tags(Tag::builder().key("team").value("platform").build())
            .send(),
    ));
    let d = ok(sdk.run(c.describe_secret().secret_id(name).send()));
    assert_eq!(
        tag_map(d.tags()),
        HashMap::from([
            ("team".to_string(), "platform".to_string()),
            ("env".to_string(), "prod".to_string()),
        ])
    );
    ok(sdk.run(c.untag_resource().secret_id(name).tag_keys("team").send()));
    let d = ok(sdk.run(c.describe_secret().secret_id(name).send()));
    assert_eq!(
        tag_map(d.tags()),
        HashMap::from([("env".to_string(), "prod".to_string())])
    );

    // DeleteSecret with a recovery window: reads refused, then RestoreSecret.
    let deleted = ok(sdk.run(
        c.delete_secret()
            .secret_id(name)
            .recovery_window_in_days(7)
            .send(),
    ));
    assert_eq!(deleted.arn(), Some(arn.as_str()));
    let when = deleted.deletion_date().expect("DeletionDate").secs();
    let week = 7 * 24 * 3600;
    assert!(
        (when - (now_secs() + week)).abs() < 300,
        "deletion date {when} is not a week from now"
    );
    let r = refused(sdk.run(c.get_secret_value().secret_id(name).send()));
    assert!(r.err.is_invalid_request_exception(), "{:?}", r.err);
    assert_eq!(r.status, 400);
    let d = ok(sdk.run(c.describe_secret().secret_id(name).send()));
    assert!(d.deleted_date().is_some());
    let restored = ok(sdk.run(c.restore_secret().secret_id(&arn).send()));
    assert_eq!(restored.arn(), Some(arn.as_str()));
    assert_eq!(restored.name(), Some(name));
    let back = ok(sdk.run(c.get_secret_value().secret_id(name).send()));
    assert_eq!(back.secret_string(), Some("sdk-marker-v2"));
    let d = ok(sdk.run(c.describe_secret().secret_id(name).send()));
    assert!(d.deleted_date().is_none());

    // DeleteSecret without recovery: gone for good.
    let forced = ok(sdk.run(
        c.delete_secret()
            .secret_id(&arn)
            .force_delete_without_recovery(true)
            .send(),
    ));
    assert_eq!(forced.arn(), Some(arn.as_str()));
    assert!(forced.deletion_date().is_some());
    let err = sdk
        .run(c.get_secret_value().secret_id(name).send())
        .expect_err("the secret is gone")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    let r = refused(sdk.run(c.get_secret_value().secret_id(&arn).send()));
    assert!(r.err.is_resource_not_found_exception(), "{:?}", r.err);
    assert_eq!(r.status, 400);
    let r = refused(sdk.run(c.describe_secret().secret_id(&arn).send()));
    assert!(r.err.is_resource_not_found_exception(), "{:?}", r.err);
    let rest = ok(sdk.run(c.list_secrets().send()));
    let names: Vec<&str> = rest.secret_list().iter().filter_map(|e| e.name()).collect();
    assert_eq!(names, ["/other/app/db"]);
}

#[test]
fn binary_secret_round_trip() {
    let s = server();
    let sdk = Sdk::admin(&s);
    let c = &sdk.client;
    // Not UTF-8, with NULs and every byte value.
    let first: Vec<u8> = [0xff, 0x00, 0xfe, b'\n', 0x00]
        .into_iter()
        .chain(0..=255u8)
        .collect();
    let created = ok(sdk.run(
        c.create_secret()
            .name("sdk/binary")
            .secret_binary(Blob::new(first.clone()))
            .send(),
    ));
    let v1 = created.version_id().expect("VersionId").to_string();
    let got = ok(sdk.run(c.get_secret_value().secret_id("sdk/binary").send()));
    assert_binary(got.secret_binary(), &first);
    assert!(got.secret_string().is_none());
    assert_eq!(got.version_id(), Some(v1.as_str()));

    // The largest value AWS accepts, as a new version.
    let big: Vec<u8> = (0..65536u32).map(|i| (i * 7 % 251) as u8).collect();
    let put = ok(sdk.run(
        c.put_secret_value()
            .secret_id("sdk/binary")
            .secret_binary(Blob::new(big.clone()))
            .send(),
    ));
    let v2 = put.version_id().expect("VersionId").to_string();
    let got = ok(sdk.run(c.get_secret_value().secret_id("sdk/binary").send()));
    assert_binary(got.secret_binary(), &big);
    assert_eq!(got.version_id(), Some(v2.as_str()));
    let old = ok(sdk.run(
        c.get_secret_value()
            .secret_id("sdk/binary")
            .version_id(&v1)
            .send(),
    ));
    assert_binary(old.secret_binary(), &first);
    assert_eq!(stages(old.version_stages()), ["AWSPREVIOUS"]);
}

#[test]
fn refusals_decode_to_typed_errors_and_are_audited() {
    let s = server();
    let admin = Sdk::admin(&s);
    let created = ok(admin.run(
        admin
            .client
            .create_secret()
            .name("sdk/guarded")
            .secret_string("sdk-marker-guarded")
            .send(),
    ));
    let arn = created.arn().expect("ARN").to_string();

    // The admin's key id with a wrong secret: the signature does not match.
    let wrong = Sdk::new(&s, ADMIN_KEY_ID, "not-the-admin-secret-key-00000000000000");
    let r = refused(wrong.run(wrong.client.get_secret_value().secret_id(&arn).send()));
    assert_eq!(
        r.err.code(),
        Some("InvalidSignatureException"),
        "{:?}",
        r.err
    );
    assert_eq!(r.status, 400);
    let rec = audit_record(&s, &r.request_id);
    assert_eq!(rec["outcome"], "unauthenticated");
    assert_eq!(rec["error_code"], "InvalidSignatureException");
    assert_eq!(rec["access_key_id"], ADMIN_KEY_ID);
    assert_eq!(rec["action"], "secretsmanager:GetSecretValue");
    assert_eq!(rec["api"], "aws");
    assert!(rec["principal"].is_null(), "{rec}");

    // A key id keyward never issued.
    let unknown = Sdk::new(
        &s,
        "AKIAUNKNOWNSDK000000",
        "whatever-secret-key-0000000000000000000",
    );
    let r = refused(unknown.run(unknown.client.get_secret_value().secret_id(&arn).send()));
    assert_eq!(
        r.err.code(),
        Some("UnrecognizedClientException"),
        "{:?}",
        r.err
    );
    assert_eq!(r.status, 400);
    let rec = audit_record(&s, &r.request_id);
    assert_eq!(rec["outcome"], "unauthenticated");
    assert_eq!(rec["error_code"], "UnrecognizedClientException");
    assert_eq!(rec["access_key_id"], "AKIAUNKNOWNSDK000000");

    // A principal whose policy allows DescribeSecret only.
    let (reader_id, reader_secret) = s.create_principal("sdk-reader", &[]);
    s.grant(
        "sdk-reader",
        "sdk-describe-only",
        &allow(&["secretsmanager:DescribeSecret"]),
    );
    let reader = Sdk::new(&s, &reader_id, &reader_secret);
    let d = ok(reader.run(reader.client.describe_secret().secret_id(&arn).send()));
    assert_eq!(d.arn(), Some(arn.as_str()));
    let r = refused(reader.run(reader.client.get_secret_value().secret_id(&arn).send()));
    assert_eq!(r.err.code(), Some("AccessDeniedException"), "{:?}", r.err);
    assert!(r.err.message().is_some_and(|m| !m.is_empty()));
    assert!(
        !format!("{:?}", r.err).contains("sdk-marker-guarded"),
        "the refusal leaks the value"
    );
    assert_eq!(r.status, 400);
    let rec = audit_record(&s, &r.request_id);
    assert_eq!(rec["outcome"], "denied");
    assert_eq!(rec["error_code"], "AccessDeniedException");
    assert_eq!(rec["action"], "secretsmanager:GetSecretValue");
    assert_eq!(rec["resource"], arn.as_str());
    assert_eq!(rec["access_key_id"], reader_id.as_str());
    assert_eq!(
        rec["principal"],
        format!("arn:aws:iam::{ACCOUNT}:user/sdk-reader").as_str()
    );
    // A denied write changes nothing.
    let r = refused(
        reader.run(
            reader
                .client
                .create_secret()
                .name("sdk/by-reader")
                .secret_string("sdk-marker-reader")
                .send(),
        ),
    );
    assert_eq!(r.err.code(), Some("AccessDeniedException"), "{:?}", r.err);
    assert_eq!(audit_record(&s, &r.request_id)["outcome"], "denied");
    let r = refused(
        admin.run(
            admin
                .client
                .describe_secret()
                .secret_id("sdk/by-reader")
                .send(),
        ),
    );
    assert!(r.err.is_resource_not_found_exception(), "{:?}", r.err);
    assert_eq!(audit_record(&s, &r.request_id)["outcome"], "not_found");

    // CreateSecret on a name that exists (the SDK sends a fresh ClientRequestToken).
    let r = refused(
        admin.run(
            admin
                .client
                .create_secret()
                .name("sdk/guarded")
                .secret_string("sdk-marker-again")
                .send(),
        ),
    );
    assert!(r.err.is_resource_exists_exception(), "{:?}", r.err);
    assert_eq!(r.err.code(), Some("ResourceExistsException"));
    let still = ok(admin.run(
        admin
            .client
            .get_secret_value()
            .secret_id("sdk/guarded")
            .send(),
    ));
    assert_eq!(still.secret_string(), Some("sdk-marker-guarded"));
    assert_eq!(still.version_id(), created.version_id());

    // A name with characters AWS does not allow.
    let r = refused(
        admin.run(
            admin
                .client
                .create_secret()
                .name("sdk/bad name")
                .secret_string("sdk-marker-bad")
                .send(),
        ),
    );
    assert!(r.err.is_invalid_parameter_exception(), "{:?}", r.err);
    assert_eq!(r.err.code(), Some("InvalidParameterException"));
    assert_eq!(audit_record(&s, &r.request_id)["outcome"], "invalid");

    // A recovery window outside 7-30 days.
    let r = refused(
        admin.run(
            admin
                .client
                .delete_secret()
                .secret_id(&arn)
                .recovery_window_in_days(3)
                .send(),
        ),
    );
    assert!(r.err.is_invalid_parameter_exception(), "{:?}", r.err);
    let d = ok(admin.run(admin.client.describe_secret().secret_id(&arn).send()));
    assert!(d.deleted_date().is_none());

    // No audit record carries a value.
    let all = serde_json::to_string(&s.audit("")).unwrap();
    assert!(
        !all.contains("sdk-marker-"),
        "a value reached the audit log"
    );
}
