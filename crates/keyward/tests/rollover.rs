//! Two-version rollover from the app's side (issue 14, item 5): after a new version
//! is stored, `AWSPREVIOUS` holds the one before; `keyward get --stage/--field` reads
//! either, and the client's `Keyring` (sign with current, verify with current then
//! previous) keeps accepting tokens signed before the rotation, and only for one.

mod common;

use common::TestServer;
use hmac::{Hmac, Mac};
use keyward_client::{Client, Credentials, Keyring};
use keyward_crypto::{SecretString, constant_time_eq};
use sha2::Sha256;

const DB: &str = "production/database/primary";

fn put(srv: &TestServer, name: &str, value: &str) {
    srv.cli_ok(&["put", name, value]);
}

fn get(srv: &TestServer, args: &[&str]) -> (bool, String, String) {
    let out = srv.cli(args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn get_reads_a_field_of_the_current_or_previous_version() {
    let srv = TestServer::start();
    put(
        &srv,
        DB,
        r#"{"username":"app","password":"first-db-password"}"#,
    );
    put(
        &srv,
        DB,
        r#"{"username":"app_clone","password":"second-db-password"}"#,
    );

    let field = |stage: Option<&str>, name: &str| {
        let mut args = vec!["get", DB, "--field", name];
        if let Some(s) = stage {
            args.extend(["--stage", s]);
        }
        srv.cli_ok(&args).trim().to_owned()
    };
    assert_eq!(field(Some("AWSPREVIOUS"), "password"), "first-db-password");
    assert_eq!(field(Some("AWSPREVIOUS"), "username"), "app");
    assert_eq!(field(Some("AWSCURRENT"), "password"), "second-db-password");
    assert_eq!(field(None, "password"), "second-db-password");

    let json: serde_json::Value = serde_json::from_str(&srv.cli_ok(&[
        "get",
        DB,
        "--stage",
        "AWSPREVIOUS",
        "--field",
        "password",
        "--json",
    ]))
    .unwrap();
    assert_eq!(json["value"], "first-db-password");
    assert_eq!(json["stages"], serde_json::json!(["AWSPREVIOUS"]));
}

#[test]
fn get_field_errors_are_clear_and_never_show_the_value() {
    let srv = TestServer::start();
    put(&srv, "/app/plain", "plain-text-secret-value");
    put(
        &srv,
        DB,
        r#"{"username":"app","password":"only-db-password"}"#,
    );

    let (ok, stdout, stderr) = get(&srv, &["get", "/app/plain", "--field", "password"]);
    assert!(!ok && stdout.is_empty());
    assert!(
        stderr.contains("/app/plain is not a JSON object"),
        "{stderr}"
    );
    assert!(!stderr.contains("plain-text-secret-value"), "{stderr}");

    let (ok, _, stderr) = get(&srv, &["get", DB, "--field", "passwd"]);
    assert!(!ok);
    assert!(
        stderr.contains(&format!("{DB} has no field \"passwd\"")),
        "{stderr}"
    );
    assert!(!stderr.contains("only-db-password"), "{stderr}");

    // One version only: there is no AWSPREVIOUS yet.
    let (ok, _, stderr) = get(
        &srv,
        &["get", DB, "--stage", "AWSPREVIOUS", "--field", "password"],
    );
    assert!(!ok);
    assert!(stderr.contains("AWSPREVIOUS"), "{stderr}");
    assert!(!stderr.contains("only-db-password"), "{stderr}");
}

fn sign(key: &SecretString, payload: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()).expect("any key length");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn verify(ring: &Keyring, payload: &str, tag: &[u8]) -> Result<(), &'static str> {
    ring.verify_with(|key| {
        if constant_time_eq(&sign(key, payload), tag) {
            Ok(())
        } else {
            Err("bad signature")
        }
    })
}

#[test]
fn keyring_verifies_tokens_signed_before_one_rotation_not_two() {
    let srv = TestServer::start();
    let client = Client::new(Credentials {
        addr: srv.addr.clone(),
        access_key_id: srv.access_key_id.clone(),
        secret_access_key: srv.secret_access_key.clone().into(),
        session_token: None,
    })
    .expect("client");
    let name = "/app/prod/jwt_signing_key";
    put(&srv, name, "jwt-key-version-one-0123456789abcdef");
    let ring = Keyring::load(&client, name).expect("load");
    let token = sign(ring.signing_key(), "sub=alice");
    assert_eq!(verify(&ring, "sub=alice", &token), Ok(()));

    put(&srv, name, "jwt-key-version-two-0123456789abcdef");
    let ring = Keyring::load(&client, name).expect("reload after rotation");
    assert_eq!(
        ring.signing_key().expose(),
        "jwt-key-version-two-0123456789abcdef",
        "new tokens are signed with the new key"
    );
    assert_eq!(
        verify(&ring, "sub=alice", &token),
        Ok(()),
        "a token signed before the rotation still verifies"
    );
    assert_eq!(verify(&ring, "sub=mallory", &token), Err("bad signature"));

    put(&srv, name, "jwt-key-version-three-0123456789abcd");
    let ring = Keyring::load(&client, name).expect("reload after second rotation");
    assert_eq!(
        verify(&ring, "sub=alice", &token),
        Err("bad signature"),
        "two rotations later the first key is gone"
    );
}
