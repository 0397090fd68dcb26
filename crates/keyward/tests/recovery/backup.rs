//! Backups: made on a live server under write load, verified, restored into a
//! new data directory with byte-identical values, versions, labels, identities,
//! policies and a verifying audit chain; every flipped byte and truncation is
//! refused by `verify`.

use crate::common::{InitOpts, TestServer, allow, assert_failed, bare_command};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Every version of `name` with its stages and value, by version id.
fn versions(s: &TestServer, name: &str) -> Vec<(String, Value, String)> {
    let h = s
        .get(&format!(
            "/v1/history/{}",
            keyward_client::encode_name(name)
        ))
        .expect(200)
        .json;
    h["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            let id = v["version_id"].as_str().expect("id").to_string();
            let value = s
                .get(&format!(
                    "{}?version_id={id}",
                    TestServer::secret_path(name)
                ))
                .expect(200)
                .json["value"]
                .as_str()
                .expect("a string value")
                .to_string();
            (id, v["stages"].clone(), value)
        })
        .collect()
}

fn listing(s: &TestServer, path: &str) -> Value {
    s.get(path).expect(200).json
}

fn operator(args: &[&str]) -> std::process::Output {
    let mut all = vec!["operator", "backup"];
    all.extend_from_slice(args);
    bare_command().args(&all).output().expect("run keyward")
}

#[track_caller]
fn operator_ok(args: &[&str]) -> String {
    let out = operator(args);
    assert!(
        out.status.success(),
        "keyward operator backup {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A fresh (throwaway-initialised) server whose data directory is replaced by
/// the restore of `backup`, started with `root_key` and `admin`'s credentials.
fn restored_server(backup: &Path, key_file: &Path, admin: (&str, &str)) -> TestServer {
    let mut r = TestServer::init_only(InitOpts::default());
    std::fs::remove_dir_all(&r.data_dir).expect("clear the throwaway data dir");
    let d = r.data_dir.display().to_string();
    let b = backup.display().to_string();
    let k = key_file.display().to_string();
    operator_ok(&["restore", &b, "--data-dir", &d, "--root-key-file", &k]);
    std::fs::copy(key_file, r.data_dir.join("root.key")).expect("key beside the data");
    r.access_key_id = admin.0.to_string();
    r.secret_access_key = admin.1.to_string();
    r.spawn();
    r.wait_healthy();
    r
}

#[test]
fn a_backup_made_under_write_load_restores_byte_identical() {
    let s = TestServer::start();
    let first = s.put_secret("app/a", "one")["version"]["version_id"]
        .as_str()
        .expect("version")
        .to_string();
    s.put_secret("app/a", "two");
    s.put_secret("app/a", "three");
    s.sm(
        "us-east-1",
        "UpdateSecretVersionStage",
        json!({"SecretId": "app/a", "VersionStage": "BLUE", "MoveToVersionId": first}),
    )
    .ok();
    s.put_secret("app/gone", "bye");
    s.cli_ok(&["rm", "app/gone", "--recovery-window-days", "7"]);
    s.create_principal("reader", &[("team", "payments")]);
    s.grant(
        "reader",
        "ReadApp",
        &allow(&["secretsmanager:GetSecretValue"]),
    );

    let work = tempfile::tempdir().expect("tempdir");
    let file = work.path().join("live.kwbackup");
    let key_file = s.data_dir.join("root.key");
    let stop = AtomicBool::new(false);
    let (writes, failures) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let r = s.put(
                    &TestServer::secret_path(&format!("load/{}", i % 4)),
                    &json!({"value": format!("value-{i}")}),
                );
                if r.status == 200 || r.status == 201 {
                    writes.fetch_add(1, Ordering::Relaxed);
                } else {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
        });
        // Let the load get going, back up in the middle of it, keep writing after.
        while writes.load(Ordering::Relaxed) < 20 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let out = s.cli_ok(&[
            "operator",
            "backup",
            "create",
            "--out",
            &file.display().to_string(),
            "--json",
        ]);
        let v: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["counts"]["deleted_secrets"], json!(1), "{v}");
        let after = writes.load(Ordering::Relaxed);
        while writes.load(Ordering::Relaxed) < after + 20 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "writes failed during the backup"
    );

    let f = file.display().to_string();
    let k = key_file.display().to_string();
    let report: Value = serde_json::from_str(&operator_ok(&[
        "verify",
        &f,
        "--root-key-file",
        &k,
        "--json",
    ]))
    .expect("json");
    assert_eq!(report["ok"], json!(true), "{report}");
    assert_eq!(
        report["manifest"]["counts"]["principals"],
        json!(2),
        "{report}"
    );

    let r = restored_server(&file, &key_file, (&s.access_key_id, &s.secret_access_key));
    // The fixed part: identical.
    assert_eq!(versions(&r, "app/a"), versions(&s, "app/a"));
    assert!(
        versions(&r, "app/a")
            .iter()
            .any(|(id, stages, _)| *id == first
                && stages.as_array().expect("stages").contains(&json!("BLUE"))),
        "the custom label did not survive"
    );
    assert_eq!(
        listing(&r, "/v1/secrets?include_deleted=true&prefix=app/"),
        listing(&s, "/v1/secrets?include_deleted=true&prefix=app/")
    );
    assert_eq!(listing(&r, "/v1/principals"), listing(&s, "/v1/principals"));
    assert_eq!(listing(&r, "/v1/policies"), listing(&s, "/v1/policies"));
    assert_eq!(
        listing(&r, "/v1/policies/ReadApp"),
        listing(&s, "/v1/policies/ReadApp")
    );
    // The part under load: every restored version exists, byte-identical, on
    // the live server (the snapshot is a consistent prefix of its history).
    let mut restored_versions = 0;
    for n in 0..4 {
        let name = format!("load/{n}");
        let live = versions(&s, &name);
        for (id, _, value) in versions(&r, &name) {
            let same = live.iter().find(|(lid, _, _)| *lid == id);
            assert_eq!(same.map(|v| &v.2), Some(&value), "{name} version {id}");
            restored_versions += 1;
        }
    }
    assert!(restored_versions >= 4, "the backup caught the load");
    // The restored audit chain verifies, and it recorded the backup's creation.
    r.cli_ok(&["audit", "verify"]);
    let created = r
        .audit("")
        .into_iter()
        .chain(s.audit(""))
        .any(|rec| rec["action"] == json!("keyward:CreateBackup"));
    assert!(created, "the backup is audited");

    let listed = operator_ok(&["ls", &work.path().display().to_string(), "--json"]);
    let listed: Value = serde_json::from_str(&listed).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
}

