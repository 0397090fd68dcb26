//! A real `keyward serve` on a free port, and the CLI pointed at it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_keyward");

/// The binary under test: `KEYWARD_TEST_BIN` when set (to show a regression test
/// fails against an older build), else the one cargo built.
pub fn bin() -> String {
    std::env::var("KEYWARD_TEST_BIN").unwrap_or_else(|_| BIN.to_string())
}

/// Variables from the developer's shell that would change what keyward does.
const SCRUB: &[&str] = &[
    "KEYWARD_ENV",
    "KEYWARD_CONFIG",
    "KEYWARD_ADDR",
    "KEYWARD_ACCESS_KEY_ID",
    "KEYWARD_SECRET_ACCESS_KEY",
    "KEYWARD_LOG",
    "KEYWARD_ROOT_KEY",
    "KEYWARD_ROOT_KEY_FILE",
    "KEYWARD_PASSPHRASE",
    "KEYWARD_DATA_DIR",
];

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("ephemeral port")
        .port()
}

pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `keyward` command with nothing inherited from the developer's keyward setup.
pub fn bare() -> Command {
    let mut c = Command::new(bin());
    for k in SCRUB {
        c.env_remove(k);
    }
    c
}

#[derive(Debug)]
pub struct Server {
    pub tmp: tempfile::TempDir,
    pub addr: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    child: Option<Child>,
}

impl Server {
    pub fn start() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        let out = bare()
            .args(["init", "--data-dir"])
            .arg(&data)
            .arg("--json")
            .output()
            .expect("keyward init");
        assert!(
            out.status.success(),
            "init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("init json");
        let port = free_port();
        let log = std::fs::File::create(tmp.path().join("server.log")).expect("log");
        let child = bare()
            .args(["serve", "--data-dir"])
            .arg(&data)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("KEYWARD_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("keyward serve");
        let addr = format!("http://127.0.0.1:{port}");
        let s = Self {
            tmp,
            addr: addr.clone(),
            access_key_id: v["access_key_id"].as_str().expect("id").into(),
            secret_access_key: v["secret_access_key"].as_str().expect("secret").into(),
            child: Some(child),
        };
        let http = reqwest::blocking::Client::new();
        wait_for("server health", Duration::from_secs(60), || {
            http.get(format!("{addr}/v1/sys/health"))
                .send()
                .ok()
                .filter(|r| r.status().is_success())
        });
        std::fs::create_dir_all(s.dir("cache")).expect("cache dir");
        s
    }

    /// A path inside this server's temp directory.
    pub fn dir(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// The CLI, logged in to this server, run in `cwd`.
    pub fn kw(&self, cwd: &Path) -> Command {
        let mut c = bare();
        c.current_dir(cwd)
            .env("KEYWARD_ADDR", &self.addr)
            .env("KEYWARD_ACCESS_KEY_ID", &self.access_key_id)
            .env("KEYWARD_SECRET_ACCESS_KEY", &self.secret_access_key)
            .env("XDG_CACHE_HOME", self.dir("cache"));
        c
    }

    pub fn put(&self, name: &str, value: &str) {
        let out = self
            .kw(self.tmp.path())
            .args(["put", name, "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().expect("stdin").write_all(value.as_bytes())?;
                c.wait_with_output()
            })
            .expect("keyward put");
        assert!(
            out.status.success(),
            "put {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn get(&self, name: &str) -> String {
        let out = self
            .kw(self.tmp.path())
            .args(["get", name])
            .output()
            .expect("get");
        assert!(
            out.status.success(),
            "get {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf8")
            .trim_end_matches('\n')
            .to_owned()
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `env`-style output as a map.
pub fn env_map(out: &Output) -> BTreeMap<String, String> {
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A work directory holding `keyward.toml` with `toml`.
pub fn project(s: &Server, toml: &str) -> PathBuf {
    let dir = s.tmp.path().join(format!("proj-{}", uuid_like()));
    std::fs::create_dir_all(&dir).expect("project dir");
    std::fs::write(dir.join("keyward.toml"), toml).expect("keyward.toml");
    dir
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::SeqCst).to_string()
}

/// The Django keyward.toml from the issue, plus `extra`.
pub fn django_toml(app: &str, extra: &str) -> String {
    format!(
        r#"app = "{app}"
environments = ["development", "production"]

[vars.SECRET_KEY]
description = "Django's signing key"
secret = true
required_in = ["production"]
dev_default = "dev-only-insecure-key-for-local-development-not-for-prod"
source = "/{{app}}/{{env}}/secret_key"
rules = ["django-secret-key"]
{extra}"#
    )
}

/// Sends `sig` (e.g. "TERM") to `pid` with kill(1).
pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// Waits for a child with a deadline, killing it on timeout.
pub fn wait_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
