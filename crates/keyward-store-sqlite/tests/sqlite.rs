//! The conformance suite and SQLite-specific tests (file handling, WAL readers,
//! audit tamper detection against the raw database file).

use keyward_store::audit::verify_chain;
use keyward_store::conformance::{
    self, CheckResult, audited, event, new_secret, new_version, test_audit_key,
};
use keyward_store::{Namespace, Store, VersionSelector};
use keyward_store_sqlite::SqliteStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tempfile::TempDir;

fn fresh() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("keyward.db")).expect("open");
    (dir, store)
}

fn ok(r: CheckResult) {
    if let Err(e) = r {
        panic!("{e}");
    }
}

macro_rules! check {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let (_dir, store) = fresh();
            ok(conformance::$name(&store).await);
        }
    )*};
}

check!(
    settings,
    secret_create_get,
    secret_duplicate_names,
    secret_list,
    secret_update_patch,
    secret_purge,
    version_replay_and_conflict,
    version_stage_chain,
    secret_and_version_read,
    version_move_stage,
    version_prune,
    version_limit_prunes_like_aws,
    version_add_after_is_optimistic,
    principals_and_keys,
    policies_and_attachments,
    audit_append_and_verify,
    audit_list_filters,
    audit_since_survives_clock_steps,
    writes_commit_their_audit_record,
    secret_replace_is_all_or_nothing,
    audit_counts_round_trip,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_concurrent_appends_8x50() {
    let (_dir, store) = fresh();
    ok(conformance::audit_concurrent_appends(Arc::new(store), 8, 50).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn version_add_after_race_8x10() {
    let (_dir, store) = fresh();
    ok(conformance::version_add_after_race(Arc::new(store), 8, 10).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_seqs_never_reused() {
    let (_dir, store) = fresh();
    ok(conformance::audit_seqs_never_reused(Arc::new(store)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_in_memory() {
    ok(conformance::run_all(SqliteStore::open_in_memory).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_on_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = AtomicUsize::new(0);
    ok(conformance::run_all(|| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        SqliteStore::open(&dir.path().join(format!("db{i}.sqlite")))
    })
    .await);
}

#[cfg(unix)]
#[tokio::test]
async fn file_is_private_and_in_wal_mode() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, _store) = fresh();
    let path = dir.path().join("keyward.db");
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "database file mode is {:o}",
        mode & 0o777
    );
    let raw = rusqlite::Connection::open(&path).expect("raw open");
    let jm: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(jm, "wal");
}

#[tokio::test]
async fn schema_version_is_recorded_and_reopen_keeps_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keyward.db");
    let id = {
        let store = SqliteStore::open(&path).expect("open");
        assert_eq!(
            store.get_setting("schema_version").await.expect("get"),
            Some(keyward_store_sqlite::SCHEMA_VERSION.to_string())
        );
        let s = store
            .create_secret(
                new_secret(Namespace::Secrets, "us-east-1", "keep"),
                Some(new_version("v1", 1, &["AWSCURRENT"])),
                audited(),
            )
            .await
            .expect("create");
        store
            .append_audit(&test_audit_key(), vec![event(1)])
            .await
            .expect("append");
        s.id
    };
    let store = SqliteStore::open(&path).expect("reopen");
    let v = store
        .get_version(id, &VersionSelector::Stage("AWSCURRENT".into()))
        .await
        .expect("get_version")
        .expect("version survives reopen");
    assert_eq!(v.version_id, "v1");
    assert_eq!(
        store
            .append_audit(&test_audit_key(), vec![event(2)])
            .await
            .expect("append"),
        // #1 is the create's own record, #2 the append before the reopen.
        vec![3]
    );
}

#[tokio::test]
async fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keyward.db");
    drop(SqliteStore::open(&path).expect("open"));
    let raw = rusqlite::Connection::open(&path).expect("raw");
    raw.execute(
        "UPDATE settings SET value = '99' WHERE key = 'schema_version'",
        [],
    )
    .expect("update");
    drop(raw);
    assert!(SqliteStore::open(&path).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readers_see_committed_writes_under_concurrency() {
    let (_dir, store) = fresh();
    let store = Arc::new(store);
    let s = store
        .create_secret(
            new_secret(Namespace::Secrets, "us-east-1", "hot"),
            Some(new_version("v0", 0, &["AWSCURRENT"])),
            audited(),
        )
        .await
        .expect("create");
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..8u8 {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            for i in 0..20u8 {
                if t == 0 {
                    let id = format!("v{}", i + 1);
                    store
                        .add_version(s.id, new_version(&id, i + 1, &["AWSCURRENT"]), audited())
                        .await
                        .expect("add");
                    let cur = store
                        .get_version(s.id, &VersionSelector::Stage("AWSCURRENT".into()))
                        .await
                        .expect("get")
                        .expect("current");
                    assert_eq!(cur.version_id, id, "a read after a write missed it");
                } else {
                    let v = store
                        .get_version(s.id, &VersionSelector::Stage("AWSCURRENT".into()))
                        .await
                        .expect("get");
                    assert!(v.is_some(), "AWSCURRENT disappeared mid-move");
                }
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task");
    }
}

// ---- tamper detection on the raw file

/// Writes `n` audit events, closes the store, and returns the file path.
async fn audited_db(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("keyward.db");
    let store = SqliteStore::open(&path).expect("open");
    let key = test_audit_key();
    for i in 1..=n {
        store
            .append_audit(&key, vec![event(i)])
            .await
            .expect("append");
    }
    let (recs, head) = keyward_store::audit::read_chain(&store)
        .await
        .expect("chain");
    assert!(verify_chain(&key, &recs, head.as_ref()).ok);
    path
}

/// Opens the file behind keyward's back, as an attacker with file access would,
/// dropping the append-only triggers first.
fn tamper(path: &Path, sql: &str) {
    let raw = rusqlite::Connection::open(path).expect("raw open");
    raw.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
        .expect("drop triggers");
    raw.execute_batch(sql).expect("tamper");
}

async fn problems_after(path: &Path) -> Vec<String> {
    let store = SqliteStore::open(path).expect("reopen");
    let report = keyward_store::audit::verify_stored(&store, &test_audit_key())
        .await
        .expect("verify");
    assert!(!report.ok, "tampering went unnoticed");
    assert!(!report.problems.is_empty());
    report.problems
}

fn assert_names(problems: &[String], needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "no problem names {needle}: {problems:?}"
    );
}

#[tokio::test]
async fn tamper_edit_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 10).await;
    tamper(
        &path,
        "UPDATE audit SET principal = 'mallory' WHERE seq = 5",
    );
    assert_names(&problems_after(&path).await, "record #5");
}

#[tokio::test]
async fn tamper_edit_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 10).await;
    tamper(&path, "UPDATE audit SET time = time + 1 WHERE seq = 7");
    assert_names(&problems_after(&path).await, "record #7");
}

#[tokio::test]
async fn tamper_delete_middle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 10).await;
    tamper(&path, "DELETE FROM audit WHERE seq = 5");
    let problems = problems_after(&path).await;
    // The record after the gap is out of sequence and its link no longer verifies.
    assert_names(&problems, "record #6");
    assert_names(&problems, "expected sequence number 5");
}

