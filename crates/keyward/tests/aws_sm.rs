//! End-to-end tests of the Secrets Manager API (issue 3): a real `keyward serve`
//! process driven over the AWS JSON 1.1 protocol with SigV4-signed requests. The
//! boto3/awscli suite (`tests/python/test_sm_*.py`) runs from
//! `scripts/aws-client-tests.sh`, which creates its own venv.

mod common;

use common::aws::{self, Reply, Service};
use common::{InitOpts, ServeOpts, TestServer};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

const ACCOUNT: &str = "123456789012";

fn server() -> TestServer {
    TestServer::start_with(
        InitOpts {
            admin: Some((
                "AKIAAWSSMTEST0000001".into(),
                "aws-sm-test-secret-key-0000000000000000".into(),
            )),
            account_id: Some(ACCOUNT.into()),
            region: Some("us-east-1".into()),
        },
        ServeOpts::default(),
    )
}

/// One signed Secrets Manager call. `tamper` may change the request after signing.
fn call_with(
    s: &TestServer,
    region: &str,
    op: &str,
    body: &Value,
    key: (&str, &str),
    time: SystemTime,
    tamper: impl FnOnce(&mut reqwest::header::HeaderMap, &mut Vec<u8>),
) -> Reply {
    aws::call_with(
        s,
        Service::SecretsManager,
        region,
        op,
        body,
        key,
        time,
        tamper,
    )
}

fn call(s: &TestServer, region: &str, op: &str, body: Value) -> Reply {
    s.sm(region, op, body)
}

#[track_caller]
fn ok(r: Reply) -> Value {
    assert_eq!(r.status, 200, "{}", r.json);
    r.json
}

fn audit_record(s: &TestServer, request_id: &str) -> Value {
    let recs = s.audit("");
    let mine: Vec<&Value> = recs
        .iter()
        .filter(|r| r["request_id"] == request_id)
        .collect();
    assert_eq!(mine.len(), 1, "one audit record for {request_id}: {mine:?}");
    mine[0].clone()
}

