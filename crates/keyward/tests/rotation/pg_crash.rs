//! Crash safety against a real PostgreSQL: a server killed between any two steps
//! of a `postgres-single-user` or `postgres-alternating-users` rotation (the
//! `KEYWARD_TEST_CRASH_AFTER_STEP` fault point, or a SIGKILL from the test at a
//! random moment) resumes after restart, and while it is down a stored credential
//! logs in.
//!
//! While the server is down the store cannot be read, but the target can: the
//! test logs in with the value it stored before the rotation and snapshots the
//! roles' SCRAM verifiers. After the restart it reads the stored versions and
//! logs in with them against the target as it was while the server was down
//! (unchanged since, or set back to the snapshot).
//!
//! With a single user, PostgreSQL holds one password per role: from `setSecret`
//! until `finishSecret` only the pending version (`AWSPENDING`) logs in, as with
//! AWS's single-user strategy. With alternating users `AWSCURRENT` always does.

use super::support::*;
use crate::common::{TestServer, wait_for};
use keyward_testpg::{TestCluster, quote_ident, random_password};
use serde_json::Value;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];
const SINGLE: &str = "postgres-single-user";
const ALTERNATING: &str = "postgres-alternating-users";
const MASTER: &str = "pgcrash/master";
/// A resumed rotation waits for the dead server's scheduler lease to lapse (15 s).
const RESUME_TIMEOUT: Duration = Duration::from_secs(90);

/// A login role with its own database on the shared cluster, stored as a secret
/// in AWS's database shape and configured to rotate with `rotator`.
fn configure(s: &TestServer, cluster: &TestCluster, rotator: &str, case: &str) -> (String, String) {
    let (role, db, password) = (format!("u_{case}"), format!("d_{case}"), random_password());
    block_on(async {
        cluster.create_login_role(&role, &password).await;
        cluster.create_database(&db).await;
    });
    let name = format!("pgcrash/{rotator}/{case}");
    let value = cluster.secret_json(&role, &password, &db);
    s.put_secret(&name, &value);
    let mut args = vec!["rotation", "set", &name, "--rotator", rotator];
    if rotator == ALTERNATING {
        args.extend(["--master-secret", MASTER]);
    }
    s.cli_ok(&args);
    (name, value)
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(f)
}

fn field(value: &str, key: &str) -> String {
    let v: Value = serde_json::from_str(value).expect("the secret is JSON");
    v[key].as_str().expect("a string field").to_owned()
}

fn logs_in(cluster: &TestCluster, value: &str) -> bool {
    cluster.can_login_blocking(
        &field(value, "username"),
        &field(value, "password"),
        &field(value, "dbname"),
    )
}

/// The roles' stored verifiers (`None`: no password), by role name.
fn verifiers(cluster: &TestCluster, roles: &[String]) -> Vec<(String, Option<String>)> {
    let list: Vec<String> = roles
        .iter()
        .map(|r| format!("'{}'", r.replace('\'', "''")))
        .collect();
    let rows = cluster.query_blocking(&format!(
        "SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN ({}) ORDER BY rolname",
        list.join(", ")
    ));
    rows.into_iter()
        .map(|mut r| {
            let password = r.pop().flatten();
            (r.pop().flatten().expect("rolname"), password)
        })
        .collect()
}

/// Sets the roles' passwords back to a snapshot: a role the snapshot lacks (made
/// since) gets none, so logins see the target as it was then.
fn restore(cluster: &TestCluster, roles: &[String], snapshot: &[(String, Option<String>)]) {
    for role in roles {
        let now = verifiers(cluster, std::slice::from_ref(role));
        if now.is_empty() {
            continue;
        }
        let password = match snapshot.iter().find(|(r, _)| r == role) {
            Some((_, Some(v))) => format!("'{}'", v.replace('\'', "''")),
            _ => "NULL".to_owned(),
        };
        cluster.execute_blocking(&format!(
            "ALTER ROLE {} PASSWORD {password}",
            quote_ident(role)
        ));
    }
}

fn roles_of(value: &str) -> Vec<String> {
    let role = field(value, "username");
    vec![format!("{role}_clone"), role]
}

/// Waits until `name` has no rotation in progress.
fn wait_idle(s: &TestServer, name: &str) -> Value {
    wait_for(
        &format!("the rotation of {name} to resume and finish"),
        RESUME_TIMEOUT,
        || {
            let st = status(s, name);
            st["in_progress"].is_null().then_some(st)
        },
    )
}

