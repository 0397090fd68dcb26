mod common;

use common::*;
use keyward_config::{Config, ConfigError, RuleName, VarType};

#[test]
fn minimal_form_is_accepted() {
    let c = minimal();
    assert_eq!(c.app, "mysite");
    let s = c.var("SECRET_KEY").expect("declared");
    assert!(s.secret);
    assert_eq!(s.rules, vec![RuleName::DjangoSecretKey]);
    assert_eq!(
        c.store_path("SECRET_KEY", s, "production").as_deref(),
        Some("/mysite/production/secret_key")
    );
    assert!(c.is_dev_environment("development"));
    assert!(!c.is_dev_environment("production"));
    assert!(c.is_required(s, "production"));
    assert!(!c.is_required(s, "development"));
}

#[test]
fn unknown_fields_name_line_and_column() {
    let text = "app = \"a\"\nenvironments = [\"production\"]\n\n[vars.X]\nsecrett = true\n";
    let e = Config::from_toml_str(text, "keyward.toml").expect_err("typo");
    match &e {
        ConfigError::Syntax {
            line,
            column,
            message,
            ..
        } => {
            assert_eq!((*line, *column), (5, 1));
            assert!(message.contains("unknown field `secrett`"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(e.to_string().starts_with("keyward.toml:5:1: unknown field"));

    let e = Config::from_toml_str("app = \"a\"\nenvironments = []\nbogus = 1\n", "k.toml")
        .expect_err("top-level typo");
    assert!(e.to_string().starts_with("k.toml:3:"), "{e}");

    let e = Config::from_toml_str(
        "app = \"a\"\nenvironments=[\"p\"]\n[vars.X]\nrules = [\"nope\"]\n",
        "k.toml",
    )
    .expect_err("bad rule");
    assert!(e.to_string().contains("unknown variant `nope`"), "{e}");
    let e = Config::from_toml_str(
        "app = \"a\"\nenvironments=[\"p\"]\n[vars.X]\ntype = \"float\"\n",
        "k.toml",
    )
    .expect_err("bad type");
    assert!(e.to_string().contains("k.toml:4:"), "{e}");
}

#[test]
fn semantic_issues_are_all_reported() {
    let text = r#"app = "a"
environments = ["staging", "production"]

[vars.A]
required_in = ["prod"]
dev_default = "x"
pattern = "(["
min_length = 10
max_length = 2
field = "k"

[vars.B]
source = "/a/{nope}/b"
generate = "rot13"
type = "port"
env = "B"
"#;
    let e = Config::from_toml_str(text, "keyward.toml").expect_err("invalid");
    let ConfigError::Invalid { issues, .. } = &e else {
        panic!("{e:?}")
    };
    let msgs: Vec<_> = issues.iter().map(|i| i.message.as_str()).collect();
    assert!(msgs.iter().any(|m| m.contains("`prod`")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("dev_default is only used")));
    assert!(msgs.iter().any(|m| m.contains("regular expression")));
    assert!(
        msgs.iter()
            .any(|m| m.contains("min_length (10) is greater"))
    );
    assert!(msgs.iter().any(|m| m.contains("needs `source`")));
    assert!(msgs.iter().any(|m| m.contains("unknown placeholder")));
    assert!(msgs.iter().any(|m| m.contains("`generate` must be one of")));
    assert!(msgs.iter().any(|m| m.contains("another variable name")));
    assert_eq!(
        issues
            .iter()
            .find(|i| i.var.as_deref() == Some("B"))
            .and_then(|i| i.line),
        Some(12)
    );
    assert!(e.to_string().contains("keyward.toml:4: [vars.A]"), "{e}");
}

#[test]
fn full_schema_parses_and_keeps_order() {
    let text = r#"app = "shop"
environments = ["local", "staging", "production"]
dev_environments = ["local"]

[vars.ZED]
type = "int"
required = true
[vars.ALPHA]
description = "API key"
secret = true
source = "/{app}/{env}/api"
field = "api_key"
env = "ALPHA_ALIAS"
file = "/run/secrets/alpha"
type = "string"
min_length = 8
max_length = 80
pattern = "[a-z0-9]+"
one_of = []
rules = ["strong-secret", "no-placeholder"]
generate = "hex"
example = "abc"
"#;
    let c = Config::from_toml_str(text, "keyward.toml").expect("valid");
    assert_eq!(
        c.vars.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["ZED", "ALPHA"]
    );
    assert_eq!(c.var("ZED").expect("zed").ty, VarType::Int);
    assert_eq!(c.dev_environments, ["local"]);
}

#[test]
fn load_reads_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("keyward.toml");
    std::fs::write(&p, MINIMAL).expect("write");
    assert_eq!(Config::load(&p).expect("loads").app, "mysite");
    assert!(matches!(
        Config::load(&dir.path().join("missing.toml")),
        Err(ConfigError::Io { .. })
    ));
}
