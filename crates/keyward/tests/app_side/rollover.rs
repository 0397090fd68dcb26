//! `previous_as` through `keyward run`: the previous version is exported as a JSON
//! list, masked by `--redact`, and kept in the offline snapshot; `--watch` restarts
//! the command when the rotation engine (not only a put) makes a new version current.

use super::harness::*;
use std::process::Stdio;
use std::time::Duration;

const V1: &str = "Xk9#mP2$vL7@qR4!nT8^wZ3&yB6*cF1(hJ5)dG0-sA_e=u+iOp";
const V2: &str = "q8#Zr2!vLx0@pT9^mW4&nB7*cK1(eJ6-hF3_sD5=gA+yU%iO)tE";

fn rollover_toml() -> String {
    django_toml("roll", "").replace(
        "rules = [\"django-secret-key\"]",
        "rules = [\"django-secret-key\"]\nprevious_as = \"SECRET_KEY_FALLBACKS\"",
    )
}

fn fallbacks(out: &std::process::Output) -> Vec<String> {
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_str(&text(&out.stdout)).expect("a JSON list")
}

#[test]
fn run_exports_the_previous_version_and_keeps_it_offline() {
    let mut s = Server::start();
    let dir = project(&s, &rollover_toml());
    let print = ["sh", "-c", "printf %s \"$SECRET_KEY_FALLBACKS\""];
    let run = |s: &Server, extra: &[&str]| {
        s.kw(&dir)
            .args(["run", "--env", "production"])
            .args(extra)
            .arg("--")
            .args(print)
            .output()
            .unwrap()
    };

    s.put("/roll/production/secret_key", V1);
    assert!(
        fallbacks(&run(&s, &[])).is_empty(),
        "one version: nothing to fall back to"
    );

    s.put("/roll/production/secret_key", V2);
    assert_eq!(fallbacks(&run(&s, &["--offline-cache"])), [V1]);

    let redacted = run(&s, &["--redact"]);
    assert!(redacted.status.success(), "{}", text(&redacted.stderr));
    assert!(
        !text(&redacted.stdout).contains(V1),
        "--redact masks the previous value too: {}",
        text(&redacted.stdout)
    );

    s.stop();
    let offline = run(&s, &["--offline-cache"]);
    assert!(text(&offline.stderr).contains("OFFLINE SNAPSHOT"));
    assert_eq!(
        fallbacks(&offline),
        [V1],
        "the snapshot keeps the previous version"
    );
}

/// What the watched command wrote: its SECRET_KEY and SECRET_KEY_FALLBACKS.
fn seen(dir: &std::path::Path) -> Option<(String, Vec<String>)> {
    let text = std::fs::read_to_string(dir.join("seen")).ok()?;
    let (key, fallbacks) = text.split_once('\n')?;
    Some((key.to_owned(), serde_json::from_str(fallbacks).ok()?))
}

#[test]
fn watch_restarts_the_app_after_an_engine_rotation_with_the_old_key_as_fallback() {
    let s = Server::start();
    let name = "/roll/production/secret_key";
    s.put(name, V1);
    let dir = project(&s, &rollover_toml());
    let kw_ok = |args: &[&str]| {
        let out = s.kw(&dir).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    };
    kw_ok(&[
        "rotation",
        "set",
        name,
        "--rotator",
        "generated",
        "--format",
        "django",
    ]);
    let script = "printf '%s\\n%s' \"$SECRET_KEY\" \"$SECRET_KEY_FALLBACKS\" > seen.tmp \
                  && mv seen.tmp seen; exec sleep 1000";
    let mut child = s
        .kw(&dir)
        .args(["run", "--env", "production", "--watch", "--"])
        .args(["sh", "-c", script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let wait_seen = |key: &str, fallbacks: &[&str]| {
        wait_for(
            "the command to run with the new key",
            Duration::from_secs(20),
            || {
                let (k, f) = seen(&dir)?;
                (k == key && f == fallbacks).then_some(())
            },
        )
    };
    wait_seen(V1, &[]);

    // A rotation the engine runs (not a put) restarts the app: the new key is
    // current and the old one still verifies through the fallback list.
    kw_ok(&["rotate", name]);
    let v2 = s.get(name);
    assert_ne!(v2, V1);
    wait_seen(&v2, &[V1]);

    // One more: only the key right before the current one remains a fallback.
    kw_ok(&["rotate", name]);
    let v3 = s.get(name);
    wait_seen(&v3, &[&v2]);

    signal(child.id(), "TERM");
    wait_timeout(&mut child, Duration::from_secs(20));
}
