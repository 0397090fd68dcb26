//! A denial reads the same whether or not the secret exists (issue 11, break 7).

use crate::common::aws::sm_as;
use crate::common::{Auth, TestServer};
use crate::{aws_server, principal_with};
use serde_json::json;

fn same_but_names(a: &str, b: &str, name_a: &str, name_b: &str) {
    assert_eq!(
        a.replace(name_a, "NAME"),
        b.replace(name_b, "NAME"),
        "\n{a}\n{b}"
    );
}

#[test]
fn denials_do_not_reveal_whether_a_secret_exists() {
    let s = aws_server();
    s.sm(
        "us-east-1",
        "CreateSecret",
        json!({"Name": "/myapp/prod/exists", "SecretString": "v"}),
    )
    .ok();
    let (id, secret) = principal_with(
        &s,
        "nosy",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
            {"Effect": "Deny", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
             "Resource": "arn:aws:secretsmanager:*:*:secret:/myapp/prod/*"}
        ]}),
    );
    let key = (id.as_str(), secret.as_str());
    let (e, m) = ("/myapp/prod/exists", "/myapp/prod/missing");

    // Native API.
    let native = |name: &str| {
        s.request(
            "GET",
            &TestServer::secret_path(name),
            &Auth::Key(id.clone(), secret.clone()),
            None,
            None,
        )
    };
    let (ne, nm) = (native(e), native(m));
    assert_eq!(
        (ne.status, ne.code()),
        (403, "access_denied"),
        "{}",
        ne.text
    );
    assert_eq!(
        (nm.status, nm.code()),
        (403, "access_denied"),
        "{}",
        nm.text
    );
    same_but_names(ne.message(), nm.message(), e, m);

    // AWS API: GetSecretValue and DescribeSecret.
    for op in ["GetSecretValue", "DescribeSecret"] {
        let re = sm_as(&s, key, "us-east-1", op, json!({"SecretId": e}));
        let rm = sm_as(&s, key, "us-east-1", op, json!({"SecretId": m}));
        assert_eq!(
            re.error_type(),
            "AccessDeniedException",
            "{op}: {}",
            re.json
        );
        assert_eq!(
            rm.error_type(),
            "AccessDeniedException",
            "{op}: {}",
            rm.json
        );
        same_but_names(re.message(), rm.message(), e, m);
    }

    // BatchGetSecretValue: both in Errors, alike.
    let b = sm_as(
        &s,
        key,
        "us-east-1",
        "BatchGetSecretValue",
        json!({"SecretIdList": [e, m]}),
    )
    .ok();
    let errors = b["Errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{b}");
    assert_eq!(errors[0]["ErrorCode"], errors[1]["ErrorCode"]);
    same_but_names(
        errors[0]["Message"].as_str().unwrap_or(""),
        errors[1]["Message"].as_str().unwrap_or(""),
        e,
        m,
    );
}
