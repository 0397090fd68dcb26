//! Only `init` creates a store: `serve` and offline tools refuse an empty, foreign
//! or damaged database instead of serving an empty, healthy-looking one (issue 11,
//! break 3).

use crate::common::{InitOpts, TestServer, assert_failed, bare_command};
use std::time::Duration;

/// Starts `serve` on `s` and expects it to refuse; returns its stderr.
fn refused_start(s: &mut TestServer) -> String {
    s.spawn();
    let status = s.wait_exit(Duration::from_secs(60));
    assert!(
        !status.success(),
        "serve started on a broken data directory"
    );
    s.stderr()
}

fn remove_wal(s: &TestServer) {
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", s.db_path().display()));
    }
}

#[test]
fn a_zero_length_database_is_refused_not_reinitialised() {
    let mut s = TestServer::init_only(InitOpts::default());
    std::fs::write(s.db_path(), b"").expect("truncate");
    remove_wal(&s);
    let err = refused_start(&mut s);
    assert!(err.contains("empty"), "{err}");
    assert!(
        err.contains("restore"),
        "the error says how to recover: {err}"
    );
    assert_eq!(std::fs::metadata(s.db_path()).expect("db").len(), 0);

    let out = bare_command()
        .args(["audit", "verify", "--data-dir"])
        .arg(&s.data_dir)
        .output()
        .expect("run audit verify");
    let err = assert_failed(&out);
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn a_database_without_keyward_schema_is_refused() {
    let mut s = TestServer::init_only(InitOpts::default());
    std::fs::remove_file(s.db_path()).expect("remove");
    remove_wal(&s);
    let db = rusqlite::Connection::open(s.db_path()).expect("create");
    db.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');")
        .expect("foreign schema");
    drop(db);
    let err = refused_start(&mut s);
    assert!(err.contains("no keyward schema"), "{err}");
}

#[test]
fn a_structurally_corrupt_database_is_refused() {
    let mut s = TestServer::start();
    for i in 0..150 {
        s.put_secret(&format!("corrupt/s{i:03}"), "some-value-to-fill-pages");
    }
    s.stop();
    // A clean shutdown is not guaranteed after kill: fold the WAL in first.
    let db = rusqlite::Connection::open(s.db_path()).expect("open");
    db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    drop(db);
    remove_wal(&s);
    let mut bytes = std::fs::read(s.db_path()).expect("read");
    assert!(bytes.len() > 12 * 4096, "database unexpectedly small");
    for b in &mut bytes[6 * 4096..6 * 4096 + 1024] {
        *b = 0x5A;
    }
    std::fs::write(s.db_path(), &bytes).expect("write");
    let err = refused_start(&mut s);
    assert!(err.contains("corrupt"), "{err}");
    assert!(
        err.contains("backup"),
        "the error says how to recover: {err}"
    );
}
