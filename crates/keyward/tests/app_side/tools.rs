//! `check`, `docs`, `example`, `gen`, `doctor`.

use super::harness::*;
use std::process::Command;

const DJANGO_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";

#[test]
fn check_validates_without_running_and_finds_shared_values() {
    let s = Server::start();
    let toml = django_toml(
        "chk",
        "[vars.DB_PASSWORD]\nsecret = true\nsource = \"/{app}/{env}/db_password\"\n",
    );
    let dir = project(&s, &toml);
    // Missing in production: exit 1, problems listed.
    let out = s
        .kw(&dir)
        .args(["check", "--env", "production"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("SECRET_KEY environment variable must be set"));
    let out = s
        .kw(&dir)
        .args(["check", "--env", "production", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["ok"], false);
    assert_eq!(v["environments"][0]["problems"][0]["var"], "SECRET_KEY");
    assert_eq!(v["environments"][0]["problems"][0]["kind"], "missing");
    // Stored: ok, and the JSON names sources, never values.
    let generated = s
        .kw(&dir)
        .args([
            "gen",
            "--format",
            "django",
            "--put",
            "/chk/production/secret_key",
            "--show",
        ])
        .output()
        .unwrap();
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let key = text(&generated.stdout).trim().to_owned();
    let out = s
        .kw(&dir)
        .args(["check", "--env", "production", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let body = text(&out.stdout);
    assert!(!body.contains(&key));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["environments"][0]["sources"]["SECRET_KEY"],
        "store /chk/production/secret_key"
    );
    // The same DB password in both environments is reported, without the value.
    s.put(
        "/chk/development/db_password",
        "Shared-Pa55word-across-envs-1234",
    );
    s.put(
        "/chk/production/db_password",
        "Shared-Pa55word-across-envs-1234",
    );
    let out = s
        .kw(&dir)
        .args(["check", "--all-envs", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let body = text(&out.stdout);
    assert!(!body.contains("Shared-Pa55word"));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let dupes = v["duplicates"].as_array().unwrap();
    assert_eq!(dupes.len(), 1, "{body}");
    assert_eq!(dupes[0]["var"], "DB_PASSWORD");
    assert_eq!(dupes[0]["kind"], "duplicate_across_environments");
    let out = s.kw(&dir).args(["check", "--all-envs"]).output().unwrap();
    assert!(
        text(&out.stderr).contains("DB_PASSWORD has the same value in development, production")
    );
}

#[test]
fn docs_and_example_are_generated_from_keyward_toml() {
    let s = Server::start();
    let dir = project(
        &s,
        &django_toml("docs", "[vars.PORT]\ntype = \"port\"\nexample = \"8000\"\n"),
    );
    let out = s
        .kw(&dir)
        .args(["docs", "-o", "docs/ENVIRONMENT_VARIABLES.md"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let md = std::fs::read_to_string(dir.join("docs/ENVIRONMENT_VARIABLES.md")).unwrap();
    assert!(md.starts_with("# Environment variables for `docs`"), "{md}");
    assert!(md.contains("## SECRET_KEY") && md.contains("## PORT"));
    assert!(md.contains("keyward gen --format django"));
    assert!(
        !md.contains("dev-only-insecure-key"),
        "docs must not show dev defaults of secrets"
    );
    let out = s.kw(&dir).args(["example"]).output().unwrap();
    assert!(out.status.success());
    let ex = text(&out.stdout);
    assert!(
        ex.contains("SECRET_KEY=") && ex.contains("PORT=8000"),
        "{ex}"
    );
    assert!(!ex.contains("dev-only-insecure-key"));
    let out = s
        .kw(&dir)
        .args(["example", "-o", ".env.example"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join(".env.example")).unwrap(),
        ex
    );
    // A broken keyward.toml names the file and line.
    std::fs::write(
        dir.join("bad.toml"),
        "app = \"x\"\nenvironments = [\"a\"]\n[vars.X]\ntype = \"nope\"\n",
    )
    .unwrap();
    let out = s
        .kw(&dir)
        .args(["docs", "-c", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(
        text(&out.stderr).contains("bad.toml:4"),
        "{}",
        text(&out.stderr)
    );
}

fn gen_value(s: &Server, args: &[&str]) -> String {
    let out = s.kw(s.tmp.path()).arg("gen").args(args).output().unwrap();
    assert!(out.status.success(), "gen {args:?}: {}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.ends_with('\n'));
    t.trim_end_matches('\n').to_owned()
}

#[test]
fn gen_formats_have_the_documented_shape() {
    let s = Server::start();
    let d = gen_value(&s, &["--format", "django"]);
    assert_eq!(d.chars().count(), 50);
    assert!(d.chars().all(|c| DJANGO_ALPHABET.contains(c)), "{d}");
    let u = gen_value(&s, &["--format", "urlsafe"]);
    assert_eq!(u.len(), 43);
    assert!(
        u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(
        gen_value(&s, &["--format", "urlsafe", "--length", "50"]).len(),
        67
    );
    let h = gen_value(&s, &["--format", "hex"]);
    assert_eq!(h.len(), 64);
    assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        gen_value(&s, &["--format", "hex", "--length", "16"]).len(),
        32
    );
    assert_eq!(gen_value(&s, &["--format", "base64"]).len(), 64);
    let id = gen_value(&s, &["--format", "uuid"]);
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "4");
    let p = gen_value(
        &s,
        &[
            "--format",
            "password",
            "--length",
            "40",
            "--exclude-punctuation",
            "--exclude-characters",
            "abc",
        ],
    );
    assert_eq!(p.len(), 40);
    assert!(
        p.chars()
            .all(|c| c.is_ascii_alphanumeric() && !"abc".contains(c)),
        "{p}"
    );
    assert_ne!(gen_value(&s, &["--format", "django"]), d);
    // Bad input is an error, not a panic.
    for bad in [
        &["--format", "uuid", "--length", "3"][..],
        &["--format", "hex", "--length", "0"],
        &["--format", "hex", "--exclude-numbers"],
    ] {
        let out = s.kw(s.tmp.path()).arg("gen").args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    // --put stores it and prints nothing on stdout.
    let out = s
        .kw(s.tmp.path())
        .args(["gen", "--format", "django", "--put", "/g/prod/secret_key"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    let stored = s.get("/g/prod/secret_key");
    assert_eq!(stored.chars().count(), 50);
    assert!(!text(&out.stderr).contains(&stored));
}

fn git(dir: &std::path::Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn doctor_finds_a_tracked_env_file_and_a_hardcoded_secret_key() {
    let s = Server::start();
    let repo = s.dir("repo");
    std::fs::create_dir_all(repo.join("mysite")).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(
        repo.join("mysite/settings.py"),
        "import os\n\nDEBUG = True\nSECRET_KEY = 'django-insecure-abcdefghijklmnopqrstuvwxyz0123456789'\nALLOWED_HOSTS = []\n",
    )
    .unwrap();
    std::fs::write(repo.join(".env"), "API_TOKEN=changeme\n").unwrap();
    std::fs::write(
        repo.join("docker-compose.yml"),
        "services:\n  web:\n    environment:\n      - DB_PASSWORD=hunter2hunter2\n",
    )
    .unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "init"]);
    let out = s.kw(&repo).args(["doctor", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let body = text(&out.stdout);
    for leaked in [
        "django-insecure-abcdefghijklmnopqrstuvwxyz",
        "hunter2hunter2",
    ] {
        assert!(!body.contains(leaked), "value leaked: {body}");
    }
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let f = v["findings"].as_array().unwrap();
    let has = |file: &str, line: u64, kind: &str| {
        f.iter()
            .any(|x| x["file"] == file && x["line"] == line && x["kind"] == kind)
    };
    assert!(has("mysite/settings.py", 4, "hardcoded_secret"), "{body}");
    assert!(has(".env", 1, "git_tracked"), "{body}");
    assert!(has(".env", 1, "git_history"), "{body}");
    assert!(
        has("docker-compose.yml", 4, "compose_literal_secret"),
        "{body}"
    );
    // Untracked but not ignored is reported too; ignored and clean is fine.
    git(&repo, &["rm", "-q", "--cached", ".env"]);
    let out = s.kw(&repo).args(["doctor"]).output().unwrap();
    let t = text(&out.stdout);
    assert!(t.contains(".env:1: error[git_not_ignored]"), "{t}");
    assert!(
        t.contains("mysite/settings.py:4: error[hardcoded_secret]"),
        "{t}"
    );
    assert!(t.contains("fix: "), "{t}");
    // A clean directory exits 0.
    let clean = s.dir("clean");
    std::fs::create_dir_all(&clean).unwrap();
    std::fs::write(
        clean.join("settings.py"),
        "import os\nSECRET_KEY = os.environ['SECRET_KEY']\n",
    )
    .unwrap();
    let out = s.kw(&clean).args(["doctor", "--no-git"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn dev_on_a_busy_port_creates_and_prints_nothing_and_fails() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let cwd = tempfile::tempdir().unwrap();
    let out = bare()
        .current_dir(cwd.path())
        .args(["dev", "--listen", &format!("127.0.0.1:{port}")])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "exit {:?}: {err}", out.status);
    assert!(
        text(&out.stdout).is_empty(),
        "exports printed: {}",
        text(&out.stdout)
    );
    assert!(
        !cwd.path().join(".keyward").exists(),
        ".keyward created: {err}"
    );
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("--listen"),
        "{err}"
    );
}

#[test]
fn installed_hook_runs_this_binary_when_keyward_is_not_on_path() {
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(repo.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .output()
            .unwrap();
        (out.status.code(), text(&out.stderr))
    };
    assert_eq!(git(&["init", "-q"]).0, Some(0));
    let out = bare()
        .args(["scan", "--install-hook"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let hook = std::fs::read_to_string(repo.path().join(".git/hooks/pre-commit")).unwrap();
    assert!(
        hook.contains(&bin()),
        "absolute path not in the hook:\n{hook}"
    );
    assert!(text(&out.stderr).contains(&bin()), "{}", text(&out.stderr));
    // A clean commit passes, with no keyward on PATH.
    std::fs::write(repo.path().join("a.txt"), "hello\n").unwrap();
    git(&["add", "a.txt"]);
    let (code, err) = git(&["commit", "-qm", "clean"]);
    assert_eq!(code, Some(0), "{err}");
    // A commit adding a secret is blocked by the scan, not by `keyward: not found`.
    std::fs::write(
        repo.path().join("leak.py"),
        "AWS_SECRET_ACCESS_KEY = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9qLp2vXk\"\nKEY_ID = \"AKIAZ7Q4M2X9LPR3VW6T\"\n",
    )
    .unwrap();
    git(&["add", "leak.py"]);
    let (code, err) = git(&["commit", "-qm", "leak"]);
    assert_ne!(code, Some(0), "the leak was committed: {err}");
    assert!(!err.contains("not found"), "{err}");
    assert!(err.contains("leak.py"), "{err}");
}

#[test]
fn get_of_a_missing_secret_hints_once_and_help_shows_put_with_stdin() {
    let s = Server::start();
    let out = s
        .kw(s.tmp.path())
        .args(["get", "/nope/missing"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("keyward ls").count(), 1, "{err}");
    let help = text(&bare().arg("--help").output().unwrap().stdout);
    assert!(
        help.contains("keyward put /myapp/prod/database_url --stdin"),
        "{help}"
    );
    assert!(!help.contains("'postgres://...'"), "{help}");
}
