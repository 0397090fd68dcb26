//! `import` / `export` round trips through every format.

use super::harness::*;
use base64::Engine;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

fn tricky() -> BTreeMap<String, String> {
    [
        (
            "DATABASE_URL",
            "postgres://user:p@ss@db:5432/app?sslmode=require",
        ),
        ("QUOTES", r#"it's "quoted" \ back"#),
        ("SPACES", "  leading and trailing  "),
        ("DOLLAR", "$HOME ${NOT_EXPANDED} `cmd` $(cmd)"),
        ("HASH", "value # not a comment"),
        ("MULTI_LINE", "line one\nline two\n\tindented"),
        ("UNICODE", "päss—wörd ✓"),
        ("EMPTYISH", "="),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn export(s: &Server, prefix: &str, format: &str) -> String {
    let out = s
        .kw(s.tmp.path())
        .args(["export", "--path", prefix, "--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export {format}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn import(s: &Server, file: &std::path::Path, prefix: &str) {
    let out = s
        .kw(s.tmp.path())
        .arg("import")
        .arg(file)
        .args(["--path", prefix])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "import {}: {}",
        file.display(),
        text(&out.stderr)
    );
}

fn as_json_map(s: &Server, prefix: &str) -> BTreeMap<String, String> {
    serde_json::from_str(&export(s, prefix, "json")).expect("json export")
}

#[test]
fn import_export_round_trips_every_format() {
    let s = Server::start();
    let want = tricky();
    let secrets: BTreeMap<String, keyward_crypto::SecretString> = want
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().into()))
        .collect();
    let env_text = keyward_dotenv::write_map(secrets.iter().map(|(k, v)| (k.as_str(), v))).unwrap();
    let src = s.dir("source.env");
    std::fs::write(&src, env_text).unwrap();
    // --dry-run stores nothing and prints names only.
    let out = s
        .kw(s.tmp.path())
        .arg("import")
        .arg(&src)
        .args(["--path", "/rt/dev", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("would store DATABASE_URL -> /rt/dev/database_url"),
        "{err}"
    );
    assert!(!err.contains("sslmode"));
    assert!(as_json_map(&s, "/rt/dev/").is_empty());
    import(&s, &src, "/rt/dev");
    assert_eq!(s.get("/rt/dev/database_url"), want["DATABASE_URL"]);
    // json
    assert_eq!(as_json_map(&s, "/rt/dev/"), want);
    // dotenv: parse it, and import it back.
    let dotenv = export(&s, "/rt/dev/", "dotenv");
    let parsed: BTreeMap<String, String> = keyward_dotenv::parse_to_map(&dotenv)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, v.expose().to_owned()))
        .collect();
    assert_eq!(parsed, want);
    let f = s.dir("back.env");
    std::fs::write(&f, &dotenv).unwrap();
    import(&s, &f, "/rt/dotenv/");
    assert_eq!(as_json_map(&s, "/rt/dotenv/"), want);
    // json file import
    let f = s.dir("back.json");
    std::fs::write(&f, export(&s, "/rt/dev/", "json")).unwrap();
    import(&s, &f, "/rt/json/");
    assert_eq!(as_json_map(&s, "/rt/json/"), want);
    // yaml: `"KEY": "json-escaped"` lines (valid YAML double-quoted scalars).
    let yaml = export(&s, "/rt/dev/", "yaml");
    let mut got = BTreeMap::new();
    for line in yaml.lines() {
        let (k, v) = line.split_once(": ").unwrap();
        got.insert(
            serde_json::from_str::<String>(k).unwrap(),
            serde_json::from_str::<String>(v).unwrap(),
        );
    }
    assert_eq!(got, want);
    // shell: source it in sh and read every variable back.
    let sh = s.dir("vars.sh");
    std::fs::write(&sh, export(&s, "/rt/dev/", "shell")).unwrap();
    for (k, v) in &want {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(". '{}'; printf '%s' \"${k}\"", sh.display()))
            .output()
            .unwrap();
        assert_eq!(&text(&out.stdout), v, "{k}");
    }
    // k8s
    let out = s
        .kw(s.tmp.path())
        .args([
            "export",
            "--path",
            "/rt/dev/",
            "--format",
            "k8s",
            "--name",
            "web-secrets",
            "-o",
        ])
        .arg(s.dir("secret.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let meta = std::fs::metadata(s.dir("secret.yaml")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let k8s = std::fs::read_to_string(s.dir("secret.yaml")).unwrap();
    assert!(k8s.starts_with("apiVersion: v1\nkind: Secret\nmetadata:\n  name: \"web-secrets\"\ntype: Opaque\ndata:\n"), "{k8s}");
    let mut got = BTreeMap::new();
    for line in k8s.split("\ndata:\n").nth(1).unwrap().lines() {
        let (k, v) = line.trim().split_once(": ").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(v).unwrap();
        got.insert(k.to_owned(), String::from_utf8(bytes).unwrap());
    }
    assert_eq!(got, want);
    // docker-secrets-dir: 0700 directory, 0600 files, imported back.
    let dir = s.dir("run-secrets");
    let out = s
        .kw(s.tmp.path())
        .args([
            "export",
            "--path",
            "/rt/dev/",
            "--format",
            "docker-secrets-dir",
            "-o",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for (k, v) in &want {
        let p = dir.join(k.to_ascii_lowercase());
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(&std::fs::read_to_string(&p).unwrap(), v);
    }
    import(&s, &dir, "/rt/dir/");
    assert_eq!(as_json_map(&s, "/rt/dir/"), want);
    // Without -o, docker-secrets-dir is a usage error.
    let out = s
        .kw(s.tmp.path())
        .args([
            "export",
            "--path",
            "/rt/dev/",
            "--format",
            "docker-secrets-dir",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn import_refuses_names_that_would_not_come_back_as_written() {
    let s = Server::start();
    let f = s.dir("names.env");
    std::fs::write(
        &f,
        "GOOD_NAME=g-1\nlower_name=l-1\nMixedCase=m-1\nmy-dashed-name=d-1\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        s.kw(s.tmp.path())
            .arg("import")
            .arg(&f)
            .args(["--path", "/names/dev/"])
            .args(extra)
            .output()
            .unwrap()
    };
    // Refused, every such name listed, nothing stored (not even GOOD_NAME).
    let out = run(&[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    for needle in [
        "lower_name -> /names/dev/lower_name -> LOWER_NAME",
        "MixedCase -> /names/dev/mixedcase -> MIXEDCASE",
        "my-dashed-name -> /names/dev/my-dashed-name -> MY_DASHED_NAME",
        "--rename",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(!err.contains("GOOD_NAME ->"), "{err}");
    let ls = s.kw(s.tmp.path()).args(["ls", "/names/"]).output().unwrap();
    assert!(
        !text(&ls.stdout).contains("good_name"),
        "{}",
        text(&ls.stdout)
    );
    // --rename stores them as shown (the `-` is kept in the store name).
    let out = run(&["--rename"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(s.get("/names/dev/my-dashed-name"), "d-1");
    assert_eq!(s.get("/names/dev/lower_name"), "l-1");
    // A name the store cannot hold is refused by name, from JSON too.
    let j = s.dir("bad.json");
    std::fs::write(&j, r#"{"OK_NAME": "x", "has space": "y"}"#).unwrap();
    let out = s
        .kw(s.tmp.path())
        .arg("import")
        .arg(&j)
        .args(["--path", "/names/json/"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(
        err.contains("\"has space\"") && err.contains("' '"),
        "{err}"
    );
}
