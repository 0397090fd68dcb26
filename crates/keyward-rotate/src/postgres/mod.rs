//! PostgreSQL rotators: [`SingleUser`] changes one role's password in place;
//! [`AlternatingUsers`] toggles between two roles (`app` and `app_clone`) with an
//! admin (master) secret, so the previous credential keeps working until the next
//! rotation, as AWS's alternating-users strategy does.
//!
//! Passwords reach the server only as SCRAM-SHA-256 verifiers computed here
//! (`ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'`), so neither the server nor its
//! statement log ever sees a cleartext password. Role names are always quoted
//! (PostgreSQL's `quote_ident` semantics). Connections to other hosts than loopback
//! use TLS with certificate and host-name verification unless the secret says
//! `"ssl": false`.

mod alternating;
mod secret;
mod single_user;
mod tls;

use std::time::Duration;

use keyward_crypto::generator::{PasswordPolicy, generate_password};
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, NoTls};

pub use alternating::{AlternatingUsers, CLONE_SUFFIX, alternate_role};
pub use secret::{DbSecret, Tls};
pub use single_user::SingleUser;

use crate::{RotateError, SecretString};

/// How long a connection attempt may take (AWS's templates use 5 seconds).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The password policy both rotators use unless configured otherwise: AWS's
/// templates' default exclusions (`/ @ " ' \`), which connection URLs and shells
/// trip over, and 32 characters.
pub fn default_password_policy() -> PasswordPolicy {
    PasswordPolicy {
        length: 32,
        exclude_characters: "/@\"'\\".to_owned(),
        ..PasswordPolicy::default()
    }
}

fn new_password(policy: &PasswordPolicy) -> Result<SecretString, RotateError> {
    generate_password(policy)
        .map_err(|e| RotateError::Config(format!("cannot generate a password: {e}")))
}

/// A login attempt that failed: why, and whether the server refused the
/// credentials (rather than being unreachable).
#[derive(Debug)]
struct LoginFailure {
    cause: String,
    auth_rejected: bool,
}

/// Connects with the secret's credentials and runs `SELECT 1`: over verified TLS
/// unless the secret says `"ssl": false` or the host is loopback (see [`tls`]).
async fn login(secret: &DbSecret) -> Result<Client, LoginFailure> {
    let mut config = tokio_postgres::Config::new();
    config
        .host(&secret.host)
        .port(secret.port)
        .dbname(&secret.dbname)
        .user(&secret.username)
        .password(secret.password.expose())
        .application_name("keyward-rotate")
        .connect_timeout(CONNECT_TIMEOUT);
    let client = if tls::wanted(secret) {
        // Require: never fall back to plaintext when the server declines TLS.
        config.ssl_mode(SslMode::Require);
        let connector = tls::connector(secret).map_err(|e| LoginFailure {
            cause: e.to_string(),
            auth_rejected: false,
        })?;
        let (client, connection) = config.connect(connector).await.map_err(failure)?;
        tokio::spawn(connection);
        client
    } else {
        config.ssl_mode(SslMode::Disable);
        let (client, connection) = config.connect(NoTls).await.map_err(failure)?;
        tokio::spawn(connection);
        client
    };
    // The connection task ends when the client is dropped; a failure there is the
    // server going away, which the next query reports.
    client.simple_query("SELECT 1").await.map_err(failure)?;
    Ok(client)
}

fn failure(e: tokio_postgres::Error) -> LoginFailure {
    LoginFailure {
        auth_rejected: e.as_db_error().is_some_and(|db| {
            // 28P01 invalid_password, 28000 invalid_authorization_specification.
            matches!(db.code().code(), "28P01" | "28000")
        }),
        cause: describe_error(&e),
    }
}

/// A PostgreSQL error for a message: the server's own words and SQLSTATE when it
/// answered, the client's otherwise. Neither contains the password we sent.
fn describe_error(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    // The client's own errors keep their cause (a TLS handshake's certificate
    // problem, a refused connection) in the source chain.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// PostgreSQL's `quote_ident`, always quoting: the name is used exactly as stored.
fn quote_ident(name: &str) -> Result<String, RotateError> {
    if name.is_empty() || name.contains('\0') {
        return Err(RotateError::Config(format!(
            "{name:?} is not a valid PostgreSQL role name"
        )));
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

/// The literal for a password: a SCRAM-SHA-256 verifier with a fresh salt, which
/// PostgreSQL stores as given (it does not re-hash values that are already verifiers).
fn scram_literal(password: &SecretString) -> String {
    let verifier = postgres_protocol::password::scram_sha_256(password.expose().as_bytes());
    format!("'{}'", verifier.replace('\'', "''"))
}

/// `ALTER ROLE "name" WITH PASSWORD 'SCRAM-SHA-256$...'`.
fn alter_password_sql(role: &str, password: &SecretString) -> Result<String, RotateError> {
    Ok(format!(
        "ALTER ROLE {} WITH PASSWORD {}",
        quote_ident(role)?,
        scram_literal(password)
    ))
}

/// `testSecret` for both rotators: the pending credentials log in and run a query.
async fn test_login(
    kind: &str,
    secret_name: &str,
    pending: &SecretString,
) -> Result<(), RotateError> {
    let pending = DbSecret::parse(pending, "the pending value")?;
    login(&pending).await.map(drop).map_err(|f| {
        RotateError::Test(format!(
            "{kind}: secret {secret_name}: the pending credentials cannot log in to {}: {}",
            pending.describe(),
            f.cause
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_always_quoted_and_quotes_doubled() {
        assert_eq!(quote_ident("app").unwrap(), "\"app\"");
        assert_eq!(quote_ident("App").unwrap(), "\"App\"");
        assert_eq!(
            quote_ident("x\"; DROP ROLE postgres; --").unwrap(),
            "\"x\"\"; DROP ROLE postgres; --\""
        );
        assert!(quote_ident("").is_err());
        assert!(quote_ident("a\0b").is_err());
    }

    #[test]
    fn password_sql_carries_a_verifier_not_the_password() {
        let pw = SecretString::from("correct horse battery staple");
        let sql = alter_password_sql("app", &pw).unwrap();
        assert!(sql.starts_with("ALTER ROLE \"app\" WITH PASSWORD 'SCRAM-SHA-256$4096:"));
        assert!(!sql.contains("correct horse"));
        // A fresh salt each time: two verifiers of one password differ.
        assert_ne!(sql, alter_password_sql("app", &pw).unwrap());
    }

    #[test]
    fn tls_unless_loopback_or_switched_off() {
        let secret = |host: &str, extra: &str| {
            let json = format!(r#"{{"host":"{host}","username":"a","password":"p"{extra}}}"#);
            DbSecret::parse(&SecretString::new(json), "the secret").unwrap()
        };
        for host in [
            "127.0.0.1",
            "localhost",
            "::1",
            "[::1]",
            "/var/run/postgresql",
        ] {
            assert!(!tls::wanted(&secret(host, "")), "{host}");
            assert!(tls::wanted(&secret(host, r#","ssl":true"#)), "{host}");
        }
        for host in ["db.example.com", "10.0.0.5", "127.example.com"] {
            assert!(tls::wanted(&secret(host, "")), "{host}");
            assert!(
                !tls::wanted(&secret(host, r#","sslmode":"disable""#)),
                "{host}"
            );
        }
    }

    #[test]
    fn default_policy_avoids_url_breaking_characters() {
        for _ in 0..20 {
            let pw = new_password(&default_password_policy()).unwrap();
            assert_eq!(pw.len(), 32);
            assert!(!pw.expose().contains(['/', '@', '"', '\'', '\\']));
        }
    }
}
