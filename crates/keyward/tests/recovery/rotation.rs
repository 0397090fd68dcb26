//! Root-key rotation: online under a read/write load that loses no request,
//! every secret readable under the new key, old audit records still verifying,
//! an older backup still restoring with the old key; new unseal shares replace
//! the old ones.

use super::{operator_json, sealed_with_shares, unseal_with};
use crate::common::{TestServer, assert_failed};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[test]
fn rotating_the_root_key_under_load_loses_no_request() {
    let mut s = TestServer::start();
    for i in 0..10 {
        s.put_secret(&format!("app/s{i}"), &format!("value-{i}"));
    }
    let work = tempfile::tempdir().expect("tempdir");
    let old_key = work.path().join("old.key");
    std::fs::copy(s.data_dir.join("root.key"), &old_key).expect("keep the old key");
    let old_backup = work.path().join("before.kwbackup");
    s.cli_ok(&[
        "operator",
        "backup",
        "create",
        "--out",
        &old_backup.display().to_string(),
    ]);

    let new_key = work.path().join("new.key");
    let stop = AtomicBool::new(false);
    let (ok, failed) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for t in 0..3 {
            let (s, stop, ok, failed) = (&s, &stop, &ok, &failed);
            scope.spawn(move || {
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let name = format!("app/s{}", (i + t) % 10);
                    let r = if t == 0 {
                        s.put(
                            &TestServer::secret_path(&name),
                            &json!({"value": format!("load-{i}")}),
                        )
                    } else {
                        s.get(&TestServer::secret_path(&name))
                    };
                    if r.status == 200 || r.status == 201 {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                        eprintln!("failed during rotation: {} {}", r.status, r.text);
                    }
                    i += 1;
                }
            });
        }
        while ok.load(Ordering::Relaxed) < 30 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let (v, out) = operator_json(
            &s,
            &[
                "rotate-root-key",
                "--new-key-file",
                &new_key.display().to_string(),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(v["key_id"].is_string(), "{v}");
        assert!(v.get("root_key").is_none(), "the key is not printed: {v}");
        let after = ok.load(Ordering::Relaxed);
        while ok.load(Ordering::Relaxed) < after + 30 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
    });
    let (ok, failed) = (ok.into_inner(), failed.into_inner());
    eprintln!("requests during rotation: {ok} succeeded, {failed} failed");
    assert_eq!(failed, 0, "requests failed during the rotation");
    assert!(ok >= 60);

    // Restart with the new key: every secret reads, the whole chain verifies.
    std::fs::remove_file(s.data_dir.join("root.key")).expect("old key out");
    std::fs::copy(&new_key, s.data_dir.join("root.key")).expect("new key in");
    s.restart();
    for i in 0..10 {
        s.get(&TestServer::secret_path(&format!("app/s{i}")))
            .expect(200);
    }
    s.cli_ok(&["audit", "verify"]);
    // The old key no longer unseals this data directory.
    s.stop();
    std::fs::copy(&old_key, s.data_dir.join("root.key")).expect("old key back");
    s.spawn();
    let status = s.wait_exit(std::time::Duration::from_secs(20));
    assert!(
        !status.success(),
        "the old root key still starts the server"
    );
    assert!(s.stderr().contains("does not match"), "{}", s.stderr());

    // The backup from before the rotation restores with the old key.
    let restored = work.path().join("restored");
    let out = crate::common::bare_command()
        .args([
            "operator",
            "backup",
            "restore",
            &old_backup.display().to_string(),
            "--data-dir",
            &restored.display().to_string(),
            "--root-key-file",
            &old_key.display().to_string(),
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // ...and not with the new one.
    let out = crate::common::bare_command()
        .args([
            "operator",
            "backup",
            "verify",
            &old_backup.display().to_string(),
            "--root-key-file",
            &new_key.display().to_string(),
        ])
        .output()
        .expect("run");
    let err = assert_failed(&out);
    assert!(err.contains("needs root key"), "{err}");
}

#[test]
fn rekeyed_shares_unseal_and_the_old_ones_are_named() {
    let (mut s, old) = sealed_with_shares(3, 2);
    unseal_with(&s, &old[0]);
    unseal_with(&s, &old[1]);
    s.put_secret("app/kept", "still-here");
    let (v, out) = operator_json(
        &s,
        &["rekey-shares", "--key-shares", "4", "--key-threshold", "3"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new: Vec<String> = v["unseal_shares"]
        .as_array()
        .expect("new shares")
        .iter()
        .map(|x| x.as_str().expect("str").to_string())
        .collect();
    assert_eq!(new.len(), 4);
    // A rotation of a split key issues new shares too.
    let (v, out) = operator_json(&s, &["rotate-root-key"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let newest: Vec<String> = v["unseal_shares"]
        .as_array()
        .expect("shares")
        .iter()
        .map(|x| x.as_str().expect("str").to_string())
        .collect();
    assert_eq!((newest.len(), v["unseal_threshold"].clone()), (4, json!(3)));

    s.stop();
    s.spawn();
    s.wait_health(503);
    let err = assert_failed(&s.cli(&["operator", "unseal", &new[0]]));
    assert!(err.contains("belongs to root key"), "{err}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for share in &newest[1..4] {
        unseal_with(&s, share);
    }
    let status: Value = operator_json(&s, &["status"]).0;
    assert_eq!(status["sealed"], json!(false), "{status}");
    assert_eq!(
        s.get("/v1/secrets/app%2Fkept").expect(200).json["value"],
        json!("still-here")
    );
    s.cli_ok(&["audit", "verify"]);
}
