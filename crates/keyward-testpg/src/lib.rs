//! keyward-testpg owns one thing: a throwaway PostgreSQL cluster for tests, started
//! with the machine's own `initdb`/`pg_ctl` in a temporary directory, listening on a
//! free loopback port, logging every statement (`log_statement=all`) to a file the
//! tests can read, and stopped when the [`TestCluster`] is dropped.
//!
//! It must never be a normal dependency of a shipped crate (dev-dependencies only),
//! and it never skips: when PostgreSQL is missing, [`TestCluster::start`] panics with
//! what to install, so a test that needs a real server fails instead of passing
//! without one.
//!
//! As root (CI and the developers' machines), PostgreSQL refuses to run, so the
//! cluster runs as the `postgres` user through `runuser -u postgres --` in a
//! directory that user owns.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use keyward_crypto::generator::{PasswordPolicy, generate_password};
use tokio_postgres::{Client, NoTls};

/// The cluster's superuser, created by `initdb -U`.
pub const SUPERUSER: &str = "postgres";
/// The database every cluster has.
pub const DEFAULT_DB: &str = "postgres";
const HOST: &str = "127.0.0.1";
/// Where Debian/Ubuntu put the server binaries when `pg_config` is not on `PATH`.
const DEBIAN_LIB: &str = "/usr/lib/postgresql";
const INSTALL_HINT: &str = "install PostgreSQL's server (`apt-get install postgresql`; `.ci/run` does this) \
     or point KEYWARD_PG_BINDIR at the directory holding initdb and pg_ctl";

/// A running throwaway cluster. Dropping it stops the server and deletes its files.
#[derive(Debug)]
pub struct TestCluster {
    dir: tempfile::TempDir,
    bindir: PathBuf,
    port: u16,
    superuser_password: String,
    run_as_postgres: bool,
    tls: bool,
}

impl TestCluster {
    /// Creates and starts a cluster. Panics (the test fails) when PostgreSQL is not
    /// installed or will not start, naming the cause and the log.
    pub fn start() -> TestCluster {
        Self::start_inner(false)
    }

    /// A cluster that accepts TCP logins only over TLS (`hostssl`), except the
    /// superuser's (so setup can run without TLS), with a certificate for
    /// `localhost`/`127.0.0.1` issued by a throwaway CA at [`Self::ca_path`].
    pub fn start_with_tls() -> TestCluster {
        Self::start_inner(true)
    }

    fn start_inner(tls: bool) -> TestCluster {
        let bindir = find_bindir();
        let run_as_postgres = rustix::process::geteuid().is_root();
        let dir = tempfile::Builder::new()
            .prefix("keyward-pg-")
            .tempdir_in(std::env::temp_dir())
            .expect("create a temporary directory for the PostgreSQL cluster");
        let superuser_password = random_password();
        let pwfile = dir.path().join("superuser.pw");
        std::fs::write(&pwfile, format!("{superuser_password}\n")).expect("write the pwfile");
        if tls {
            write_tls_files(dir.path());
        }
        if run_as_postgres {
            must(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(dir.path())
                    .output(),
                "chown the cluster directory to postgres",
            );
        }
        let mut cluster = TestCluster {
            dir,
            bindir,
            port: 0,
            superuser_password,
            run_as_postgres,
            tls,
        };
        let data = cluster.data_dir();
        let initdb = cluster.pg_command("initdb", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-U", SUPERUSER, "--no-locale", "-E", "UTF8"])
                .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
                .arg(format!("--pwfile={}", pwfile.display()));
        });
        must(initdb, "initdb");
        std::fs::remove_file(&pwfile).ok();
        if tls {
            std::fs::write(
                data.join("pg_hba.conf"),
                format!(
                    "local all all trust\n\
                     hostnossl all {SUPERUSER} {HOST}/32 scram-sha-256\n\
                     hostssl all all {HOST}/32 scram-sha-256\n"
                ),
            )
            .expect("write pg_hba.conf");
        }

