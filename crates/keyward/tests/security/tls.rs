//! TLS in transit (issue 18): HTTPS with a certificate reloaded from disk without a
//! restart or a dropped connection, `keyward dev --tls` and its exports, the CLI
//! trusting `KEYWARD_CACERT`, `aws:SecureTransport`, and the refusal to serve plain
//! HTTP beyond loopback.

use crate::common::{InitOpts, ServeOpts, TestServer, bare_command, free_port, wait_for};
use crate::principal_with;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType};
use serde_json::json;
use sha2::Digest;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// A test CA that signs server certificates for 127.0.0.1.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Ca {
    fn new() -> Self {
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let key = KeyPair::generate().expect("key");
        let pem = p.self_signed(&key).expect("self-signed").pem();
        Self {
            issuer: Issuer::new(p, key),
            pem,
        }
    }

    /// A fresh certificate and key for 127.0.0.1: (cert PEM, key PEM, SHA-256 of the DER).
    fn leaf(&self) -> (String, String, String) {
        let mut p = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        p.subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        let key = KeyPair::generate().expect("key");
        let cert = p.signed_by(&key, &self.issuer).expect("signed");
        (
            cert.pem(),
            key.serialize_pem(),
            hex::encode(sha2::Sha256::digest(cert.der())),
        )
    }
}

/// Writes `contents` to `path` the way certificate tools do: a new file renamed
/// into place.
fn replace(path: &Path, contents: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, contents).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

/// An HTTPS server with a certificate from `ca`; returns it and the files.
fn tls_server(dir: &Path, ca: &Ca) -> (TestServer, PathBuf, PathBuf, String) {
    let (cert, key, print) = ca.leaf();
    let (cert_path, key_path, ca_path) = (
        dir.join("server.pem"),
        dir.join("server-key.pem"),
        dir.join("ca.pem"),
    );
    std::fs::write(&cert_path, cert).expect("write cert");
    std::fs::write(&key_path, key).expect("write key");
    std::fs::write(&ca_path, &ca.pem).expect("write ca");
    let s = TestServer::start_with(
        InitOpts::default(),
        ServeOpts {
            args: vec![
                "--tls-cert".into(),
                cert_path.display().to_string(),
                "--tls-key".into(),
                key_path.display().to_string(),
            ],
            env: Vec::new(),
            tls_ca: Some(ca_path),
        },
    );
    (s, cert_path, key_path, print)
}

/// A client that keeps its connection and reports the server's certificate.
fn client_trusting(ca: &Ca) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).expect("ca"))
        .tls_info(true)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// The SHA-256 of the certificate the connection that answered was made with.
fn served_fingerprint(client: &reqwest::blocking::Client, addr: &str) -> String {
    let r = client
        .get(format!("{addr}/v1/sys/health"))
        .send()
        .expect("health over TLS");
    assert_eq!(r.status().as_u16(), 200);
    let der = r
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("the peer certificate")
        .to_vec();
    hex::encode(sha2::Sha256::digest(der))
}

#[test]
fn a_certificate_swapped_on_disk_is_served_without_a_restart_or_a_dropped_connection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new();
    let (s, cert_path, key_path, first) = tls_server(dir.path(), &ca);

    let old = client_trusting(&ca);
    assert_eq!(served_fingerprint(&old, &s.addr), first);

    // Renewal: key first, then certificate, as two separate writes. The
    // half-renewed pair in between must not stop the server.
    let (cert, key, second) = ca.leaf();
    replace(&key_path, &key);
    std::thread::sleep(Duration::from_millis(300));
    replace(&cert_path, &cert);
    wait_for(
        "the new certificate to be served",
        Duration::from_secs(30),
        || (served_fingerprint(&client_trusting(&ca), &s.addr) == second).then_some(()),
    );
    // The connection made before the swap is still open and still on the old
    // certificate: a reload drops nobody.
    assert_eq!(served_fingerprint(&old, &s.addr), first);

    // A broken renewal keeps the last good certificate in service.
    let failures = || s.stderr().matches("TLS certificate not reloaded").count();
    let before = failures();
    std::fs::write(&cert_path, "not a certificate").expect("write garbage");
    wait_for(
        "the failed reload to be logged",
        Duration::from_secs(30),
        || (failures() > before).then_some(()),
    );
    assert_eq!(served_fingerprint(&client_trusting(&ca), &s.addr), second);
}

#[test]
fn sighup_reloads_the_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new();
    let (s, ..) = tls_server(dir.path(), &ca);
    let reloads = || s.stderr().matches("TLS certificate reloaded").count();
    let before = reloads();
    let pid = rustix::process::Pid::from_raw(s.pid() as i32).expect("a pid");
    rustix::process::kill_process(pid, rustix::process::Signal::HUP).expect("send SIGHUP");
    wait_for("the reload on SIGHUP", Duration::from_secs(30), || {
        (reloads() > before).then_some(())
    });
    // Still serving after the reload.
    let client = client_trusting(&ca);
    assert_eq!(served_fingerprint(&client, &s.addr).len(), 64);
}

