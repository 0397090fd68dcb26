//! Table-driven tests for every condition operator (String*, Numeric*,
//! Date*, Bool, IpAddress/NotIpAddress, Arn*) and AND/OR composition.

mod common;
use common::{Keys, NONE, run};

#[test]
fn string_operators() {
    let env: Keys<'_> = &[("aws:PrincipalTag/env", &["prod"])];
    run(&[
        (
            r#"{"StringEquals":{"aws:PrincipalTag/env":"prod"}}"#,
            env,
            true,
        ),
        (
            r#"{"StringEquals":{"aws:principaltag/ENV":"prod"}}"#,
            env,
            true,
        ), // keys case-insensitive
        (
            r#"{"StringEquals":{"aws:PrincipalTag/env":"Prod"}}"#,
            env,
            false,
        ), // values case-sensitive
        (
            r#"{"StringEquals":{"aws:PrincipalTag/env":["dev","prod"]}}"#,
            env,
            true,
        ), // values OR'ed
        (
            r#"{"StringEquals":{"aws:PrincipalTag/env":"p*"}}"#,
            env,
            false,
        ), // no wildcards
        (
            r#"{"StringEquals":{"aws:PrincipalTag/env":"prod"}}"#,
            NONE,
            false,
        ), // missing key
        (
            r#"{"StringNotEquals":{"aws:PrincipalTag/env":"prod"}}"#,
            env,
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:PrincipalTag/env":["dev","test"]}}"#,
            env,
            true,
        ),
        (
            r#"{"StringNotEquals":{"aws:PrincipalTag/env":["dev","prod"]}}"#,
            env,
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:PrincipalTag/env":"prod"}}"#,
            NONE,
            true,
        ), // negated + missing
        (
            r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/env":"PROD"}}"#,
            env,
            true,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/env":"dev"}}"#,
            env,
            false,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/env":"PROD"}}"#,
            env,
            false,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/env":"DEV"}}"#,
            env,
            true,
        ),
        (r#"{"StringLike":{"aws:PrincipalTag/env":"p*"}}"#, env, true),
        (
            r#"{"StringLike":{"aws:PrincipalTag/env":"pr?d"}}"#,
            env,
            true,
        ),
        (
            r#"{"StringLike":{"aws:PrincipalTag/env":"P*"}}"#,
            env,
            false,
        ),
        (
            r#"{"StringLike":{"aws:PrincipalTag/env":"p*"}}"#,
            NONE,
            false,
        ),
        (
            r#"{"StringNotLike":{"aws:PrincipalTag/env":"d*"}}"#,
            env,
            true,
        ),
        (
            r#"{"StringNotLike":{"aws:PrincipalTag/env":"p*"}}"#,
            env,
            false,
        ),
        (
            r#"{"StringNotLike":{"aws:PrincipalTag/env":"p*"}}"#,
            NONE,
            true,
        ),
        (
            r#"{"BinaryEquals":{"k":"QmluYXJ5"}}"#,
            &[("k", &["QmluYXJ5"])],
            true,
        ),
        // Policy variables in condition values.
        (
            r#"{"StringEquals":{"aws:PrincipalTag/owner":"${aws:username}"}}"#,
            &[
                ("aws:PrincipalTag/owner", &["alice"]),
                ("aws:username", &["alice"]),
            ],
            true,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/owner":"${aws:username}"}}"#,
            &[
                ("aws:PrincipalTag/owner", &["alice"]),
                ("aws:username", &["bob"]),
            ],
            false,
        ),
    ]);
}

#[test]
fn keys_and_operators_are_anded() {
    let both: Keys<'_> = &[("a:x", &["1"]), ("a:y", &["2"])];
    let one: Keys<'_> = &[("a:x", &["1"])];
    run(&[
        (r#"{"StringEquals":{"a:x":"1","a:y":"2"}}"#, both, true),
        (r#"{"StringEquals":{"a:x":"1","a:y":"2"}}"#, one, false),
        (
            r#"{"StringEquals":{"a:x":"1"},"NumericEquals":{"a:y":"2"}}"#,
            both,
            true,
        ),
        (
            r#"{"StringEquals":{"a:x":"1"},"NumericEquals":{"a:y":"3"}}"#,
            both,
            false,
        ),
        (r#"{}"#, NONE, true),
    ]);
}

#[test]
fn numeric_operators() {
    let n: Keys<'_> = &[("s:n", &["10"])];
    run(&[
        (r#"{"NumericEquals":{"s:n":"10"}}"#, n, true),
        (r#"{"NumericEquals":{"s:n":10}}"#, n, true),
        (r#"{"NumericEquals":{"s:n":"10.0"}}"#, n, true),
        (r#"{"NumericEquals":{"s:n":"11"}}"#, n, false),
        (r#"{"NumericNotEquals":{"s:n":"11"}}"#, n, true),
        (r#"{"NumericNotEquals":{"s:n":["11","10"]}}"#, n, false),
        (r#"{"NumericNotEquals":{"s:n":"11"}}"#, NONE, true),
        (r#"{"NumericLessThan":{"s:n":"11"}}"#, n, true),
        (r#"{"NumericLessThan":{"s:n":"10"}}"#, n, false),
        (r#"{"NumericLessThanEquals":{"s:n":"10"}}"#, n, true),
        (r#"{"NumericLessThanEquals":{"s:n":"9"}}"#, n, false),
        (r#"{"NumericGreaterThan":{"s:n":"9.5"}}"#, n, true),
        (r#"{"NumericGreaterThan":{"s:n":"10"}}"#, n, false),
        (r#"{"NumericGreaterThanEquals":{"s:n":"10"}}"#, n, true),
        (r#"{"NumericGreaterThanEquals":{"s:n":"11"}}"#, n, false),
        (r#"{"NumericGreaterThanEquals":{"s:n":"1"}}"#, NONE, false),
        (
            r#"{"NumericEquals":{"s:n":"10"}}"#,
            &[("s:n", &["ten"])],
            false,
        ),
    ]);
}

#[test]
fn date_operators() {
    let now: Keys<'_> = &[("aws:CurrentTime", &["2024-06-15T12:00:00Z"])];
    let epoch: Keys<'_> = &[("aws:EpochTime", &["1718452800"])]; // 2024-06-15T12:00:00Z
    run(&[
        (
            r#"{"DateEquals":{"aws:CurrentTime":"2024-06-15T12:00:00Z"}}"#,
            now,
            true,
        ),
        (
            r#"{"DateEquals":{"aws:CurrentTime":"1718452800"}}"#,
            now,
            true,
        ),
        (
            r#"{"DateEquals":{"aws:EpochTime":"2024-06-15T12:00:00Z"}}"#,
            epoch,
            true,
        ),
        (
            r#"{"DateEquals":{"aws:CurrentTime":"2024-06-15T14:00:00+02:00"}}"#,
            now,
            true,
        ),
        (
            r#"{"DateNotEquals":{"aws:CurrentTime":"2024-06-15T12:00:01Z"}}"#,
            now,
            true,
        ),
        (
            r#"{"DateNotEquals":{"aws:CurrentTime":"2024-06-15T12:00:00Z"}}"#,
            now,
            false,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}"#,
            now,
            true,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2024-01-01"}}"#,
            now,
            false,
        ),
        (
            r#"{"DateLessThanEquals":{"aws:CurrentTime":"2024-06-15T12:00:00Z"}}"#,
            now,
            true,
        ),
        (
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#,
            now,
            true,
        ),
        (
            r#"{"DateGreaterThan":{"aws:EpochTime":1718452800}}"#,
            epoch,
            false,
        ),
        (
            r#"{"DateGreaterThanEquals":{"aws:EpochTime":1718452800}}"#,
            epoch,
            true,
        ),
        (
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#,
            NONE,
            false,
        ),
        (
            r#"{"DateNotEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#,
            NONE,
            true,
        ),
    ]);
}

#[test]
fn bool_operator() {
    let tls: Keys<'_> = &[("aws:SecureTransport", &["true"])];
    let plain: Keys<'_> = &[("aws:SecureTransport", &["false"])];
    run(&[
        (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, tls, true),
        (r#"{"Bool":{"aws:SecureTransport":true}}"#, tls, true),
        (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, plain, false),
        (r#"{"Bool":{"aws:SecureTransport":"false"}}"#, plain, true),
        (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, NONE, false),
        (
            r#"{"BoolIfExists":{"aws:SecureTransport":"true"}}"#,
            NONE,
            true,
        ),
        (
            r#"{"BoolIfExists":{"aws:SecureTransport":"true"}}"#,
            plain,
            false,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
            &[("aws:SecureTransport", &["TRUE"])],
            true,
        ),
    ]);
}

#[test]
fn ip_operators() {
    let v4: Keys<'_> = &[("aws:SourceIp", &["203.0.113.7"])];
    let v6: Keys<'_> = &[("aws:SourceIp", &["2001:db8::1"])];
    let mapped: Keys<'_> = &[("aws:SourceIp", &["::ffff:203.0.113.7"])];
    run(&[
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            v4,
            true,
        ),
        (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#, v4, true),
        (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.8"}}"#, v4, false),
        (
            r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}"#,
            v4,
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"198.51.100.0/24"}}"#,
            v4,
            false,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#,
            v6,
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"2001:db9::/32"}}"#,
            v6,
            false,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            v6,
            false,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            mapped,
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            NONE,
            false,
        ),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            v4,
            false,
        ),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":"198.51.100.0/24"}}"#,
            v4,
            true,
        ),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":"198.51.100.0/24"}}"#,
            NONE,
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
            &[("aws:SourceIp", &["garbage"])],
            false,
        ),
    ]);
}

#[test]
fn arn_operators() {
    let p: Keys<'_> = &[(
        "aws:PrincipalArn",
        &["arn:aws:iam::123456789012:user/alice"],
    )];
    run(&[
        (
            r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/alice"}}"#,
            p,
            true,
        ),
        (
            r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/bob"}}"#,
            p,
            false,
        ),
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}"#,
            p,
            true,
        ),
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#,
            p,
            false,
        ),
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/ALICE"}}"#,
            p,
            false,
        ),
        (
            r#"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/bob"}}"#,
            p,
            true,
        ),
        (
            r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/a*"}}"#,
            p,
            false,
        ),
        (
            r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:iam::*:user/a*"}}"#,
            p,
            true,
        ),
        (r#"{"ArnLike":{"aws:SourceArn":"arn:*"}}"#, p, false),
        // aws:PrincipalArn defaults to the request principal.
        (
            r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/alice"}}"#,
            NONE,
            true,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}"#,
            NONE,
            true,
        ),
    ]);
}
