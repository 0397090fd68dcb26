//! Audit tamper detection against the raw database file: edits made behind
//! keyward's back are reported by verification, and appending refuses to extend
//! (and so re-sign) a chain that was tampered with.

use keyward_store::audit::{VERIFY_PAGE, read_chain, verify_chain, verify_stored};
use keyward_store::conformance::{event, test_audit_key};
use keyward_store::{Store, StoreError};
use keyward_store_sqlite::SqliteStore;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Truncating the log and pointing the head at the new last record: only the
/// checkpoint MAC, which needs the key, can tell.
const TRUNCATE_AND_REWIND: &str = "DELETE FROM audit WHERE seq >= 9;
     UPDATE audit_head SET seq = 8, mac = (SELECT mac FROM audit WHERE seq = 8);";

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
    let (recs, head) = read_chain(&store).await.expect("chain");
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

/// A log of `n` records edited by `sql`; the directory holds the file until dropped.
async fn tampered(n: usize, sql: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), n).await;
    tamper(&path, sql);
    (dir, path)
}

async fn problems_after(path: &Path) -> Vec<String> {
    let store = SqliteStore::open(path).expect("reopen");
    let report = verify_stored(&store, &test_audit_key())
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

/// Edits a log of ten records with `sql`; verification must report problems
/// naming every one of `needles`.
async fn detects(sql: &str, needles: &[&str]) {
    let (_dir, path) = tampered(10, sql).await;
    let problems = problems_after(&path).await;
    for needle in needles {
        assert_names(&problems, needle);
    }
}

fn assert_corrupt(r: Result<Vec<i64>, StoreError>) {
    assert!(matches!(r, Err(StoreError::Corrupt(_))), "{r:?}");
}

#[tokio::test]
async fn tamper_edit_field() {
    detects(
        "UPDATE audit SET principal = 'mallory' WHERE seq = 5",
        &["record #5"],
    )
    .await;
}

#[tokio::test]
async fn tamper_edit_time() {
    detects(
        "UPDATE audit SET time = time + 1 WHERE seq = 7",
        &["record #7"],
    )
    .await;
}

#[tokio::test]
async fn tamper_delete_middle() {
    // The record after the gap is out of sequence and its link no longer verifies.
    detects(
        "DELETE FROM audit WHERE seq = 5",
        &["record #6", "expected sequence number 5"],
    )
    .await;
}

#[tokio::test]
async fn tamper_swap_seqs() {
    detects(
        "UPDATE audit SET seq = -1 WHERE seq = 3;
         UPDATE audit SET seq = 3 WHERE seq = 4;
         UPDATE audit SET seq = 4 WHERE seq = -1;",
        &["record #3", "record #4"],
    )
    .await;
}

#[tokio::test]
async fn tamper_truncate_tail() {
    detects("DELETE FROM audit WHERE seq >= 9", &["#10", "truncated"]).await;
}

#[tokio::test]
async fn tamper_truncate_tail_and_rewind_head() {
    detects(TRUNCATE_AND_REWIND, &["checkpoint was edited"]).await;
}

#[tokio::test]
async fn tamper_edit_head() {
    detects(
        "UPDATE audit_head SET checkpoint_mac = replace(checkpoint_mac, substr(checkpoint_mac, 1, 1), 'x')",
        &["checkpoint"],
    )
    .await;
}

#[tokio::test]
async fn tamper_delete_head() {
    detects("DELETE FROM audit_head", &["checkpoint is missing"]).await;
}

#[tokio::test]
async fn tamper_append_after_head() {
    // A record added past the checkpoint (its MAC copied from a real one).
    detects(
        "CREATE TEMP TABLE extra AS SELECT * FROM audit WHERE seq = 10;
         UPDATE extra SET seq = 11;
         INSERT INTO audit SELECT * FROM extra;",
        &["not covered by the chain checkpoint"],
    )
    .await;
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

/// Edits a log of `n` records with `sql`; appending must then refuse, append
/// nothing, and leave the tampering for verification to report.
async fn append_fails_closed(n: usize, sql: &str) {
    let (_dir, path) = tampered(n, sql).await;
    let store = SqliteStore::open(&path).expect("reopen");
    assert_corrupt(store.append_audit(&test_audit_key(), vec![event(99)]).await);
    drop(store);
    assert!(!problems_after(&path).await.is_empty());
}

#[tokio::test]
async fn append_refuses_to_launder_a_rewound_head() {
    // The checkpoint MAC no longer verifies, and appending must not re-sign it.
    append_fails_closed(10, TRUNCATE_AND_REWIND).await;
}

#[tokio::test]
async fn append_refuses_a_truncated_log() {
    append_fails_closed(10, "DELETE FROM audit WHERE seq >= 9").await;
}

#[tokio::test]
async fn append_refuses_a_missing_head() {
    append_fails_closed(4, "DELETE FROM audit_head").await;
}

#[tokio::test]
async fn append_refuses_a_different_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audited_db(dir.path(), 3).await;
    let store = SqliteStore::open(&path).expect("reopen");
    let other = keyward_crypto::RootKey::generate().audit_key();
    assert_corrupt(store.append_audit(&other, vec![event(4)]).await);
}

#[tokio::test]
async fn append_refuses_to_overwrite_records_beyond_the_head() {
    // If the head was rewound, appending must not silently fork the chain.
    let (_dir, path) = tampered(5, "UPDATE audit_head SET seq = 3").await;
    let store = SqliteStore::open(&path).expect("reopen");
    assert_corrupt(store.append_audit(&test_audit_key(), vec![event(9)]).await);
}

#[tokio::test]
async fn verification_pages_through_long_chains() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = VERIFY_PAGE * 2 + 7;
    let path = dir.path().join("keyward.db");
    let store = SqliteStore::open(&path).expect("open");
    let key = test_audit_key();
    for chunk in (1..=n).collect::<Vec<_>>().chunks(500) {
        store
            .append_audit(&key, chunk.iter().map(|&i| event(i)).collect())
            .await
            .expect("append");
    }
    let report = verify_stored(&store, &key).await.expect("verify");
    assert!(report.ok, "{:?}", report.problems);
    assert_eq!(report.records, n);
    drop(store);
    let edited = VERIFY_PAGE + 3;
    tamper(
        &path,
        &format!("UPDATE audit SET principal = 'mallory' WHERE seq = {edited}"),
    );
    assert_names(&problems_after(&path).await, &format!("record #{edited}"));
}
