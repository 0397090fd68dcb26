//! Decision logic: deny wins, NotAction/NotResource, wildcards, policy
//! variables, resource policies and principals.

use keyward_policy::{Decision, Policy, RequestContext, evaluate};

const ACCT: &str = "123456789012";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:production/db-AbCdEf";
const ALICE: &str = "arn:aws:iam::123456789012:user/alice";

fn pol(json: &str) -> Policy {
    Policy::parse(json).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

fn ctx(action: &str, resource: &str) -> RequestContext {
    RequestContext::new(action, resource, ALICE, ACCT)
}

fn stmt(effect: &str, action: &str, resource: &str) -> Policy {
    pol(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":{action},"Resource":{resource}}}]}}"#
    ))
}

#[test]
fn default_is_implicit_deny() {
    assert_eq!(
        evaluate(&[], None, &ctx("secretsmanager:GetSecretValue", SECRET)),
        Decision::ImplicitDeny
    );
}

#[test]
fn explicit_deny_wins_everywhere() {
    let allow = stmt("Allow", r#""*""#, r#""*""#);
    let deny = pol(r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Other","Effect":"Deny","Action":"ssm:*","Resource":"*"},
            {"Sid":"NoProd","Effect":"Deny","Action":"secretsmanager:*","Resource":"arn:aws:secretsmanager:*:*:secret:production/*"}]}"#);
    let r = ctx("secretsmanager:GetSecretValue", SECRET);
    let want = Decision::ExplicitDeny {
        sid: Some("NoProd".into()),
    };
    assert_eq!(evaluate(&[&allow, &deny], None, &r), want);
    assert_eq!(evaluate(&[&deny, &allow], None, &r), want);
    // Deny in the resource policy beats identity allow.
    let rp_deny = pol(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}"#,
    );
    assert_eq!(
        evaluate(&[&allow], Some(&rp_deny), &r),
        Decision::ExplicitDeny { sid: None }
    );
    // Deny that does not match leaves the allow.
    let r2 = ctx(
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev/db-AbCdEf",
    );
    assert_eq!(evaluate(&[&allow, &deny], None, &r2), Decision::Allow);
}

