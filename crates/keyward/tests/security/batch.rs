//! BatchGetSecretValue with Filters reports denied secrets in `Errors` and still
//! returns the rest, as AWS does (issue 11, break 11).

use crate::common::aws::sm_as;
use crate::{aws_server, principal_with};
use serde_json::json;

#[test]
fn a_denied_match_goes_to_errors_and_the_rest_are_returned() {
    let s = aws_server();
    for name in ["/myapp/dev/a", "/myapp/prod/b"] {
        s.sm(
            "us-east-1",
            "CreateSecret",
            json!({"Name": name, "SecretString": "value"}),
        )
        .ok();
    }
    let key = principal_with(
        &s,
        "batcher",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
             "Resource": "arn:aws:secretsmanager:*:*:secret:/myapp/prod/*"}
        ]}),
    );
    let r = sm_as(
        &s,
        (&key.0, &key.1),
        "us-east-1",
        "BatchGetSecretValue",
        json!({"Filters": [{"Key": "name", "Values": ["/myapp/"]}]}),
    )
    .ok();
    let names: Vec<&str> = r["SecretValues"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|v| v["Name"].as_str())
        .collect();
    assert_eq!(names, vec!["/myapp/dev/a"], "{r}");
    let errors = r["Errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{r}");
    assert_eq!(errors[0]["ErrorCode"], "AccessDeniedException");
    assert!(
        errors[0]["SecretId"]
            .as_str()
            .unwrap_or("")
            .contains("/myapp/prod/b"),
        "{r}"
    );
}
