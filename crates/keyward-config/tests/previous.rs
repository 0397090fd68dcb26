//! `previous_as`: the store's previous version exported beside the current one, as
//! the JSON list Django's `SECRET_KEY_FALLBACKS` takes.

mod common;

use common::{STRONG, STRONG2};
use keyward_config::{
    Config, ConfigError, LookupError, Provenance, SecretString, Severity, Sources, StoreLookup,
    resolve,
};
use std::collections::BTreeMap;

const ROLLOVER: &str = r#"app = "mysite"
environments = ["development", "production"]

[vars.SECRET_KEY]
secret = true
required = true
source = "/mysite/{env}/secret_key"
previous_as = "SECRET_KEY_FALLBACKS"
rules = ["django-secret-key"]

[vars.DB_PASSWORD]
secret = true
source = "production/database/primary"
field = "password"
previous_as = "DB_PASSWORD_PREVIOUS"
"#;

/// A store with current and previous versions; `previous_fails` makes previous
/// lookups error.
#[derive(Debug, Default)]
struct VersionedStore {
    current: BTreeMap<String, String>,
    previous: BTreeMap<String, String>,
    previous_fails: bool,
}

impl StoreLookup for VersionedStore {
    fn get(&self, path: &str) -> Result<Option<SecretString>, LookupError> {
        Ok(self.current.get(path).map(|v| v.as_str().into()))
    }
    fn get_previous(&self, path: &str) -> Result<Option<SecretString>, LookupError> {
        if self.previous_fails {
            return Err(LookupError::Denied);
        }
        Ok(self.previous.get(path).map(|v| v.as_str().into()))
    }
}

fn config() -> Config {
    Config::from_toml_str(ROLLOVER, "keyward.toml").expect("valid")
}

fn store() -> VersionedStore {
    let mut s = VersionedStore::default();
    s.current
        .insert("/mysite/production/secret_key".into(), STRONG.into());
    s.previous
        .insert("/mysite/production/secret_key".into(), STRONG2.into());
    s.current.insert(
        "production/database/primary".into(),
        r#"{"username":"app_clone","password":"new-db-password"}"#.into(),
    );
    s.previous.insert(
        "production/database/primary".into(),
        r#"{"username":"app","password":"old-db-password"}"#.into(),
    );
    s
}

fn list(r: &keyward_config::Resolved, name: &str) -> Vec<String> {
    serde_json::from_str(r.values[name].expose()).expect("a JSON list")
}

#[test]
fn exports_the_previous_version_as_a_json_list() {
    let store = store();
    let r = resolve(&config(), "production", &Sources::new().with_store(&store)).unwrap();
    assert_eq!(r.values["SECRET_KEY"].expose(), STRONG);
    assert_eq!(list(&r, "SECRET_KEY_FALLBACKS"), [STRONG2]);
    assert_eq!(
        r.provenance["SECRET_KEY_FALLBACKS"],
        Provenance::StorePrevious {
            path: Some("/mysite/production/secret_key".into()),
            field: None,
        }
    );
    // With `field`, the previous version's field.
    assert_eq!(list(&r, "DB_PASSWORD_PREVIOUS"), ["old-db-password"]);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn no_previous_version_is_an_empty_list() {
    let mut store = store();
    store.previous.clear();
    let r = resolve(&config(), "production", &Sources::new().with_store(&store)).unwrap();
    assert!(list(&r, "SECRET_KEY_FALLBACKS").is_empty());
}

#[test]
fn a_value_not_from_the_store_has_no_fallbacks() {
    let store = store();
    let sources = Sources::new()
        .with_store(&store)
        .with_process_env([("SECRET_KEY", STRONG2)]);
    let r = resolve(&config(), "production", &sources).unwrap();
    assert!(list(&r, "SECRET_KEY_FALLBACKS").is_empty());
    assert_eq!(
        r.provenance["SECRET_KEY_FALLBACKS"].to_string(),
        "no previous version (the current value is not from the store)"
    );
}

#[test]
fn the_process_environment_can_set_the_list_itself() {
    let store = store();
    let sources = Sources::new()
        .with_store(&store)
        .with_process_env([("SECRET_KEY_FALLBACKS", "[\"chosen\"]")]);
    let r = resolve(&config(), "production", &sources).unwrap();
    assert!(!r.values.contains_key("SECRET_KEY_FALLBACKS"));
}

#[test]
fn an_unreadable_previous_version_warns_and_exports_an_empty_list() {
    let mut store = store();
    store.previous_fails = true;
    let r = resolve(&config(), "production", &Sources::new().with_store(&store)).unwrap();
    assert!(list(&r, "SECRET_KEY_FALLBACKS").is_empty());
    let warning = r
        .warnings
        .iter()
        .find(|p| p.var == "SECRET_KEY")
        .expect("a warning");
    assert_eq!(warning.severity, Severity::Warning);
    assert!(
        warning
            .message
            .contains("SECRET_KEY_FALLBACKS is set to []")
    );
    let shown = format!("{:?}", r.warnings);
    assert!(!shown.contains(STRONG) && !shown.contains(STRONG2));
}

#[test]
fn previous_as_must_be_a_fresh_variable_name_with_a_source() {
    let bad = r#"app = "mysite"
environments = ["production"]
[vars.SECRET_KEY]
previous_as = "SECRET_KEY"
[vars.API_KEY]
source = "/x"
previous_as = "OTHER"
[vars.OTHER]
description = "clashes with API_KEY's previous_as"
[vars.TOKEN]
source = "/t"
previous_as = "not a name"
"#;
    let Err(ConfigError::Invalid { issues, .. }) = Config::from_toml_str(bad, "keyward.toml")
    else {
        panic!("must be rejected");
    };
    let text: Vec<String> = issues
        .iter()
        .map(|i| format!("{:?}:{:?}: {}", i.var, i.line, i.message))
        .collect();
    let text = text.join("\n");
    assert!(
        text.contains("Some(\"SECRET_KEY\"):Some(3): `previous_as` must be another variable name"),
        "{text}"
    );
    assert!(text.contains("needs `source`"), "{text}");
    assert!(text.contains("[vars.OTHER] already supplies"), "{text}");
    assert!(text.contains("`not a name`"), "{text}");
}

#[test]
fn docs_name_the_previous_version_variable() {
    let md = keyward_config::docs_markdown(&config());
    assert!(
        md.contains("- **Previous version:** also exported as `SECRET_KEY_FALLBACKS`, a JSON list"),
        "{md}"
    );
}
