//! Helpers shared by keyward's integration tests: a real `keyward serve` process on
//! a free port over a fresh data directory, the CLI pointed at it, and a signed
//! HTTP client for the native API.
//!
//! Everything is cleaned up on drop: the server is killed and waited for, and the
//! temporary directories are removed.
#![allow(dead_code)]

pub mod aws;

use serde_json::{Value, json};
use std::fs::OpenOptions;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_keyward");

/// The binary to run: `KEYWARD_TEST_BIN` when set (to show that a regression test
/// fails against an older build), else the one cargo just built.
pub fn bin() -> String {
    std::env::var("KEYWARD_TEST_BIN").unwrap_or_else(|_| BIN.to_string())
}

/// How long a server may take to come up (debug builds on a shared, busy machine).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A port nobody is listening on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// Seconds since the epoch, as bearer tokens use.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// A bearer token for `id`/`secret` made now.
pub fn token(id: &str, secret: &str) -> String {
    keyward_crypto::bearer::make_token(id, secret, now())
}

/// Polls `f` until it returns `Some`, or panics with `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Options for `keyward init`.
#[derive(Debug, Clone, Default)]
pub struct InitOpts {
    pub admin: Option<(String, String)>,
    pub account_id: Option<String>,
    pub region: Option<String>,
}

/// Options for `keyward serve`.
#[derive(Debug, Clone, Default)]
pub struct ServeOpts {
    /// Extra arguments after `serve --data-dir D --listen A`.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// The server serves HTTPS (its `args` name the certificate) under a
    /// certificate this CA (PEM file) signed: the harness's client and the CLI
    /// trust it and use https:// addresses.
    pub tls_ca: Option<PathBuf>,
}

/// How a native API request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No Authorization header.
    None,
    /// The admin's key.
    Admin,
    /// A token made from this key id and secret, now.
    Key(String, String),
    /// This exact Authorization header value.
    Header(String),
}

/// A response from the native API.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub text: String,
    pub json: Value,
}

impl Resp {
    /// The native error code, if any.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_default()
    }
    pub fn message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or_default()
    }
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected response: {}", self.text);
        self
    }
}

/// A running `keyward serve` on a temporary data directory.
#[derive(Debug)]
pub struct TestServer {
    /// Holds the data directory (removed on drop).
    _data: tempfile::TempDir,
    /// Holds the captured stdout/stderr files.
    _logs: tempfile::TempDir,
    pub data_dir: PathBuf,
    pub port: u16,
    pub addr: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// What `init --json` printed.
    pub init_json: Value,
    pub stdout_path: PathBuf,
    pub stderr_path: PathBuf,
    pub serve_opts: ServeOpts,
    child: Option<Child>,
    http: reqwest::blocking::Client,
}

impl TestServer {
    /// `keyward init --data-dir <tmp> --json`, then `keyward serve` on a free port.
    pub fn start() -> Self {
        Self::start_with(InitOpts::default(), ServeOpts::default())
    }

    pub fn start_with(init: InitOpts, serve: ServeOpts) -> Self {
        let mut s = Self::init_only(init);
        if let Some(ca) = &serve.tls_ca {
            s.use_tls(ca);
        }
        s.serve_opts = serve;
        s.spawn();
        s.wait_healthy();
        s
    }

    /// Initialises a data directory without starting the server.
    pub fn init_only(init: InitOpts) -> Self {
        Self::init_only_with_args(init, &[])
    }

