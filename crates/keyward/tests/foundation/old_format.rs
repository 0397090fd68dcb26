//! A data directory written by keyward before the keyring (v1 envelopes without a
//! key id, access keys sealed under the root-derived KEK, value MACs under the
//! bearer-token key, no `keyring` setting) still works after the upgrade.
//!
//! `fixtures/v1-datadir/` was made once with the `keyward` binary of that time
//! (`init` with a fixed admin key, then the writes named below) and must not be
//! regenerated: it stands for the data users already have.

use crate::common::{InitOpts, TestServer, bare_command};
use rusqlite::Connection;
use serde_json::json;
use std::path::Path;

const ADMIN_ID: &str = "KWFIXTUREADMIN000001";
const ADMIN_SECRET: &str = "fixture-admin-secret-not-a-real-key";
/// A second principal's key, made by `POST /v1/principals` in the old version.
const READER_ID: &str = "KWSL7XKD35J7ITW3XMKA";
const READER_SECRET: &str = "I8JlTRVOvTiOBqxXeaNR1bg25itG8XkuypmkzAyL";
const DB_VALUE: &str = "postgres://app:fixture-db-password@db:5432/app";
const API_VALUE: &str = "fixture-api-key-one-1234567890";
const API_TOKEN: &str = "fixture-token-0000-0000-0000-000000000001";

/// A server on a copy of the fixture (the fixture itself is never written).
fn old_server() -> TestServer {
    let mut srv = TestServer::init_only(InitOpts::default());
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/foundation/fixtures/v1-datadir");
    for leftover in ["keyward.db-wal", "keyward.db-shm"] {
        let _ = std::fs::remove_file(srv.data_dir.join(leftover));
    }
    for file in ["keyward.db", "root.key"] {
        std::fs::copy(fixture.join(file), srv.data_dir.join(file)).expect("copy fixture");
    }
    srv.access_key_id = ADMIN_ID.into();
    srv.secret_access_key = ADMIN_SECRET.into();
    srv.spawn();
    srv.wait_healthy();
    srv
}

fn first_bytes(db: &Path, name: &str) -> Vec<u8> {
    let c = Connection::open(db).expect("open db");
    let mut st = c
        .prepare(
            "SELECT substr(v.sealed, 1, 1) FROM versions v JOIN secrets s ON s.id = v.secret_id \
             WHERE s.name = ?1 ORDER BY v.seq",
        )
        .expect("prepare");
    st.query_map([name], |r| r.get::<_, Vec<u8>>(0))
        .expect("query")
        .map(|r| r.expect("row")[0])
        .collect()
}

#[test]
fn a_data_directory_from_before_the_keyring_opens_and_keeps_working() {
    let mut srv = old_server();

    // v1 values open (string and binary), through the admin key sealed by `init`.
    let db = srv.get(&TestServer::secret_path("fixture/db")).expect(200);
    assert_eq!(db.json["value"], DB_VALUE, "{}", db.text);
    let bin = srv
        .get(&TestServer::secret_path("fixture/binary"))
        .expect(200);
    assert_eq!(
        bin.json["value_base64"], "AAECAwT/Zml4dHVyZQ==",
        "{}",
        bin.text
    );

    // An access key created through the API before the upgrade still authenticates.
    srv.grant(
        "fixture-reader",
        "fixture-read",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}),
    );
    let out = srv.cli_as(READER_ID, READER_SECRET, &["get", "fixture/api"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{API_VALUE}\n")
    );

    // A replayed token with the same value is still a replay, although the stored
    // value MAC was made with the old key; another value is still a conflict.
    let path = TestServer::secret_path("fixture/api");
    let replay = srv
        .put(
            &path,
            &json!({"value": API_VALUE, "client_request_token": API_TOKEN}),
        )
        .expect(200);
    assert_eq!(replay.json["created"], false, "{}", replay.text);
    assert_eq!(replay.json["version"]["version_id"], API_TOKEN);
    let conflict = srv.put(
        &path,
        &json!({"value": "another-value-entirely", "client_request_token": API_TOKEN}),
    );
    assert_eq!(conflict.status, 409, "{}", conflict.text);
    let history = srv.get("/v1/history/fixture/api").expect(200);
    assert_eq!(history.json["versions"].as_array().map(Vec::len), Some(1));

    // New writes are v2 envelopes under the keyring; old rows are left as they were.
    srv.put_secret("fixture/db", "rotated-after-the-upgrade");
    assert_eq!(first_bytes(&srv.db_path(), "fixture/db"), vec![1, 2]);
    let c = Connection::open(srv.db_path()).expect("open db");
    let keyring: String = c
        .query_row(
            "SELECT value FROM settings WHERE key = 'keyring'",
            [],
            |r| r.get(0),
        )
        .expect("the first unseal stored a keyring");
    assert!(!keyring.contains(DB_VALUE));
    drop(c);

    // After a restart (keyring now loaded from the store) old and new values open.
    srv.restart();
    let prev = srv
        .get(&format!(
            "{}?stage=AWSPREVIOUS",
            TestServer::secret_path("fixture/db")
        ))
        .expect(200);
    assert_eq!(prev.json["value"], DB_VALUE, "{}", prev.text);
    assert_eq!(
        srv.cli_ok(&["get", "fixture/db"]),
        "rotated-after-the-upgrade\n"
    );

    // The audit chain, old records and new, verifies with the keyring's audit key.
    srv.stop();
    let out = bare_command()
        .args(["audit", "verify", "--data-dir"])
        .arg(&srv.data_dir)
        .output()
        .expect("run keyward audit verify");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}
