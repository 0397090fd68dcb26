//! A database secret's JSON, in either shape keyward accepts: AWS Secrets Manager's
//! (`engine, host, port, dbname, username, password`, optional `masterarn`, `ssl`) and
//! the seed's (`host, port, name, user, password`). The pending value is written back
//! in the shape it was read in, every other field kept as it was.

use std::fmt;

use serde_json::{Map, Value};

use crate::{RotateError, SecretString};

/// The port PostgreSQL listens on unless the secret says otherwise.
pub const DEFAULT_PORT: u16 = 5432;
/// The database AWS's templates connect to when the secret names none.
pub const DEFAULT_DBNAME: &str = "postgres";
/// `engine` values AWS's PostgreSQL templates accept.
const ENGINES: [&str; 2] = ["postgres", "aurora-postgresql"];

/// Which field names the secret uses for the role and the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Keys {
    username: &'static str,
    dbname: &'static str,
}

const AWS_KEYS: Keys = Keys {
    username: "username",
    dbname: "dbname",
};
const SEED_KEYS: Keys = Keys {
    username: "user",
    dbname: "name",
};

/// Whether the connection must use TLS, as the secret asks (`ssl` as AWS's templates
/// read it, or libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Nothing asked: plaintext to a loopback host, TLS to any other.
    Unspecified,
    /// `"ssl": false` or `sslmode` `disable`/`allow`/`prefer`: plaintext, as asked.
    Disabled,
    /// `"ssl": true` or `sslmode` `require`/`verify-ca`/`verify-full`.
    Required,
}

/// A parsed database secret. Holds the password as a [`SecretString`]; its `Debug`
/// output never shows it (nor the raw fields, which hold it too).
pub struct DbSecret {
    fields: Map<String, Value>,
    keys: Keys,
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub username: String,
    pub password: SecretString,
    pub tls: Tls,
    /// libpq's `sslrootcert`: a PEM file of the CA certificates to trust instead of
    /// the public roots.
    pub sslrootcert: Option<String>,
}

impl DbSecret {
    /// Parses a secret value. `what` names it in errors ("the secret", "the master
    /// secret"); errors never quote the value.
    pub fn parse(value: &SecretString, what: &str) -> Result<DbSecret, RotateError> {
        let fields = match serde_json::from_str::<Value>(value.expose()) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err(config(format!(
                    "{what} is not a JSON object; a PostgreSQL secret holds \
                     {{\"engine\", \"host\", \"port\", \"dbname\", \"username\", \"password\"}}"
                )));
            }
        };
        if let Some(engine) = fields.get("engine")
            && !engine.as_str().is_some_and(|e| ENGINES.contains(&e))
        {
            return Err(config(format!(
                "{what} has engine {engine}; the PostgreSQL rotators need \"postgres\" or \"aurora-postgresql\""
            )));
        }
        let keys = if fields.contains_key(AWS_KEYS.username) || !fields.contains_key("user") {
            AWS_KEYS
        } else {
            SEED_KEYS
        };
        let host = required_string(&fields, "host", what)?;
        let username = required_string(&fields, keys.username, what)?;
        let password = SecretString::new(required_string(&fields, "password", what)?);
        let dbname = match fields.get(keys.dbname) {
            None | Some(Value::Null) => DEFAULT_DBNAME.to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(config(format!(
                    "{what}: `{}` must be a string",
                    keys.dbname
                )));
            }
        };
        let port = match fields.get("port") {
            None | Some(Value::Null) => DEFAULT_PORT,
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| config(format!("{what}: `port` {n} is not a TCP port")))?,
            // The seed writes the port as a string ("5432").
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map_err(|_| config(format!("{what}: `port` {s:?} is not a TCP port")))?,
            Some(_) => return Err(config(format!("{what}: `port` must be a number"))),
        };
        let tls = tls_setting(&fields, what)?;
        let sslrootcert = match fields.get("sslrootcert") {
            None | Some(Value::Null) => None,
            Some(Value::String(path)) => Some(path.clone()),
            Some(_) => return Err(config(format!("{what}: `sslrootcert` must be a file path"))),
        };
        Ok(DbSecret {
            fields,
            keys,
            host,
            port,
            dbname,
            username,
            password,
            tls,
            sslrootcert,
        })
    }

    /// The same secret with another role and password, in the shape it was read in.
    pub fn with_credentials(&self, username: &str, password: &SecretString) -> SecretString {
        let mut fields = self.fields.clone();
        fields.insert(
            self.keys.username.to_owned(),
            Value::String(username.to_owned()),
        );
        fields.insert(
            "password".to_owned(),
            Value::String(password.expose().to_owned()),
        );
        SecretString::new(Value::Object(fields).to_string())
    }

    /// `host:port/dbname as role "user"`, for messages.
    pub fn describe(&self) -> String {
        format!(
            "{}:{}/{} as role {:?}",
            self.host, self.port, self.dbname, self.username
        )
    }

    /// The same server: only then may one secret's credentials vouch for another's.
    pub fn same_server(&self, other: &DbSecret) -> bool {
        self.host.eq_ignore_ascii_case(&other.host) && self.port == other.port
    }
}