#[tokio::test]
async fn tamper_swap_seqs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 10).await;
    tamper(
        &path,
        "UPDATE audit SET seq = -1 WHERE seq = 3;
         UPDATE audit SET seq = 3 WHERE seq = 4;
         UPDATE audit SET seq = 4 WHERE seq = -1;",
    );
    let problems = problems_after(&path).await;
    assert_names(&problems, "record #3");
    assert_names(&problems, "record #4");
}

#[tokio::test]
async fn tamper_truncate_tail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 10).await;
    tamper(&path, "DELETE FROM audit WHERE seq >= 9");
    let problems = problems_after(&path).await;
    assert_names(&problems, "#10");
    assert_names(&problems, "truncated");
}

#[tokio::test]
async fn tamper_truncate_tail_and_rewind_head() {
    // Rewinding the head to match the truncation needs the key.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 10).await;
    tamper(
        &path,
        "DELETE FROM audit WHERE seq >= 9;
         UPDATE audit_head SET seq = 8, mac = (SELECT mac FROM audit WHERE seq = 8);",
    );
    assert_names(&problems_after(&path).await, "checkpoint was edited");
}

#[tokio::test]
async fn tamper_edit_head() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 10).await;
    tamper(
        &path,
        "UPDATE audit_head SET checkpoint_mac = replace(checkpoint_mac, substr(checkpoint_mac, 1, 1), 'x')",
    );
    assert_names(&problems_after(&path).await, "checkpoint");
}

