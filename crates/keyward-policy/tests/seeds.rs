//! The IAM policy documents from the seed specs, verbatim, with allowed and
//! denied requests.

use keyward_policy::arn::{parameter_arn, principal_arn, secret_arn};
use keyward_policy::{Decision, Policy, PolicyKind, RequestContext, evaluate, validate};

/// Seed 002: a bare statement object (no Version / Statement wrapper).
const SEED_002: &str = r#"{
  "Effect": "Allow",
  "Action": ["ssm:GetParameter"],
  "Resource": "arn:aws:ssm:*:*:parameter/myapp/prod/*"
}"#;

/// Seed 004: a full document.
const SEED_004: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "secretsmanager:ListSecrets"
      ],
      "Resource": "arn:aws:secretsmanager:*:*:secret:production/*"
    },
    {
      "Effect": "Allow",
      "Action": [
        "secretsmanager:CreateSecret",
        "secretsmanager:UpdateSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:RotateSecret"
      ],
      "Resource": "arn:aws:secretsmanager:*:*:secret:production/*",
      "Condition": {
        "StringEquals": {
          "aws:PrincipalTag/Role": "admin"
        }
      }
    }
  ]
}"#;

const ACCT: &str = "123456789012";

fn req(action: &str, resource: String) -> RequestContext {
    RequestContext::new(action, resource, principal_arn(ACCT, "app"), ACCT)
}

#[test]
fn seed_002_parses_as_lone_statement() {
    let p = Policy::parse(SEED_002).unwrap();
    assert!(p.is_lone_statement());
    assert_eq!(p.statements().len(), 1);
    let report = validate(&p, PolicyKind::Identity);
    assert!(report.is_valid(), "{:?}", report.findings);
    // Round-trips through the canonical form.
    let again = Policy::parse(&p.to_json()).unwrap();
    assert_eq!(again.to_json(), p.to_json());
}

#[test]
fn seed_002_decisions() {
    let p = Policy::parse(SEED_002).unwrap();
    let cases: &[(&str, &str, Decision)] = &[
        (
            "ssm:GetParameter",
            "/myapp/prod/database_url",
            Decision::Allow,
        ),
        (
            "ssm:GetParameter",
            "/myapp/prod/stripe_secret_key",
            Decision::Allow,
        ),
        (
            "ssm:getparameter",
            "/myapp/prod/database_url",
            Decision::Allow,
        ),
        (
            "ssm:GetParameter",
            "/myapp/staging/database_url",
            Decision::ImplicitDeny,
        ),
        (
            "ssm:GetParameter",
            "/myapp/production/x",
            Decision::ImplicitDeny,
        ),
        (
            "ssm:PutParameter",
            "/myapp/prod/database_url",
            Decision::ImplicitDeny,
        ),
        (
            "ssm:GetParameters",
            "/myapp/prod/database_url",
            Decision::ImplicitDeny,
        ),
        (
            "secretsmanager:GetSecretValue",
            "/myapp/prod/database_url",
            Decision::ImplicitDeny,
        ),
    ];
    for (action, name, want) in cases {
        let r = req(action, parameter_arn("us-east-1", ACCT, name));
        assert_eq!(&evaluate(&[&p], None, &r), want, "{action} {name}");
    }
    // Any region / account matches the `*` segments.
    let r = req(
        "ssm:GetParameter",
        parameter_arn("eu-west-2", "999999999999", "/myapp/prod/database_url"),
    );
    assert_eq!(evaluate(&[&p], None, &r), Decision::Allow);
}

#[test]
fn seed_004_parses() {
    let p = Policy::parse(SEED_004).unwrap();
    assert_eq!(p.statements().len(), 2);
    assert!(!p.is_lone_statement());
    let report = validate(&p, PolicyKind::Identity);
    assert!(report.is_valid(), "{:?}", report.findings);
    assert!(!report.broad_access);
    assert_eq!(Policy::parse(&p.to_json()).unwrap().to_json(), p.to_json());
}

#[test]
fn seed_004_decisions() {
    let p = Policy::parse(SEED_004).unwrap();
    let prod = secret_arn("us-east-1", ACCT, "production/database/primary", "AbCdEf");
    let staging = secret_arn("us-east-1", ACCT, "staging/database/primary", "AbCdEf");
    let admin = |r: RequestContext| r.with_value("aws:PrincipalTag/Role", "admin");
    let cases: Vec<(RequestContext, Decision)> = vec![
        (
            req("secretsmanager:GetSecretValue", prod.clone()),
            Decision::Allow,
        ),
        (
            req("secretsmanager:DescribeSecret", prod.clone()),
            Decision::Allow,
        ),
        (
            req("secretsmanager:GetSecretValue", staging.clone()),
            Decision::ImplicitDeny,
        ),
        (
            req("secretsmanager:DeleteSecret", prod.clone()),
            Decision::ImplicitDeny,
        ),
        // Second statement: only for principals tagged Role=admin.
        (
            req("secretsmanager:PutSecretValue", prod.clone()),
            Decision::ImplicitDeny,
        ),
        (
            admin(req("secretsmanager:PutSecretValue", prod.clone())),
            Decision::Allow,
        ),
        (
            admin(req("secretsmanager:RotateSecret", prod.clone())),
            Decision::Allow,
        ),
        (
            admin(req("secretsmanager:CreateSecret", prod.clone())),
            Decision::Allow,
        ),
        // Tag key is case-insensitive, value is case-sensitive.
        (
            req("secretsmanager:UpdateSecret", prod.clone())
                .with_value("aws:principaltag/role", "admin"),
            Decision::Allow,
        ),
        (
            req("secretsmanager:UpdateSecret", prod.clone())
                .with_value("aws:PrincipalTag/Role", "Admin"),
            Decision::ImplicitDeny,
        ),
        (
            req("secretsmanager:UpdateSecret", prod.clone())
                .with_value("aws:PrincipalTag/Role", "dev"),
            Decision::ImplicitDeny,
        ),
        (
            admin(req("secretsmanager:PutSecretValue", staging.clone())),
            Decision::ImplicitDeny,
        ),
        (
            admin(req("secretsmanager:DeleteSecret", prod.clone())),
            Decision::ImplicitDeny,
        ),
    ];
    for (i, (r, want)) in cases.iter().enumerate() {
        assert_eq!(
            &evaluate(&[&p], None, r),
            want,
            "case {i}: {} {}",
            r.action,
            r.resource
        );
    }
}

#[test]
fn seeds_combined_with_deny() {
    let p2 = Policy::parse(SEED_002).unwrap();
    let p4 = Policy::parse(SEED_004).unwrap();
    let deny = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"NoRotate","Effect":"Deny",
            "Action":"secretsmanager:Rotate*","Resource":"*"}}"#,
    )
    .unwrap();
    let prod = secret_arn("us-east-1", ACCT, "production/x", "AbCdEf");
    let r = req("secretsmanager:RotateSecret", prod.clone())
        .with_value("aws:PrincipalTag/Role", "admin");
    assert_eq!(evaluate(&[&p2, &p4], None, &r), Decision::Allow);
    assert_eq!(
        evaluate(&[&p2, &p4, &deny], None, &r),
        Decision::ExplicitDeny {
            sid: Some("NoRotate".into())
        }
    );
    let r = req(
        "ssm:GetParameter",
        parameter_arn("us-east-1", ACCT, "/myapp/prod/x"),
    );
    assert_eq!(evaluate(&[&p4, &deny, &p2], None, &r), Decision::Allow);
}