fn flipped(bytes: &[u8], pos: usize, dir: &Path) -> PathBuf {
    let mut b = bytes.to_vec();
    b[pos] ^= 0x20;
    let p = dir.join(format!("flip-{pos}.kwbackup"));
    std::fs::write(&p, b).expect("write");
    p
}

#[test]
fn verify_refuses_flipped_bytes_and_truncations_and_offline_backups_work() {
    let mut s = TestServer::start();
    s.put_secret("app/x", "value-x");
    s.stop();
    // Offline, on the stopped data directory, to an age recipient.
    let work = tempfile::tempdir().expect("tempdir");
    let id = age::x25519::Identity::generate();
    let id_file = work.path().join("backup.agekey");
    {
        use age::secrecy::ExposeSecret;
        std::fs::write(&id_file, format!("{}\n", id.to_string().expose_secret()))
            .expect("identity");
    }
    let file = work.path().join("offline.kwbackup");
    let d = s.data_dir.display().to_string();
    let f = file.display().to_string();
    operator_ok(&[
        "create",
        "--out",
        &f,
        "--data-dir",
        &d,
        "--recipient",
        &id.to_public().to_string(),
    ]);
    let k = s.data_dir.join("root.key").display().to_string();
    let i = id_file.display().to_string();
    operator_ok(&["verify", &f, "--identity", &i, "--root-key-file", &k]);
    // The identity alone decrypts, but verify also wants the MAC and the chain.
    let err = assert_failed(&operator(&["verify", &f, "--identity", &i]));
    assert!(err.contains("root key"), "{err}");
    // The root key alone cannot open a backup made for a recipient.
    assert_failed(&operator(&["verify", &f, "--root-key-file", &k]));

    let bytes = std::fs::read(&file).expect("read");
    let step = bytes.len() / 23;
    for pos in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
        let p = flipped(&bytes, pos, work.path());
        let out = operator(&[
            "verify",
            &p.display().to_string(),
            "--identity",
            &i,
            "--root-key-file",
            &k,
        ]);
        assert_failed(&out);
    }
    for cut in [10, bytes.len() / 3, bytes.len() - 1] {
        let p = work.path().join(format!("cut-{cut}.kwbackup"));
        std::fs::write(&p, &bytes[..cut]).expect("write");
        let out = operator(&[
            "verify",
            &p.display().to_string(),
            "--identity",
            &i,
            "--root-key-file",
            &k,
        ]);
        assert_failed(&out);
    }
    // A restore never overwrites a data directory.
    let err = assert_failed(&operator(&[
        "restore",
        &f,
        "--data-dir",
        &d,
        "--identity",
        &i,
        "--root-key-file",
        &k,
    ]));
    assert!(err.contains("not empty"), "{err}");
}