        // The port is picked by binding :0 and released before the server binds it;
        // another process may take it in between, so a failed start is tried again.
        let mut last_error = String::new();
        for _ in 0..3 {
            cluster.port = free_loopback_port();
            match cluster.pg_ctl_start() {
                Ok(()) => return cluster,
                Err(e) => last_error = e,
            }
        }
        panic!(
            "PostgreSQL test cluster did not start: {last_error}\nserver log ({}):\n{}",
            cluster.log_path().display(),
            cluster.statement_log()
        );
    }

    pub fn host(&self) -> &str {
        HOST
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn superuser_password(&self) -> &str {
        &self.superuser_password
    }

    /// The CA certificate (PEM) of a [`Self::start_with_tls`] cluster.
    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The server's log file: every statement (`log_statement=all`), errors, logins.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    /// The log's contents so far (empty if it does not exist yet).
    pub fn statement_log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// A secret value in AWS Secrets Manager's database shape for this cluster.
    pub fn secret_json(&self, username: &str, password: &str, dbname: &str) -> String {
        serde_json::json!({
            "engine": "postgres",
            "host": HOST,
            "port": self.port,
            "dbname": dbname,
            "username": username,
            "password": password,
        })
        .to_string()
    }

    /// The superuser's credentials as an AWS-shaped secret (a rotation master secret).
    pub fn superuser_secret_json(&self) -> String {
        self.secret_json(SUPERUSER, &self.superuser_password, DEFAULT_DB)
    }

    /// Connects as `user` to `dbname` over TCP (so password authentication applies)
    /// and runs `SELECT 1`. The connection task runs on the caller's tokio runtime.
    pub async fn login(
        &self,
        user: &str,
        password: &str,
        dbname: &str,
    ) -> Result<Client, tokio_postgres::Error> {
        let (client, connection) = tokio_postgres::Config::new()
            .host(HOST)
            .port(self.port)
            .user(user)
            .password(password)
            .dbname(dbname)
            .connect_timeout(Duration::from_secs(10))
            .connect(NoTls)
            .await?;
        tokio::spawn(connection);
        client.simple_query("SELECT 1").await?;
        Ok(client)
    }

    /// [`Self::login`] as the superuser.
    pub async fn superuser(&self) -> Client {
        self.login(SUPERUSER, &self.superuser_password, DEFAULT_DB)
            .await
            .expect("log in to the test cluster as its superuser")
    }

    /// Runs SQL as the superuser. Panics on error (tests set up with it).
    pub async fn execute(&self, sql: &str) {
        self.superuser()
            .await
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("test cluster rejected setup SQL: {e}"));
    }

    /// Creates a database owned by the superuser.
    pub async fn create_database(&self, name: &str) {
        self.execute(&format!("CREATE DATABASE {}", quote_ident(name)))
            .await;
    }

    /// Creates a login role whose password is set as a SCRAM-SHA-256 verifier, so the
    /// statement log never holds the cleartext (tests grep the log for it).
    pub async fn create_login_role(&self, name: &str, password: &str) {
        let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
        self.execute(&format!(
            "CREATE ROLE {} LOGIN PASSWORD '{verifier}'",
            quote_ident(name)
        ))
        .await;
    }

    /// Whether `user`/`password` can log in to `dbname`, from blocking code (it runs
    /// its own runtime, so do not call it from inside one).
    pub fn can_login_blocking(&self, user: &str, password: &str, dbname: &str) -> bool {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(async { self.login(user, password, dbname).await.is_ok() })
    }

    /// [`Self::execute`] from blocking code.
    pub fn execute_blocking(&self, sql: &str) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(self.execute(sql));
    }

    /// Runs a query as the superuser from blocking code and returns its rows as
    /// text (NULL as `None`), so tests need no PostgreSQL client of their own.
    pub fn query_blocking(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(async {
                let messages = self
                    .superuser()
                    .await
                    .simple_query(sql)
                    .await
                    .unwrap_or_else(|e| panic!("test cluster rejected a query: {e}"));
                messages
                    .iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                            (0..row.len())
                                .map(|i| row.get(i).map(str::to_owned))
                                .collect(),
                        ),
                        _ => None,
                    })
                    .collect()
            })
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let data = self.data_dir();
        let log = self.log_path();
        // Settings are passed on the command line so the cluster's files stay
        // initdb's defaults; the socket goes into our directory, not /var/run. Small
        // shared buffers and no fsync: a test starts many clusters at once.
        let mut options = format!(
            "-p {} -c listen_addresses={HOST} -k {} -c log_statement=all -c log_connections=on -c fsync=off -c shared_buffers=16MB",
            self.port,
            self.dir.path().display()
        );
        if self.tls {
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={0}/server.pem -c ssl_key_file={0}/server.key",
                self.dir.path().display()
            ));
        }
        let out = self
            .pg_command("pg_ctl", |c| {
                c.arg("-D")
                    .arg(&data)
                    .arg("-l")
                    .arg(&log)
                    .args(["-w", "-t", "60", "-o", &options, "start"]);
            })
            .map_err(|e| format!("pg_ctl could not run: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctl start failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    fn pg_command(
        &self,
        program: &str,
        args: impl FnOnce(&mut Command),
    ) -> std::io::Result<Output> {
        let binary = self.bindir.join(program);
        let mut command = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        args(&mut command);
        command.current_dir(self.dir.path()).output()
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if self.port == 0 {
            return;
        }
        let data = self.data_dir();
        let _ = self.pg_command("pg_ctl", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-m", "immediate", "-w", "stop"]);
        });
    }
}

