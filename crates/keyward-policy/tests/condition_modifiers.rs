//! Table-driven tests for `...IfExists`, `Null`, the `ForAnyValue:` /
//! `ForAllValues:` set qualifiers, and condition parse errors.

mod common;
use common::{Keys, NONE, run};
use keyward_policy::Policy;

#[test]
fn if_exists() {
    let t: Keys<'_> = &[("secretsmanager:ResourceTag/team", &["blue"])];
    run(&[
        (
            r#"{"StringEqualsIfExists":{"secretsmanager:ResourceTag/team":"blue"}}"#,
            t,
            true,
        ),
        (
            r#"{"StringEqualsIfExists":{"secretsmanager:ResourceTag/team":"red"}}"#,
            t,
            false,
        ),
        (
            r#"{"StringEqualsIfExists":{"secretsmanager:ResourceTag/team":"red"}}"#,
            NONE,
            true,
        ),
        (
            r#"{"StringNotEqualsIfExists":{"secretsmanager:ResourceTag/team":"blue"}}"#,
            t,
            false,
        ),
        (
            r#"{"StringNotEqualsIfExists":{"secretsmanager:ResourceTag/team":"blue"}}"#,
            NONE,
            true,
        ),
        (
            r#"{"StringLikeIfExists":{"secretsmanager:ResourceTag/team":"b*"}}"#,
            t,
            true,
        ),
        (r#"{"NumericLessThanIfExists":{"s:n":"5"}}"#, NONE, true),
        (
            r#"{"NumericLessThanIfExists":{"s:n":"5"}}"#,
            &[("s:n", &["7"])],
            false,
        ),
        (
            r#"{"DateLessThanIfExists":{"aws:CurrentTime":"2020-01-01"}}"#,
            NONE,
            true,
        ),
        (
            r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            NONE,
            true,
        ),
        (
            r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            &[("aws:SourceIp", &["11.0.0.1"])],
            false,
        ),
        (
            r#"{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:*:*:*:*"}}"#,
            NONE,
            true,
        ),
        (
            r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"x"}}"#,
            NONE,
            true,
        ),
    ]);
}

#[test]
fn null_operator() {
    let t: Keys<'_> = &[("aws:TokenIssueTime", &["2024-01-01T00:00:00Z"])];
    run(&[
        (r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, NONE, true),
        (r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, t, false),
        (r#"{"Null":{"aws:TokenIssueTime":"false"}}"#, t, true),
        (r#"{"Null":{"aws:TokenIssueTime":false}}"#, NONE, false),
        (
            r#"{"Null":{"aws:TokenIssueTime":"false"}}"#,
            &[("aws:TokenIssueTime", &[])],
            false,
        ),
    ]);
}

#[test]
fn set_qualifiers() {
    let ab: Keys<'_> = &[("aws:TagKeys", &["a", "b"])];
    let ax: Keys<'_> = &[("aws:TagKeys", &["a", "x"])];
    run(&[
        // ForAllValues: every request value must match some policy value.
        (
            r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}}"#,
            ab,
            true,
        ),
        (
            r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}}"#,
            ax,
            false,
        ),
        (
            r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}"#,
            NONE,
            true,
        ), // missing -> true
        (
            r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}"#,
            &[("aws:TagKeys", &[])],
            true,
        ),
        (
            r#"{"ForAllValues:StringLike":{"aws:TagKeys":["a*","b*"]}}"#,
            ab,
            true,
        ),
        // ForAnyValue: at least one request value matches.
        (
            r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["x","y"]}}"#,
            ax,
            true,
        ),
        (
            r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["x","y"]}}"#,
            ab,
            false,
        ),
        (
            r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["x"]}}"#,
            NONE,
            false,
        ), // missing -> false
        (
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["x"]}}"#,
            NONE,
            false,
        ),
        // Negated with qualifiers: evaluated per request value.
        (
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}"#,
            ab,
            true,
        ),
        (
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}"#,
            ab,
            false,
        ),
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["x","y"]}}"#,
            ab,
            true,
        ),
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["x","y"]}}"#,
            ax,
            false,
        ),
        (
            r#"{"ForAllValues:StringNotLike":{"aws:TagKeys":["x*"]}}"#,
            NONE,
            true,
        ),
        (
            r#"{"ForAnyValue:NumericGreaterThan":{"s:n":"5"}}"#,
            &[("s:n", &["1", "9"])],
            true,
        ),
        (
            r#"{"ForAllValues:NumericGreaterThan":{"s:n":"5"}}"#,
            &[("s:n", &["1", "9"])],
            false,
        ),
        (
            r#"{"ForAnyValue:IpAddress":{"s:ips":"10.0.0.0/8"}}"#,
            &[("s:ips", &["1.1.1.1", "10.1.1.1"])],
            true,
        ),
        // Unqualified on a multi-valued key: positive = any, negated = none.
        (r#"{"StringEquals":{"aws:TagKeys":"b"}}"#, ab, true),
        (r#"{"StringNotEquals":{"aws:TagKeys":"b"}}"#, ab, false),
        (r#"{"StringNotEquals":{"aws:TagKeys":"z"}}"#, ab, true),
    ]);
}

#[test]
fn condition_parse_errors() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"StringEqualz":{"k":"v"}}"#,
            "unknown condition operator `StringEqualz`",
        ),
        (r#"{"NumericEquals":{"k":"abc"}}"#, "not a number"),
        (r#"{"DateEquals":{"k":"tomorrow"}}"#, "not an ISO 8601"),
        (r#"{"Bool":{"k":"maybe"}}"#, "not true or false"),
        (r#"{"IpAddress":{"k":"300.1.1.1/8"}}"#, "not an IPv4/IPv6"),
        (r#"{"Null":{"k":["true","false"]}}"#, "single true/false"),
        (
            r#"{"NullIfExists":{"k":"true"}}"#,
            "unknown condition operator",
        ),
        (r#"{"StringEquals":{"k":[]}}"#, "must not be empty"),
        (
            r#"{"StringEquals":{"k":{"x":1}}}"#,
            "strings, numbers or booleans",
        ),
        (r#"{"StringEquals":"k"}"#, "must be an object"),
        (r#"{"StringEquals":{}}"#, "at least one condition key"),
        (r#"["StringEquals"]"#, "must be an object"),
    ];
    for (cond, want) in cases {
        let doc = format!(
            r#"{{"Statement":[{{"Sid":"C","Effect":"Allow","Action":"*","Resource":"*","Condition":{cond}}}]}}"#
        );
        let err = Policy::parse(&doc).expect_err(cond).to_string();
        assert!(err.contains(want), "{cond}: {err}");
        assert!(err.contains("Statement[0] (Sid \"C\")"), "{err}");
        assert!(err.contains("Condition"), "{err}");
    }
}
