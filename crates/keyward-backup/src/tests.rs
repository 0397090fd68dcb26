//! Round trips and refusals on a real SQLite data directory.

use super::*;
use keyward_store::{AuditEvent, AuditedWrite, Outcome, Principal, Store};
use keyward_store_sqlite::SqliteStore;

fn event(action: &str) -> AuditEvent {
    AuditEvent {
        time: time::OffsetDateTime::now_utc(),
        request_id: "r".into(),
        principal: Some("keyward:init".into()),
        access_key_id: None,
        source_ip: None,
        user_agent: None,
        action: action.into(),
        resource: None,
        version_id: None,
        outcome: Outcome::Success,
        error_code: None,
        api: "system".into(),
        count: None,
    }
}

/// A data directory with a keyring, a principal and a few audit records.
async fn data_dir(root: &RootKey) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join(DB_FILE);
    let store = SqliteStore::open(&db).expect("store");
    store
        .set_setting("root_key_check", &root.check_value())
        .await
        .expect("check");
    let ring = Keyring::bootstrap(root);
    store
        .set_setting("keyring", &ring.to_stored(root))
        .await
        .expect("keyring");
    let audit = |a: &str| AuditedWrite {
        key: ring.audit_key().clone(),
        event: event(a),
    };
    store
        .create_principal(
            Principal {
                id: uuid::Uuid::new_v4(),
                name: "alice".into(),
                arn: "arn:aws:iam::000000000000:user/alice".into(),
                tags: vec![],
                created_at: time::OffsetDateTime::now_utc(),
            },
            audit("iam:CreateUser"),
        )
        .await
        .expect("principal");
    store
        .append_audit(ring.audit_key(), vec![event("x:One"), event("x:Two")])
        .await
        .expect("audit");
    (dir, db)
}

fn backup_of(db: &Path, root: &RootKey, target: &Target) -> Vec<u8> {
    let snap_dir = tempfile::tempdir().expect("tempdir");
    let image = snap_dir.path().join("snap.db");
    snapshot_db(db, &image).expect("snapshot");
    let ring = Keyring::from_stored(&facts_of(&image).expect("facts").keyring, root).expect("ring");
    let mut out = Vec::new();
    write_backup(&image, ring.audit_key(), target, &mut out, &|_, _| {}).expect("backup");
    out
}

fn unlock(root: &RootKey) -> Unlock {
    Unlock {
        root_keys: vec![RootKey::from_text(&root.to_hex()).expect("key")],
        identities: vec![],
        audit_key: None,
    }
}

fn write_tmp(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("b.kwbackup");
    std::fs::write(&p, bytes).expect("write");
    (dir, p)
}

#[tokio::test]
async fn a_backup_to_the_root_key_verifies_and_restores_byte_for_byte() {
    let root = RootKey::generate();
    let (_d, db) = data_dir(&root).await;
    let bytes = backup_of(&db, &root, &Target::RootKey);
    let (_t, file) = write_tmp(&bytes);
    let opened = Opened::open(&file, &unlock(&root), &|_, _| {}).expect("opens");
    assert_eq!(opened.manifest.counts.principals, 1);
    assert_eq!(opened.manifest.counts.audit_records, 3);
    let report = opened.verify().await.expect("verifies");
    assert_eq!(report.audit_records, 3);

    let target = tempfile::tempdir().expect("tempdir");
    let restored_dir = target.path().join("restored");
    let restored = opened
        .restore_into(&restored_dir, &|_, _| {})
        .expect("restores");
    assert_eq!(
        facts_of(&restored).expect("facts").counts,
        opened.manifest.counts
    );
    // Nothing is overwritten.
    assert!(matches!(
        opened.restore_into(&restored_dir, &|_, _| {}),
        Err(BackupError::Refused(_))
    ));
}

#[tokio::test]
async fn every_flipped_byte_and_every_truncation_is_refused() {
    let root = RootKey::generate();
    let (_d, db) = data_dir(&root).await;
    let bytes = backup_of(&db, &root, &Target::RootKey);
    // A spread of positions across header and body, and the last byte.
    let step = (bytes.len() / 97).max(1);
    let positions: Vec<usize> = (0..bytes.len())
        .step_by(step)
        .chain([bytes.len() - 1])
        .collect();
    for pos in positions {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x01;
        let (_t, file) = write_tmp(&bad);
        let result = match Opened::open(&file, &unlock(&root), &|_, _| {}) {
            Ok(o) => o.verify().await.map(|_| ()),
            Err(e) => Err(e),
        };
        assert!(result.is_err(), "flipped byte {pos} was accepted");
    }
    for cut in [1, 16, bytes.len() / 2, bytes.len() - 1] {
        let (_t, file) = write_tmp(&bytes[..cut]);
        assert!(
            Opened::open(&file, &unlock(&root), &|_, _| {}).is_err(),
            "truncation to {cut} bytes was accepted"
        );
    }
}

#[tokio::test]
async fn the_wrong_root_key_is_named_and_an_age_recipient_opens_its_backup() {
    let root = RootKey::generate();
    let (_d, db) = data_dir(&root).await;
    let bytes = backup_of(&db, &root, &Target::RootKey);
    let (_t, file) = write_tmp(&bytes);
    let err = Opened::open(&file, &unlock(&RootKey::generate()), &|_, _| {}).unwrap_err();
    assert!(matches!(err, BackupError::WrongKey { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&read_header(&file).expect("header").key_id)
    );

    let id = age::x25519::Identity::generate();
    let bytes = backup_of(&db, &root, &Target::Recipients(vec![id.to_public()]));
    let (_t, file) = write_tmp(&bytes);
    // The identity alone decrypts; the MAC and chain need the root key too.
    let only_id = Unlock {
        root_keys: vec![],
        identities: vec![Box::new(id.clone())],
        audit_key: None,
    };
    let opened = Opened::open(&file, &only_id, &|_, _| {}).expect("identity opens");
    assert!(opened.verify().await.is_err(), "verify needs the root key");
    let both = Unlock {
        root_keys: vec![root],
        identities: vec![Box::new(id)],
        audit_key: None,
    };
    Opened::open(&file, &both, &|_, _| {})
        .expect("opens")
        .verify()
        .await
        .expect("verifies");
    // The root key alone does not open a backup made for a recipient.
    assert!(Opened::open(&file, &unlock(&RootKey::generate()), &|_, _| {}).is_err());
}
