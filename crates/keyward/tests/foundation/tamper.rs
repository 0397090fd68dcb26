//! Tampering with the database file while the server is stopped, as someone with
//! file access would: stored values must fail their integrity check instead of
//! decrypting to something else, and audit edits must break verification.

use crate::common::{Auth, TestServer, assert_failed, bare_command};
use rusqlite::{Connection, params};
use std::path::Path;

/// The sealed ciphertext of `name`'s (only / current) version.
fn sealed_of(db: &Connection, name: &str) -> Vec<u8> {
    db.query_row(
        "SELECT v.sealed FROM versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = ?1",
        params![name],
        |r| r.get(0),
    )
    .unwrap_or_else(|e| panic!("no version row for {name}: {e}"))
}

fn set_sealed(db: &Connection, name: &str, sealed: &[u8]) {
    let n = db
        .execute(
            "UPDATE versions SET sealed = ?2 WHERE secret_id = (SELECT id FROM secrets WHERE name = ?1)",
            params![name, sealed],
        )
        .expect("update sealed");
    assert_eq!(n, 1, "exactly one version of {name}");
}

/// Opens the database of a stopped server, folding the WAL into the main file.
fn open_db(path: &Path) -> Connection {
    let db = Connection::open(path).expect("open db");
    db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    db
}

#[track_caller]
fn assert_integrity_failure(srv: &TestServer, name: &str, value: &str) {
    let out = srv.cli(&["get", name]);
    let stderr = assert_failed(&out);
    assert!(out.stdout.is_empty(), "printed something: {:?}", out.stdout);
    assert!(
        stderr.contains("integrity"),
        "get {name}: not an integrity error: {stderr}"
    );
    assert!(!stderr.contains(value));
    let r = srv.request(
        "GET",
        &TestServer::secret_path(name),
        &Auth::Admin,
        None,
        None,
    );
    assert_eq!((r.status, r.code()), (500, "integrity_error"), "{}", r.text);
    assert!(!r.text.contains(value));
}

#[test]
fn flipped_or_swapped_ciphertexts_fail_integrity() {
    let mut srv = TestServer::start();
    srv.put_secret("tamper/a", "alpha-value-1111");
    srv.put_secret("tamper/b", "bravo-value-2222");
    srv.put_secret("tamper/c", "charlie-value-3333");
    srv.stop();

    // Flip one byte in the middle of a stored ciphertext.
    {
        let db = open_db(&srv.db_path());
        let mut sealed = sealed_of(&db, "tamper/a");
        let mid = sealed.len() / 2;
        sealed[mid] ^= 0x01;
        set_sealed(&db, "tamper/a", &sealed);
    }
    srv.restart();
    assert_integrity_failure(&srv, "tamper/a", "alpha-value-1111");
    // The others are untouched.
    assert_eq!(srv.cli_ok(&["get", "tamper/b"]), "bravo-value-2222\n");
    srv.stop();

    // Swap two intact ciphertexts between secrets: each is bound to its own row.
    {
        let db = open_db(&srv.db_path());
        let b = sealed_of(&db, "tamper/b");
        let c = sealed_of(&db, "tamper/c");
        set_sealed(&db, "tamper/b", &c);
        set_sealed(&db, "tamper/c", &b);
    }
    srv.restart();
    assert_integrity_failure(&srv, "tamper/b", "charlie-value-3333");
    assert_integrity_failure(&srv, "tamper/c", "bravo-value-2222");
    // The failures are audited as errors.
    let errors = srv.audit("&outcome=error");
    assert!(
        errors
            .iter()
            .any(|r| r["action"] == "secretsmanager:GetSecretValue"),
        "{errors:?}"
    );
}

/// `keyward audit verify --data-dir DIR`: (success, stderr).
fn verify_offline(dir: &Path) -> (bool, String) {
    let out = bare_command()
        .args(["audit", "verify", "--data-dir"])
        .arg(dir)
        .output()
        .expect("run keyward audit verify");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

/// A copy of a stopped server's data directory (database and root key).
fn copy_data_dir(srv: &TestServer, db_bytes: &[u8]) -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("keyward.db"), db_bytes).expect("write db");
    std::fs::copy(srv.data_dir.join("root.key"), d.path().join("root.key")).expect("copy key");
    d
}

fn drop_triggers(db: &Connection) {
    db.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
        .expect("drop triggers");
}

