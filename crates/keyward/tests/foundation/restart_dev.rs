//! Data survives restarts; `keyward dev` sets itself up once and prints the same
//! credentials on every start.

use crate::common::{BIN, TestServer, free_port, wait_for};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[test]
fn restart_keeps_everything() {
    let mut srv = TestServer::start();
    srv.put_secret("keep/a", "kept-value-1");
    srv.put_secret("keep/a", "kept-value-2");
    let (id, secret) = srv.create_principal("keeper", &[]);
    srv.grant(
        "keeper",
        "read-keep",
        &crate::common::allow(&["secretsmanager:GetSecretValue"]),
    );
    let audit_before = srv.audit("").len();
    srv.restart();
    assert_eq!(srv.cli_ok(&["get", "keep/a"]), "kept-value-2\n");
    assert_eq!(
        srv.cli_ok(&["get", "keep/a", "--stage", "AWSPREVIOUS"]),
        "kept-value-1\n"
    );
    let out = srv.cli_as(&id, &secret, &["get", "keep/a"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(srv.audit("").len() > audit_before);
    let out = srv.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A `keyward dev` process, killed on drop.
struct Dev {
    child: Child,
    stdout: std::path::PathBuf,
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_dev(cwd: &std::path::Path, logs: &std::path::Path, run: u32) -> (Dev, u16) {
    let port = free_port();
    let stdout = logs.join(format!("dev-{run}.out"));
    let stderr = logs.join(format!("dev-{run}.err"));
    let child = crate::common::bare_command()
        .current_dir(cwd)
        .args(["dev", "--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr).expect("stderr file"))
        .spawn()
        .expect("spawn keyward dev");
    let dev = Dev { child, stdout };
    let http = reqwest::blocking::Client::new();
    wait_for("keyward dev to be healthy", Duration::from_secs(60), || {
        http.get(format!("http://127.0.0.1:{port}/v1/sys/health"))
            .send()
            .ok()
            .filter(|r| r.status().as_u16() == 200)
    });
    (dev, port)
}

/// `export K=V` lines, with the quotes the shell would remove.
fn exports(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

#[test]
fn dev_sets_up_once_and_prints_the_same_credentials() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let logs = tempfile::tempdir().expect("tempdir");
    let (dev, port) = start_dev(cwd.path(), logs.path(), 1);
    let first = exports(&std::fs::read_to_string(&dev.stdout).expect("stdout"));
    for k in [
        "KEYWARD_ADDR",
        "KEYWARD_ACCESS_KEY_ID",
        "KEYWARD_SECRET_ACCESS_KEY",
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
    ] {
        assert!(
            first.get(k).is_some_and(|v| !v.is_empty()),
            "missing export {k}: {first:?}"
        );
    }
    let addr = format!("http://127.0.0.1:{port}");
    assert_eq!(first["KEYWARD_ADDR"], addr);
    assert_eq!(first["AWS_ENDPOINT_URL"], addr);
    assert_eq!(first["AWS_ACCESS_KEY_ID"], first["KEYWARD_ACCESS_KEY_ID"]);
    assert_eq!(
        first["AWS_SECRET_ACCESS_KEY"],
        first["KEYWARD_SECRET_ACCESS_KEY"]
    );
    assert_eq!(first["AWS_REGION"], "us-east-1");

    // .keyward/ holds the data and a root key only its owner can read.
    let dir = cwd.path().join(".keyward");
    assert!(dir.join("keyward.db").is_file());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join("root.key"))
        .expect("root.key")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "root.key mode {mode:o}");
    let dir_mode = std::fs::metadata(&dir).expect("dir").permissions().mode();
    assert_eq!(dir_mode & 0o077, 0, ".keyward mode {dir_mode:o}");

    // The printed credentials work.
    let cli = |env: &BTreeMap<String, String>, args: &[&str]| {
        Command::new(BIN)
            .env("KEYWARD_ADDR", &env["KEYWARD_ADDR"])
            .env("KEYWARD_ACCESS_KEY_ID", &env["KEYWARD_ACCESS_KEY_ID"])
            .env(
                "KEYWARD_SECRET_ACCESS_KEY",
                &env["KEYWARD_SECRET_ACCESS_KEY"],
            )
            .args(args)
            .output()
            .expect("run keyward")
    };
    let out = cli(&first, &["put", "dev/s", "dev-value"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(dev);

    // Restarting (on another port) prints the same credentials and keeps the data.
    let (dev, port2) = start_dev(cwd.path(), logs.path(), 2);
    let second = exports(&std::fs::read_to_string(&dev.stdout).expect("stdout"));
    assert_eq!(
        second["KEYWARD_ACCESS_KEY_ID"],
        first["KEYWARD_ACCESS_KEY_ID"]
    );
    assert_eq!(
        second["KEYWARD_SECRET_ACCESS_KEY"],
        first["KEYWARD_SECRET_ACCESS_KEY"]
    );
    assert_eq!(second["AWS_ACCESS_KEY_ID"], first["AWS_ACCESS_KEY_ID"]);
    assert_eq!(
        second["AWS_SECRET_ACCESS_KEY"],
        first["AWS_SECRET_ACCESS_KEY"]
    );
    assert_eq!(second["KEYWARD_ADDR"], format!("http://127.0.0.1:{port2}"));
    let out = cli(&second, &["get", "dev/s"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "dev-value\n");
}
