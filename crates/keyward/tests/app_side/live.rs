//! `--offline-cache` with the server stopped, and `--watch` restart latency.

use super::harness::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn offline_cache_is_used_when_the_server_is_down_and_refused_past_max_age() {
    let mut s = Server::start();
    let key = "Xk9#mP2$vL7@qR4!nT8^wZ3&yB6*cF1(hJ5)dG0-sA_e=u+iOp";
    s.put("/off/production/secret_key", key);
    let dir = project(&s, &django_toml("off", ""));
    let print = ["sh", "-c", "printf %s \"$SECRET_KEY\""];
    let out = s
        .kw(&dir)
        .args(["run", "--env", "production", "--offline-cache", "--"])
        .args(print)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), key);
    // The snapshot: 0600 in a 0700 directory, and the value is not in it in clear.
    use std::os::unix::fs::PermissionsExt;
    let cache = s.dir("cache").join("keyward");
    assert_eq!(
        std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let files: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    assert_eq!(
        files[0].metadata().unwrap().permissions().mode() & 0o777,
        0o600
    );
    let raw = std::fs::read(files[0].path()).unwrap();
    assert!(!raw.windows(10).any(|w| w == &key.as_bytes()[..10]));

    s.stop();
    // Without --offline-cache a production run refuses.
    let out = s
        .kw(&dir)
        .args(["run", "--env", "production", "--"])
        .args(print)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78), "{}", text(&out.stderr));
    // With it, the snapshot is used, loudly.
    let out = s
        .kw(&dir)
        .args(["run", "--env", "production", "--offline-cache", "--"])
        .args(print)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), key);
    assert!(
        text(&out.stderr).contains("OFFLINE SNAPSHOT"),
        "{}",
        text(&out.stderr)
    );
    // Another environment has no snapshot (the file and AAD bind app and env);
    // development still starts on its dev_default, with the warning.
    let out = s
        .kw(&dir)
        .args(["run", "--env", "development", "--offline-cache", "--"])
        .args(print)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("dev-only-insecure"));
    assert!(
        text(&out.stderr).contains("no offline snapshot"),
        "{}",
        text(&out.stderr)
    );
    // Another access key cannot open it.
    let out = s
        .kw(&dir)
        .env("KEYWARD_SECRET_ACCESS_KEY", "a-different-secret-access-key")
        .args([
            "run",
            "--env",
            "production",
            "--offline-cache",
            "--",
            "true",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    // Past --max-age: refused with a clear error.
    std::thread::sleep(Duration::from_millis(1100));
    let out = s
        .kw(&dir)
        .args([
            "run",
            "--env",
            "production",
            "--offline-cache",
            "--max-age",
            "0s",
            "--",
        ])
        .args(print)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = text(&out.stderr);
    assert!(err.contains("older than --max-age"), "{err}");
    assert!(!err.contains(key) && text(&out.stdout).is_empty());
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[test]
fn watch_restarts_the_command_after_a_rotation() {
    let s = Server::start();
    s.put("/w/development/secret_key", "initial-value-0");
    let dir = project(&s, &django_toml("w", ""));
    let script = "printf %s \"$SECRET_KEY\" > seen.tmp && mv seen.tmp seen; exec sleep 1000";
    let mut child = s
        .kw(&dir)
        .args(["run", "--watch", "--", "sh", "-c", script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let seen = dir.join("seen");
    let read = || std::fs::read_to_string(&seen).ok();
    wait_for("first start", Duration::from_secs(20), || {
        (read()? == "initial-value-0").then_some(())
    });
    // An unrelated secret does not restart anything.
    s.put("/w/development/unrelated", "x");
    let mut latencies = Vec::new();
    for i in 1..=20 {
        let value = format!("rotated-value-{i}-{}", "z".repeat(i));
        let t0 = Instant::now();
        s.put("/w/development/secret_key", &value);
        wait_for("restart with the new value", Duration::from_secs(5), || {
            (read()? == value).then_some(())
        });
        latencies.push(t0.elapsed());
    }
    latencies.sort();
    let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
    println!(
        "watch restart latency over 20 rotations (put -> new process has the value): p50 = {p50:?}, p99 = {p99:?}"
    );
    assert!(p99 < Duration::from_secs(5));
    signal(child.id(), "TERM");
    let status = wait_timeout(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(143));
}

#[test]
fn watch_with_signal_sends_it_instead_of_restarting() {
    let s = Server::start();
    s.put("/ws/development/secret_key", "v0");
    let dir = project(&s, &django_toml("ws", ""));
    let script =
        "trap 'echo hup >> hups' HUP; echo $$ > pid; touch ready; while true; do sleep 0.05; done";
    let mut child = s
        .kw(&dir)
        .args([
            "run", "--watch", "--signal", "HUP", "--", "sh", "-c", script,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("ready", Duration::from_secs(20), || {
        dir.join("ready").exists().then_some(())
    });
    let pid = std::fs::read_to_string(dir.join("pid")).unwrap();
    s.put("/ws/development/secret_key", "v1");
    wait_for("HUP", Duration::from_secs(5), || {
        std::fs::read_to_string(dir.join("hups"))
            .ok()
            .filter(|h| h.contains("hup"))
    });
    assert_eq!(
        std::fs::read_to_string(dir.join("pid")).unwrap(),
        pid,
        "not restarted"
    );
    signal(child.id(), "TERM");
    wait_timeout(&mut child, Duration::from_secs(20));
}

/// A wrapper script (as npm or a start script would be) that starts the real
/// server, a grandchild of keyward listening on `port`, and waits for it.
fn write_wrapper(dir: &std::path::Path) {
    std::fs::write(
        dir.join("listener.py"),
        r#"import os, socket, sys, time
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError as e:
    open("bind-failed", "a").write(str(e) + "\n")
    sys.exit(1)
s.listen(8)
open("up.tmp", "w").write(os.environ["SECRET_KEY"] + " " + str(os.getpid()))
os.rename("up.tmp", "up")
time.sleep(1000)
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("server.sh"),
        "#!/bin/sh\npython3 listener.py \"$1\" &\nwait\n",
    )
    .unwrap();
}

/// Whether `pid` is a live (not zombie) process.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, r)| r.split_whitespace().next() != Some("Z"))
        })
        .unwrap_or(false)
}

fn port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// (value, pid) the listener wrote once it held the port.
fn listener_up(dir: &std::path::Path) -> Option<(String, u32)> {
    let s = std::fs::read_to_string(dir.join("up")).ok()?;
    let (v, p) = s.rsplit_once(' ')?;
    Some((v.to_owned(), p.parse().ok()?))
}

#[test]
fn watch_restarts_stop_the_whole_process_group_and_nothing_outlives_keyward() {
    let s = Server::start();
    s.put("/wg/development/secret_key", "group-value-0");
    let dir = project(&s, &django_toml("wg", ""));
    write_wrapper(&dir);
    let port = free_port();
    let mut child = s
        .kw(&dir)
        .args(["run", "--watch", "--grace", "5s", "--", "sh", "server.sh"])
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (_, mut pid) = wait_for("first listener", Duration::from_secs(30), || {
        listener_up(&dir).filter(|(v, _)| v == "group-value-0")
    });
    assert!(!port_free(port), "the grandchild holds the port");
    for i in 1..=3 {
        let value = format!("group-value-{i}");
        s.put("/wg/development/secret_key", &value);
        // The new listener binds the same port: the old one must have let it go.
        let (_, new_pid) = wait_for("restarted listener", Duration::from_secs(30), || {
            listener_up(&dir).filter(|(v, _)| *v == value)
        });
        assert_ne!(new_pid, pid);
        assert!(
            !alive(pid),
            "restart {i}: the old grandchild {pid} survived"
        );
        assert!(
            !dir.join("bind-failed").exists(),
            "restart {i}: port still busy"
        );
        pid = new_pid;
    }
    signal(child.id(), "TERM");
    wait_timeout(&mut child, Duration::from_secs(30));
    assert!(!alive(pid), "the last grandchild {pid} outlived keyward");
    assert!(
        port_free(port),
        "port {port} still held after keyward exited"
    );
}

#[test]
fn a_killed_plain_run_takes_the_commands_children_with_it() {
    let s = Server::start();
    let dir = project(&s, &django_toml("pg", ""));
    write_wrapper(&dir);
    let port = free_port();
    let mut child = s
        .kw(&dir)
        .args(["run", "--", "sh", "server.sh"])
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (_, pid) = wait_for("listener", Duration::from_secs(30), || listener_up(&dir));
    assert!(!port_free(port));
    signal(child.id(), "TERM");
    let status = wait_timeout(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(143));
    assert!(!alive(pid), "the grandchild {pid} outlived keyward");
    assert!(
        port_free(port),
        "port {port} still held after keyward exited"
    );
}

#[test]
fn production_with_the_store_down_starts_on_optional_and_env_file_values_only() {
    let mut s = Server::start();
    let toml = django_toml(
        "down",
        r#"
[vars.SENTRY_DSN]
type = "url"
source = "/{app}/{env}/sentry_dsn"
[vars.CACHE_URL]
required_in = ["production"]
source = "/{app}/{env}/cache_url"
"#,
    );
    let dir = project(&s, &toml);
    std::fs::write(dir.join(".env"), "CACHE_URL=redis://cache:6379/0\n").unwrap();
    s.stop();
    let key = "Xk9#mP2$vL7@qR4!nT8^wZ3&yB6*cF1(hJ5)dG0-sA_e=u+iOp";
    let run = |secret_key: Option<&str>| {
        let mut c = s.kw(&dir);
        c.args([
            "run",
            "--env",
            "production",
            "--env-file",
            ".env",
            "--",
            "sh",
            "-c",
            "printf '%s|%s' \"$CACHE_URL\" \"${SENTRY_DSN-unset}\"",
        ]);
        if let Some(k) = secret_key {
            c.env("SECRET_KEY", k);
        }
        c.output().unwrap()
    };
    // The optional DSN and the --env-file CACHE_URL do not block the start.
    let out = run(Some(key));
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(text(&out.stdout), "redis://cache:6379/0|unset");
    assert!(
        err.contains("SENTRY_DSN") && err.contains("CACHE_URL"),
        "{err}"
    );
    // The required secret still fails closed, reported once.
    let out = run(None);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(err.contains("will not fall back"), "{err}");
    assert!(!err.contains("must be set"), "{err}");
}