#[test]
fn action_wildcards() {
    let table: &[(&str, &str, bool)] = &[
        (
            r#""secretsmanager:Get*""#,
            "secretsmanager:GetSecretValue",
            true,
        ),
        (
            r#""secretsmanager:Get*""#,
            "secretsmanager:GetRandomPassword",
            true,
        ),
        (
            r#""secretsmanager:Get*""#,
            "secretsmanager:PutSecretValue",
            false,
        ),
        (
            r#""SecretsManager:get*""#,
            "secretsmanager:GetSecretValue",
            true,
        ),
        (r#""ssm:*""#, "ssm:GetParametersByPath", true),
        (r#""ssm:*""#, "secretsmanager:GetSecretValue", false),
        (r#""*""#, "kms:Decrypt", true),
        (r#""ssm:GetParameter?""#, "ssm:GetParameters", true),
        (r#""ssm:GetParameter?""#, "ssm:GetParameter", false),
        (
            r#"["ssm:GetParameter","ssm:PutParameter"]"#,
            "ssm:PutParameter",
            true,
        ),
        (r#""ssm:*Parameter""#, "ssm:DeleteParameter", true),
        (r#""ssm:*Parameter""#, "ssm:DeleteParameters", false),
    ];
    for (action, req, want) in table {
        let p = stmt("Allow", action, r#""*""#);
        assert_eq!(
            evaluate(&[&p], None, &ctx(req, SECRET)).is_allowed(),
            *want,
            "{action} vs {req}"
        );
    }
}

#[test]
fn resource_wildcards_are_case_sensitive() {
    let table: &[(&str, &str, bool)] = &[
        (
            "arn:aws:secretsmanager:*:*:secret:production/*",
            SECRET,
            true,
        ),
        (
            "arn:aws:secretsmanager:*:*:secret:Production/*",
            SECRET,
            false,
        ),
        (
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:production/db-??????",
            SECRET,
            true,
        ),
        (
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:production/db",
            SECRET,
            false,
        ),
        ("arn:aws:secretsmanager:us-west-2:*:secret:*", SECRET, false),
        (
            "arn:aws:secretsmanager:*:999999999999:secret:*",
            SECRET,
            false,
        ),
        ("arn:aws:ssm:*:*:parameter/*", SECRET, false),
        ("*", SECRET, true),
    ];
    for (res, req, want) in table {
        let p = stmt("Allow", r#""secretsmanager:*""#, &format!("{res:?}"));
        assert_eq!(
            evaluate(&[&p], None, &ctx("secretsmanager:GetSecretValue", req)).is_allowed(),
            *want,
            "{res} vs {req}"
        );
    }
}

#[test]
fn not_action_and_not_resource() {
    let p = pol(r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","NotAction":["secretsmanager:Delete*","secretsmanager:PutResourcePolicy"],
             "NotResource":"arn:aws:secretsmanager:*:*:secret:production/*"}]}"#);
    let dev = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev/db-AbCdEf";
    assert!(evaluate(&[&p], None, &ctx("secretsmanager:GetSecretValue", dev)).is_allowed());
    assert!(!evaluate(&[&p], None, &ctx("secretsmanager:DeleteSecret", dev)).is_allowed());
    assert!(!evaluate(&[&p], None, &ctx("secretsmanager:GetSecretValue", SECRET)).is_allowed());

    // Deny everything except reads.
    let allow_all = stmt("Allow", r#""*""#, r#""*""#);
    let deny_writes = pol(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadOnly","Effect":"Deny",
            "NotAction":["secretsmanager:Get*","secretsmanager:Describe*","secretsmanager:List*"],"Resource":"*"}]}"#,
    );
    assert_eq!(
        evaluate(
            &[&allow_all, &deny_writes],
            None,
            &ctx("secretsmanager:GetSecretValue", SECRET)
        ),
        Decision::Allow
    );
    assert_eq!(
        evaluate(
            &[&allow_all, &deny_writes],
            None,
            &ctx("secretsmanager:PutSecretValue", SECRET)
        ),
        Decision::ExplicitDeny {
            sid: Some("ReadOnly".into())
        }
    );
}

#[test]
fn policy_variables_in_resource() {
    let p = pol(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter",
            "Resource":"arn:aws:ssm:*:*:parameter/home/${aws:username}/*"}]}"#,
    );
    let mine = "arn:aws:ssm:us-east-1:123456789012:parameter/home/alice/token";
    let theirs = "arn:aws:ssm:us-east-1:123456789012:parameter/home/bob/token";
    let r = |res: &str| ctx("ssm:GetParameter", res).with_value("aws:username", "alice");
    assert!(evaluate(&[&p], None, &r(mine)).is_allowed());
    assert!(!evaluate(&[&p], None, &r(theirs)).is_allowed());
    // Missing variable: the resource does not match.
    assert!(!evaluate(&[&p], None, &ctx("ssm:GetParameter", mine)).is_allowed());
    // A substituted value is literal, never a wildcard.
    let star = ctx("ssm:GetParameter", theirs).with_value("aws:username", "*");
    assert!(!evaluate(&[&p], None, &star).is_allowed());

    // Without Version 2012-10-17 variables are literal text.
    let old = pol(
        r#"{"Statement":[{"Effect":"Allow","Action":"ssm:GetParameter",
            "Resource":"arn:aws:ssm:*:*:parameter/home/${aws:username}/*"}]}"#,
    );
    assert!(!evaluate(&[&old], None, &r(mine)).is_allowed());
    let literal = "arn:aws:ssm:us-east-1:123456789012:parameter/home/${aws:username}/x";
    assert!(evaluate(&[&old], None, &r(literal)).is_allowed());

    // Escapes and defaults.
    let esc = pol(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter",
            "Resource":["arn:aws:ssm:*:*:parameter/odd/${*}${?}${$}",
                        "arn:aws:ssm:*:*:parameter/team/${aws:PrincipalTag/team, 'shared'}/*"]}]}"#,
    );
    assert!(
        evaluate(
            &[&esc],
            None,
            &ctx("ssm:GetParameter", "arn:aws:ssm:r:1:parameter/odd/*?$")
        )
        .is_allowed()
    );
    assert!(
        !evaluate(
            &[&esc],
            None,
            &ctx("ssm:GetParameter", "arn:aws:ssm:r:1:parameter/odd/abc")
        )
        .is_allowed()
    );
    assert!(
        evaluate(
            &[&esc],
            None,
            &ctx(
                "ssm:GetParameter",
                "arn:aws:ssm:r:1:parameter/team/shared/x"
            )
        )
        .is_allowed()
    );
    let tagged = ctx("ssm:GetParameter", "arn:aws:ssm:r:1:parameter/team/blue/x")
        .with_value("aws:PrincipalTag/team", "blue");
    assert!(evaluate(&[&esc], None, &tagged).is_allowed());
}

