//! An explicit Deny on a parameter's own ARN hides it from GetParametersByPath
//! (issue 11, break 6; stricter than AWS, which authorizes the path only).

use crate::common::aws::ssm_as;
use crate::{ACCOUNT, aws_server, principal_with};
use serde_json::json;

#[test]
fn get_parameters_by_path_leaves_out_explicitly_denied_parameters() {
    let s = aws_server();
    for (name, kind) in [
        ("/myapp/prod/db_password", "SecureString"),
        ("/myapp/prod/api_url", "String"),
        ("/myapp/prod/nested/flag", "String"),
    ] {
        s.ssm(
            "us-east-1",
            "PutParameter",
            json!({"Name": name, "Value": "v-123", "Type": kind}),
        )
        .ok();
    }
    let key = principal_with(
        &s,
        "reader",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ssm:GetParameter*",
             "Resource": format!("arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/myapp/prod/db_password")}
        ]}),
    );
    let key = (key.0.as_str(), key.1.as_str());
    let r = ssm_as(
        &s,
        key,
        "us-east-1",
        "GetParametersByPath",
        json!({
            "Path": "/myapp/prod", "Recursive": true, "WithDecryption": true,
        }),
    )
    .ok();
    let mut names: Vec<&str> = r["Parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["Name"].as_str())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["/myapp/prod/api_url", "/myapp/prod/nested/flag"]
    );
    let direct = ssm_as(
        &s,
        key,
        "us-east-1",
        "GetParameter",
        json!({"Name": "/myapp/prod/db_password"}),
    );
    assert_eq!(
        direct.error_type(),
        "AccessDeniedException",
        "{}",
        direct.json
    );
}
