//! `keyward run`: injection and precedence, refusal, exit codes, signals, --redact,
//! --path.

use super::harness::*;
use std::process::Stdio;
use std::time::Duration;

const PRECEDENCE_TOML: &str = r#"app = "prec"
environments = ["development", "production"]

[vars.FROM_STORE]
source = "/{app}/{env}/from_store"
[vars.ENV_BEATS_STORE]
source = "/{app}/{env}/env_beats_store"
[vars.FILE_BEATS_STORE]
source = "/{app}/{env}/file_beats_store"
[vars.STORE_BEATS_DOTENV]
source = "/{app}/{env}/store_beats_dotenv"
[vars.DOTENV_ONLY]
[vars.FIRST_DOTENV_WINS]
[vars.JSON_FIELD]
source = "/{app}/{env}/db"
field = "password"
[vars.DEV_DEFAULT]
dev_default = "dev-fallback"
[vars.DOTENV_BEATS_DEFAULT]
dev_default = "default-loses"
"#;

#[test]
fn run_injects_store_dotenv_and_file_values_with_the_documented_precedence() {
    let s = Server::start();
    for (k, v) in [
        ("from_store", "store-value"),
        ("env_beats_store", "store-loses-to-env"),
        ("file_beats_store", "store-loses-to-file"),
        ("store_beats_dotenv", "store-wins"),
    ] {
        s.put(&format!("/prec/development/{k}"), v);
    }
    s.put(
        "/prec/development/db",
        r#"{"password":"pw-from-json","user":"u"}"#,
    );
    let dir = project(&s, PRECEDENCE_TOML);
    std::fs::write(
        dir.join(".env"),
        "STORE_BEATS_DOTENV=dotenv-loses\nDOTENV_ONLY='from dotenv'\nFIRST_DOTENV_WINS=first\nDOTENV_BEATS_DEFAULT=dotenv-wins\n",
    )
    .unwrap();
    std::fs::write(dir.join(".env.local"), "FIRST_DOTENV_WINS=second\n").unwrap();
    std::fs::write(dir.join("file_secret"), "from-file\n").unwrap();
    let out = s
        .kw(&dir)
        .args([
            "run",
            "--env-file",
            ".env",
            "--env-file",
            ".env.local",
            "--",
            "env",
        ])
        .env("ENV_BEATS_STORE", "from-env")
        .env("FILE_BEATS_STORE_FILE", dir.join("file_secret"))
        .output()
        .unwrap();
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let env = env_map(&out);
    let want = [
        ("FROM_STORE", "store-value"),
        ("ENV_BEATS_STORE", "from-env"),
        ("FILE_BEATS_STORE", "from-file"),
        ("STORE_BEATS_DOTENV", "store-wins"),
        ("DOTENV_ONLY", "from dotenv"),
        ("FIRST_DOTENV_WINS", "first"),
        ("JSON_FIELD", "pw-from-json"),
        ("DEV_DEFAULT", "dev-fallback"),
        ("DOTENV_BEATS_DEFAULT", "dotenv-wins"),
    ];
    for (k, v) in want {
        assert_eq!(env.get(k).map(String::as_str), Some(v), "{k}");
    }
    // The child still sees keyward's own environment.
    assert!(env.contains_key("PATH"));
}

#[test]
fn run_refuses_with_every_problem_and_exit_78_without_showing_values() {
    let s = Server::start();
    let toml = django_toml(
        "refuse",
        r#"
[vars.API_TOKEN]
secret = true
required = true
rules = ["strong-secret"]
[vars.PORT]
type = "port"
[vars.DATABASE_URL]
required_in = ["production"]
source = "/{app}/{env}/database_url"
"#,
    );
    let dir = project(&s, &toml);
    let marker = dir.join("started");
    let out = s
        .kw(&dir)
        .args(["run", "--env", "production", "--", "touch"])
        .arg(&marker)
        .env("API_TOKEN", "changeme-zq")
        .env("PORT", "notaport-77")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "stderr: {err}");
    assert!(!marker.exists(), "the command must not start");
    for needle in [
        "SECRET_KEY environment variable must be set",
        "keyward gen --format django --put /refuse/production/secret_key",
        "API_TOKEN",
        "PORT",
        "DATABASE_URL",
        "keyward check --env production",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    for value in ["changeme-zq", "notaport-77"] {
        assert!(
            !err.contains(value) && !text(&out.stdout).contains(value),
            "value leaked:\n{err}"
        );
    }
    // KEYWARD_ENV picks the environment too; development falls back to dev_default.
    let out = s
        .kw(&dir)
        .args(["run", "--", "sh", "-c", "printf %s \"$SECRET_KEY\""])
        .env("KEYWARD_ENV", "development")
        .env("API_TOKEN", "Zq8v-long-random-token-4f9b1c2e7a6d5e3f")
        .output()
        .unwrap();
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "dev-only-insecure-key-for-local-development-not-for-prod"
    );
}