#[test]
fn one_secret_restores_into_the_running_server() {
    let s = TestServer::start();
    s.put_secret("app/single", "first");
    s.put_secret("app/single", "second");
    s.put_secret("app/other", "untouched");
    let work = tempfile::tempdir().expect("tempdir");
    let file = work.path().join("b.kwbackup");
    let f = file.display().to_string();
    s.cli_ok(&["operator", "backup", "create", "--out", &f]);
    let before = versions(&s, "app/single");

    // Changed after the backup, then deleted for good.
    s.put_secret("app/single", "third");
    s.put_secret("app/other", "changed");
    s.cli_ok(&["rm", "app/single", "--force"]);
    s.get(&TestServer::secret_path("app/single")).expect(404);

    let k = s.data_dir.join("root.key").display().to_string();
    s.cli_ok(&[
        "operator",
        "backup",
        "restore",
        &f,
        "--secret",
        "app/single",
        "--root-key-file",
        &k,
    ]);
    assert_eq!(
        versions(&s, "app/single"),
        before,
        "the backup's history is back"
    );
    assert_eq!(
        s.get(&TestServer::secret_path("app/other"))
            .expect(200)
            .json["value"],
        json!("changed"),
        "other secrets are left alone"
    );
    // Restoring over an existing secret replaces its history with the backup's.
    s.put_secret("app/single", "after-restore");
    s.cli_ok(&[
        "operator",
        "backup",
        "restore",
        &f,
        "--secret",
        "app/single",
        "--root-key-file",
        &k,
    ]);
    assert_eq!(versions(&s, "app/single"), before);
    let restores = s
        .audit("")
        .into_iter()
        .filter(|r| {
            r["action"] == json!("keyward:RestoreSecret") && r["outcome"] == json!("success")
        })
        .count();
    assert_eq!(restores, 2);
    s.cli_ok(&["audit", "verify"]);
    // A name the backup does not hold is named.
    let err = assert_failed(&s.cli(&[
        "operator",
        "backup",
        "restore",
        &f,
        "--secret",
        "app/nope",
        "--root-key-file",
        &k,
    ]));
    assert!(err.contains("no secret \"app/nope\""), "{err}");
}

fn backups_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "kwbackup"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn scheduled_snapshots_go_to_every_destination_verified_and_pruned() {
    let work = tempfile::tempdir().expect("tempdir");
    let (d1, d2) = (work.path().join("local"), work.path().join("offsite"));
    let config = work.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "[backup]\ndestinations = [{:?}, {:?}]\ninterval = 1\nhourly = 1\ndaily = 1\nweekly = 1\n",
            d1.display().to_string(),
            d2.display().to_string()
        ),
    )
    .expect("config");
    let s = TestServer::start_with(
        InitOpts::default(),
        crate::common::ServeOpts {
            args: vec!["--config".into(), config.display().to_string()],
            ..Default::default()
        },
    );
    s.put_secret("app/scheduled", "v");
    // Several ticks: every one writes to both places; retention keeps the newest.
    let ran = || {
        s.audit("")
            .into_iter()
            .filter(|r| {
                r["action"] == json!("keyward:CreateBackup") && r["outcome"] == json!("success")
            })
            .count()
    };
    crate::common::wait_for(
        "three scheduled snapshots",
        std::time::Duration::from_secs(30),
        || (ran() >= 6).then_some(()),
    );
    let k = s.data_dir.join("root.key").display().to_string();
    for d in [&d1, &d2] {
        let files = backups_in(d);
        assert!(
            !files.is_empty() && files.len() <= 2,
            "{}: {files:?}",
            d.display()
        );
        for f in files {
            // A file may be pruned between listing and reading; the newest stays.
            if f.exists() {
                let out = operator(&["verify", &f.display().to_string(), "--root-key-file", &k]);
                assert!(
                    out.status.success() || !f.exists(),
                    "{}: {}",
                    f.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        // No temporary file is left beside them.
        let leftovers: Vec<_> = std::fs::read_dir(d)
            .expect("dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.len() <= 1, "{leftovers:?}");
    }
}