#[tokio::test]
async fn tamper_delete_head() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 10).await;
    tamper(&path, "DELETE FROM audit_head");
    assert_names(&problems_after(&path).await, "checkpoint is missing");
}

#[tokio::test]
async fn audit_records_are_append_only_in_the_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 3).await;
    let raw = rusqlite::Connection::open(&path).expect("raw open");
    assert!(
        raw.execute("UPDATE audit SET action = 'x' WHERE seq = 1", [])
            .is_err()
    );
    assert!(raw.execute("DELETE FROM audit WHERE seq = 1", []).is_err());
}

async fn append_fails_closed(path: &Path) {
    let store = SqliteStore::open(path).expect("reopen");
    let r = store.append_audit(&test_audit_key(), vec![event(99)]).await;
    assert!(
        matches!(r, Err(keyward_store::StoreError::Corrupt(_))),
        "{r:?}"
    );
    // Nothing was appended, and verification still reports the tampering.
    drop(store);
    assert!(!problems_after(path).await.is_empty());
}

#[tokio::test]
async fn append_refuses_to_launder_a_rewound_head() {
    // Truncate and point the head at the new last record: the checkpoint MAC no
    // longer verifies, and appending must not re-sign it.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 10).await;
    tamper(
        &path,
        "DELETE FROM audit WHERE seq >= 9;
         UPDATE audit_head SET seq = 8, mac = (SELECT mac FROM audit WHERE seq = 8);",
    );
    append_fails_closed(&path).await;
}

#[tokio::test]
async fn append_refuses_a_truncated_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 10).await;
    tamper(&path, "DELETE FROM audit WHERE seq >= 9");
    append_fails_closed(&path).await;
}

#[tokio::test]
async fn append_refuses_a_missing_head() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 4).await;
    tamper(&path, "DELETE FROM audit_head");
    append_fails_closed(&path).await;
}

#[tokio::test]
async fn append_refuses_a_different_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 3).await;
    let store = SqliteStore::open(&path).expect("reopen");
    let other = keyward_crypto::RootKey::generate().audit_key();
    let r = store.append_audit(&other, vec![event(4)]).await;
    assert!(
        matches!(r, Err(keyward_store::StoreError::Corrupt(_))),
        "{r:?}"
    );
}

#[tokio::test]
async fn append_refuses_to_overwrite_records_beyond_the_head() {
    // If the head was rewound, appending must not silently fork the chain.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 5).await;
    tamper(&path, "UPDATE audit_head SET seq = 3");
    let store = SqliteStore::open(&path).expect("reopen");
    let r = store.append_audit(&test_audit_key(), vec![event(9)]).await;
    assert!(
        matches!(r, Err(keyward_store::StoreError::Corrupt(_))),
        "{r:?}"
    );
}

