//! The `webhook` rotator end to end: keyward POSTs each step, signed, to a small
//! API-key service on loopback. The service verifies `Keyward-Signature`, keeps the
//! set of keys it accepts, and reads and writes the secret through keyward's AWS API
//! with credentials of its own, as a rotation Lambda does on AWS (the webhook gets
//! no temporary key: only the step, the secret's ARN and the token).

use super::support::*;
use crate::common::aws::{Reply, sm_as};
use crate::common::{TestServer, allow};
use crate::receiver::{Received, Receiver};
use keyward_crypto::webhook::DEFAULT_TOLERANCE_SECS;
use keyward_crypto::{sign_webhook, verify_webhook};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const SIGNING_KEY: &str = "whsec_rotation_e2e_5bN8qT";
/// The receiver's URL carries these, as many webhook URLs carry a credential;
/// neither may reach the server's log or the audit log.
const PATH_TOKEN: &str = "tok_path_7Qm2LxZ";
const QUERY_TOKEN: &str = "sk_query_9Xw4RvY";
const NAME: &str = "production/api-keys/billing";
const FIRST_KEY: &str = "bk_first_3f9a1c7e5d2b";
const REGION: &str = "us-east-1";

/// The service behind the webhook: the API keys it accepts and the steps it ran.
#[derive(Default)]
struct Service {
    valid: Mutex<BTreeSet<String>>,
    /// (step, token) of every request whose signature verified, in arrival order.
    steps: Mutex<Vec<(String, String)>>,
    rejected: Mutex<usize>,
    /// Answer 500 to testSecret (the new key "does not work").
    fail_test: AtomicBool,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

struct Rig {
    s: Arc<TestServer>,
    svc: Arc<Service>,
    url: String,
    receiver: Receiver,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().expect("tempdir").keep();
    let key_file = dir.join("webhook.key");
    std::fs::write(&key_file, format!("{SIGNING_KEY}\n")).expect("write the signing key");
    // The receiver listens on a port chosen later: the host is what is allowed.
    let s = Arc::new(server_with(&format!(
        "webhook_secret_file = \"{}\"\nwebhook_urls = [\"http://127.0.0.1\"]",
        key_file.display()
    )));
    s.put_secret(NAME, FIRST_KEY);
    // The service's own identity, allowed what a rotation function needs.
    let (id, secret) = s.create_principal("billing-service", &[]);
    s.grant(
        "billing-service",
        "billing-rotation",
        &allow(&[
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage",
            "secretsmanager:GetRandomPassword",
        ]),
    );
    let svc = Arc::new(Service::default());
    svc.valid.lock().unwrap().insert(FIRST_KEY.to_string());
    let (server, service) = (s.clone(), svc.clone());
    let receiver =
        Receiver::start_with(0, move |req| handle(&server, (&id, &secret), &service, req));
    let url = format!(
        "http://127.0.0.1:{}/rotate/{PATH_TOKEN}?key={QUERY_TOKEN}",
        receiver.port
    );
    s.cli_ok(&[
        "rotation",
        "set",
        NAME,
        "--rotator",
        "webhook",
        "--url",
        &url,
    ]);
    Rig {
        s,
        svc,
        url,
        receiver,
    }
}

/// One step, as a rotation function implements it.
fn handle(s: &TestServer, key: (&str, &str), svc: &Service, req: &Received) -> u16 {
    let verified = req.headers.get("keyward-signature").is_some_and(|h| {
        verify_webhook(
            SIGNING_KEY.as_bytes(),
            h,
            &req.body,
            unix_now(),
            DEFAULT_TOLERANCE_SECS,
        )
        .is_ok()
    });
    if !verified {
        *svc.rejected.lock().unwrap() += 1;
        return 401;
    }
    let event: Value = req.json();
    let (Some(id), Some(token), Some(step)) = (
        event["SecretId"].as_str(),
        event["ClientRequestToken"].as_str(),
        event["Step"].as_str(),
    ) else {
        return 400;
    };
    svc.steps
        .lock()
        .unwrap()
        .push((step.to_string(), token.to_string()));
    let sm = |op: &str, body: Value| sm_as(s, key, REGION, op, body);
    let pending = || -> Option<String> {
        let r = sm(
            "GetSecretValue",
            json!({"SecretId": id, "VersionId": token, "VersionStage": "AWSPENDING"}),
        );
        (r.status == 200).then(|| r.json["SecretString"].as_str().unwrap().to_string())
    };
    let ok = |r: Reply| if r.status == 200 { 200 } else { 500 };
    match step {
        "createSecret" => {
            if pending().is_some() {
                return 200;
            }
            let random = sm(
                "GetRandomPassword",
                json!({"PasswordLength": 24, "ExcludePunctuation": true}),
            );
            if random.status != 200 {
                return 500;
            }
            let new_key = format!("bk_{}", random.json["RandomPassword"].as_str().unwrap());
            ok(sm(
                "PutSecretValue",
                json!({"SecretId": id, "ClientRequestToken": token, "SecretString": new_key,
                       "VersionStages": ["AWSPENDING"]}),
            ))
        }
        "setSecret" => match pending() {
            Some(k) => {
                svc.valid.lock().unwrap().insert(k);
                200
            }
            None => 500,
        },
        "testSecret" => {
            let works = pending().is_some_and(|k| svc.valid.lock().unwrap().contains(&k));
            if works && !svc.fail_test.load(Ordering::SeqCst) {
                200
            } else {
                500
            }
        }
        "finishSecret" => {
            let d = sm("DescribeSecret", json!({"SecretId": id}));
            if d.status != 200 {
                return 500;
            }
            let current = d.json["VersionIdsToStages"]
                .as_object()
                .and_then(|m| {
                    m.iter()
                        .find(|(_, st)| st.as_array().unwrap().contains(&json!("AWSCURRENT")))
                })
                .map(|(v, _)| v.clone());
            if current.as_deref() != Some(token) {
                let moved = sm(
                    "UpdateSecretVersionStage",
                    json!({"SecretId": id, "VersionStage": "AWSCURRENT",
                           "MoveToVersionId": token, "RemoveFromVersionId": current}),
                );
                if moved.status != 200 {
                    return 500;
                }
            }
            // Two keys work during rollover: the new one and the one before it.
            let value = |stage: &str| {
                let r = sm(
                    "GetSecretValue",
                    json!({"SecretId": id, "VersionStage": stage}),
                );
                r.json["SecretString"].as_str().map(str::to_owned)
            };
            let keep: Vec<String> = [value("AWSCURRENT"), value("AWSPREVIOUS")]
                .into_iter()
                .flatten()
                .collect();
            svc.valid.lock().unwrap().retain(|k| keep.contains(k));
            200
        }
        _ => 400,
    }
}

/// Neither the URL's credentials nor the signing key reach the log or the audit log.
fn assert_url_stays_private(s: &TestServer) {
    let audit = serde_json::to_string(&s.audit_all()).unwrap();
    let log = s.stderr();
    for private in [PATH_TOKEN, QUERY_TOKEN, SIGNING_KEY] {
        assert!(!log.contains(private), "{private} reached the server log");
        assert!(!audit.contains(private), "{private} reached the audit log");
    }
}

#[test]
fn a_webhook_rotation_runs_four_signed_steps_against_the_service() {
    let Rig {
        s,
        svc,
        url,
        receiver,
    } = rig();

    // The service refuses what keyward did not sign.
    let arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:production/api-keys/billing";
    let forged = json!({"SecretId": arn, "ClientRequestToken": "forged", "Step": "finishSecret"})
        .to_string();
    let http = reqwest::blocking::Client::new();
    for signature in [
        Some(sign_webhook(b"not-the-key", unix_now(), forged.as_bytes())),
        Some(sign_webhook(
            SIGNING_KEY.as_bytes(),
            unix_now() - 3600,
            forged.as_bytes(),
        )),
        None,
    ] {
        let mut rb = http.post(&url).body(forged.clone());
        if let Some(sig) = signature {
            rb = rb.header("Keyward-Signature", sig);
        }
        assert_eq!(rb.send().expect("post").status().as_u16(), 401);
    }
    assert_eq!(*svc.rejected.lock().unwrap(), 3);
    assert!(svc.steps.lock().unwrap().is_empty());

    s.cli_ok(&["rotate", NAME]);

    let new_key = get(&s, NAME, "AWSCURRENT", None);
    assert!(
        new_key.starts_with("bk_") && new_key != FIRST_KEY,
        "{new_key}"
    );
    assert_eq!(get(&s, NAME, "AWSPREVIOUS", None), FIRST_KEY);
    let steps = svc.steps.lock().unwrap().clone();
    let names: Vec<&str> = steps.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        names,
        ["createSecret", "setSecret", "testSecret", "finishSecret"]
    );
    let token = &steps[0].1;
    assert!(steps.iter().all(|(_, t)| t == token), "{steps:?}");
    let described = s
        .sm(REGION, "DescribeSecret", json!({"SecretId": NAME}))
        .ok();
    assert_eq!(
        described["VersionIdsToStages"][token],
        json!(["AWSCURRENT"]),
        "the token's version is current: {described}"
    );
    // Every request keyward sent was signed and verified (the forged three are extra).
    assert_eq!(receiver.received().len(), 4 + 3);
    assert_eq!(
        *svc.valid.lock().unwrap(),
        BTreeSet::from([FIRST_KEY.to_string(), new_key.clone()]),
        "the service accepts the new key and, during rollover, the previous one"
    );

