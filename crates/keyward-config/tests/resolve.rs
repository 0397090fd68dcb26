mod common;

use common::*;
use keyward_config::{
    Config, DotenvFile, FileReader, Problem, ProblemKind, Provenance, SecretString, Severity,
    Sources, resolve,
};
use keyward_dotenv::{Document, ExpandMode};
use std::collections::BTreeMap;

fn dotenv(name: &str, text: &str) -> DotenvFile {
    let doc = Document::parse(text).expect("parses");
    DotenvFile::from_document(name, &doc, ExpandMode::None, &BTreeMap::new())
}

#[derive(Debug, Default)]
struct FakeFiles(BTreeMap<String, String>);
impl FileReader for FakeFiles {
    fn read_to_string(&self, path: &str) -> std::io::Result<String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}

const SPLIT: &str = r#"app = "mysite"
environments = ["development", "production"]
[vars.SECRET_KEY]
secret = true
source = "/mysite/{env}/secret_key"
required_in = ["production"]
dev_default = "dev-only-not-for-production"
file = "/run/secrets/secret_key"
env = "DJANGO_SECRET_KEY"
"#;

fn which(config: &Config, env: &str, sources: &Sources<'_>) -> Provenance {
    let r = resolve(config, env, sources).unwrap_or_else(|p| panic!("{p:#?}"));
    r.provenance["SECRET_KEY"].clone()
}

/// Walks the precedence ladder top-down by removing one source at a time.
#[test]
fn precedence_order() {
    let config = Config::from_toml_str(SPLIT, "keyward.toml").expect("valid");
    let mut store = MapStore::default();
    store
        .values
        .insert("/mysite/development/secret_key".into(), "from-store".into());
    let files = FakeFiles(
        [
            ("/tmp/sk".to_owned(), "from-file-var\n".to_owned()),
            (
                "/run/secrets/secret_key".to_owned(),
                "from-declared-file\n".to_owned(),
            ),
        ]
        .into_iter()
        .collect(),
    );
    let full_env = vec![
        ("SECRET_KEY", "from-env"),
        ("DJANGO_SECRET_KEY", "from-alias"),
        ("SECRET_KEY_FILE", "/tmp/sk"),
    ];
    let no_files = FakeFiles(BTreeMap::new());
    let mk = |env: Vec<(&str, &str)>, with_store: bool, files_on: bool, dotenvs: bool| {
        let mut s = Sources::new()
            .with_process_env(env.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
        if with_store {
            s = s.with_store(&store);
        }
        if files_on {
            s = s.with_files(&files);
        } else {
            s = s.with_files(&no_files);
        }
        if dotenvs {
            s = s
                .with_dotenv(dotenv(".env.local", "OTHER=1\n"))
                .with_dotenv(dotenv(".env", "SECRET_KEY=from-dotenv\n"));
        }
        s
    };
    let value = |s: &Sources<'_>| {
        resolve(&config, "development", s).expect("ok").values["SECRET_KEY"]
            .expose()
            .to_owned()
    };

    let s = mk(full_env.clone(), true, true, true);
    assert_eq!(
        which(&config, "development", &s),
        Provenance::ProcessEnv {
            var: "SECRET_KEY".into()
        }
    );
    assert_eq!(value(&s), "from-env");
    let r = resolve(&config, "development", &s).expect("ok");
    assert!(
        r.warnings.iter().any(|w| w.kind == ProblemKind::Ambiguous),
        "NAME and NAME_FILE both set"
    );

    let s = mk(full_env[1..].to_vec(), true, true, true);
    assert_eq!(
        which(&config, "development", &s),
        Provenance::ProcessEnv {
            var: "DJANGO_SECRET_KEY".into()
        }
    );

    let s = mk(full_env[2..].to_vec(), true, true, true);
    assert_eq!(
        which(&config, "development", &s),
        Provenance::FileVar {
            var: "SECRET_KEY_FILE".into(),
            path: "/tmp/sk".into()
        }
    );
    assert_eq!(
        value(&s),
        "from-file-var",
        "one trailing newline is trimmed"
    );

    let s = mk(vec![], true, true, true);
    assert_eq!(
        which(&config, "development", &s),
        Provenance::DeclaredFile {
            path: "/run/secrets/secret_key".into()
        }
    );

    let s = mk(vec![], true, false, true);
    assert_eq!(
        which(&config, "development", &s),
        Provenance::Store {
            path: "/mysite/development/secret_key".into(),
            field: None
        }
    );
    assert_eq!(value(&s), "from-store");

    let s = mk(vec![], false, false, true);
    assert_eq!(
        which(&config, "development", &s),
        Provenance::Dotenv {
            file: ".env".into(),
            var: "SECRET_KEY".into()
        }
    );

    let s = mk(vec![("SECRET_KEY", "")], false, false, false);
    assert_eq!(
        which(&config, "development", &s),
        Provenance::DevDefault,
        "empty counts as unset"
    );
    assert_eq!(value(&s), "dev-only-not-for-production");

    // dev_default never applies outside development-like environments.
    let errs = resolve(&config, "production", &s).expect_err("missing in production");
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].kind, ProblemKind::Missing);
    assert!(
        errs[0]
            .message
            .contains("dev_default is only used in development, dev, local, test")
    );
}

