//! PostgreSQL rotators: [`SingleUser`] changes one role's password in place;
//! [`AlternatingUsers`] toggles between two roles (`app` and `app_clone`) with an
//! admin (master) secret, so the previous credential keeps working until the next
//! rotation, as AWS's alternating-users strategy does.
//!
//! Passwords reach the server only as SCRAM-SHA-256 verifiers computed here
//! (`ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'`), so neither the server nor its
//! statement log ever sees a cleartext password. Role names are always quoted
//! (PostgreSQL's `quote_ident` semantics).

mod alternating;
mod secret;
mod single_user;

use std::net::IpAddr;
use std::time::Duration;

use keyward_crypto::generator::{PasswordPolicy, generate_password};
use tokio_postgres::{Client, NoTls};

pub use alternating::AlternatingUsers;
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

/// Connects with the secret's credentials and runs `SELECT 1`.
async fn login(secret: &DbSecret) -> Result<Client, LoginFailure> {
    check_tls(secret).map_err(|e| LoginFailure {
        cause: e.to_string(),
        auth_rejected: false,
    })?;
    let mut config = tokio_postgres::Config::new();
    config
        .host(&secret.host)
        .port(secret.port)
        .dbname(&secret.dbname)
        .user(&secret.username)
        .password(secret.password.expose())
        .application_name("keyward-rotate")
        .connect_timeout(CONNECT_TIMEOUT);
    let (client, connection) = config.connect(NoTls).await.map_err(failure)?;
    tokio::spawn(async move {
        // The connection ends when the client is dropped; an error here is the
        // server going away, which the next query reports.
        let _ = connection.await;
    });
    client.simple_query("SELECT 1").await.map_err(failure)?;
    Ok(client)
}

/// TLS to PostgreSQL is not implemented yet, so a secret that asks for it is
/// refused rather than connected in plaintext; so is a remote host that does not
/// say, because a password must not cross a network in the clear by default.
fn check_tls(secret: &DbSecret) -> Result<(), RotateError> {
    match secret.tls {
        Tls::Disabled => Ok(()),
        Tls::Required => Err(RotateError::Config(format!(
            "the secret for {} asks for TLS (`ssl`/`sslmode`), which keyward's PostgreSQL \
             rotators do not support yet; rotate it from a loopback connection or set \"ssl\": false \
             if plaintext to this host is acceptable",
            secret.describe()
        ))),
        Tls::Unspecified if is_local(&secret.host) => Ok(()),
        Tls::Unspecified => Err(RotateError::Config(format!(
            "{} is not a loopback host and the secret does not say whether to use TLS; \
             keyward's PostgreSQL rotators connect without TLS, so add \"ssl\": false to the \
             secret to accept that",
            secret.describe()
        ))),
    }
}

fn is_local(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.starts_with('/')
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => e.to_string(),
    }
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
    fn only_loopback_hosts_go_without_a_tls_decision() {
        for host in [
            "127.0.0.1",
            "localhost",
            "::1",
            "[::1]",
            "/var/run/postgresql",
        ] {
            assert!(is_local(host), "{host}");
        }
        for host in ["db.example.com", "10.0.0.5", "127.example.com"] {
            assert!(!is_local(host), "{host}");
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