#[test]
fn resource_policy_principals() {
    let r = ctx("secretsmanager:GetSecretValue", SECRET);
    let cases: &[(&str, bool)] = &[
        (r#""*""#, true),
        (r#"{"AWS":"*"}"#, true),
        (r#"{"AWS":"123456789012"}"#, true),
        (r#"{"AWS":"arn:aws:iam::123456789012:root"}"#, true),
        (r#"{"AWS":"arn:aws:iam::123456789012:user/alice"}"#, true),
        (
            r#"{"AWS":["arn:aws:iam::123456789012:user/bob","arn:aws:iam::123456789012:user/alice"]}"#,
            true,
        ),
        (r#"{"AWS":"arn:aws:iam::123456789012:user/bob"}"#, false),
        (r#"{"AWS":"210987654321"}"#, false),
        (r#"{"Service":"lambda.amazonaws.com"}"#, false),
    ];
    for (principal, want) in cases {
        let rp = pol(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},
                "Action":"secretsmanager:GetSecretValue","Resource":"*"}}]}}"#
        ));
        assert_eq!(
            evaluate(&[], Some(&rp), &r).is_allowed(),
            *want,
            "{principal}"
        );
    }
    // NotPrincipal + Deny: everyone except alice is denied.
    let rp = pol(r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"*","Resource":"*"},
            {"Sid":"OnlyAlice","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"*","Resource":"*"}]}"#);
    assert_eq!(evaluate(&[], Some(&rp), &r), Decision::Allow);
    let bob = RequestContext::new(
        "secretsmanager:GetSecretValue",
        SECRET,
        "arn:aws:iam::123456789012:user/bob",
        ACCT,
    );
    assert_eq!(
        evaluate(&[], Some(&rp), &bob),
        Decision::ExplicitDeny {
            sid: Some("OnlyAlice".into())
        }
    );

    // A resource-policy Allow without Principal grants nothing; a Deny
    // without Principal applies to everyone.
    let no_principal_allow = stmt("Allow", r#""*""#, r#""*""#);
    assert_eq!(
        evaluate(&[], Some(&no_principal_allow), &r),
        Decision::ImplicitDeny
    );
    let no_principal_deny = stmt("Deny", r#""*""#, r#""*""#);
    let allow = stmt("Allow", r#""*""#, r#""*""#);
    assert_eq!(
        evaluate(&[&allow], Some(&no_principal_deny), &r),
        Decision::ExplicitDeny { sid: None }
    );
}

#[test]
fn identity_or_resource_allow_suffices() {
    let idp = stmt("Allow", r#""ssm:GetParameter""#, r#""*""#);
    let rp = pol(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},
            "Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
    );
    let r = ctx("secretsmanager:GetSecretValue", SECRET);
    assert_eq!(evaluate(&[&idp], None, &r), Decision::ImplicitDeny);
    assert_eq!(evaluate(&[&idp], Some(&rp), &r), Decision::Allow);
    assert_eq!(evaluate(&[], Some(&rp), &r), Decision::Allow);
}

#[test]
fn context_keys_case_insensitive_and_multivalued() {
    let mut c = RequestContext::new("a:b", "r", ALICE, ACCT);
    c.set("AWS:SourceIp", "10.0.0.1");
    assert_eq!(c.get("aws:sourceip"), Some(&["10.0.0.1".to_string()][..]));
    c.push_value("aws:TagKeys", "a");
    c.push_value("AWS:TAGKEYS", "b");
    assert_eq!(c.get("aws:tagkeys").map(<[String]>::len), Some(2));
    c.remove("aws:tagkeys");
    assert!(c.get("aws:TagKeys").is_none());
    assert_eq!(c.get("aws:PrincipalArn"), Some(&[ALICE.to_string()][..]));
}