#[test]
fn audit_tampering_is_detected() {
    let mut srv = TestServer::start();
    for i in 0..6 {
        srv.put_secret(&format!("audit/s{i}"), "some-value-xyz");
    }
    srv.get("/v1/secrets/nope").expect(404);

    // Intact: verification passes through the server and offline.
    let out = srv.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
    srv.stop();
    let pristine = {
        let db = open_db(&srv.db_path());
        drop(db);
        std::fs::read(srv.db_path()).expect("read db")
    };
    let (ok, text) = verify_offline(&srv.data_dir);
    assert!(ok, "intact chain failed offline verification: {text}");
    let last: i64 = open_db(&srv.db_path())
        .query_row("SELECT max(seq) FROM audit", [], |r| r.get(0))
        .expect("max seq");
    assert!(last >= 8, "expected a few audit records, got {last}");

    // The triggers stop accidental edits.
    {
        let db = open_db(&srv.db_path());
        assert!(db.execute("DELETE FROM audit WHERE seq = 3", []).is_err());
        assert!(
            db.execute("UPDATE audit SET action = 'x' WHERE seq = 3", [])
                .is_err()
        );
    }

    type Tamper = fn(&Connection, i64);
    let cases: [(&str, Tamper, String); 4] = [
        (
            "delete",
            |db, _| {
                db.execute("DELETE FROM audit WHERE seq = 3", [])
                    .expect("delete");
            },
            // The record after the hole is named.
            "#4".to_string(),
        ),
        (
            "reorder",
            |db, _| {
                // Swap the contents of records 3 and 4, keeping their sequence numbers.
                db.execute_batch(
                    "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (3, 4);
                     DELETE FROM audit WHERE seq IN (3, 4);
                     INSERT INTO audit SELECT CASE seq WHEN 3 THEN 4 ELSE 3 END, time, request_id,
                         principal, access_key_id, source_ip, user_agent, action, resource,
                         version_id, outcome, error_code, api, mac, count FROM t;",
                )
                .expect("reorder");
            },
            "record #3".to_string(),
        ),
        (
            "truncate",
            |db, last| {
                db.execute("DELETE FROM audit WHERE seq >= ?1", params![last - 1])
                    .expect("truncate");
            },
            format!("#{last}"),
        ),
        (
            "edit",
            |db, _| {
                db.execute(
                    "UPDATE audit SET action = 'secretsmanager:DescribeSecret' WHERE seq = 5",
                    [],
                )
                .expect("edit");
            },
            "record #5".to_string(),
        ),
    ];
    for (what, tamper, names) in &cases {
        let copy = copy_data_dir(&srv, &pristine);
        {
            let db = open_db(&copy.path().join("keyward.db"));
            drop_triggers(&db);
            tamper(&db, last);
        }
        let (ok, text) = verify_offline(copy.path());
        assert!(!ok, "{what}: verification passed: {text}");
        assert!(
            text.contains(names.as_str()),
            "{what}: expected {names} named in: {text}"
        );
    }

    // An edit in the middle, in place: the server still starts (the head is intact)
    // and its verification names the record too.
    {
        let db = open_db(&srv.db_path());
        drop_triggers(&db);
        db.execute("UPDATE audit SET principal = NULL WHERE seq = 2", [])
            .expect("edit");
    }
    let (ok, text) = verify_offline(&srv.data_dir);
    assert!(!ok && text.contains("record #2"), "{text}");
    srv.restart();
    let out = srv.cli(&["audit", "verify"]);
    let stderr = assert_failed(&out);
    assert!(stderr.contains("record #2"), "{stderr}");
    let r = srv.get("/v1/audit/verify").expect(200);
    assert_eq!(r.json["ok"], false, "{}", r.text);
}

#[test]
fn truncated_audit_log_fails_closed() {
    // With the tail of the log gone, the server cannot extend the chain, so it
    // refuses to answer rather than serve unaudited requests.
    let mut srv = TestServer::start();
    srv.put_secret("closed/a", "value-a-123456");
    srv.stop();
    {
        let db = open_db(&srv.db_path());
        drop_triggers(&db);
        db.execute(
            "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)",
            [],
        )
        .expect("truncate");
    }
    srv.restart();
    let r = srv.get(&TestServer::secret_path("closed/a"));
    assert_eq!(r.status, 500, "{}", r.text);
    assert!(!r.text.contains("value-a-123456"));
    let out = srv.cli(&["audit", "verify"]);
    assert_failed(&out);
    let (ok, text) = verify_offline(&srv.data_dir);
    assert!(!ok && text.contains("truncated"), "{text}");
}