#[test]
fn run_without_store_credentials_reports_a_problem_not_a_crash() {
    let s = Server::start();
    let dir = project(&s, &django_toml("nostore", ""));
    let out = bare()
        .current_dir(&dir)
        .args(["run", "--env", "production", "--", "true"])
        .env("XDG_CACHE_HOME", s.dir("cache"))
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains("SECRET_KEY") && err.contains("KEYWARD_ACCESS_KEY_ID"),
        "{err}"
    );
    // A missing keyward.toml is a clear configuration error too.
    let out = s
        .kw(s.tmp.path())
        .args(["run", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(text(&out.stderr).contains("keyward.toml does not exist"));
}

#[test]
fn run_passes_the_exit_code_through() {
    let s = Server::start();
    let dir = project(&s, &django_toml("codes", ""));
    for (script, code) in [
        ("exit 0", 0),
        ("exit 3", 3),
        ("exit 42", 42),
        ("kill -KILL $$", 137),
    ] {
        let out = s
            .kw(&dir)
            .args(["run", "--", "sh", "-c", script])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{script}: {}",
            text(&out.stderr)
        );
    }
    let out = s
        .kw(&dir)
        .args(["run", "--", "/nonexistent/cmd"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
}

#[test]
fn run_forwards_signals_and_reports_them() {
    let s = Server::start();
    let dir = project(&s, &django_toml("sigs", ""));
    for (sig, script, want) in [
        ("TERM", "trap 'echo got-TERM > caught; exit 7' TERM", 7),
        ("HUP", "trap 'echo got-HUP > caught; exit 9' HUP", 9),
        ("INT", "trap 'echo got-INT > caught; exit 11' INT", 11),
    ] {
        let _ = std::fs::remove_file(dir.join("caught"));
        let _ = std::fs::remove_file(dir.join("ready"));
        let full = format!("{script}; touch ready; while true; do sleep 0.05; done");
        let mut child = s
            .kw(&dir)
            .args(["run", "--", "sh", "-c", &full])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for("child ready", Duration::from_secs(20), || {
            dir.join("ready").exists().then_some(())
        });
        signal(child.id(), sig);
        let status = wait_timeout(&mut child, Duration::from_secs(20));
        assert_eq!(status.code(), Some(want), "{sig}");
        let caught = std::fs::read_to_string(dir.join("caught")).unwrap();
        assert_eq!(caught.trim(), format!("got-{sig}"));
    }
    // A child that does not trap TERM dies of it: 128 + 15.
    let _ = std::fs::remove_file(dir.join("ready"));
    let mut child = s
        .kw(&dir)
        .args(["run", "--", "sh", "-c", "touch ready; exec sleep 100"])
        .spawn()
        .unwrap();
    wait_for("child ready", Duration::from_secs(20), || {
        dir.join("ready").exists().then_some(())
    });
    std::thread::sleep(Duration::from_millis(100));
    signal(child.id(), "TERM");
    assert_eq!(
        wait_timeout(&mut child, Duration::from_secs(20)).code(),
        Some(143)
    );
}

#[test]
fn redact_masks_values_split_across_writes() {
    let s = Server::start();
    let secret = "Sup3r-Secret-Value-9f8e7d6c";
    s.put("/redact/development/secret_key", secret);
    let dir = project(
        &s,
        &django_toml("redact", "[vars.DEBUG]\ndev_default = \"True\"\n"),
    );
    let script = "printf 'key=Sup3r-Se'; sleep 0.2; printf 'cret-Val'; sleep 0.2; \
                  printf 'ue-9f8e7d6c done\\n'; printf 'err Sup3r-Secret-Value-9f8e7d6c\\n' >&2; \
                  printf 'debug=%s\\n' \"$DEBUG\"; printf 'tail Sup3r'";
    let out = s
        .kw(&dir)
        .args(["run", "--redact", "--", "sh", "-c", script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (o, e) = (text(&out.stdout), text(&out.stderr));
    assert!(o.contains("key=[REDACTED] done"), "stdout: {o}");
    assert!(e.contains("err [REDACTED]"), "stderr: {e}");
    assert!(!o.contains("Sup3r-Se") && !e.contains("Sup3r-Se"));
    // Non-secret values are left alone; a trailing partial prefix is released at exit.
    assert!(o.contains("debug=True"), "stdout: {o}");
    assert!(o.ends_with("tail Sup3r"), "stdout: {o}");
}

#[test]
fn path_mode_injects_every_secret_under_a_prefix() {
    let s = Server::start();
    s.put("/pm/prod/database_url", "postgres://u:p@db/x");
    s.put("/pm/prod/api-key.v2", "k-123456");
    s.put("/pm/prod/nested/deep_one", "deep");
    s.put("/pm/other/not_this", "nope");
    let dir = s.dir("nocfg");
    std::fs::create_dir_all(&dir).unwrap();
    let out = s
        .kw(&dir)
        .args(["run", "--path", "/pm/prod/", "--", "env"])
        .env("DEEP_ONE", "exported-wins")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let env = env_map(&out);
    assert_eq!(env["DATABASE_URL"], "postgres://u:p@db/x");
    assert_eq!(env["API_KEY_V2"], "k-123456");
    assert_eq!(env["DEEP_ONE"], "exported-wins");
    assert!(!env.contains_key("NOT_THIS"));
}