#[test]
fn the_cli_talks_tls_with_keyward_cacert_and_refuses_an_untrusted_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new();
    let (s, ..) = tls_server(dir.path(), &ca);
    let name = "/tlsapp/prod/cli".to_string();
    s.cli_ok(&["put", &name, "over-tls"]);
    assert_eq!(s.cli_ok(&["get", &name]).trim(), "over-tls");

    let out = s
        .cli_command(&s.access_key_id, &s.secret_access_key)
        .env_remove("KEYWARD_CACERT")
        .args(["get", &name])
        .output()
        .expect("run keyward");
    assert!(
        !out.status.success(),
        "an untrusted certificate was accepted"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("KEYWARD_CACERT"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("over-tls"));

    let out = s
        .cli_command(&s.access_key_id, &s.secret_access_key)
        .env("KEYWARD_CACERT", dir.path().join("missing.pem"))
        .args(["get", &name])
        .output()
        .expect("run keyward");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("missing.pem"),
        "{err}"
    );
}

#[test]
fn secure_transport_is_true_over_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new();
    let (s, ..) = tls_server(dir.path(), &ca);
    let name = "/tlsapp/prod/transport".to_string();
    s.cli_ok(&["put", &name, "v"]);
    let policy = |deny_when: &str| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": deny_when}}}
        ]})
    };
    // The AWS idiom: deny unless TLS. Over TLS it allows.
    let (id, secret) = principal_with(&s, "needs-tls", &policy("false"));
    let out = s.cli_as(&id, &secret, &["get", &name]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And the key really says "true": denying TLS denies this request.
    let (id, secret) = principal_with(&s, "no-tls", &policy("true"));
    let out = s.cli_as(&id, &secret, &["get", &name]);
    assert!(!out.status.success(), "aws:SecureTransport was not true");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("explicit deny"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn plain_http_beyond_loopback_needs_insecure_no_tls() {
    let s = TestServer::init_only(InitOpts::default());
    let port = free_port();
    let serve = |extra: &[&str]| {
        let mut c = bare_command();
        c.arg("serve")
            .arg("--data-dir")
            .arg(&s.data_dir)
            .args(["--listen", &format!("0.0.0.0:{port}")])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    let out = serve(&[]).output().expect("run serve");
    assert!(!out.status.success(), "plain HTTP on 0.0.0.0 was served");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--insecure-no-tls") && err.contains("--tls-cert"),
        "{err}"
    );

    let mut child = serve(&["--insecure-no-tls"]).spawn().expect("spawn serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let warned = lines
        .by_ref()
        .take(20)
        .map_while(Result::ok)
        .any(|l| l.contains("WARNING") && l.contains("insecure-no-tls"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(warned, "no loud warning for --insecure-no-tls");
}

#[test]
fn dev_tls_prints_https_exports_the_cli_can_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("dev");
    let port = free_port();
    let mut child = bare_command()
        .args(["dev", "--tls", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(&data)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn keyward dev --tls");
    let mut exports = Vec::new();
    for line in BufReader::new(child.stdout.take().expect("stdout"))
        .lines()
        .map_while(Result::ok)
    {
        if let Some((k, v)) = line
            .strip_prefix("export ")
            .and_then(|kv| kv.split_once('='))
        {
            exports.push((k.to_string(), v.trim_matches('\'').to_string()));
            if k == "AWS_CA_BUNDLE" {
                break;
            }
        }
    }
    let get = |k: &str| {
        exports
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no export {k} in {exports:?}"))
    };
    assert_eq!(get("KEYWARD_ADDR"), format!("https://127.0.0.1:{port}"));
    assert_eq!(get("AWS_ENDPOINT_URL"), format!("https://127.0.0.1:{port}"));
    assert_eq!(get("KEYWARD_CACERT"), get("AWS_CA_BUNDLE"));
    let cli = |args: &[&str]| {
        let mut c = bare_command();
        for k in [
            "KEYWARD_ADDR",
            "KEYWARD_ACCESS_KEY_ID",
            "KEYWARD_SECRET_ACCESS_KEY",
            "KEYWARD_CACERT",
        ] {
            c.env(k, get(k));
        }
        c.args(args).output().expect("run keyward")
    };
    let name = "/tlsapp/dev/value".to_string();
    wait_for("the dev server", Duration::from_secs(60), || {
        cli(&["put", &name, "dev-tls-value"])
            .status
            .success()
            .then_some(())
    });
    let out = cli(&["get", &name]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "dev-tls-value");
    // The CA's private key is not kept: only this server's certificate is trusted.
    let kept: Vec<_> = std::fs::read_dir(data.join("tls"))
        .expect("tls dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(kept.iter().all(|f| !f.starts_with("ca-key")), "{kept:?}");
}