/// PostgreSQL's `quote_ident` for test setup SQL: always quoted, `"` doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A password for test roles: letters and digits, so it is easy to grep for.
pub fn random_password() -> String {
    let policy = PasswordPolicy {
        length: 32,
        exclude_punctuation: true,
        ..PasswordPolicy::default()
    };
    generate_password(&policy)
        .expect("the default policy generates")
        .expose()
        .to_owned()
}

fn find_bindir() -> PathBuf {
    let has_tools = |p: &Path| p.join("initdb").is_file() && p.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("KEYWARD_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        assert!(
            has_tools(&dir),
            "KEYWARD_PG_BINDIR={} has no initdb/pg_ctl; {INSTALL_HINT}",
            dir.display()
        );
        return dir;
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_tools(&dir) {
            return dir;
        }
    }
    // Newest version first: /usr/lib/postgresql/<major>/bin.
    let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_LIB)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            Some((major, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_tools(bin))
        .collect();
    majors.sort();
    match majors.pop() {
        Some((_, bin)) => bin,
        None => panic!("PostgreSQL's initdb/pg_ctl were not found; {INSTALL_HINT}"),
    }
}

/// A throwaway CA and a server certificate for `localhost` and `127.0.0.1`.
fn write_tls_files(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let generate = || -> Result<(String, String, String), rcgen::Error> {
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.distinguished_name
            .push(DnType::CommonName, "keyward test PostgreSQL CA");
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca, ca_key);
        let server = CertificateParams::new(vec!["localhost".to_owned(), HOST.to_owned()])?;
        let server_key = KeyPair::generate()?;
        let server_cert = server.signed_by(&server_key, &issuer)?;
        Ok((ca_cert.pem(), server_cert.pem(), server_key.serialize_pem()))
    };
    let (ca, cert, key) = generate().expect("generate test certificates");
    std::fs::write(dir.join("ca.pem"), ca).expect("write ca.pem");
    std::fs::write(dir.join("server.pem"), cert).expect("write server.pem");
    let key_path = dir.join("server.key");
    std::fs::write(&key_path, key).expect("write server.key");
    // PostgreSQL refuses a key file others can read.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))
        .expect("chmod server.key");
}

fn free_loopback_port() -> u16 {
    TcpListener::bind((HOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a free loopback port")
}

fn must(result: std::io::Result<Output>, what: &str) {
    match result {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "{what} failed ({}): {}{}\n{INSTALL_HINT}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("{what} could not run: {e}; {INSTALL_HINT}"),
    }
}
