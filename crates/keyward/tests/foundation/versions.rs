//! Versions and staging labels, idempotent writes, deletion and restore, fields,
//! history and listing.

use crate::common::{TestServer, assert_failed};
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn stages(v: &Value) -> Vec<String> {
    let mut s: Vec<String> = v["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect();
    s.sort();
    s
}

#[test]
fn staging_labels_move_with_each_put() {
    let srv = TestServer::start();
    let mut ids = Vec::new();
    for i in 1..=3 {
        let out = srv.cli_ok(&["put", "ver/s", &format!("value-{i}"), "--json"]);
        let v: Value = serde_json::from_str(&out).expect("put --json");
        assert_eq!(v["created"], i == 1, "{v}");
        ids.push(v["version"]["version_id"].as_str().expect("id").to_string());

        let hist: Value =
            serde_json::from_str(&srv.cli_ok(&["history", "ver/s", "--json"])).expect("json");
        let versions = hist["versions"].as_array().expect("versions array");
        assert_eq!(versions.len(), i, "{hist}");
        for ver in versions {
            let id = ver["version_id"].as_str().expect("version_id");
            let n = ids.iter().position(|x| x == id).expect("known id") + 1;
            let want: Vec<String> = if n == i {
                vec!["AWSCURRENT".into()]
            } else if n + 1 == i {
                vec!["AWSPREVIOUS".into()]
            } else {
                vec![]
            };
            assert_eq!(stages(ver), want, "after put {i}, version {n}: {hist}");
            assert!(
                ver["created_at"].is_string() && ver["kind"].is_string(),
                "{ver}"
            );
            assert!(ver.get("value").is_none(), "history shows a value: {ver}");
        }
        assert!(
            hist["arn"]
                .as_str()
                .unwrap_or_default()
                .contains(":secret:ver/s-")
        );
    }
    assert_eq!(srv.cli_ok(&["get", "ver/s"]), "value-3\n");
    assert_eq!(
        srv.cli_ok(&["get", "ver/s", "--stage", "AWSPREVIOUS"]),
        "value-2\n"
    );
    assert_eq!(
        srv.cli_ok(&["get", "ver/s", "--version-id", &ids[0]]),
        "value-1\n"
    );
    let got: Value =
        serde_json::from_str(&srv.cli_ok(&["get", "ver/s", "--json"])).expect("get --json");
    assert_eq!(got["version_id"], ids[2].as_str());
    assert_eq!(got["value"], "value-3");
    let out = srv.cli(&["get", "ver/s", "--stage", "AWSPENDING"]);
    let stderr = assert_failed(&out);
    assert!(stderr.contains("AWSPENDING"), "{stderr}");
}

#[test]
fn client_request_tokens_make_puts_idempotent() {
    let srv = TestServer::start();
    srv.put_secret("idem/s", "first");
    let token = "11111111-2222-3333-4444-555555555555";
    let path = TestServer::secret_path("idem/s");
    let body = json!({"value": "second", "client_request_token": token});
    let a = srv.put(&path, &body).expect(200);
    assert_eq!(a.json["version"]["version_id"], token, "{}", a.text);
    let count = || {
        srv.get("/v1/history/idem/s").expect(200).json["versions"]
            .as_array()
            .map(Vec::len)
    };
    assert_eq!(count(), Some(2));
    // Same token, same value: the same version, nothing new.
    let b = srv.put(&path, &body).expect(200);
    assert_eq!(b.json["version"]["version_id"], token, "{}", b.text);
    assert_eq!(count(), Some(2));
    // Same token, another value: a conflict, and nothing changes.
    let c = srv.put(
        &path,
        &json!({"value": "third", "client_request_token": token}),
    );
    assert_eq!(c.status, 409, "{}", c.text);
    assert!(c.message().contains(token), "{}", c.text);
    assert!(!c.text.contains("third") && !c.text.contains("second"));
    assert_eq!(count(), Some(2));
    assert_eq!(srv.cli_ok(&["get", "idem/s"]), "second\n");
    // The same token also works for a secret's first version.
    let first = srv
        .put(
            &TestServer::secret_path("idem/new"),
            &json!({"value": "v", "client_request_token": "aaaaaaaa-2222-3333-4444-555555555555"}),
        )
        .expect(201);
    assert_eq!(
        first.json["version"]["version_id"],
        "aaaaaaaa-2222-3333-4444-555555555555"
    );
}

#[test]
fn rm_restore_and_force() {
    let srv = TestServer::start();
    srv.put_secret("life/s", "lifecycle-value");
    let out = srv.cli(&["rm", "life/s"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("scheduled for deletion"), "{stderr}");

    let out = srv.cli(&["get", "life/s"]);
    let stderr = assert_failed(&out);
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("scheduled for deletion") && stderr.contains("keyward restore life/s"),
        "unclear message: {stderr}"
    );
    // Hidden from ls, shown with --include-deleted.
    assert!(!srv.cli_ok(&["ls"]).contains("life/s"));
    assert!(srv.cli_ok(&["ls", "--include-deleted"]).contains("life/s"));
    // Writes are refused while scheduled.
    let out = srv.cli(&["put", "life/s", "another"]);
    assert!(assert_failed(&out).contains("restore"));

    srv.cli_ok(&["restore", "life/s"]);
    assert_eq!(srv.cli_ok(&["get", "life/s"]), "lifecycle-value\n");

    // A chosen window, then a forced purge.
    let rm: Value = serde_json::from_str(&srv.cli_ok(&[
        "rm",
        "life/s",
        "--recovery-window-days",
        "7",
        "--json",
    ]))
    .expect("rm --json");
    assert!(rm["deletion_date"].is_string(), "{rm}");
    assert_eq!(rm["purged"], false);
    srv.cli_ok(&["rm", "life/s", "--force"]);
    let out = srv.cli(&["get", "life/s"]);
    let stderr = assert_failed(&out);
    assert_eq!(out.status.code(), Some(1), "not-found exit code: {stderr}");
    assert!(stderr.contains("not found"), "{stderr}");
    assert!(!srv.cli_ok(&["ls", "--include-deleted"]).contains("life/s"));
    let out = srv.cli(&["restore", "life/s"]);
    assert_failed(&out);
    // The name is free again.
    srv.put_secret("life/s", "reborn");
    let hist = srv.get("/v1/history/life/s").expect(200);
    assert_eq!(hist.json["versions"].as_array().map(Vec::len), Some(1));
}

#[test]
fn json_fields() {
    let srv = TestServer::start();
    srv.put_secret(
        "field/db",
        &json!({"username": "app", "password": "p@ss w0rd", "port": 5432}).to_string(),
    );
    assert_eq!(
        srv.cli_ok(&["get", "field/db", "--field", "password"]),
        "p@ss w0rd\n"
    );
    assert_eq!(
        srv.cli_ok(&["get", "field/db", "--field", "username"]),
        "app\n"
    );
    let out = srv.cli(&["get", "field/db", "--field", "nope"]);
    let stderr = assert_failed(&out);
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("nope"), "{stderr}");
    assert!(!stderr.contains("p@ss"), "{stderr}");
    srv.put_secret("field/plain", "not json");
    let out = srv.cli(&["get", "field/plain", "--field", "x"]);
    assert!(assert_failed(&out).contains("not a JSON object"));
}

