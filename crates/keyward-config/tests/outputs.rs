mod common;

use common::*;
use keyward_config::doctor::{
    FindingKind, check_compose, check_env_file, check_file, check_settings,
};
use keyward_config::{
    Config, ProblemKind, RuleName, SecretString, check_cross_env_duplicates, docs_markdown,
    env_example,
};
use keyward_crypto::RootKey;
use std::collections::BTreeMap;

#[test]
fn docs_have_table_and_sections() {
    let md = docs_markdown(&minimal());
    assert!(md.starts_with("# Environment variables for `mysite`"));
    assert!(md.contains("| Variable | Required in | Secret | Type | Description |"));
    assert!(md.contains("| [`SECRET_KEY`](#secret_key) | production | yes | string | Django cryptographic signing key |"));
    assert!(md.contains("\n## SECRET_KEY\n"));
    assert!(md.contains("- **Source:** `SECRET_KEY` > `SECRET_KEY_FILE` > store `/mysite/{env}/secret_key` > .env > dev default"));
    assert!(md.contains(RuleName::DjangoSecretKey.describe()));
    assert!(md.contains("keyward gen --format django --put /mysite/production/secret_key"));
    assert!(
        !md.contains("dev-only-not-for-production"),
        "dev defaults are not printed"
    );
}

#[test]
fn env_example_parses_and_holds_no_values() {
    let text = env_example(&minimal());
    let doc = keyward_dotenv::Document::parse(&text).expect("example parses");
    assert_eq!(
        doc.get("SECRET_KEY").expect("listed").expose(),
        "",
        "dev default => empty"
    );
    assert!(text.contains("# Django cryptographic signing key\n"));
    assert!(text.contains("# Secret. Required in: production. Rules: django-secret-key.\n"));
    assert!(text.contains("# Generate: keyward gen --format django\n"));
    assert!(!text.contains("dev-only-not-for-production"));

    let c = Config::from_toml_str(
        "app = \"a\"\nenvironments = [\"production\"]\n[vars.TOKEN]\nsecret = true\ndescription = \"two\\nlines\"\n[vars.URL]\nexample = \"postgres://app@db/app\"\ntype = \"url\"\n",
        "k.toml",
    )
    .expect("valid");
    let text = env_example(&c);
    let doc = keyward_dotenv::Document::parse(&text).expect("parses");
    assert_eq!(doc.get("TOKEN").expect("t").expose(), "your-token-here");
    assert_eq!(doc.get("URL").expect("u").expose(), "postgres://app@db/app");
    assert!(text.contains("# two\n# lines\n"));
}

#[test]
fn cross_env_duplicates_use_fingerprints() {
    let key = RootKey::generate().token_key();
    let mut m: BTreeMap<String, BTreeMap<String, SecretString>> = BTreeMap::new();
    let put =
        |m: &mut BTreeMap<String, BTreeMap<String, SecretString>>, e: &str, k: &str, v: &str| {
            m.entry(e.into())
                .or_default()
                .insert(k.into(), SecretString::from(v));
        };
    put(&mut m, "development", "SECRET_KEY", "PLANTED-shared");
    put(&mut m, "production", "SECRET_KEY", "PLANTED-shared");
    put(&mut m, "development", "DB_PASSWORD", "PLANTED-other");
    put(&mut m, "staging", "DB_PASS_STAGING", "PLANTED-other");
    put(&mut m, "production", "API", "unique");
    put(&mut m, "production", "API2", "unique");
    put(&mut m, "development", "EMPTY", "");
    put(&mut m, "production", "EMPTY", "");
    let ps = check_cross_env_duplicates(&m, &key);
    assert_eq!(ps.len(), 2, "{ps:#?}");
    assert!(
        ps.iter()
            .all(|p| p.kind == ProblemKind::DuplicateAcrossEnvironments)
    );
    assert!(ps.iter().any(|p| {
        p.message
            .starts_with("SECRET_KEY has the same value in development, production.")
    }));
    assert!(ps.iter().any(|p| {
        p.message.starts_with(
            "DB_PASSWORD (development), DB_PASS_STAGING (staging) have the same value.",
        )
    }));
    assert!(ps.iter().all(|p| {
        !p.message.contains("PLANTED")
            && p.message
                .contains("Never use the same secrets across environments")
    }));
}

#[test]
fn doctor_settings() {
    let src = "import os\n# SECRET_KEY = 'commented'\nSECRET_KEY = 'django-insecure-PLANTED'\nDEBUG = True\nDB_PASSWORD: str = \"PLANTED\"\nSECRET_KEY = os.environ.get('SECRET_KEY', 'fallback-PLANTED')\nAPI_TOKEN = os.getenv(\"API_TOKEN\")\nX = ''\n";
    let f = check_settings("mysite/settings.py", src);
    let got: Vec<(usize, FindingKind)> = f.iter().map(|x| (x.line, x.kind)).collect();
    assert_eq!(
        got,
        vec![
            (3, FindingKind::HardcodedSecret),
            (5, FindingKind::HardcodedSecret),
            (6, FindingKind::LiteralFallback)
        ]
    );
    assert!(f[0].message.contains("insecure startproject key"));
    assert!(f.iter().all(|x| !x.message.contains("PLANTED")
        && !x.fix.contains("PLANTED")
        && x.file == "mysite/settings.py"));
}