impl fmt::Debug for DbSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbSecret")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("dbname", &self.dbname)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("tls", &self.tls)
            .field("sslrootcert", &self.sslrootcert)
            .finish_non_exhaustive()
    }
}

fn required_string(
    fields: &Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<String, RotateError> {
    match fields.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(config(format!("{what}: `{key}` is empty"))),
        Some(_) => Err(config(format!("{what}: `{key}` must be a string"))),
        None => Err(config(format!("{what} has no `{key}` field"))),
    }
}

fn tls_setting(fields: &Map<String, Value>, what: &str) -> Result<Tls, RotateError> {
    if let Some(mode) = fields.get("sslmode") {
        return match mode.as_str() {
            Some("disable" | "allow" | "prefer") => Ok(Tls::Disabled),
            Some("require" | "verify-ca" | "verify-full") => Ok(Tls::Required),
            _ => Err(config(format!(
                "{what}: `sslmode` {mode} is not one of disable, allow, prefer, require, verify-ca, verify-full"
            ))),
        };
    }
    match fields.get("ssl") {
        None | Some(Value::Null) => Ok(Tls::Unspecified),
        Some(Value::Bool(true)) => Ok(Tls::Required),
        Some(Value::Bool(false)) => Ok(Tls::Disabled),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Tls::Required),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Tls::Disabled),
        Some(other) => Err(config(format!(
            "{what}: `ssl` {other} must be true or false"
        ))),
    }
}

fn config(message: String) -> RotateError {
    RotateError::Config(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<DbSecret, RotateError> {
        DbSecret::parse(&SecretString::from(json), "the secret")
    }

    #[test]
    fn reads_aws_shape() {
        let s = parse(
            r#"{"engine":"postgres","host":"db","port":6543,"dbname":"shop","username":"app","password":"pw","masterarn":"arn:x"}"#,
        )
        .unwrap();
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.dbname.as_str(),
                s.username.as_str()
            ),
            ("db", 6543, "shop", "app")
        );
        assert_eq!(s.password.expose(), "pw");
        assert_eq!(s.tls, Tls::Unspecified);
    }

    #[test]
    fn reads_seed_shape_with_string_port_and_writes_it_back() {
        let s = parse(
            r#"{"host":"db","port":"5433","name":"muejam","user":"muejam_user","password":"old"}"#,
        )
        .unwrap();
        assert_eq!(
            (s.port, s.dbname.as_str(), s.username.as_str()),
            (5433, "muejam", "muejam_user")
        );
        let pending = s.with_credentials("muejam_user", &SecretString::from("new"));
        let v: Value = serde_json::from_str(pending.expose()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"host":"db","port":"5433","name":"muejam","user":"muejam_user","password":"new"})
        );
    }

    #[test]
    fn defaults_port_and_database_like_aws() {
        let s = parse(r#"{"host":"db","username":"app","password":"pw"}"#).unwrap();
        assert_eq!((s.port, s.dbname.as_str()), (5432, "postgres"));
    }

    #[test]
    fn rejects_bad_secrets_without_quoting_them() {
        for (json, expect) in [
            ("not json at all hunter2", "not a JSON object"),
            (
                r#"{"host":"db","password":"hunter2"}"#,
                "no `username` field",
            ),
            (
                r#"{"engine":"mysql","host":"db","username":"a","password":"hunter2"}"#,
                "engine \"mysql\"",
            ),
            (
                r#"{"host":"db","port":"x","username":"a","password":"hunter2"}"#,
                "is not a TCP port",
            ),
            (
                r#"{"host":"db","port":70000,"username":"a","password":"hunter2"}"#,
                "is not a TCP port",
            ),
            (
                r#"{"host":"db","username":"a","password":"hunter2","ssl":"maybe"}"#,
                "must be true or false",
            ),
        ] {
            let e = parse(json).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(shown.contains(expect), "{shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!e.is_retryable());
        }
    }

    #[test]
    fn reads_tls_requests() {
        let tls = |extra: &str| {
            parse(&format!(
                r#"{{"host":"db","username":"a","password":"p",{extra}}}"#
            ))
            .unwrap()
            .tls
        };
        assert_eq!(tls(r#""ssl":true"#), Tls::Required);
        assert_eq!(tls(r#""ssl":"False""#), Tls::Disabled);
        assert_eq!(tls(r#""sslmode":"verify-full""#), Tls::Required);
        assert_eq!(tls(r#""sslmode":"disable""#), Tls::Disabled);
    }

    #[test]
    fn debug_never_shows_the_password() {
        let s = parse(r#"{"host":"db","username":"a","password":"hunter2"}"#).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
