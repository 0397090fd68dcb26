//! `Policy::parse` never panics, whatever it is fed; what parses evaluates
//! without panicking and round-trips through `to_json`.

use keyward_policy::{Policy, PolicyKind, RequestContext, evaluate, validate};
use proptest::prelude::*;

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let names = prop::sample::select(vec![
        "Version",
        "Id",
        "Statement",
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
        "AWS",
        "StringEquals",
        "ForAnyValue:StringLike",
        "ForAllValues:StringNotEqualsIfExists",
        "NumericLessThan",
        "DateGreaterThan",
        "Bool",
        "IpAddress",
        "NotIpAddress",
        "ArnLike",
        "Null",
        "aws:SourceIp",
        "aws:username",
        "Allow",
        "Deny",
        "2012-10-17",
        "*",
        "ssm:*",
        "arn:aws:ssm:*:*:parameter/${aws:username}/*",
        "10.0.0.0/8",
        "true",
    ]);
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        names
            .clone()
            .prop_map(|s| serde_json::Value::String(s.to_string())),
        "[ -~]{0,12}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::vec((names.clone(), inner), 0..6).prop_map(|kv| {
                serde_json::Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

fn exercise(p: &Policy) {
    let ctx = RequestContext::new(
        "ssm:GetParameter",
        "arn:aws:ssm:r:1:parameter/a",
        "arn:aws:iam::1:user/a",
        "1",
    )
    .with_value("aws:SourceIp", "10.1.2.3")
    .with_value("aws:username", "a")
    .with_values("aws:TagKeys", ["x", "y"]);
    let _ = evaluate(&[p], Some(p), &ctx);
    let _ = validate(p, PolicyKind::Resource);
    let again = Policy::parse(&p.to_json()).expect("canonical form must re-parse");
    assert_eq!(again.to_json(), p.to_json());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,200}") {
        if let Ok(p) = Policy::parse(&s) { exercise(&p); }
    }

    #[test]
    fn jsonish_strings_never_panic(s in r#"[{}\[\]":,\\ *?$a-zA-Z0-9/.\-]{0,120}"#) {
        if let Ok(p) = Policy::parse(&s) { exercise(&p); }
    }

    #[test]
    fn structured_json_never_panics(v in json_value()) {
        if let Ok(p) = Policy::parse(&v.to_string()) { exercise(&p); }
    }

    #[test]
    fn near_valid_statements_never_panic(
        action in "[a-z*?:]{0,12}",
        resource in "[a-zé*?:/${}',]{0,30}",
        op in "[A-Za-zé€:]{0,30}",
        val in "[ -~]{0,20}",
    ) {
        let doc = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource,
                           "Condition": {op: {"aws:username": val}}}]
        });
        if let Ok(p) = Policy::parse(&doc.to_string()) { exercise(&p); }
    }
}
