//! The PostgreSQL rotators over TLS, against a real cluster that accepts the app
//! role only through `hostssl`: the certificate is verified against the secret's
//! `sslrootcert`, and a server the rotator cannot authenticate never gets a login.

use keyward_rotate::postgres::{AlternatingUsers, SingleUser};
use keyward_rotate::{RotateError, Rotator, SecretString, StepContext};
use keyward_testpg::{TestCluster, random_password};
use serde_json::json;

fn secret(cluster: &TestCluster, password: &str, tls: serde_json::Value) -> SecretString {
    let mut v = json!({
        "engine": "postgres", "host": cluster.host(), "port": cluster.port(),
        "dbname": "postgres", "username": "app", "password": password, "ssl": true,
    });
    v.as_object_mut()
        .unwrap()
        .extend(tls.as_object().unwrap().clone());
    SecretString::new(v.to_string())
}

fn ctx(current: &SecretString) -> StepContext<'_> {
    StepContext {
        secret_arn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf",
        secret_name: "db",
        token: "token-1",
        current,
        previous: None,
        master: None,
    }
}

#[tokio::test]
async fn single_user_rotates_over_verified_tls() {
    let cluster = TestCluster::start_with_tls();
    let old_password = random_password();
    cluster.create_login_role("app", &old_password).await;
    let ca = cluster.ca_path().display().to_string();
    let current = secret(&cluster, &old_password, json!({"sslrootcert": ca}));
    let rotator = SingleUser::default();
    let ctx = ctx(&current);

    let pending = rotator.create(&ctx).await.unwrap();
    rotator.set(&ctx, &pending).await.unwrap();
    rotator.test(&ctx, &pending).await.unwrap();

    let err = rotator.test(&ctx, &current).await.unwrap_err();
    assert!(matches!(err, RotateError::Test(_)), "old password: {err}");
    assert!(
        cluster
            .login("app", &old_password, "postgres")
            .await
            .is_err(),
        "the cluster refuses the app role without TLS"
    );
    let log = cluster.statement_log();
    assert!(
        log.lines()
            .any(|l| l.contains("connection authorized: user=app") && l.contains("SSL enabled")),
        "the rotator's logins used TLS: {log}"
    );
    assert!(!log.contains(&old_password));
}

#[tokio::test]
async fn an_unverifiable_server_never_gets_a_login() {
    let cluster = TestCluster::start_with_tls();
    let password = random_password();
    cluster.create_login_role("app", &password).await;
    // No sslrootcert: the public roots do not include the test CA.
    let current = secret(&cluster, &password, json!({}));
    let rotator = SingleUser::default();
    let ctx = ctx(&current);
    let pending = rotator.create(&ctx).await.unwrap();

    let err = rotator.set(&ctx, &pending).await.unwrap_err();

    let shown = format!("{err} | {err:?}");
    assert!(shown.contains("certificate"), "{shown}");
    assert!(!shown.contains(&password), "{shown}");
    assert!(
        !cluster.statement_log().contains("user=app"),
        "no login was attempted past the handshake"
    );
}

#[tokio::test]
async fn an_unreadable_sslrootcert_is_a_configuration_error() {
    let cluster = TestCluster::start_with_tls();
    let password = random_password();
    let current = secret(
        &cluster,
        &password,
        json!({"sslrootcert": "/nonexistent/ca.pem"}),
    );
    let rotator = SingleUser::default();
    let ctx = ctx(&current);
    let pending = rotator.create(&ctx).await.unwrap();

    let err = rotator.test(&ctx, &pending).await.unwrap_err();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
}

#[tokio::test]
async fn alternating_reaches_the_server_the_way_the_secret_does() {
    let cluster = TestCluster::start_with_tls();
    let password = random_password();
    cluster.create_login_role("app", &password).await;
    let ca = cluster.ca_path().display().to_string();
    let current = secret(&cluster, &password, json!({"sslrootcert": ca}));
    // The master secret says nothing about TLS: it inherits the secret's.
    let master = SecretString::new(
        json!({"host": cluster.host(), "port": cluster.port(),
            "username": "postgres", "password": cluster.superuser_password()})
        .to_string(),
    );
    let rotator = AlternatingUsers::default();
    let mut ctx = ctx(&current);
    ctx.master = Some(&master);

    let pending = rotator.create(&ctx).await.unwrap();
    rotator.set(&ctx, &pending).await.unwrap();
    rotator.test(&ctx, &pending).await.unwrap();

    let log = cluster.statement_log();
    assert!(
        log.lines()
            .any(|l| l.contains("connection authorized: user=postgres")
                && l.contains("application_name=keyward-rotate")
                && l.contains("SSL enabled")),
        "the master logged in over TLS: {log}"
    );
}