#[tokio::test]
async fn v1_database_upgrades_to_the_current_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keyward.db");
    {
        let raw = rusqlite::Connection::open(&path).expect("raw open");
        raw.execute_batch(include_str!("../migrations/0001_init.sql"))
            .expect("v1 schema");
        raw.execute_batch(
            "INSERT INTO settings (key, value) VALUES ('schema_version', '1');
             INSERT INTO secrets (id, namespace, region, name, arn, created_at, updated_at, version_seq)
               VALUES ('6f1c2a34-0000-4000-8000-000000000001', 'parameters', 'us-east-1', '/old',
                       'arn:old', 0, 0, 1);
             INSERT INTO versions (secret_id, version_id, seq, created_at, kind, sealed, value_mac)
               VALUES ('6f1c2a34-0000-4000-8000-000000000001', '1', 1, 0, 'string', x'00', x'00');
             INSERT INTO audit (seq, time, request_id, action, outcome, api, mac)
               VALUES (1, 120000000000, 'r1', 'a', 'success', 'native', 'm1'),
                      (2, 250000000000, 'r2', 'a', 'denied', 'native', 'm2');",
        )
        .expect("v1 rows");
    }
    let store = SqliteStore::open(&path).expect("open upgrades");
    assert_eq!(
        store.get_setting("schema_version").await.expect("get"),
        Some(keyward_store_sqlite::SCHEMA_VERSION.to_string())
    );
    let id = uuid::Uuid::parse_str("6f1c2a34-0000-4000-8000-000000000001").expect("uuid");
    let versions = store.list_versions(id).await.expect("list");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].metadata, serde_json::Value::Null);
    // v3: audit records logged before the upgrade are still found by time and outcome.
    let since = |secs: i64| keyward_store::AuditQuery {
        since: Some(time::OffsetDateTime::from_unix_timestamp(secs).expect("time")),
        ..Default::default()
    };
    let seqs = |v: Vec<keyward_store::AuditRecord>| v.iter().map(|r| r.seq).collect::<Vec<_>>();
    assert_eq!(
        seqs(store.list_audit(&since(100)).await.expect("list")),
        [1, 2]
    );
    assert_eq!(
        seqs(store.list_audit(&since(200)).await.expect("list")),
        [2]
    );
    let denied = keyward_store::AuditQuery {
        outcome: Some(keyward_store::Outcome::Denied),
        ..Default::default()
    };
    assert_eq!(seqs(store.list_audit(&denied).await.expect("list")), [2]);
}

// ---- open_existing: only `init` creates a store

