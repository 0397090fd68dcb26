//! The harness itself: a cluster starts, takes password logins over TCP, logs
//! statements, and is gone after drop.

use keyward_testpg::{DEFAULT_DB, SUPERUSER, TestCluster, random_password};

#[tokio::test]
async fn cluster_accepts_right_password_and_logs_statements() {
    let cluster = TestCluster::start();
    cluster
        .login(SUPERUSER, cluster.superuser_password(), DEFAULT_DB)
        .await
        .expect("superuser logs in");
    assert!(
        cluster
            .login(SUPERUSER, "not-the-password", DEFAULT_DB)
            .await
            .is_err(),
        "a wrong password must not log in (host auth is scram-sha-256)"
    );

    let password = random_password();
    cluster.create_login_role("app user", &password).await;
    cluster.create_database("app db").await;
    cluster
        .login("app user", &password, "app db")
        .await
        .expect("the new role logs in");

    let log = cluster.statement_log();
    assert!(log.contains("statement: CREATE ROLE \"app user\""), "{log}");
    assert!(
        !log.contains(&password),
        "roles are created with SCRAM verifiers, never cleartext"
    );
}

#[test]
fn dropping_the_cluster_stops_it_and_removes_its_files() {
    let cluster = TestCluster::start();
    let port = cluster.port();
    let log = cluster.log_path();
    assert!(cluster.can_login_blocking(SUPERUSER, cluster.superuser_password(), DEFAULT_DB));
    drop(cluster);
    assert!(!log.exists(), "the cluster directory is removed");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on the cluster's port after drop"
    );
}