#[test]
fn doctor_compose() {
    let y = "services:\n  web:\n    image: x\n    environment:\n      - SECRET_KEY=${SECRET_KEY}\n      - DB_PASSWORD=PLANTED\n      - \"API_TOKEN=PLANTED\"\n      - DEBUG=1\n      - JWT_SECRET_KEY_FILE=/run/secrets/jwt\n    ports:\n      - \"8000:8000\"\n  db:\n    environment:\n      POSTGRES_PASSWORD: PLANTED\n      POSTGRES_USER: app\n      REDIS_PASSWORD: \"${REDIS_PASSWORD}\"\n";
    let f = check_compose("docker-compose.yml", y);
    let lines: Vec<usize> = f.iter().map(|x| x.line).collect();
    assert_eq!(lines, vec![6, 7, 14]);
    assert!(
        f.iter()
            .all(|x| x.kind == FindingKind::ComposeLiteralSecret && !x.message.contains("PLANTED"))
    );
    assert_eq!(
        check_file("deploy/docker-compose.prod.yaml", y, None).len(),
        3
    );
}

#[test]
fn doctor_env_files() {
    let text = "DEBUG=1\nSECRET_KEY=change-this-PLANTED\nAPI_TOKEN=PLANTED1\nGOOD_SECRET=q8#Zr2!vLx0@pT9^mW4&nB7\nREF_PASSWORD=${OTHER}\n";
    let f = check_env_file(".env", text, None);
    let got: Vec<(usize, FindingKind)> = f.iter().map(|x| (x.line, x.kind)).collect();
    assert_eq!(
        got,
        vec![(2, FindingKind::ExampleValue), (3, FindingKind::WeakValue)]
    );
    assert!(f.iter().all(|x| !x.message.contains("PLANTED")));
    // A declared config decides what is secret; undeclared names fall back to the
    // name heuristic.
    let c = Config::from_toml_str(
        "app = \"a\"\nenvironments = [\"p\"]\n[vars.PUBLIC_TOKEN]\nsecret = false\n",
        "k",
    )
    .expect("valid");
    let f = check_env_file(
        ".env",
        "SECRET_KEY=example\nPUBLIC_TOKEN=x\nAPI_TOKEN=x\n",
        Some(&c),
    );
    assert_eq!(f.iter().map(|x| x.line).collect::<Vec<_>>(), vec![1, 3]);
    let f = check_env_file(".env", "A=\"unterminated\n", None);
    assert_eq!(f[0].kind, FindingKind::Unparseable);
    assert!(check_file(".env.example", "SECRET_KEY=changeme\n", None).is_empty());
    assert_eq!(
        check_file("app/.env.production", "SECRET_KEY=changeme\n", None).len(),
        1
    );
}

#[test]
fn gen_output_passes_its_own_rules() {
    let c = minimal();
    let spec = c.var("SECRET_KEY").expect("declared");
    for _ in 0..200 {
        let v = keyward_config::generate(keyward_config::Format::Django, None).expect("gen");
        let ps = keyward_config::validate_value(&c, "SECRET_KEY", spec, "production", v.expose());
        assert!(ps.is_empty(), "{ps:?}");
    }
}

#[test]
fn example_keeps_declared_examples_and_suggests_generation_by_type() {
    let c = Config::from_toml_str(
        r#"app = "a"
environments = ["development", "production"]
[vars.DATABASE_URL]
secret = true
type = "url"
required_in = ["production"]
source = "/a/{env}/database_url"
example = "postgres://app:pw@db:5432/app"
dev_default = "postgres://dev@localhost/dev"
[vars.API_TOKEN]
secret = true
[vars.SENTRY_DSN]
type = "url"
"#,
        "k.toml",
    )
    .expect("valid");
    let text = env_example(&c);
    let doc = keyward_dotenv::Document::parse(&text).expect("parses");
    // The example is shown although the value stays empty for the dev default.
    assert!(
        text.contains("# Example: postgres://app:pw@db:5432/app\n"),
        "{text}"
    );
    assert_eq!(doc.get("DATABASE_URL").expect("listed").expose(), "");
    assert!(!text.contains("postgres://dev@localhost/dev"));
    // A URL is composed, not generated; a plain secret string is generated.
    assert!(
        !text.contains("# Generate: keyward gen --format urlsafe\nDATABASE_URL"),
        "{text}"
    );
    let db_block = &text[..text.find("DATABASE_URL=").expect("entry")];
    let db_block = &db_block[db_block.rfind("\n\n").unwrap_or(0)..];
    assert!(!db_block.contains("Generate"), "{db_block}");
    assert!(text.contains("# Generate: keyward gen --format urlsafe\nAPI_TOKEN="));
    // Optional variables say so.
    assert!(text.contains("# Optional. Type: url.\n"), "{text}");
    assert!(!text.contains("Required in: optional"));
    let md = docs_markdown(&c);
    assert!(md.contains("- **Required in:** none (optional)"), "{md}");
    // The missing-value message for the URL: store it (off the command line).
    let errs = keyward_config::resolve(&c, "production", &keyward_config::Sources::new())
        .expect_err("missing");
    let db = errs.iter().find(|p| p.var == "DATABASE_URL").expect("db");
    assert!(
        db.message
            .contains("keyward put /a/production/database_url --stdin")
            && !db.message.contains("keyward gen"),
        "{}",
        db.message
    );
}
