//! The PostgreSQL rotators against a real PostgreSQL (a throwaway cluster started
//! with the machine's initdb/pg_ctl). Each test drives the four steps the way the
//! engine does and then moves the labels: pending becomes current, current becomes
//! previous.

use keyward_rotate::postgres::{AlternatingUsers, SingleUser};
use keyward_rotate::{RotateError, Rotator, SecretString, StepContext};
use keyward_testpg::{TestCluster, random_password};
use serde_json::Value;

const SECRET_NAME: &str = "production/database/primary";
const SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:production/database/primary-AbCdEf";

/// A secret's `AWSCURRENT`/`AWSPREVIOUS` values, as the engine keeps them.
struct Versions {
    current: SecretString,
    previous: Option<SecretString>,
}

impl Versions {
    fn new(current: String) -> Self {
        Versions {
            current: SecretString::new(current),
            previous: None,
        }
    }

    fn ctx<'a>(&'a self, master: Option<&'a SecretString>) -> StepContext<'a> {
        StepContext {
            secret_arn: SECRET_ARN,
            secret_name: SECRET_NAME,
            token: "9f1c2d3e-rotation-token",
            current: &self.current,
            previous: self.previous.as_ref(),
            master,
        }
    }

    /// createSecret, setSecret, testSecret, finishSecret, then the labels move.
    async fn rotate(
        &mut self,
        rotator: &dyn Rotator,
        master: Option<&SecretString>,
    ) -> Result<(), RotateError> {
        let ctx = self.ctx(master);
        let pending = rotator.create(&ctx).await?;
        rotator.set(&ctx, &pending).await?;
        rotator.test(&ctx, &pending).await?;
        rotator.finish(&ctx, &pending).await?;
        self.previous = Some(std::mem::replace(&mut self.current, pending));
        Ok(())
    }
}

fn field(value: &SecretString, key: &str) -> String {
    let v: Value = serde_json::from_str(value.expose()).expect("secret is JSON");
    v[key].as_str().expect("string field").to_owned()
}

async fn logs_in(cluster: &TestCluster, value: &SecretString) -> bool {
    let user = field(value, "username");
    let password = field(value, "password");
    let dbname = field(value, "dbname");
    cluster.login(&user, &password, &dbname).await.is_ok()
}

fn assert_log_has_no(cluster: &TestCluster, passwords: &[&str]) {
    let log = cluster.statement_log();
    assert!(
        log.contains("ALTER ROLE") || log.contains("CREATE ROLE"),
        "the statement log records role changes (log_statement=all): {log}"
    );
    for password in passwords {
        assert!(
            !log.contains(password),
            "PostgreSQL's statement log contains a cleartext password"
        );
    }
}

async fn cluster_with_app_role(role: &str) -> (TestCluster, String) {
    let cluster = TestCluster::start();
    let password = random_password();
    cluster.create_login_role(role, &password).await;
    cluster.create_database("shop").await;
    (cluster, password)
}

#[tokio::test]
async fn single_user_rotation_new_password_logs_in_and_old_does_not() {
    let (cluster, old_password) = cluster_with_app_role("app").await;
    let mut secret = Versions::new(cluster.secret_json("app", &old_password, "shop"));
    let original = secret.current.clone();

    secret.rotate(&SingleUser::default(), None).await.unwrap();

    let new_password = field(&secret.current, "password");
    assert_ne!(new_password, old_password);
    assert_eq!(field(&secret.current, "username"), "app");
    assert!(
        logs_in(&cluster, &secret.current).await,
        "new password logs in"
    );
    assert!(
        !logs_in(&cluster, &original).await,
        "old password no longer logs in"
    );
    assert_log_has_no(&cluster, &[&old_password, &new_password]);
}