#[test]
fn first_dotenv_file_wins() {
    let config = minimal();
    let s = Sources::new()
        .with_dotenv(dotenv(".env.local", &format!("SECRET_KEY={STRONG}\n")))
        .with_dotenv(dotenv(".env", &format!("SECRET_KEY={STRONG2}\n")));
    let r = resolve(&config, "production", &s).expect("ok");
    assert_eq!(r.values["SECRET_KEY"].expose(), STRONG);
}

#[test]
fn missing_message_mirrors_the_seed() {
    let errs = resolve(&minimal(), "production", &Sources::new()).expect_err("missing");
    assert_eq!(
        errs[0].message,
        "SECRET_KEY environment variable must be set.\n(Its dev_default is only used in development, dev, local, test; `production` needs a real value.)\nSECRET_KEY: Django cryptographic signing key\nGenerate a secure key with:\n  keyward gen --format django --put /mysite/production/secret_key\nThen set it in your environment, or in a .env file passed with --env-file:\n  SECRET_KEY=<generated_key>"
    );
    assert_eq!(errs[0].var, "SECRET_KEY");
    assert_eq!(errs[0].env.as_deref(), Some("production"));
}

const MANY: &str = r#"app = "mysite"
environments = ["development", "production"]
[vars.SECRET_KEY]
secret = true
required = true
rules = ["django-secret-key"]
[vars.DATABASE_URL]
type = "url"
required_in = ["production"]
example = "postgres://app@db/app"
[vars.PORT]
type = "port"
[vars.DEBUG]
type = "bool"
one_of = ["false"]
[vars.API]
secret = true
source = "/mysite/{env}/api"
field = "api_key"
rules = ["strong-secret"]
[vars.DOWN]
source = "/mysite/{env}/down"
"#;

#[test]
fn every_problem_is_reported_at_once_and_none_shows_a_value() {
    let config = Config::from_toml_str(MANY, "keyward.toml").expect("valid");
    let planted = "PLANTED-changeme";
    let mut store = MapStore::default();
    store.values.insert(
        "/mysite/production/api".into(),
        format!("{{\"other\": \"{planted}\"}}"),
    );
    store.fail.push("/mysite/production/down".into());
    let s = Sources::new()
        .with_process_env([
            ("SECRET_KEY", planted),
            ("PORT", "PLANTED-99999"),
            ("DEBUG", "true"),
        ])
        .with_store(&store);
    let errs = resolve(&config, "production", &s).expect_err("many problems");
    let kinds: Vec<(&str, ProblemKind)> = errs.iter().map(|p| (p.var.as_str(), p.kind)).collect();
    for want in [
        ("SECRET_KEY", ProblemKind::TooShort),
        ("SECRET_KEY", ProblemKind::ExampleValue),
        ("DATABASE_URL", ProblemKind::Missing),
        ("PORT", ProblemKind::InvalidType),
        ("DEBUG", ProblemKind::NotOneOf),
        ("API", ProblemKind::FieldMissing),
        ("DOWN", ProblemKind::LookupFailed),
    ] {
        assert!(kinds.contains(&want), "{want:?} not in {kinds:?}");
    }
    for p in &errs {
        assert!(!p.message.contains("PLANTED"), "{}", p.message);
        assert!(!format!("{p:?}").contains("PLANTED"));
    }
    let db = errs.iter().find(|p| p.var == "DATABASE_URL").expect("db");
    assert!(
        db.message.ends_with("DATABASE_URL=postgres://app@db/app"),
        "{}",
        db.message
    );
}

#[test]
fn store_field_extraction_and_lookup_failure_in_development() {
    let config = Config::from_toml_str(MANY, "keyward.toml").expect("valid");
    let mut store = MapStore::default();
    store.values.insert(
        "/mysite/development/api".into(),
        format!("{{\"api_key\": \"{STRONG}\"}}"),
    );
    store.fail.push("/mysite/development/down".into());
    let s = Sources::new()
        .with_process_env([("SECRET_KEY", STRONG)])
        .with_store(&store)
        .with_dotenv(dotenv(".env", "DOWN=local\n"));
    let r = resolve(&config, "development", &s).expect("dev tolerates an unreachable store");
    assert_eq!(r.values["API"].expose(), STRONG);
    assert_eq!(
        r.provenance["API"],
        Provenance::Store {
            path: "/mysite/development/api".into(),
            field: Some("api_key".into())
        }
    );
    assert_eq!(r.values["DOWN"].expose(), "local");
    let w: Vec<&Problem> = r
        .warnings
        .iter()
        .filter(|p| p.kind == ProblemKind::LookupFailed)
        .collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].severity, Severity::Warning);
    assert!(
        !format!("{r:?}").contains(STRONG),
        "Resolved's Debug is redacted"
    );
}