    /// [`TestServer::init_only`] with more `keyward init` arguments (e.g.
    /// `--key-shares 5 --key-threshold 3`).
    pub fn init_only_with_args(init: InitOpts, extra: &[&str]) -> Self {
        let data = tempfile::tempdir().expect("tempdir");
        let logs = tempfile::tempdir().expect("tempdir");
        let data_dir = data.path().join("data");
        let mut args: Vec<String> = vec![
            "init".into(),
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--json".into(),
        ];
        if let Some((id, secret)) = &init.admin {
            args.extend([
                "--admin-access-key-id".into(),
                id.clone(),
                "--admin-secret-access-key".into(),
                secret.clone(),
            ]);
        }
        if let Some(a) = &init.account_id {
            args.extend(["--account-id".into(), a.clone()]);
        }
        if let Some(r) = &init.region {
            args.extend(["--region".into(), r.clone()]);
        }
        args.extend(extra.iter().map(|a| a.to_string()));
        let out = bare_command()
            .args(&args)
            .output()
            .expect("run keyward init");
        assert!(
            out.status.success(),
            "keyward init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let init_json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "init --json printed non-JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        let access_key_id = init_json["access_key_id"]
            .as_str()
            .expect("init --json has access_key_id")
            .to_string();
        let secret_access_key = init_json["secret_access_key"]
            .as_str()
            .expect("init --json has secret_access_key")
            .to_string();
        let port = free_port();
        Self {
            stdout_path: logs.path().join("stdout.log"),
            stderr_path: logs.path().join("stderr.log"),
            _data: data,
            _logs: logs,
            data_dir,
            port,
            addr: format!("http://127.0.0.1:{port}"),
            access_key_id,
            secret_access_key,
            init_json,
            serve_opts: ServeOpts::default(),
            child: None,
            // No idle pooled connections: a test that counts the server's
            // connections must not find one of the harness's own holding a slot.
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .pool_max_idle_per_host(0)
                .build()
                .expect("http client"),
        }
    }

    /// Talks HTTPS to the server from now on, trusting the CA certificate `ca`.
    pub fn use_tls(&mut self, ca: &Path) {
        let pem = std::fs::read(ca).expect("read the CA certificate");
        self.addr = format!("https://127.0.0.1:{}", self.port);
        self.http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(0)
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM CA"))
            .build()
            .expect("http client");
        self.serve_opts.tls_ca = Some(ca.to_path_buf());
    }

    /// The `keyward serve` command for this server (not yet spawned), output
    /// appended to the captured log files.
    pub fn serve_command(&self) -> Command {
        let mut c = bare_command();
        c.arg("serve")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .args(&self.serve_opts.args)
            .env("KEYWARD_LOG", "trace");
        for (k, v) in &self.serve_opts.env {
            c.env(k, v);
        }
        let open = |p: &Path| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .expect("open log file")
        };
        c.stdin(Stdio::null())
            .stdout(Stdio::from(open(&self.stdout_path)))
            .stderr(Stdio::from(open(&self.stderr_path)));
        c
    }

    /// The running server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// Spawns the server process (does not wait for it).
    pub fn spawn(&mut self) {
        assert!(self.child.is_none(), "server already running");
        self.child = Some(self.serve_command().spawn().expect("spawn keyward serve"));
    }

    /// Waits until `/v1/sys/health` answers with `status`, failing early if the
    /// process exits.
    pub fn wait_health(&mut self, status: u16) {
        let url = format!("{}/v1/sys/health", self.addr);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(code)) = child.try_wait()
            {
                panic!(
                    "keyward serve exited early with {code}; stderr:\n{}",
                    self.stderr()
                );
            }
            if let Ok(r) = self.http.get(&url).send()
                && r.status().as_u16() == status
            {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "keyward serve did not answer health {status} within {START_TIMEOUT:?}; stderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_healthy(&mut self) {
        self.wait_health(200);
    }

