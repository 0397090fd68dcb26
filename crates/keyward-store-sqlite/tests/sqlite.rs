//! The conformance suite and SQLite-specific tests (file handling, WAL readers,
//! migrations, refusing what is not a keyward database). Audit tamper detection
//! against the raw file is in `audit_tamper.rs`.

use keyward_store::conformance::{
    self, CheckResult, audited, event, new_secret, new_version, test_audit_key,
};
use keyward_store::{Namespace, Store, VersionSelector};
use keyward_store_sqlite::SqliteStore;
use std::path::Path;
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

keyward_store::conformance_tests!(fresh);

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
        assert_current_schema(&store).await;
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

// ---- upgrades from databases older releases left

/// The SQL migrations in the order the schema versions applied them.
const MIGRATIONS: [&str; 6] = [
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_version_metadata.sql"),
    include_str!("../migrations/0003_lean_audit_indexes.sql"),
    include_str!("../migrations/0005_audit_count.sql"),
    include_str!("../migrations/0007_job_leases.sql"),
    include_str!("../migrations/0008_mfa_devices.sql"),
];

/// A database as an older release left it (its first `applied` migrations, then
/// `rows`), opened and so upgraded.
fn upgraded_from(applied: usize, rows: &str) -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keyward.db");
    let raw = rusqlite::Connection::open(&path).expect("raw open");
    for sql in &MIGRATIONS[..applied] {
        raw.execute_batch(sql).expect("old schema");
    }
    raw.execute_batch(rows).expect("old rows");
    drop(raw);
    let store = SqliteStore::open(&path).expect("open upgrades");
    (dir, store)
}

async fn assert_current_schema(store: &SqliteStore) {
    assert_eq!(
        store.get_setting("schema_version").await.expect("get"),
        Some(keyward_store_sqlite::SCHEMA_VERSION.to_string())
    );
}

#[tokio::test]
async fn v1_database_upgrades_to_the_current_schema() {
    let (_dir, store) = upgraded_from(
        1,
        "INSERT INTO settings (key, value) VALUES ('schema_version', '1');
             INSERT INTO secrets (id, namespace, region, name, arn, created_at, updated_at, version_seq)
               VALUES ('6f1c2a34-0000-4000-8000-000000000001', 'parameters', 'us-east-1', '/old',
                       'arn:old', 0, 0, 1);
             INSERT INTO versions (secret_id, version_id, seq, created_at, kind, sealed, value_mac)
               VALUES ('6f1c2a34-0000-4000-8000-000000000001', '1', 1, 0, 'string', x'00', x'00');
             INSERT INTO audit (seq, time, request_id, action, outcome, api, mac)
               VALUES (1, 120000000000, 'r1', 'a', 'success', 'native', 'm1'),
                      (2, 250000000000, 'r2', 'a', 'denied', 'native', 'm2');",
    );
    assert_current_schema(&store).await;
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
async fn v7_database_upgrades_with_mfa_devices() {
    let (_dir, store) = upgraded_from(
        5,
        "INSERT INTO settings (key, value) VALUES ('schema_version', '7');
             INSERT INTO principals (id, name, arn, tags, created_at)
               VALUES ('6f1c2a34-0000-4000-8000-000000000002', 'old', 'arn:aws:iam::000000000000:user/old', '[]', 0);",
    );
    assert_current_schema(&store).await;
    // The later migrations ran too: the alert outbox exists.
    assert!(store.list_alerts(1).await.expect("outbox").is_empty());
    let id = uuid::Uuid::parse_str("6f1c2a34-0000-4000-8000-000000000002").expect("uuid");
    store
        .put_mfa_device(
            keyward_store::MfaDevice {
                principal_id: id,
                sealed_secret: b"sealed".to_vec(),
                last_used_step: None,
                created_at: time::OffsetDateTime::now_utc(),
            },
            audited(),
        )
        .await
        .expect("a device for a principal from v7");
    assert!(store.use_mfa_step(id, 1).await.expect("use"));
}

#[tokio::test]
async fn v8_rotation_json_becomes_typed_rotation_columns_in_v9() {
    let (_dir, store) = upgraded_from(
        6,
        r#"INSERT INTO settings (key, value) VALUES ('schema_version', '8');
             INSERT INTO secrets (id, namespace, region, name, arn, created_at, updated_at, rotation)
               VALUES ('6f1c2a34-0000-4000-8000-000000000003', 'secrets', 'us-east-1', 'db',
                       'arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf', 0, 0,
                       '{"RotationEnabled":true,"RotationLambdaARN":"arn:aws:lambda:us-east-1:000000000000:function:rot",
                         "RotationRules":{"AutomaticallyAfterDays":30},"LastRotatedDate":1700000000.5}');"#,
    );
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
    let secret = new_secret(Namespace::Secrets, "us-east-1", "claimed");
    let id = secret.id;
    store
        .create_secret(secret, None, audited())
        .await
        .expect("create");
    let now = time::OffsetDateTime::now_utc();
    let pending =
        |t: &str| keyward_store::NewVersion::placeholder(t.into(), None, vec!["AWSPENDING".into()]);
    let claim = async |token: &str| {
        store
            .claim_rotation(id, token, now, Some(pending(token)), audited())
            .await
            .expect("claim")
    };
    assert_eq!(claim("t1").await, None);
    assert_eq!(claim("t1").await, None, "the same token resumes");
    let other = claim("t2").await;
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
        .add_version(id, filled, audited())
        .await
        .expect("fill");
    store
        .add_version(id, pending("t1"), audited())
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