fn try_get(s: &TestServer, name: &str, stage: &str) -> Option<String> {
    let out = s.cli(&["get", name, "--stage", stage]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

fn server_and_cluster() -> (TestServer, TestCluster) {
    let cluster = TestCluster::start();
    let s = server_with("");
    s.put_secret(MASTER, &cluster.superuser_secret_json());
    (s, cluster)
}

fn crash_after_each_step(rotator: &str) {
    let (mut s, cluster) = server_and_cluster();
    for (i, step) in STEPS.into_iter().enumerate() {
        let case = format!("{i}_{}", step.to_lowercase());
        let (name, old) = configure(&s, &cluster, rotator, &case);
        let roles = roles_of(&old);
        let before = verifiers(&cluster, &roles);

        s.stop();
        s.serve_opts.env = vec![("KEYWARD_TEST_CRASH_AFTER_STEP".into(), step.into())];
        s.spawn();
        s.wait_healthy();
        let out = s.cli(&["rotate", &name]);
        assert!(
            !out.status.success(),
            "the server should have died after {step}"
        );
        assert!(!s.wait_exit(Duration::from_secs(30)).success());
        assert!(s.stderr().contains(&format!("aborting after {step}")));

        // Down: nothing can change the target until the server is back.
        let old_logged_in = logs_in(&cluster, &old);
        let down = verifiers(&cluster, &roles);
        if step == "createSecret" {
            assert_eq!(down, before, "createSecret must not touch the target");
        }

        s.serve_opts.env.clear();
        s.spawn();
        s.wait_healthy();
        let st = wait_idle(&s, &name);
        assert!(st["last_error"].is_null(), "after {step}: {st}");
        assert!(!st["last_rotated"].is_null(), "after {step}: {st}");
        let new = get(&s, &name, "AWSCURRENT", None);
        assert_ne!(
            new, old,
            "the rotation after a crash in {step} did not complete"
        );
        assert_eq!(get(&s, &name, "AWSPREVIOUS", None), old, "after {step}");
        assert_eq!(version_count(&s, &name), 2, "one new version after {step}");

        // The new value logged in while the server was down only if it had
        // reached the target then; a resumed rotation must not set it again.
        let new_logged_in = step != "createSecret" && {
            assert_eq!(
                verifiers(&cluster, &roles),
                down,
                "the resumed rotation changed the target again after {step}"
            );
            logs_in(&cluster, &new)
        };
        assert!(
            old_logged_in || new_logged_in,
            "{rotator}: after a crash in {step} no stored credential logged in"
        );
        if rotator == SINGLE {
            // At the crash: AWSCURRENT = old until finishSecret; AWSPENDING = new from setSecret.
            assert_eq!(old_logged_in, step == "createSecret", "{step}");
            assert_eq!(new_logged_in, step != "createSecret", "{step}");
            assert!(logs_in(&cluster, &new), "the new AWSCURRENT logs in");
            assert!(!logs_in(&cluster, &old), "the old password no longer does");
            assert_eq!(field(&new, "username"), field(&old, "username"));
        } else {
            assert!(old_logged_in, "AWSCURRENT logged in while down ({step})");
            assert_eq!(new_logged_in, step != "createSecret", "{step}");
            assert!(logs_in(&cluster, &new), "AWSCURRENT logs in");
            assert!(logs_in(&cluster, &old), "AWSPREVIOUS logs in");
            assert_eq!(field(&new, "username"), roles[0], "the clone is current");
        }
        let log = cluster.statement_log();
        for value in [&old, &new] {
            assert!(
                !log.contains(&field(value, "password")),
                "cleartext in the statement log"
            );
        }
    }
}

#[test]
fn postgres_single_user_survives_a_crash_after_any_step() {
    crash_after_each_step(SINGLE);
}

#[test]
fn postgres_alternating_users_survive_a_crash_after_any_step() {
    crash_after_each_step(ALTERNATING);
}

#[test]
fn a_server_killed_at_a_random_moment_of_a_rotation_loop_keeps_a_working_credential() {
    let (mut s, cluster) = server_and_cluster();
    let secrets = [(SINGLE, "loop_single"), (ALTERNATING, "loop_alternating")]
        .map(|(rotator, case)| configure(&s, &cluster, rotator, case));
    let roles: Vec<String> = secrets.iter().flat_map(|(_, v)| roles_of(v)).collect();

    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let delay = Duration::from_millis(300 + random % 2500);
    eprintln!("killing the server {delay:?} into the rotation loop");
    let pid = s.pid().to_string();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(delay);
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("run kill");
        assert!(killed.success(), "kill -KILL {pid}");
    });
    let mut rotations = 0;
    'outer: loop {
        for (name, _) in &secrets {
            if !s.cli(&["rotate", name]).status.success() {
                break 'outer;
            }
            rotations += 1;
            assert!(rotations < 10_000, "the server was never killed");
        }
    }
    killer.join().expect("the killer thread");
    s.stop();
    eprintln!("{rotations} rotations completed before the kill");
    let down = verifiers(&cluster, &roles);

    s.spawn();
    s.wait_healthy();
    let mut stored = Vec::new();
    for (name, _) in &secrets {
        let st = wait_idle(&s, name);
        assert!(st["last_error"].is_null(), "{st}");
        let current = get(&s, name, "AWSCURRENT", None);
        let previous = try_get(&s, name, "AWSPREVIOUS");
        assert!(logs_in(&cluster, &current), "{name}: AWSCURRENT logs in");
        if let Some(p) = &previous {
            let single = name.contains(SINGLE);
            assert_eq!(logs_in(&cluster, p), !single, "{name}: AWSPREVIOUS");
        }
        stored.push((name.clone(), current, previous));
    }

    // At the kill, AWSCURRENT and any AWSPENDING with a value are now AWSCURRENT
    // or AWSPREVIOUS; one of them logged in against the target as it was then.
    restore(&cluster, &roles, &down);
    for (name, current, previous) in &stored {
        let worked =
            logs_in(&cluster, current) || previous.as_deref().is_some_and(|p| logs_in(&cluster, p));
        assert!(
            worked,
            "{name}: no stored credential logged in while the server was down"
        );
    }
}
