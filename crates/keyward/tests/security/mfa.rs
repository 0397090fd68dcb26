//! MFA for people (issue 18): TOTP enrolment, `login --mfa` session credentials,
//! and policies that require `aws:MultiFactorAuthPresent` / `aws:MultiFactorAuthAge`.
//! Codes are computed from the enrolment's otpauth:// URI, as an authenticator
//! app does.

use crate::common::{TestServer, now};
use crate::{aws_server, principal_with};
use serde_json::{Value, json};
use std::process::Output;
use std::time::Duration;

/// The code of the step `offset` steps from now (0 = the current one).
fn code(uri: &str, offset: i64) -> String {
    let totp = totp_rs::TOTP::from_url(uri).expect("a valid otpauth URI");
    totp.generate(((now() / 30 + offset) * 30) as u64)
}

/// Waits until the current step has a few seconds left, so codes computed now
/// stay in the server's window for the next few requests.
fn away_from_a_step_boundary() {
    while !(2..=22).contains(&(now() % 30)) {
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs the CLI with a session credential from `login --json`.
fn as_session(s: &TestServer, creds: &Value, args: &[&str]) -> Output {
    s.cli_command(
        creds["AccessKeyId"].as_str().expect("AccessKeyId"),
        creds["SecretAccessKey"].as_str().expect("SecretAccessKey"),
    )
    .env(
        "KEYWARD_SESSION_TOKEN",
        creds["SessionToken"].as_str().expect("SessionToken"),
    )
    .args(args)
    .output()
    .expect("run keyward")
}

#[test]
fn a_policy_requiring_mfa_denies_the_access_key_and_allows_the_mfa_session() {
    let s = aws_server();
    s.cli_ok(&["put", "/mfaapp/prod/db", "prod-db-password"]);
    s.cli_ok(&["put", "/mfaapp/fresh/db", "fresh-db-password"]);
    let (id, key) = principal_with(
        &s,
        "alice",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
            // The age key is set, and small right after login.
            {"Effect": "Deny", "Action": "*", "Resource": "arn:aws:secretsmanager:*:*:secret:/mfaapp/fresh/*",
             "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "600"}}}
        ]}),
    );
    let alice = |args: &[&str]| s.cli_as(&id, &key, args);

    let out = alice(&["mfa", "enable", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let enrolment: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let secret = enrolment["secret"].as_str().expect("secret").to_string();
    let uri = enrolment["otpauth_uri"]
        .as_str()
        .expect("otpauth_uri")
        .to_string();
    assert!(
        secret.len() >= 26
            && secret
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
        "{secret}"
    );
    assert!(
        uri.starts_with("otpauth://totp/") && uri.contains(&secret),
        "{uri}"
    );

    // The plain access key: denied.
    let out = alice(&["get", "/mfaapp/prod/db"]);
    assert!(
        !out.status.success(),
        "the access key alone read an MFA-only secret"
    );
    assert!(!stdout(&out).contains("prod-db-password"));

    // One step of clock skew is accepted.
    away_from_a_step_boundary();
    let late = code(&uri, -1);
    let out = alice(&["login", "--mfa", &late, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let creds: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert!(creds["AccessKeyId"].as_str().is_some_and(|k| k != id));
    let exp = time::OffsetDateTime::parse(
        creds["Expiration"].as_str().expect("Expiration"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339");
    let left = exp.unix_timestamp() - now();
    assert!((3000..=3600).contains(&left), "expires in {left} s");

    // The session, same principal: allowed.
    let out = as_session(&s, &creds, &["get", "/mfaapp/prod/db"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "prod-db-password");
    let out = as_session(&s, &creds, &["get", "/mfaapp/fresh/db"]);
    assert!(!out.status.success(), "aws:MultiFactorAuthAge was not set");

    // A session token that is not this key's, or was edited, is refused.
    let token = creds["SessionToken"].as_str().expect("token");
    let mut edited = creds.clone();
    edited["SessionToken"] = json!(format!("{}A", token));
    assert!(
        !as_session(&s, &edited, &["get", "/mfaapp/prod/db"])
            .status
            .success()
    );

    // The same code again: refused, though still inside its window.
    let out = alice(&["login", "--mfa", &late, "--json"]);
    assert!(!out.status.success(), "a replayed code was accepted");
    assert!(stderr(&out).contains("already used"), "{}", stderr(&out));
    // A wrong code: refused.
    let wrong = if code(&uri, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let out = alice(&["login", "--mfa", wrong]);
    assert!(
        !out.status.success() && stderr(&out).contains("not valid"),
        "{}",
        stderr(&out)
    );

    // An expired session: refused.
    let out = alice(&[
        "login",
        "--mfa",
        &code(&uri, 0),
        "--duration-seconds",
        "1",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let short: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    std::thread::sleep(Duration::from_millis(2500));
    let out = as_session(&s, &short, &["get", "/mfaapp/prod/db"]);
    assert!(!out.status.success(), "an expired session was accepted");
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));

    // A session cannot start another, and enrolment is not replaced with the
    // access key alone (a stolen key must not re-enrol MFA).
    let out = as_session(&s, &creds, &["login", "--mfa", &code(&uri, 1)]);
    assert!(!out.status.success());
    let out = alice(&["mfa", "enable", "--json"]);
    assert!(
        !out.status.success(),
        "the access key alone replaced the MFA device"
    );

    // Neither the TOTP secret nor the session's secrets reach logs or audit.
    let audit = s.cli_ok(&["audit", "ls", "--json", "--limit", "1000"]);
    let logs = s.stderr() + &s.stdout();
    for value in [
        secret.as_str(),
        creds["SecretAccessKey"].as_str().expect("secret"),
        token,
    ] {
        assert!(!audit.contains(value), "a secret value is in the audit log");
        assert!(
            !logs.contains(value),
            "a secret value is in the server's output"
        );
    }
    assert!(audit.contains("sts:GetSessionToken") && audit.contains("iam:EnableMFADevice"));
}

#[test]
fn wrong_codes_lock_logins_out_so_codes_cannot_be_guessed() {
    let s = aws_server();
    let (id, key) = principal_with(
        &s,
        "guessed",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"}
        ]}),
    );
    let out = s.cli_as(&id, &key, &["mfa", "enable", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let uri = serde_json::from_str::<Value>(&stdout(&out)).expect("JSON")["otpauth_uri"]
        .as_str()
        .expect("uri")
        .to_string();
    away_from_a_step_boundary();
    let valid: Vec<String> = (-1..=1).map(|o| code(&uri, o)).collect();
    let guesses = (0..)
        .map(|n| format!("{:06}", n * 7919 % 1_000_000))
        .filter(|g| !valid.contains(g))
        .take(5);
    for g in guesses {
        let out = s.cli_as(&id, &key, &["login", "--mfa", &g]);
        assert!(stderr(&out).contains("not valid"), "{}", stderr(&out));
    }
    // Now even the right code is refused: guessing has stopped paying.
    let out = s.cli_as(&id, &key, &["login", "--mfa", &code(&uri, 0), "--json"]);
    assert!(
        !out.status.success(),
        "a login went through after 5 wrong codes"
    );
    assert!(
        stderr(&out).contains("too many wrong MFA codes"),
        "{}",
        stderr(&out)
    );
}