    let st = status(&s, NAME);
    assert_eq!(st["runs_as"], "webhook");
    assert!(
        st["last_error"].is_null() && st["in_progress"].is_null(),
        "{st}"
    );
    assert_url_stays_private(&s);
    for value in [FIRST_KEY, new_key.as_str()] {
        assert!(
            !s.stderr().contains(value),
            "a value reached the server log"
        );
    }
}

#[test]
fn a_service_failing_test_secret_leaves_awscurrent_and_shows_in_status() {
    // The receiver stays bound: dropping it stops the service.
    let Rig {
        s,
        svc,
        receiver: _receiver,
        ..
    } = rig();
    svc.fail_test.store(true, Ordering::SeqCst);

    let out = s.cli(&["rotate", NAME]);
    let err = crate::common::assert_failed(&out);
    assert!(err.contains("testSecret") && err.contains("500"), "{err}");
    assert!(
        !err.contains(PATH_TOKEN) && !err.contains(QUERY_TOKEN),
        "{err}"
    );
    assert_eq!(get(&s, NAME, "AWSCURRENT", None), FIRST_KEY);
    let st = status(&s, NAME);
    let last_error = st["last_error"].as_str().unwrap_or_default();
    assert!(
        last_error.contains("testSecret") && last_error.contains("500"),
        "{st}"
    );
    assert!(!last_error.contains(PATH_TOKEN) && !last_error.contains(QUERY_TOKEN));
    assert_eq!(st["in_progress"]["next_step"], "testSecret", "{st}");
    let failed = audited(&s, "keyward:RotationFailed");
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|r| r["error_code"] == "testSecret"));
    assert!(
        svc.valid.lock().unwrap().contains(FIRST_KEY),
        "the current key keeps working while the rotation fails"
    );

    // The service recovers; the engine's retry completes the same rotation.
    svc.fail_test.store(false, Ordering::SeqCst);
    wait_rotated(&s, NAME);
    let new_key = get(&s, NAME, "AWSCURRENT", None);
    assert_ne!(new_key, FIRST_KEY);
    assert_eq!(get(&s, NAME, "AWSPREVIOUS", None), FIRST_KEY);
    let steps = svc.steps.lock().unwrap().clone();
    assert_eq!(
        steps.iter().filter(|(s, _)| s == "createSecret").count(),
        1,
        "a retry resumes at the failed step: {steps:?}"
    );
    assert!(steps.iter().all(|(_, t)| *t == steps[0].1), "one token");
    assert!(status(&s, NAME)["last_error"].is_null());
    assert_url_stays_private(&s);
}