    /// Kills the server and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops, then starts again on the same data directory and port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
        self.wait_healthy();
    }

    /// Waits for the spawned process to exit on its own (e.g. a refused start).
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let child = self.child.as_mut().expect("server spawned");
        let status = wait_for("keyward serve to exit", timeout, || {
            child.try_wait().ok().flatten()
        });
        self.child = None;
        status
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout_path).unwrap_or_default()
    }
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("keyward.db")
    }

    /// The root key, as `init` wrote it.
    pub fn root_key(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("root.key"))
            .expect("read root.key")
            .trim()
            .to_string()
    }

    // ---------------------------------------------------------------- CLI

    /// Runs the CLI as the admin against this server.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_as(&self.access_key_id, &self.secret_access_key, args)
    }

    /// Runs the CLI with the given credentials against this server.
    pub fn cli_as(&self, id: &str, secret: &str, args: &[&str]) -> Output {
        self.cli_command(id, secret)
            .args(args)
            .output()
            .expect("run keyward")
    }

    /// The CLI command with this server's address and the given credentials.
    pub fn cli_command(&self, id: &str, secret: &str) -> Command {
        let mut c = bare_command();
        c.env("KEYWARD_ADDR", &self.addr)
            .env("KEYWARD_ACCESS_KEY_ID", id)
            .env("KEYWARD_SECRET_ACCESS_KEY", secret)
            .stdin(Stdio::null());
        if let Some(ca) = &self.serve_opts.tls_ca {
            c.env("KEYWARD_CACERT", ca);
        }
        c
    }

    /// Runs the CLI as the admin and asserts it succeeded; returns stdout.
    #[track_caller]
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "keyward {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    // ---------------------------------------------------------------- HTTP

    /// One native API request. `body` is sent as-is with a JSON content type.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        auth: &Auth,
        body: Option<Vec<u8>>,
        user_agent: Option<&str>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = self.http.request(method, format!("{}{path}", self.addr));
        let header = match auth {
            Auth::None => None,
            Auth::Admin => Some(format!(
                "Bearer {}",
                token(&self.access_key_id, &self.secret_access_key)
            )),
            Auth::Key(id, secret) => Some(format!("Bearer {}", token(id, secret))),
            Auth::Header(h) => Some(h.clone()),
        };
        if let Some(h) = header {
            rb = rb.header("authorization", h);
        }
        if let Some(ua) = user_agent {
            rb = rb.header("user-agent", ua);
        }
        if let Some(b) = body {
            rb = rb.header("content-type", "application/json").body(b);
        }
        let r = rb.send().expect("send request");
        let status = r.status().as_u16();
        let text = r.text().expect("read body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, text, json }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &Auth::Admin, None, None)
    }
    pub fn delete(&self, path: &str) -> Resp {
        self.request("DELETE", path, &Auth::Admin, None, None)
    }
    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.request(
            "POST",
            path,
            &Auth::Admin,
            Some(body.to_string().into_bytes()),
            None,
        )
    }
    pub fn put(&self, path: &str, body: &Value) -> Resp {
        self.request(
            "PUT",
            path,
            &Auth::Admin,
            Some(body.to_string().into_bytes()),
            None,
        )
    }

    /// `/v1/secrets/<encoded name>`.
    pub fn secret_path(name: &str) -> String {
        format!("/v1/secrets/{}", keyward_client::encode_name(name))
    }

    /// Stores `value` under `name` as the admin; returns the response JSON.
    #[track_caller]
    pub fn put_secret(&self, name: &str, value: &str) -> Value {
        let r = self.put(&Self::secret_path(name), &json!({ "value": value }));
        assert!(r.status == 200 || r.status == 201, "put {name}: {}", r.text);
        r.json
    }

    /// Creates a principal (admin) and returns its key id and secret.
    #[track_caller]
    pub fn create_principal(&self, name: &str, tags: &[(&str, &str)]) -> (String, String) {
        let tags: Vec<Value> = tags
            .iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
        let r = self
            .post("/v1/principals", &json!({"name": name, "tags": tags}))
            .expect(201);
        (
            r.json["access_key_id"]
                .as_str()
                .expect("key id")
                .to_string(),
            r.json["secret_access_key"]
                .as_str()
                .expect("secret")
                .to_string(),
        )
    }

    /// Stores a policy and attaches it to `principal` (admin).
    #[track_caller]
    pub fn grant(&self, principal: &str, policy: &str, doc: &Value) {
        self.put(
            &format!("/v1/policies/{}", keyward_client::encode_name(policy)),
            doc,
        )
        .expect(200);
        self.put(
            &format!(
                "/v1/principals/{}/policies/{}",
                keyward_client::encode_name(principal),
                keyward_client::encode_name(policy)
            ),
            &json!({}),
        )
        .expect(200);
    }

    /// Audit records, newest first (admin).
    #[track_caller]
    pub fn audit(&self, query: &str) -> Vec<Value> {
        let r = self
            .get(&format!("/v1/audit?limit=10000{query}"))
            .expect(200);
        r.json["records"].as_array().cloned().unwrap_or_default()
    }

    /// Every audit record, oldest first, however many there are: pages through
    /// the log with `after_seq` (one page holds at most 10,000 records). Each
    /// lookup is itself audited, so the log grows while it is read: a short page
    /// ends the listing, not an empty one.
    pub fn audit_all(&self) -> Vec<Value> {
        const PAGE: usize = 10_000;
        let mut all = Vec::new();
        let mut after = 0i64;
        loop {
            let page = self
                .get(&format!("/v1/audit?limit={PAGE}&after_seq={after}"))
                .expect(200)
                .json["records"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let full = page.len() == PAGE;
            if let Some(last) = page.last() {
                after = last["seq"].as_i64().expect("audit records carry their seq");
            }
            all.extend(page);
            if !full {
                return all;
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The binary with none of the ambient keyward/AWS variables inherited.
pub fn bare_command() -> Command {
    let mut c = Command::new(bin());
    for k in [
        "KEYWARD_ADDR",
        "KEYWARD_ACCESS_KEY_ID",
        "KEYWARD_SECRET_ACCESS_KEY",
        "KEYWARD_ROOT_KEY",
        "KEYWARD_ROOT_KEY_FILE",
        "KEYWARD_PASSPHRASE",
        "KEYWARD_DATA_DIR",
        "KEYWARD_LISTEN",
        "KEYWARD_CACERT",
        "KEYWARD_SESSION_TOKEN",
        "KEYWARD_TLS_CERT",
        "KEYWARD_TLS_KEY",
        "KEYWARD_INSECURE_NO_TLS",
        "KEYWARD_LOG",
        "KEYWARD_LOG_FORMAT",
        "KEYWARD_SERVER_CONFIG",
        "KEYWARD_MAX_BODY_BYTES",
        "KEYWARD_AUDIT_MIRROR",
    ] {
        c.env_remove(k);
    }
    c
}

/// An IAM policy document allowing `actions` on every resource.
pub fn allow(actions: &[&str]) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
}

/// Asserts a command failed; returns its stderr.
#[track_caller]
pub fn assert_failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected failure, got success; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}