fn assert_refused(path: &Path, what: &str) -> String {
    match SqliteStore::open_existing(path) {
        Ok(_) => panic!("{what}: open_existing accepted it"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn open_existing_refuses_a_missing_or_empty_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keyward.db");
    let e = assert_refused(&path, "missing file");
    assert!(e.contains("not an initialised keyward database"), "{e}");
    assert!(!path.exists(), "open_existing created the file");

    std::fs::write(&path, b"").expect("write");
    let e = assert_refused(&path, "zero-length file");
    assert!(e.contains("empty (0 bytes)"), "{e}");
    assert_eq!(
        std::fs::metadata(&path).expect("meta").len(),
        0,
        "the file was initialised"
    );
}

#[test]
fn open_existing_refuses_a_database_without_keyward_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keyward.db");
    let c = rusqlite::Connection::open(&path).expect("open");
    c.execute_batch("CREATE TABLE unrelated (x INTEGER); INSERT INTO unrelated VALUES (1);")
        .expect("create");
    drop(c);
    let e = assert_refused(&path, "foreign database");
    assert!(e.contains("has no keyward schema"), "{e}");

    std::fs::write(&path, b"this is not a database at all, just text").expect("write");
    let e = assert_refused(&path, "not a database");
    assert!(e.contains("corrupt"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_existing_refuses_a_structurally_corrupt_database() {
    let (dir, store) = fresh();
    let path = dir.path().join("keyward.db");
    for i in 0..200 {
        store
            .create_secret(
                new_secret(Namespace::Secrets, "us-east-1", &format!("s{i:03}")),
                Some(new_version("v1", 1, &["AWSCURRENT"])),
                audited(),
            )
            .await
            .expect("create");
    }
    drop(store);
    // Scribble over a page in the middle of the file (not the header page).
    let mut bytes = std::fs::read(&path).expect("read");
    assert!(bytes.len() > 8 * 4096, "database unexpectedly small");
    for b in &mut bytes[5 * 4096..5 * 4096 + 512] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).expect("write");
    let e = assert_refused(&path, "scribbled page");
    assert!(e.contains("corrupt"), "{e}");

    // A healthy one opens.
    let (dir2, store2) = fresh();
    drop(store2);
    SqliteStore::open_existing(&dir2.path().join("keyward.db")).expect("healthy store opens");
}

#[tokio::test]
async fn tamper_append_after_head() {
    // A record added past the checkpoint (its MAC copied from a real one).
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 10).await;
    tamper(
        &path,
        "CREATE TEMP TABLE extra AS SELECT * FROM audit WHERE seq = 10;
         UPDATE extra SET seq = 11;
         INSERT INTO audit SELECT * FROM extra;",
    );
    assert_names(
        &problems_after(&path).await,
        "not covered by the chain checkpoint",
    );
}

#[tokio::test]
async fn verification_pages_through_long_chains() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = keyward_store::audit::VERIFY_PAGE * 2 + 7;
    let path = dir.path().join("keyward.db");
    let store = SqliteStore::open(&path).expect("open");
    let key = test_audit_key();
    for chunk in (1..=n).collect::<Vec<_>>().chunks(500) {
        store
            .append_audit(&key, chunk.iter().map(|&i| event(i)).collect())
            .await
            .expect("append");
    }
    let report = keyward_store::audit::verify_stored(&store, &key)
        .await
        .expect("verify");
    assert!(report.ok, "{:?}", report.problems);
    assert_eq!(report.records, n);
    drop(store);
    let edited = keyward_store::audit::VERIFY_PAGE + 3;
    tamper(
        &path,
        &format!("UPDATE audit SET principal = 'mallory' WHERE seq = {edited}"),
    );
    assert_names(&problems_after(&path).await, &format!("record #{edited}"));
}

#[tokio::test]
async fn v7_database_upgrades_with_mfa_devices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keyward.db");
    {
        let raw = rusqlite::Connection::open(&path).expect("raw open");
        for sql in [
            include_str!("../migrations/0001_init.sql"),
            include_str!("../migrations/0002_version_metadata.sql"),
            include_str!("../migrations/0003_lean_audit_indexes.sql"),
            include_str!("../migrations/0005_audit_count.sql"),
            include_str!("../migrations/0007_job_leases.sql"),
        ] {
            raw.execute_batch(sql).expect("v7 schema");
        }
        raw.execute_batch(
            "INSERT INTO settings (key, value) VALUES ('schema_version', '7');
             INSERT INTO principals (id, name, arn, tags, created_at)
               VALUES ('6f1c2a34-0000-4000-8000-000000000002', 'old', 'arn:aws:iam::000000000000:user/old', '[]', 0);",
        )
        .expect("v7 rows");
    }
    let store = SqliteStore::open(&path).expect("open upgrades");
    assert_eq!(
        store.get_setting("schema_version").await.expect("get"),
        Some(keyward_store_sqlite::SCHEMA_VERSION.to_string())
    );
    // The later migrations ran too: the alert outbox exists.
    assert!(store.list_alerts(1).await.expect("outbox").is_empty());
    let id = uuid::Uuid::parse_str("6f1c2a34-0000-4000-8000-000000000002").expect("uuid");
    let audit = keyward_store::conformance::audited();
    store
        .put_mfa_device(
            keyward_store::MfaDevice {
                principal_id: id,
                sealed_secret: b"sealed".to_vec(),
                last_used_step: None,
                created_at: time::OffsetDateTime::now_utc(),
            },
            audit,
        )
        .await
        .expect("a device for a principal from v7");
    assert!(store.use_mfa_step(id, 1).await.expect("use"));
}

