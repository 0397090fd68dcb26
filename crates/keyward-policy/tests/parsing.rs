//! Document parsing, error messages, canonical JSON and validation.

use keyward_policy::{
    AwsPrincipal, Effect, Policy, PolicyError, PolicyKind, PolicyVersion, Principal, Severity,
    validate, validate_str,
};

#[test]
fn accepts_document_shapes() {
    let single = Policy::parse(
        r#"{"Version":"2008-10-17","Id":"p1","Statement":{"Sid":"A","Effect":"Deny","Action":"ssm:*","Resource":["*"]}}"#,
    )
    .unwrap();
    assert_eq!(single.version(), Some(PolicyVersion::V2008_10_17));
    assert_eq!(single.id(), Some("p1"));
    let st = &single.statements()[0];
    assert_eq!(
        (st.sid(), st.effect(), st.index()),
        (Some("A"), Effect::Deny, 0)
    );
    assert_eq!(st.actions(), ["ssm:*"]);
    assert_eq!(st.resources(), ["*"]);

    let rp = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/a"]},"NotAction":"ssm:Delete*","NotResource":"arn:aws:ssm:*:*:parameter/x"}]}"#,
    )
    .unwrap();
    let st = &rp.statements()[0];
    assert!(st.is_not_action() && st.is_not_resource() && !st.is_not_principal());
    match st.principal() {
        Some(Principal::Set { aws, .. }) => assert_eq!(
            aws,
            &[
                AwsPrincipal::Account("123456789012".into()),
                AwsPrincipal::Arn("arn:aws:iam::123456789012:user/a".into())
            ]
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_messages_name_statement_and_field() {
    let cases: &[(&str, &str)] = &[
        ("not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        (r#"{"Version":"2012-10-17"}"#, "field `Statement`: missing"),
        (r#"{"Statement":[]}"#, "at least one statement"),
        (r#"{"Statement":"x"}"#, "field `Statement`"),
        (
            r#"{"Version":"2020-01-01","Statement":[]}"#,
            "field `Version`",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[],"Extra":1}"#,
            "field `Extra`: unknown top-level",
        ),
        (r#"{"Id":5,"Statement":[]}"#, "field `Id`"),
        (
            r#"{"Statement":[1]}"#,
            "Statement[0]: field `Statement`: each statement must be a JSON object",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"Two","Action":"*","Resource":"*"}]}"#,
            "Statement[1] (Sid \"Two\"): field `Effect`: missing",
        ),
        (
            r#"{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}"#,
            "field `Effect`: must be \"Allow\" or \"Deny\"",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"x:y","Resource":"*"}]}"#,
            "Statement[0]: field `Action`: a statement cannot have both Action and NotAction",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
            "field `Action`: missing required element",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*"}]}"#,
            "field `Resource`: missing required element",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}"#,
            "both Resource and NotResource",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
            "field `Action`: must not be an empty array",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":[1],"Resource":"*"}]}"#,
            "field `Action`: must be a string",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"GetSecretValue","Resource":"*"}]}"#,
            "not a valid action",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","NotAction":"s*:x","Resource":"*"}]}"#,
            "field `NotAction`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":""}]}"#,
            "field `Resource`: must not be an empty string",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Bogus":1}]}"#,
            "field `Bogus`: unknown statement element",
        ),
        (
            r#"{"Statement":[{"Sid":7,"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            "field `Sid`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*","NotPrincipal":"*"}]}"#,
            "both Principal and NotPrincipal",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":"me"}]}"#,
            "field `Principal`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":{"Bob":"x"}}]}"#,
            "unknown principal type",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":{"AWS":"bob"}}]}"#,
            "12-digit account ID",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"}}]}"#,
            "wildcards are not allowed",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotPrincipal":{}}]}"#,
            "field `NotPrincipal`",
        ),
        (
            r#"{"Action":"*","Resource":"*"}"#,
            "field `Action`: statement element at top level",
        ),
        (
            r#"{"Effect":"Allow","Action":"*"}"#,
            "field `Resource`: missing",
        ),
    ];
    for (doc, want) in cases {
        let err = Policy::parse(doc).expect_err(doc).to_string();
        assert!(err.contains(want), "{doc}\n  got:  {err}\n  want: {want}");
    }
}

