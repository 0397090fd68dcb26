mod common;

use common::*;
use keyward_config::{ProblemKind, Severity, VarSpec, VarType, validate_value};

fn check(spec: VarSpec, value: &str) -> Vec<ProblemKind> {
    let c = minimal();
    validate_value(&c, "V", &spec, "production", value)
        .into_iter()
        .map(|p| p.kind)
        .collect()
}

fn typed(ty: VarType) -> VarSpec {
    VarSpec {
        ty,
        ..VarSpec::default()
    }
}

#[test]
fn type_table() {
    let table: &[(VarType, &[&str], &[&str])] = &[
        (VarType::String, &["", "anything at all"], &[]),
        (
            VarType::Int,
            &["0", "-12", "9000"],
            &["", "1.5", "ten", "9999999999999999999999"],
        ),
        (
            VarType::Bool,
            &["true", "FALSE", "1", "0", "yes", "off"],
            &["", "maybe", "2"],
        ),
        (
            VarType::Url,
            &[
                "postgres://u:p@db:5432/x",
                "https://a.b/c?d",
                "sqlite:///db.sqlite3",
            ],
            &["", "db:5432", "http://", "a b://c"],
        ),
        (
            VarType::Email,
            &["ops@example.org", "a.b+c@mail.co.uk"],
            &["", "ops", "ops@host", "a@b@c.d", "a @b.c"],
        ),
        (
            VarType::Port,
            &["1", "8000", "65535"],
            &["0", "65536", "-1", "http"],
        ),
        (
            VarType::Json,
            &["{}", "[1,2]", "\"s\"", "null"],
            &["", "{", "{'a':1}"],
        ),
        (
            VarType::Duration,
            &["30", "30s", "5m", "1h30m", "250ms", "1.5h", "2d", "1w"],
            &["", "s", "5 m", "1y", "-5s"],
        ),
    ];
    for (ty, good, bad) in table {
        for v in *good {
            assert!(
                check(typed(*ty), v).is_empty(),
                "{ty:?} should accept {v:?}"
            );
        }
        for v in *bad {
            assert_eq!(
                check(typed(*ty), v),
                vec![ProblemKind::InvalidType],
                "{ty:?} should reject {v:?}"
            );
        }
    }
}

#[test]
fn length_pattern_one_of() {
    let s = VarSpec {
        min_length: Some(3),
        max_length: Some(5),
        ..VarSpec::default()
    };
    assert_eq!(check(s.clone(), "ab"), vec![ProblemKind::TooShort]);
    assert_eq!(check(s.clone(), "abcdef"), vec![ProblemKind::TooLong]);
    assert!(check(s, "abcd").is_empty());
    // Lengths count characters, as Python's len() does.
    let s = VarSpec {
        max_length: Some(2),
        ..VarSpec::default()
    };
    assert!(check(s, "éé").is_empty());
    let s = VarSpec {
        pattern: Some("[a-z]+".into()),
        ..VarSpec::default()
    };
    assert!(check(s.clone(), "abc").is_empty());
    assert_eq!(
        check(s, "abc1"),
        vec![ProblemKind::PatternMismatch],
        "the pattern must match the whole value"
    );
    let s = VarSpec {
        one_of: vec!["debug".into(), "info".into()],
        ..VarSpec::default()
    };
    assert!(check(s.clone(), "info").is_empty());
    assert_eq!(check(s, "trace"), vec![ProblemKind::NotOneOf]);
}

fn django() -> VarSpec {
    minimal().var("SECRET_KEY").expect("declared").clone()
}