#[tokio::test]
async fn v8_rotation_json_becomes_typed_rotation_columns_in_v9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keyward.db");
    {
        let raw = rusqlite::Connection::open(&path).expect("raw open");
        for sql in [
            include_str!("../migrations/0001_init.sql"),
            include_str!("../migrations/0002_version_metadata.sql"),
            include_str!("../migrations/0003_lean_audit_indexes.sql"),
            include_str!("../migrations/0005_audit_count.sql"),
            include_str!("../migrations/0007_job_leases.sql"),
            include_str!("../migrations/0008_mfa_devices.sql"),
        ] {
            raw.execute_batch(sql).expect("v8 schema");
        }
        raw.execute_batch(
            r#"INSERT INTO settings (key, value) VALUES ('schema_version', '8');
             INSERT INTO secrets (id, namespace, region, name, arn, created_at, updated_at, rotation)
               VALUES ('6f1c2a34-0000-4000-8000-000000000003', 'secrets', 'us-east-1', 'db',
                       'arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf', 0, 0,
                       '{"RotationEnabled":true,"RotationLambdaARN":"arn:aws:lambda:us-east-1:000000000000:function:rot",
                         "RotationRules":{"AutomaticallyAfterDays":30},"LastRotatedDate":1700000000.5}');"#,
        )
        .expect("v8 rows");
    }
    let store = SqliteStore::open(&path).expect("open upgrades");
    let id = uuid::Uuid::parse_str("6f1c2a34-0000-4000-8000-000000000003").expect("uuid");
    let rot = store
        .get_rotation(id)
        .await
        .expect("get")
        .expect("carried over");
    assert!(rot.config.enabled);
    assert_eq!(rot.config.after_days, Some(30));
    assert_eq!(
        rot.config.lambda_arn.as_deref(),
        Some("arn:aws:lambda:us-east-1:000000000000:function:rot")
    );
    assert_eq!(
        rot.state.last_rotated_at.map(|t| t.unix_timestamp()),
        Some(1_700_000_000)
    );
    let secret = store
        .get_secret_by_id(id)
        .await
        .expect("get")
        .expect("secret");
    assert_eq!(secret.rotation, None, "the JSON column is emptied");
}

#[tokio::test]
async fn a_rotation_claim_is_exclusive_and_its_placeholder_fills_once() {
    let (_dir, store) = fresh();
    let secret = keyward_store::conformance::new_secret(Namespace::Secrets, "us-east-1", "claimed");
    let id = secret.id;
    store
        .create_secret(secret, None, keyward_store::conformance::audited())
        .await
        .expect("create");
    let now = time::OffsetDateTime::now_utc();
    let pending =
        |t: &str| keyward_store::NewVersion::placeholder(t.into(), None, vec!["AWSPENDING".into()]);
    let first = store
        .claim_rotation(
            id,
            "t1",
            now,
            Some(pending("t1")),
            keyward_store::conformance::audited(),
        )
        .await
        .expect("claim");
    assert_eq!(first, None);
    let again = store
        .claim_rotation(
            id,
            "t1",
            now,
            Some(pending("t1")),
            keyward_store::conformance::audited(),
        )
        .await
        .expect("replay");
    assert_eq!(again, None, "the same token resumes");
    let other = store
        .claim_rotation(
            id,
            "t2",
            now,
            Some(pending("t2")),
            keyward_store::conformance::audited(),
        )
        .await
        .expect("second");
    assert_eq!(other.as_deref(), Some("t1"), "another token is refused");
    assert!(
        store
            .get_version(id, &VersionSelector::Id("t2".into()))
            .await
            .expect("get")
            .is_none(),
        "a refused claim adds nothing"
    );
    let v = store
        .get_version(id, &VersionSelector::Stage("AWSPENDING".into()))
        .await
        .expect("get")
        .expect("staged");
    assert!(v.is_placeholder());
    assert_eq!(v.version_id, "t1");
    // A value with the token fills it; a second placeholder does not erase it.
    let filled = keyward_store::NewVersion {
        sealed: vec![1, 2, 3],
        value_mac: vec![9; 32],
        ..pending("t1")
    };
    store
        .add_version(id, filled, keyward_store::conformance::audited())
        .await
        .expect("fill");
    store
        .add_version(id, pending("t1"), keyward_store::conformance::audited())
        .await
        .expect("placeholder replay");
    let v = store
        .get_version(id, &VersionSelector::Id("t1".into()))
        .await
        .expect("get")
        .expect("there");
    assert!(!v.is_placeholder());
    assert_eq!(v.stages, vec!["AWSPENDING".to_string()]);
}