#[test]
fn structured_error_variant() {
    let e =
        Policy::parse(r#"{"Statement":[{"Sid":"S","Effect":"Allow","Action":"*"}]}"#).unwrap_err();
    assert_eq!(
        e,
        PolicyError::Statement {
            index: 0,
            sid: Some("S".into()),
            field: "Resource".into(),
            message: "missing required element (Resource or NotResource)".into()
        }
    );
}

#[test]
fn canonical_json_round_trip_and_serde() {
    let src = r#"{"Version":"2012-10-17","Id":"x","Statement":{"Effect":"Allow","Action":"ssm:GetParameter",
        "Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8"]}}}}"#;
    let p = Policy::parse(src).unwrap();
    let json = p.to_json();
    assert!(json.contains(r#""Statement":[{"#), "{json}");
    let again = Policy::parse(&json).unwrap();
    assert_eq!(again.to_json(), json);
    assert_eq!(Policy::parse(&p.to_json_pretty()).unwrap().to_json(), json);
    let via_serde: Policy = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(via_serde.to_json(), json);
    assert!(serde_json::from_str::<Policy>(r#"{"Statement":5}"#).is_err());
}

#[test]
fn validation_findings() {
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
    let r = validate_str(public, PolicyKind::Resource).unwrap();
    assert!(r.broad_access && r.is_valid(), "{:?}", r.findings);

    let aws_star = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},
        "Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
    assert!(
        validate_str(aws_star, PolicyKind::Resource)
            .unwrap()
            .broad_access
    );

    let pinned = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"secretsmanager:GetSecretValue","Resource":"*",
        "Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}]}"#;
    assert!(
        !validate_str(pinned, PolicyKind::Resource)
            .unwrap()
            .broad_access
    );

    let loose = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"secretsmanager:GetSecretValue","Resource":"*",
        "Condition":{"StringLike":{"aws:PrincipalAccount":"*"}}}]}"#;
    assert!(
        validate_str(loose, PolicyKind::Resource)
            .unwrap()
            .broad_access
    );

    let deny_all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#;
    assert!(
        !validate_str(deny_all, PolicyKind::Resource)
            .unwrap()
            .broad_access
    );

    let named = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"secretsmanager:*","Resource":"*"}]}"#;
    let r = validate_str(named, PolicyKind::Resource).unwrap();
    assert!(
        r.is_valid() && !r.broad_access && r.findings.is_empty(),
        "{:?}",
        r.findings
    );
    // The same document as an identity policy: Principal is an error.
    let r = validate_str(named, PolicyKind::Identity).unwrap();
    assert!(!r.is_valid());
    assert!(
        r.errors()
            .any(|f| f.field == "Principal" && f.statement == Some(0))
    );

    // Resource policy statements need a principal.
    let r = validate_str(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}"#,
        PolicyKind::Resource,
    )
    .unwrap();
    let e = r.errors().next().unwrap();
    assert_eq!(e.severity, Severity::Error);
    assert!(
        e.to_string()
            .contains("Statement[0] (Sid \"X\"): field `Principal`"),
        "{e}"
    );

    // Warnings: no Version, duplicate Sid (error), wildcard in StringEquals, odd resource, unknown service.
    let r = validate_str(
        r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"bucket",
             "Condition":{"StringEquals":{"aws:username":"a*"}}},
            {"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    let fields: Vec<_> = r
        .findings
        .iter()
        .map(|f| (f.severity, f.field.as_str()))
        .collect();
    for want in [
        (Severity::Warning, "Version"),
        (Severity::Warning, "Action"),
        (Severity::Warning, "Resource"),
        (Severity::Warning, "Condition.StringEquals"),
        (Severity::Error, "Sid"),
    ] {
        assert!(fields.contains(&want), "{want:?} not in {fields:?}");
    }
    assert!(!r.is_valid());

    let p = Policy::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"ssm:Delete*","Resource":"*"}]}"#).unwrap();
    assert!(
        validate(&p, PolicyKind::Identity)
            .warnings()
            .any(|f| f.field == "NotAction")
    );
}

#[test]
fn knows_whether_it_reads_the_request_context() {
    let doc = |st: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{st}]}}"#);
    let reads = |st: &str| Policy::parse(&doc(st)).unwrap().reads_request_context();
    assert!(!reads(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#));
    assert!(!reads(
        r#"{"Effect":"Deny","NotAction":"ssm:Get*","NotResource":"arn:aws:ssm:*:*:parameter/app/*"}"#
    ));
    assert!(reads(
        r#"{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/env":"prod"}}}"#
    ));
    assert!(reads(
        r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/${aws:username}/*"}"#
    ));
    assert!(reads(
        r#"{"Effect":"Deny","Action":"*","NotResource":"arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}-*"}"#
    ));
}