#[tokio::test]
async fn single_user_keeps_the_seed_shape() {
    let (cluster, old_password) = cluster_with_app_role("muejam_user").await;
    let seed_shaped = serde_json::json!({
        "host": cluster.host(), "port": cluster.port().to_string(),
        "name": "shop", "user": "muejam_user", "password": old_password,
    });
    let mut secret = Versions::new(seed_shaped.to_string());

    secret.rotate(&SingleUser::default(), None).await.unwrap();

    let rotated: Value = serde_json::from_str(secret.current.expose()).unwrap();
    let mut keys: Vec<_> = rotated.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["host", "name", "password", "port", "user"]);
    assert_eq!(rotated["port"], Value::String(cluster.port().to_string()));
    let new_password = rotated["password"].as_str().unwrap();
    assert!(
        cluster
            .login("muejam_user", new_password, "shop")
            .await
            .is_ok()
    );
    assert!(
        cluster
            .login("muejam_user", &old_password, "shop")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn single_user_set_is_idempotent() {
    let (cluster, old_password) = cluster_with_app_role("app").await;
    let secret = Versions::new(cluster.secret_json("app", &old_password, "shop"));
    let rotator = SingleUser::default();
    let ctx = secret.ctx(None);
    let pending = rotator.create(&ctx).await.unwrap();

    rotator.set(&ctx, &pending).await.unwrap();
    // A retry after a crash: the current password no longer works, the pending one does.
    rotator.set(&ctx, &pending).await.unwrap();
    rotator.test(&ctx, &pending).await.unwrap();

    assert!(logs_in(&cluster, &pending).await);
    assert!(!logs_in(&cluster, &secret.current).await);
}

#[tokio::test]
async fn single_user_quotes_unusual_role_names() {
    let role = "Shop \"App\"; DROP ROLE postgres; --";
    let (cluster, old_password) = cluster_with_app_role(role).await;
    let mut secret = Versions::new(cluster.secret_json(role, &old_password, "shop"));

    secret.rotate(&SingleUser::default(), None).await.unwrap();

    assert!(logs_in(&cluster, &secret.current).await);
    assert!(
        cluster
            .login("postgres", cluster.superuser_password(), "postgres")
            .await
            .is_ok(),
        "the role name was not executed as SQL"
    );
}

#[tokio::test]
async fn single_user_with_a_wrong_current_password_fails_clearly_without_passwords() {
    let (cluster, real_password) = cluster_with_app_role("app").await;
    let wrong = random_password();
    let secret = Versions::new(cluster.secret_json("app", &wrong, "shop"));
    let rotator = SingleUser::default();
    let ctx = secret.ctx(None);
    let pending = rotator.create(&ctx).await.unwrap();

    let err = rotator.set(&ctx, &pending).await.unwrap_err();

    let shown = format!("{err} | {err:?}");
    let expected = format!("127.0.0.1:{}/shop as role \"app\"", cluster.port());
    assert!(shown.contains(&expected), "{shown}");
    assert!(shown.contains("password authentication failed"), "{shown}");
    for secret_text in [&wrong, &real_password, &field(&pending, "password")] {
        assert!(!shown.contains(secret_text.as_str()), "{shown}");
    }
    assert!(
        cluster.login("app", &real_password, "shop").await.is_ok(),
        "a failed setSecret changes nothing"
    );
}

#[tokio::test]
async fn alternating_users_keep_current_and_previous_working() {
    let (cluster, app_password) = cluster_with_app_role("app").await;
    // The base role's privileges, which the clone must get too.
    cluster
        .execute(
            "CREATE TABLE IF NOT EXISTS orders(id int); INSERT INTO orders VALUES (1);
             GRANT SELECT ON orders TO app;",
        )
        .await;
    let master = SecretString::new(cluster.superuser_secret_json());
    let mut secret = Versions::new(cluster.secret_json("app", &app_password, "postgres"));
    let rotator = AlternatingUsers::default();
    let mut seen = vec![secret.current.clone()];

    for round in 1..=3 {
        secret.rotate(&rotator, Some(&master)).await.unwrap();
        seen.push(secret.current.clone());
        let expected_role = if round % 2 == 1 { "app_clone" } else { "app" };
        assert_eq!(field(&secret.current, "username"), expected_role);
        assert!(
            logs_in(&cluster, &secret.current).await,
            "round {round}: current logs in"
        );
        assert!(
            logs_in(&cluster, secret.previous.as_ref().unwrap()).await,
            "round {round}: previous still logs in"
        );
        if round >= 2 {
            assert!(
                !logs_in(&cluster, &seen[round - 2]).await,
                "round {round}: the credential before previous no longer logs in"
            );
        }
    }

    let clone_password = field(&seen[1], "password");
    let clone = cluster
        .login("app_clone", &field(&seen[3], "password"), "postgres")
        .await
        .expect("clone logs in");
    let rows = clone.query("SELECT id FROM orders", &[]).await.unwrap();
    assert_eq!(rows.len(), 1, "the clone has the base role's grants");
    let passwords: Vec<String> = seen.iter().map(|v| field(v, "password")).collect();
    let passwords: Vec<&str> = passwords.iter().map(String::as_str).collect();
    assert_log_has_no(&cluster, &passwords);
    assert!(!cluster.statement_log().contains(&clone_password));
}

#[tokio::test]
async fn alternating_set_is_idempotent() {
    let (cluster, app_password) = cluster_with_app_role("app").await;
    let master = SecretString::new(cluster.superuser_secret_json());
    let secret = Versions::new(cluster.secret_json("app", &app_password, "shop"));
    let rotator = AlternatingUsers::default();
    let ctx = secret.ctx(Some(&master));
    let pending = rotator.create(&ctx).await.unwrap();

    rotator.set(&ctx, &pending).await.unwrap();
    rotator.set(&ctx, &pending).await.unwrap();
    rotator.test(&ctx, &pending).await.unwrap();

    assert!(logs_in(&cluster, &pending).await);
    assert!(
        logs_in(&cluster, &secret.current).await,
        "current untouched"
    );
}

#[tokio::test]
async fn alternating_with_a_wrong_master_credential_fails_clearly() {
    let (cluster, app_password) = cluster_with_app_role("app").await;
    let wrong = random_password();
    let master = SecretString::new(cluster.secret_json("postgres", &wrong, "postgres"));
    let secret = Versions::new(cluster.secret_json("app", &app_password, "shop"));
    let rotator = AlternatingUsers::default();
    let ctx = secret.ctx(Some(&master));
    let pending = rotator.create(&ctx).await.unwrap();

    let err = rotator.set(&ctx, &pending).await.unwrap_err();

    let shown = format!("{err} | {err:?}");
    assert!(shown.contains("master secret"), "{shown}");
    let expected = format!("127.0.0.1:{}/shop as role \"postgres\"", cluster.port());
    assert!(shown.contains(&expected), "{shown}");
    assert!(shown.contains("password authentication failed"), "{shown}");
    for secret_text in [&wrong, &app_password, &field(&pending, "password")] {
        assert!(!shown.contains(secret_text.as_str()), "{shown}");
    }
    assert!(err.is_retryable());
    assert!(
        !logs_in(&cluster, &pending).await,
        "nothing was created with the pending password"
    );
}

#[tokio::test]
async fn alternating_without_a_master_secret_is_a_configuration_error() {
    let (cluster, app_password) = cluster_with_app_role("app").await;
    let secret = Versions::new(cluster.secret_json("app", &app_password, "shop"));
    let rotator = AlternatingUsers::default();
    let ctx = secret.ctx(None);
    let pending = rotator.create(&ctx).await.unwrap();

    let err = rotator.set(&ctx, &pending).await.unwrap_err();

    assert!(!err.is_retryable());
    assert!(err.to_string().contains("--master-secret"), "{err}");
}

#[tokio::test]
async fn test_step_fails_when_the_pending_password_was_never_set() {
    let (cluster, app_password) = cluster_with_app_role("app").await;
    let secret = Versions::new(cluster.secret_json("app", &app_password, "shop"));
    let rotator = SingleUser::default();
    let ctx = secret.ctx(None);
    let pending = rotator.create(&ctx).await.unwrap();

    let err = rotator.test(&ctx, &pending).await.unwrap_err();

    assert!(matches!(err, RotateError::Test(_)), "{err:?}");
    assert!(!err.to_string().contains(&field(&pending, "password")));
}

#[tokio::test]
async fn alternating_refuses_a_master_secret_that_names_no_host() {
    // Its host would come from the rotated secret, whose writer could point the
    // admin login at any server.
    let (cluster, app_password) = cluster_with_app_role("app").await;
    let master = SecretString::new(
        serde_json::json!({"username": "postgres", "password": cluster.superuser_password()})
            .to_string(),
    );
    let mut secret = Versions::new(cluster.secret_json("app", &app_password, "shop"));

    let err = secret
        .rotate(&AlternatingUsers::default(), Some(&master))
        .await
        .unwrap_err();

    assert!(matches!(err, RotateError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("names no host"), "{err}");
    assert!(!err.to_string().contains(cluster.superuser_password()));
    assert_eq!(field(&secret.current, "username"), "app", "nothing rotated");
}
