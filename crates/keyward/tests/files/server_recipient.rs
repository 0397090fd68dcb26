//! Server recipients (issue 19 item 7): a file encrypted to `server:NAME` is
//! decrypted by the keyward server for callers its policies allow; the private key
//! never leaves the server and every decryption is audited.

use super::harness::{Dir, stderr};
use crate::common::TestServer;
use serde_json::{Value, json};
use std::process::{Command, Output};

const ENV: &str =
    "DATABASE_URL=postgres://app:pw-7Hq2@db/app\nAPI_KEY=sk_live_server_recipient_91\nDEBUG=0\n";
const SECRETS: [&str; 2] = ["pw-7Hq2", "sk_live_server_recipient_91"];

/// `keyward` in `d`, talking to `srv` with the given credentials.
fn as_caller(srv: &TestServer, d: &Dir, id: &str, secret: &str, args: &[&str]) -> Output {
    let mut c: Command = srv.cli_command(id, secret);
    c.current_dir(d.tmp.path())
        .env("HOME", d.tmp.path())
        .env_remove("KEYWARD_AGE_IDENTITY_FILE")
        .env_remove("KEYWARD_AGE_SERVER_RECIPIENT")
        .env_remove("XDG_CONFIG_HOME");
    c.args(args).output().unwrap()
}

fn admin(srv: &TestServer, d: &Dir, args: &[&str]) -> String {
    let o = as_caller(srv, d, &srv.access_key_id, &srv.secret_access_key, args);
    assert!(o.status.success(), "keyward {args:?}: {}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn a_file_encrypted_to_the_server_is_decrypted_under_policy_and_audited() {
    let srv = TestServer::start();
    let d = Dir::new();
    let created: Value = serde_json::from_str(&admin(
        &srv,
        &d,
        &["file-recipient", "create", "team", "--json"],
    ))
    .unwrap();
    let recipient = created["recipient"].as_str().unwrap().to_string();
    let arn = created["arn"].as_str().unwrap().to_string();
    assert!(recipient.starts_with("age1"), "{created}");
    assert!(arn.ends_with(":file-recipient/team"), "{arn}");
    let again = as_caller(
        &srv,
        &d,
        &srv.access_key_id,
        &srv.secret_access_key,
        &["file-recipient", "create", "team"],
    );
    assert!(!again.status.success(), "a recipient was replaced");

    // A team member's own key and the server recipient, named in .keyward-recipients.
    let mine = d.keygen("me.key");
    d.write(
        ".keyward-recipients",
        &format!("{mine}\nserver:team # decrypted by keyward\n"),
    );
    d.write(".env", ENV);
    admin(&srv, &d, &["encrypt", ".env"]);
    let enc = d.read(".env");
    assert!(
        enc.contains(&recipient),
        "the server's key is not among the file's recipients"
    );

    // No local identity at all: the server decrypts.
    assert_eq!(
        admin(&srv, &d, &["decrypt", ".env", "--server-recipient", "team"]),
        ENV
    );

    // A principal without a grant is refused, and says why.
    let (dev_id, dev_secret) = srv.create_principal("dev", &[]);
    let denied = as_caller(
        &srv,
        &d,
        &dev_id,
        &dev_secret,
        &["decrypt", ".env", "--server-recipient", "team"],
    );
    assert!(!denied.status.success());
    assert!(
        stderr(&denied).contains("keyward:DecryptFile"),
        "{}",
        stderr(&denied)
    );
    // A grant on another recipient does not open this one.
    srv.grant("dev", "other-files", &json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "keyward:DecryptFile", "Resource": arn.replace("/team", "/other")}]}));
    let still = as_caller(
        &srv,
        &d,
        &dev_id,
        &dev_secret,
        &["decrypt", ".env", "--server-recipient", "team"],
    );
    assert!(
        !still.status.success(),
        "a grant on another recipient opened this one"
    );
    srv.grant(
        "dev",
        "team-files",
        &json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "keyward:DecryptFile", "Resource": arn}]}),
    );
    let ok = as_caller(
        &srv,
        &d,
        &dev_id,
        &dev_secret,
        &["decrypt", ".env", "--server-recipient", "team"],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_eq!(String::from_utf8(ok.stdout).unwrap(), ENV);
    // `run --file` injects through the server too, writing no plaintext.
    let run = as_caller(
        &srv,
        &d,
        &dev_id,
        &dev_secret,
        &[
            "run",
            "--file",
            ".env",
            "--server-recipient",
            "team",
            "--",
            "sh",
            "-c",
            "printf %s \"$API_KEY\"",
        ],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(String::from_utf8(run.stdout).unwrap(), SECRETS[1]);

    // Every decryption is audited: who, which recipient, how many values; no values.
    let records = srv.audit("");
    let records: Vec<&Value> = records
        .iter()
        .filter(|r| r["action"] == "keyward:DecryptFile")
        .collect();
    assert!(
        records.iter().any(|r| r["outcome"] == "success"
            && r["principal"].as_str().unwrap_or("").ends_with("user/dev")),
        "{records:?}"
    );
    assert!(
        records.iter().any(|r| r["outcome"] != "success"
            && r["principal"].as_str().unwrap_or("").ends_with("user/dev")),
        "the refusal was not audited"
    );
    // One request opens the file's three values at once.
    assert!(
        records
            .iter()
            .any(|r| r["count"] == 3 && r["resource"] == arn),
        "{records:?}"
    );
    let log = serde_json::to_string(&srv.audit("")).unwrap() + &srv.stderr() + &srv.stdout();
    for s in SECRETS {
        assert!(
            !log.contains(s),
            "a decrypted value reached the audit log or server output"
        );
    }

    // The private key is never handed out.
    let listed = admin(&srv, &d, &["file-recipient", "ls", "--json"]);
    assert!(
        listed.contains(&recipient) && !listed.contains("AGE-SECRET-KEY"),
        "{listed}"
    );
    assert!(!srv.stderr().contains("AGE-SECRET-KEY"));
}

#[test]
fn values_not_encrypted_to_the_server_are_named_not_guessed() {
    let srv = TestServer::start();
    let d = Dir::new();
    admin(&srv, &d, &["file-recipient", "create", "team"]);
    let mine = d.keygen("me.key");
    d.write(".env", ENV);
    admin(&srv, &d, &["encrypt", ".env", "--recipient", &mine]);
    let o = as_caller(
        &srv,
        &d,
        &srv.access_key_id,
        &srv.secret_access_key,
        &["decrypt", ".env", "--server-recipient", "team"],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(&mine),
        "the error should name the file's recipients: {}",
        stderr(&o)
    );
    // An unknown recipient name is reported with how to create one, and the
    // plaintext file is left as it was.
    d.write("plain.env", "A=b\n");
    let o = as_caller(
        &srv,
        &d,
        &srv.access_key_id,
        &srv.secret_access_key,
        &["encrypt", "plain.env", "--recipient", "server:nobody"],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("file-recipient create nobody"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        d.read("plain.env"),
        "A=b\n",
        "a failed encrypt changed the file"
    );
}