#[test]
fn dev_default_is_exempt_from_strength_rules_only_in_development() {
    let r = resolve(&minimal(), "development", &Sources::new()).expect("dev default ok");
    assert_eq!(r.provenance["SECRET_KEY"], Provenance::DevDefault);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    // A weak value from a real source is only a warning in development.
    let s = Sources::new().with_process_env([("SECRET_KEY", "short")]);
    let r = resolve(&minimal(), "development", &s).expect("warnings only");
    assert!(r.warnings.iter().all(|p| p.severity == Severity::Warning) && !r.warnings.is_empty());
    assert!(resolve(&minimal(), "production", &s).is_err());
}

#[test]
fn file_var_with_real_file_and_unreadable_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("sk");
    std::fs::write(&p, format!("{STRONG}\r\n")).expect("write");
    let s = Sources::new().with_process_env([("SECRET_KEY_FILE", p.display().to_string())]);
    let r = resolve(&minimal(), "production", &s).expect("ok");
    assert_eq!(r.values["SECRET_KEY"].expose(), STRONG);
    let s = Sources::new().with_process_env([(
        "SECRET_KEY_FILE",
        dir.path().join("nope").display().to_string(),
    )]);
    let errs = resolve(&minimal(), "production", &s).expect_err("unreadable");
    assert!(errs.iter().any(|p| p.kind == ProblemKind::FileUnreadable));
}

#[test]
fn unknown_environment() {
    let errs = resolve(&minimal(), "prod", &Sources::new()).expect_err("unknown env");
    assert_eq!(errs[0].kind, ProblemKind::UnknownEnvironment);
    let _ = SecretString::default();
}

const UNREACHABLE: &str = r#"app = "mysite"
environments = ["development", "production"]
[vars.SECRET_KEY]
secret = true
source = "/mysite/{env}/secret_key"
required_in = ["production"]
[vars.SENTRY_DSN]
source = "/mysite/{env}/sentry_dsn"
[vars.CACHE_URL]
source = "/mysite/{env}/cache_url"
required_in = ["production"]
[vars.API_TOKEN]
secret = true
source = "/mysite/{env}/api_token"
"#;

/// Production with the store unreachable: required secrets fail closed (even when
/// a .env file has them); optional variables start without the value (warned);
/// required non-secrets may come from a --env-file (warned).
#[test]
fn production_with_the_store_unreachable_decides_by_the_schema() {
    let config = Config::from_toml_str(UNREACHABLE, "keyward.toml").expect("valid");
    let mut store = MapStore::default();
    for v in ["secret_key", "sentry_dsn", "cache_url", "api_token"] {
        store.fail.push(format!("/mysite/production/{v}"));
    }
    let s = Sources::new().with_store(&store).with_dotenv(dotenv(
        ".env",
        "CACHE_URL=redis://cache/0\nSECRET_KEY=stale-from-dotenv\n",
    ));
    let errs = resolve(&config, "production", &s).expect_err("SECRET_KEY fails closed");
    let errors: Vec<&Problem> = errs.iter().filter(|p| p.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errs:#?}");
    assert_eq!(errors[0].var, "SECRET_KEY");
    assert!(
        errors[0].message.contains("will not fall back"),
        "{}",
        errors[0].message
    );
    assert!(!errors[0].message.contains("must be set"), "reported twice");
    // With SECRET_KEY exported, the start goes ahead on warnings.
    let s = Sources::new()
        .with_process_env([("SECRET_KEY", STRONG)])
        .with_store(&store)
        .with_dotenv(dotenv(".env", "CACHE_URL=redis://cache/0\n"));
    let r = resolve(&config, "production", &s).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(r.values["CACHE_URL"].expose(), "redis://cache/0");
    assert!(!r.values.contains_key("SENTRY_DSN") && !r.values.contains_key("API_TOKEN"));
    let warned: Vec<&str> = r.warnings.iter().map(|p| p.var.as_str()).collect();
    for v in ["CACHE_URL", "SENTRY_DSN", "API_TOKEN"] {
        assert!(warned.contains(&v), "{v} not warned: {:#?}", r.warnings);
    }
    // A required non-secret with no fallback is an error, once.
    let s = Sources::new()
        .with_process_env([("SECRET_KEY", STRONG)])
        .with_store(&store);
    let errs = resolve(&config, "production", &s).expect_err("CACHE_URL missing");
    let cache: Vec<&Problem> = errs.iter().filter(|p| p.var == "CACHE_URL").collect();
    assert_eq!(cache.len(), 1, "{cache:#?}");
    assert!(cache[0].is_error() && cache[0].message.contains("unreachable"));
}

#[test]
fn an_unreadable_name_file_is_one_problem_not_also_must_be_set() {
    let s = Sources::new().with_process_env([("SECRET_KEY_FILE", "/nonexistent/sk")]);
    let errs = resolve(&minimal(), "production", &s).expect_err("unreadable");
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].kind, ProblemKind::FileUnreadable);
    assert!(!errs[0].message.contains("must be set"));
}