#[test]
fn listing_pages_through_everything_once() {
    let srv = TestServer::start();
    let mut want = BTreeSet::new();
    for i in 0..23 {
        let name = format!("page/s{i:02}");
        srv.put_secret(&name, "v");
        want.insert(name);
    }
    srv.put_secret("other/x", "v");
    for limit in [1, 4, 7, 23, 100] {
        let mut got = Vec::new();
        let mut next: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut path = format!("/v1/secrets?prefix=page/&limit={limit}");
            if let Some(t) = &next {
                path.push_str(&format!("&next_token={t}"));
            }
            let r = srv.get(&path).expect(200);
            let page = r.json["secrets"].as_array().expect("secrets").clone();
            assert!(page.len() <= limit, "{}", r.text);
            for s in &page {
                assert!(s.get("value").is_none(), "{s}");
                got.push(s["name"].as_str().expect("name").to_string());
            }
            pages += 1;
            assert!(pages <= 30, "paging does not end");
            next = r.json["next_token"].as_str().map(str::to_string);
            if next.is_none() {
                break;
            }
        }
        let unique: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            got.len(),
            "duplicates with limit {limit}: {got:?}"
        );
        assert_eq!(unique, want, "limit {limit}");
        assert_eq!(pages, 23usize.div_ceil(limit).max(1), "limit {limit}");
    }
    // The CLI pages for itself.
    let out = srv.cli_ok(&["ls", "page/"]);
    assert_eq!(out.lines().count(), 23, "{out}");
    let ls: Value = serde_json::from_str(&srv.cli_ok(&["ls", "--json"])).expect("ls --json");
    assert_eq!(ls.as_array().map(Vec::len), Some(24));
}
