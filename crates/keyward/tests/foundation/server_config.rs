//! `keyward serve --config FILE`: the file configures the server, environment
//! variables beat it, flags beat both, and a typo stops the start naming its line.

use crate::common::*;
use serde_json::json;
use std::time::Duration;

fn big_body() -> serde_json::Value {
    json!({ "value": "x".repeat(5000) })
}

#[test]
fn the_file_alone_configures_the_server() {
    let mut srv = TestServer::init_only(InitOpts::default());
    let file = srv.data_dir.with_file_name("server.toml");
    std::fs::write(
        &file,
        format!(
            "data_dir = {:?}\nlisten = \"127.0.0.1:{}\"\n\n[http]\nmax_body_bytes = 4096\n",
            srv.data_dir.display().to_string(),
            srv.port
        ),
    )
    .expect("write config");
    let mut cmd = bare_command();
    cmd.arg("serve")
        .env("KEYWARD_SERVER_CONFIG", &file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn");
    let health = format!("{}/v1/sys/health", srv.addr);
    wait_for(
        "server from its config file",
        Duration::from_secs(20),
        || {
            reqwest::blocking::get(&health)
                .ok()
                .filter(|r| r.status() == 200)
        },
    );
    let r = srv.put(&TestServer::secret_path("cfg/big"), &big_body());
    assert_eq!(r.status, 413, "the file's body limit applies: {}", r.text);
    assert!(r.text.contains("4096"), "{}", r.text);
    let _ = child.kill();
    let _ = child.wait();
    srv.stop();
}

#[test]
fn environment_beats_the_file_and_flags_beat_both() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("server.toml");
    std::fs::write(&file, "[http]\nmax_body_bytes = 1024\n").expect("write config");
    let path = file.display().to_string();

    let srv = TestServer::start_with(
        InitOpts::default(),
        ServeOpts {
            args: vec!["--config".into(), path.clone()],
            env: vec![("KEYWARD_MAX_BODY_BYTES".into(), "8192".into())],
            tls_ca: None,
        },
    );
    srv.put(&TestServer::secret_path("cfg/env"), &big_body())
        .expect(201);
    drop(srv);

    let srv = TestServer::start_with(
        InitOpts::default(),
        ServeOpts {
            args: vec![
                "--config".into(),
                path,
                "--max-body-bytes".into(),
                "2048".into(),
            ],
            env: vec![("KEYWARD_MAX_BODY_BYTES".into(), "8192".into())],
            tls_ca: None,
        },
    );
    let r = srv.put(&TestServer::secret_path("cfg/flag"), &big_body());
    assert_eq!(r.status, 413, "the flag wins: {}", r.text);
    assert!(r.text.contains("2048"), "{}", r.text);
}

#[test]
fn a_typo_in_the_file_stops_the_start_naming_its_line() {
    let srv = TestServer::init_only(InitOpts::default());
    let file = srv.data_dir.with_file_name("server.toml");
    std::fs::write(&file, "[http]\nrequest_timeout = 30\nmax_conections = 10\n").expect("write");
    let out = bare_command()
        .args(["serve", "--data-dir"])
        .arg(&srv.data_dir)
        .arg("--config")
        .arg(&file)
        .output()
        .expect("run serve");
    let err = assert_failed(&out);
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("max_conections"), "{err}");
    assert!(err.contains("server.toml"), "{err}");
}