#[test]
fn lifecycle_versions_and_deletion() {
    let s = server();
    let r = "us-east-1";
    let created = ok(call(
        &s,
        r,
        "CreateSecret",
        json!({"Name": "/app/prod/db", "SecretString": "v1", "Tags": [{"Key": "team", "Value": "core"}]}),
    ));
    let arn = created["ARN"].as_str().unwrap().to_string();
    assert!(arn.starts_with(&format!(
        "arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:/app/prod/db-"
    )));
    assert_eq!(
        arn.len(),
        format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:/app/prod/db-").len() + 6
    );
    let v1 = created["VersionId"].as_str().unwrap().to_string();

    let put = ok(call(
        &s,
        r,
        "PutSecretValue",
        json!({"SecretId": arn, "SecretBinary": "AAEC"}),
    ));
    let v2 = put["VersionId"].as_str().unwrap().to_string();
    assert_eq!(put["VersionStages"], json!(["AWSCURRENT"]));
    let got = ok(call(
        &s,
        r,
        "GetSecretValue",
        json!({"SecretId": "/app/prod/db"}),
    ));
    assert_eq!(got["SecretBinary"], "AAEC");
    assert!(got.get("SecretString").is_none());
    let prev = ok(call(
        &s,
        r,
        "GetSecretValue",
        json!({"SecretId": "/app/prod/db", "VersionStage": "AWSPREVIOUS"}),
    ));
    assert_eq!(prev["SecretString"], "v1");
    assert_eq!(prev["VersionId"], v1);

    let d = ok(call(
        &s,
        r,
        "DescribeSecret",
        json!({"SecretId": format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:/app/prod/db")}),
    ));
    assert_eq!(d["VersionIdsToStages"][&v2], json!(["AWSCURRENT"]));
    assert_eq!(d["VersionIdsToStages"][&v1], json!(["AWSPREVIOUS"]));
    assert_eq!(d["Tags"], json!([{"Key": "team", "Value": "core"}]));

    let listed = ok(call(
        &s,
        r,
        "ListSecrets",
        json!({"Filters": [{"Key": "tag-key", "Values": ["team"]}]}),
    ));
    assert_eq!(listed["SecretList"].as_array().unwrap().len(), 1);
    let none = ok(call(
        &s,
        r,
        "ListSecrets",
        json!({"Filters": [{"Key": "name", "Values": ["!/app"]}]}),
    ));
    assert_eq!(none["SecretList"], json!([]));

    let del = ok(call(
        &s,
        r,
        "DeleteSecret",
        json!({"SecretId": arn, "RecoveryWindowInDays": 7}),
    ));
    assert!(del["DeletionDate"].as_f64().unwrap() > 0.0);
    let gone = call(&s, r, "GetSecretValue", json!({"SecretId": arn}));
    assert_eq!(gone.error_type(), "InvalidRequestException");
    ok(call(&s, r, "RestoreSecret", json!({"SecretId": arn})));
    ok(call(&s, r, "GetSecretValue", json!({"SecretId": arn})));
    let bad = call(
        &s,
        r,
        "DeleteSecret",
        json!({"SecretId": arn, "RecoveryWindowInDays": 3}),
    );
    assert_eq!(bad.error_type(), "InvalidParameterException");
    ok(call(
        &s,
        r,
        "DeleteSecret",
        json!({"SecretId": arn, "ForceDeleteWithoutRecovery": true}),
    ));
    let missing = call(&s, r, "DescribeSecret", json!({"SecretId": arn}));
    assert_eq!(missing.error_type(), "ResourceNotFoundException");
    assert_eq!(
        audit_record(&s, &missing.request_id)["outcome"],
        "not_found"
    );
}

#[test]
fn client_driven_rotation() {
    let s = server();
    let r = "us-east-1";
    ok(call(
        &s,
        r,
        "CreateSecret",
        json!({"Name": "rot", "SecretString": "old"}),
    ));
    let token = "11111111-2222-3333-4444-555555555555";
    let rot = ok(call(
        &s,
        r,
        "RotateSecret",
        json!({
        "SecretId": "rot", "ClientRequestToken": token, "RotateImmediately": false,
        "RotationRules": {"AutomaticallyAfterDays": 30}}),
    ));
    assert_eq!(rot["VersionId"], token);
    // The rotator's createSecret step: no pending value yet, then write it.
    let probe = call(
        &s,
        r,
        "GetSecretValue",
        json!({"SecretId": "rot", "VersionId": token, "VersionStage": "AWSPENDING"}),
    );
    assert_eq!(probe.error_type(), "ResourceNotFoundException");
    ok(call(
        &s,
        r,
        "PutSecretValue",
        json!({"SecretId": "rot", "ClientRequestToken": token, "SecretString": "new", "VersionStages": ["AWSPENDING"]}),
    ));
    // A second rotation while this one is pending is refused.
    let busy = call(&s, r, "RotateSecret", json!({"SecretId": "rot"}));
    assert_eq!(busy.error_type(), "InvalidRequestException");
    // finishSecret: move AWSCURRENT.
    let d = ok(call(&s, r, "DescribeSecret", json!({"SecretId": "rot"})));
    let current = d["VersionIdsToStages"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, st)| st.as_array().unwrap().contains(&json!("AWSCURRENT")))
        .unwrap()
        .0
        .clone();
    ok(call(
        &s,
        r,
        "UpdateSecretVersionStage",
        json!({"SecretId": "rot", "VersionStage": "AWSCURRENT", "MoveToVersionId": token, "RemoveFromVersionId": current}),
    ));
    let got = ok(call(&s, r, "GetSecretValue", json!({"SecretId": "rot"})));
    assert_eq!(got["SecretString"], "new");
    let d = ok(call(&s, r, "DescribeSecret", json!({"SecretId": "rot"})));
    assert_eq!(d["RotationEnabled"], true);
    assert_eq!(d["RotationRules"]["AutomaticallyAfterDays"], 30);
    assert!(d["LastRotatedDate"].as_f64().is_some());
    assert!(d["NextRotationDate"].as_f64().is_some());
    assert_eq!(d["VersionIdsToStages"][&current], json!(["AWSPREVIOUS"]));
    ok(call(
        &s,
        r,
        "CancelRotateSecret",
        json!({"SecretId": "rot"}),
    ));
    let d = ok(call(&s, r, "DescribeSecret", json!({"SecretId": "rot"})));
    assert_eq!(d["RotationEnabled"], false);
}

#[test]
fn refusals_are_typed_and_audited() {
    let s = server();
    let r = "us-east-1";
    ok(call(
        &s,
        r,
        "CreateSecret",
        json!({"Name": "x", "SecretString": "top-secret-value"}),
    ));
    let admin = (s.access_key_id.clone(), s.secret_access_key.clone());

    let wrong = call_with(
        &s,
        r,
        "GetSecretValue",
        &json!({"SecretId": "x"}),
        (&admin.0, "nope"),
        SystemTime::now(),
        |_, _| {},
    );
    assert_eq!(wrong.error_type(), "InvalidSignatureException");
    assert_eq!(
        audit_record(&s, &wrong.request_id)["outcome"],
        "unauthenticated"
    );

    let unknown = call_with(
        &s,
        r,
        "GetSecretValue",
        &json!({"SecretId": "x"}),
        ("AKIAUNKNOWN000000000", "nope"),
        SystemTime::now(),
        |_, _| {},
    );
    assert_eq!(unknown.error_type(), "UnrecognizedClientException");
    audit_record(&s, &unknown.request_id);

    let body = call_with(
        &s,
        r,
        "GetSecretValue",
        &json!({"SecretId": "x"}),
        (&admin.0, &admin.1),
        SystemTime::now(),
        |_, b| {
            *b = json!({"SecretId": "y"}).to_string().into_bytes();
        },
    );
    assert_eq!(body.error_type(), "InvalidSignatureException");
    audit_record(&s, &body.request_id);

    let target = call_with(
        &s,
        r,
        "DescribeSecret",
        &json!({"SecretId": "x", "ForceDeleteWithoutRecovery": true}),
        (&admin.0, &admin.1),
        SystemTime::now(),
        |h, _| {
            h.insert(
                "x-amz-target",
                "secretsmanager.DeleteSecret".parse().unwrap(),
            );
        },
    );
    assert_eq!(target.error_type(), "InvalidSignatureException");
    audit_record(&s, &target.request_id);
    ok(call(&s, r, "DescribeSecret", json!({"SecretId": "x"})));

    let stale = call_with(
        &s,
        r,
        "GetSecretValue",
        &json!({"SecretId": "x"}),
        (&admin.0, &admin.1),
        SystemTime::now() - Duration::from_secs(20 * 60),
        |_, _| {},
    );
    assert_eq!(stale.error_type(), "InvalidSignatureException");
    audit_record(&s, &stale.request_id);

    let west = call(&s, "us-west-2", "GetSecretValue", json!({"SecretId": "x"}));
    assert_eq!(west.error_type(), "ResourceNotFoundException");

    let types = call(&s, r, "GetSecretValue", json!({"SecretId": ["x"]}));
    assert_eq!(types.error_type(), "SerializationException");
    let types = call(&s, r, "CreateSecret", json!({"Name": "y", "Tags": "nope"}));
    assert_eq!(types.error_type(), "SerializationException");
    let missing = call(&s, r, "GetSecretValue", json!({}));
    assert_eq!(missing.error_type(), "ValidationException");
    let token = call(
        &s,
        r,
        "PutSecretValue",
        json!({"SecretId": "x", "SecretString": "a", "ClientRequestToken": "short"}),
    );
    assert_eq!(token.error_type(), "InvalidParameterException");
    let both = call(
        &s,
        r,
        "CreateSecret",
        json!({"Name": "z", "SecretString": "a", "SecretBinary": "AA=="}),
    );
    assert_eq!(both.error_type(), "InvalidParameterException");

    let all = s.audit("");
    assert!(
        !serde_json::to_string(&all)
            .unwrap()
            .contains("top-secret-value")
    );
}