#[test]
fn django_secret_key_rules() {
    assert!(check(django(), STRONG).is_empty());
    assert!(
        check(
            django(),
            keyward_config::generate(keyward_config::Format::Django, None)
                .expect("gen")
                .expose()
        )
        .is_empty()
    );
    assert_eq!(check(django(), "q8#Zr2!vLx0@"), vec![ProblemKind::TooShort]);
    let insecure = format!("django-insecure-{}", &STRONG[..40]);
    assert_eq!(check(django(), &insecure), vec![ProblemKind::ExampleValue]);
    for p in [
        "change-this",
        "changeme",
        "example",
        "your-secret-key-here",
        "secret",
        "placeholder",
    ] {
        let v = format!("{}{}", p, &STRONG[..50]);
        assert!(
            check(django(), &v).contains(&ProblemKind::ExampleValue),
            "{p}"
        );
    }
    assert_eq!(
        check(django(), &"a".repeat(60)),
        vec![ProblemKind::LowEntropy]
    );
    assert_eq!(
        check(django(), &"abc123".repeat(10)),
        vec![ProblemKind::LowEntropy]
    );
    // Everything wrong at once is reported at once.
    let kinds = check(django(), "changeme");
    assert!(
        kinds.contains(&ProblemKind::TooShort)
            && kinds.contains(&ProblemKind::ExampleValue)
            && kinds.contains(&ProblemKind::LowEntropy)
    );
}

#[test]
fn strong_secret_and_no_placeholder() {
    let strong = VarSpec {
        rules: vec![keyward_config::RuleName::StrongSecret],
        ..VarSpec::default()
    };
    assert!(check(strong.clone(), &STRONG[..32]).is_empty());
    assert!(
        check(
            strong.clone(),
            keyward_config::generate(keyward_config::Format::Hex, Some(16))
                .expect("hex")
                .expose()
        )
        .is_empty()
    );
    assert_eq!(check(strong, &STRONG[..31]), vec![ProblemKind::TooShort]);
    let np = VarSpec {
        rules: vec![keyward_config::RuleName::NoPlaceholder],
        ..VarSpec::default()
    };
    assert!(check(np.clone(), "postgres://app@db/app").is_empty());
    assert!(
        check(np.clone(), "my secret password").is_empty(),
        "secret words only matter for secret rules"
    );
    assert_eq!(
        check(np.clone(), "sk_test_xxxxxxxx"),
        vec![ProblemKind::ExampleValue]
    );
    assert_eq!(
        check(np.clone(), "<your-api-key>"),
        vec![ProblemKind::ExampleValue]
    );
    assert_eq!(check(np, "todo"), vec![ProblemKind::ExampleValue]);
}

#[test]
fn rule_findings_are_warnings_in_development() {
    let c = minimal();
    let ps = validate_value(&c, "SECRET_KEY", &django(), "development", "short");
    assert!(!ps.is_empty());
    assert!(ps.iter().all(|p| p.severity == Severity::Warning));
    let typed = VarSpec {
        ty: VarType::Port,
        ..VarSpec::default()
    };
    let ps = validate_value(&c, "PORT", &typed, "development", "x");
    assert_eq!(ps[0].severity, Severity::Error);
}

#[test]
fn messages_follow_the_seed_and_never_contain_the_value() {
    let c = minimal();
    let planted = "planted-change-this-0123";
    let ps = validate_value(&c, "SECRET_KEY", &django(), "production", planted);
    let short = ps
        .iter()
        .find(|p| p.kind == ProblemKind::TooShort)
        .expect("too short");
    assert!(short.message.starts_with(
        "SECRET_KEY is too short (24 characters).\nIt should be at least 50 characters for security.\nGenerate a secure key with:\n  keyward gen --format django --put /mysite/production/secret_key"
    ), "{}", short.message);
    let ex = ps
        .iter()
        .find(|p| p.kind == ProblemKind::ExampleValue)
        .expect("example");
    assert!(
        ex.message
            .starts_with("SECRET_KEY appears to be an example value (contains 'change-this')."),
        "{}",
        ex.message
    );
    for p in &ps {
        assert!(
            !p.message.contains(planted) && !p.message.contains("planted"),
            "{}",
            p.message
        );
    }
    for ty in [
        VarType::Int,
        VarType::Url,
        VarType::Email,
        VarType::Port,
        VarType::Json,
        VarType::Duration,
        VarType::Bool,
    ] {
        let s = VarSpec {
            ty,
            min_length: Some(99),
            max_length: Some(3),
            pattern: Some("z".into()),
            one_of: vec!["a".into()],
            ..VarSpec::default()
        };
        for p in validate_value(&c, "V", &s, "production", planted) {
            assert!(!p.message.contains("planted"), "{}", p.message);
        }
    }
}
