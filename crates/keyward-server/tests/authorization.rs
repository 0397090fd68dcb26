//! Authorization across the native API, in-process: what each operation is
//! authorized as, and operations whose effect reaches beyond the resource in
//! their path (a restore that replaces a secret, a rotation that reads a master
//! secret as the server).

mod common;

use axum::body::Body;
use common::Api;
use http::{Request, StatusCode};
use serde_json::{Value, json};

/// Every operation's `x-keyward-action` is the action its handler authorizes:
/// a caller allowed everything but that one action is refused each documented
/// operation, and the refusal names exactly the documented action. A handler that
/// authorizes under another name (the document and the code drifting apart) runs
/// instead, or is refused under the other name, and fails here. Per-item operations
/// (batch reads, fingerprints, rotate-all) name the action each item is checked
/// against, so a secret exists for them to reach.
#[tokio::test]
async fn every_documented_action_is_the_one_the_route_authorizes() {
    let api = Api::new().await;
    let ok = |(status, body): (StatusCode, Value)| {
        assert!(status.is_success(), "setup: {status} {body}");
        body
    };
    api.create_secret("probe", "probe-value-0123456789").await;
    let created = ok(api
        .native("POST", "/v1/principals", Some(json!({"name": "nobody"})))
        .await);
    let allow_all = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    ok(api
        .native("PUT", "/v1/policies/allow-all", Some(allow_all))
        .await);
    ok(api
        .native("PUT", "/v1/principals/nobody/policies/allow-all", None)
        .await);
    // rotate-all reaches only secrets with a rotation.
    ok(api
        .native(
            "PUT",
            "/v1/rotation/probe",
            Some(json!({"rotator": "generated"})),
        )
        .await);
    let nobody = Api {
        state: api.state.clone(),
        id: created["access_key_id"].as_str().expect("key id").into(),
        secret: created["secret_access_key"]
            .as_str()
            .expect("secret")
            .into(),
    };
    let req = Request::get("/v1/openapi.json")
        .body(Body::empty())
        .expect("req");
    let (_, doc) = api.send(req).await;
    let mut problems = Vec::new();
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let Some(action) = op["x-keyward-action"].as_str() else {
                continue;
            };
            // Unauthenticated operations (unseal, break-glass) name the action
            // they are audited as; no policy can apply before a caller is known.
            let open = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            let exempt = AUDITED_NOT_AUTHORIZED
                .iter()
                .any(|(m, p, _)| m == method && p == path);
            if open || exempt {
                continue;
            }
            let deny = json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "Action": action, "Resource": "*"}]});
            ok(api.native("PUT", "/v1/policies/deny-one", Some(deny)).await);
            if checked == 0 {
                ok(api
                    .native("PUT", "/v1/principals/nobody/policies/deny-one", None)
                    .await);
            }
            let method = method.to_uppercase();
            let body = valid_body(&method, path);
            let (status, answer) = nobody.native(&method, &fill_path_params(path), body).await;
            let text = answer.to_string();
            let names_it = text.contains(&format!("perform: {action} on"))
                || text.contains(&format!("does not allow {action} on"));
            let skipped_the_probe = SKIP_WHAT_IS_DENIED.contains(&path.as_str())
                && status == StatusCode::OK
                && answer["skipped"] == 1;
            if !names_it && !skipped_the_probe {
                problems.push(format!(
                    "{method} {path} documents {action} but answered {status}: {answer}"
                ));
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} operations were checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Operations whose documented action names their audit record only.
const AUDITED_NOT_AUTHORIZED: &[(&str, &str, &str)] = &[(
    "post",
    "/v1/sts/session",
    "as with AWS STS, no permission is needed: the caller's own MFA code is the check",
)];

/// Per-item operations that pass over the items the caller may not see and
/// count them, rather than refuse the request.
const SKIP_WHAT_IS_DENIED: &[&str] = &["/v1/scan/fingerprints", "/v1/scan/leaks"];

/// `path` with each `{param}` replaced by the probe's names.
fn fill_path_params(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{id}" => "AKIAPROBE",
            "{policy}" => "allow-all",
            s if s.starts_with('{') => "probe",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A body that passes each operation's input checks, so that authorization is
/// what answers.
fn valid_body(method: &str, path: &str) -> Option<Value> {
    let body = match (method, path) {
        ("GET" | "DELETE", _) => return None,
        ("POST", "/v1/secrets") => json!({"name": "probe-2", "value": "v-0123456789"}),
        ("PUT", "/v1/secrets/{name}") => json!({"value": "v-0123456789"}),
        ("PUT", "/v1/policies/{name}") => json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        ("POST", "/v1/principals") => json!({"name": "probe-2"}),
        ("POST", "/v1/batch/get") => json!({"names": ["probe"]}),
        ("POST", "/v1/alerts/test") => json!({"sink": "probe"}),
        ("POST", "/v1/files/recipients") => json!({"name": "probe-2"}),
        ("POST", "/v1/files/recipients/{name}/decrypt") => json!({"values": []}),
        ("PUT", "/v1/rotation/{name}") => json!({"rotator": "generated"}),
        ("POST", "/v1/scan/leaks") => json!({"found": [{"secret": "probe", "hits": 1}]}),
        ("POST", "/v1/sys/restore-secret") => json!({"id": "8f1c2d3e-4b5a-4c6d-8e7f-901234567890",
            "region": "us-east-1", "name": "probe",
            "arn": "arn:aws:secretsmanager:us-east-1:000000000000:secret:probe-AbCdEf",
            "description": null, "kms_key_id": null, "tags": [], "metadata": {},
            "versions": []}),
        ("POST", "/v1/sys/rekey-shares") => json!({"key_shares": 3, "key_threshold": 2}),
        _ => json!({}),
    };
    Some(body)
}

/// A restore is authorized against the ARN of the secret it writes and of the one
/// it replaces: a caller allowed to restore `team-a/*` cannot overwrite `prod/db`
/// by naming it beside a `team-a` ARN, nor by sending `prod/db`'s own ARN.
#[tokio::test]
async fn a_restore_cannot_replace_a_secret_the_caller_may_not_restore() {
    let api = Api::new().await;
    let prod = api.create_secret("prod/db", "prod-value-0123456789").await;
    // The second resource is an ARN no secret has yet: restoring under it may not
    // destroy the `prod/db` that exists under another suffix.
    let team_a = api
        .principal_with(
            "team-a",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": "keyward:RestoreSecret",
                "Resource": ["arn:aws:secretsmanager:*:*:secret:team-a/*",
                    "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-Zz9Zz9"]}]}),
        )
        .await;
    let export = |name: &str, arn: &str| {
        json!({"id": "8f1c2d3e-4b5a-4c6d-8e7f-901234567890", "region": "us-east-1",
            "name": name, "arn": arn, "description": null, "kms_key_id": null,
            "tags": [], "metadata": {}, "versions": []})
    };
    let a_arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:team-a/x-AbCdEf";
    let prod_arn = prod["secret"]["arn"].as_str().expect("arn");

    let (status, answer) = team_a
        .native(
            "POST",
            "/v1/sys/restore-secret",
            Some(export("prod/db", a_arn)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer
            .to_string()
            .contains("is not the ARN of secret prod/db"),
        "{answer}"
    );
    let (status, answer) = team_a
        .native(
            "POST",
            "/v1/sys/restore-secret",
            Some(signed(&api, export("prod/db", prod_arn))),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (status, answer) = team_a
        .native(
            "POST",
            "/v1/sys/restore-secret",
            Some(signed(
                &api,
                export(
                    "prod/db",
                    "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-Zz9Zz9",
                ),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");

    let (status, still) = api.native("GET", "/v1/secrets/prod/db", None).await;
    assert_eq!(status, StatusCode::OK, "{still}");
    assert_eq!(still["value"], "prod-value-0123456789");

    // What the policy allows works, with an export made with the keyring (as the
    // CLI makes it, holding the root key); unsigned or edited, it is refused.
    let (status, answer) = team_a
        .native(
            "POST",
            "/v1/sys/restore-secret",
            Some(export("team-a/x", a_arn)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer.to_string().contains("not signed"), "{answer}");
    let mut edited = signed(&api, export("team-a/x", a_arn));
    edited["id"] = json!("9f1c2d3e-4b5a-4c6d-8e7f-901234567890");
    let (status, answer) = team_a
        .native("POST", "/v1/sys/restore-secret", Some(edited))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, answer) = team_a
        .native(
            "POST",
            "/v1/sys/restore-secret",
            Some(signed(&api, export("team-a/x", a_arn))),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// `export` with the tag the server's keyring gives it.
fn signed(api: &Api, export: Value) -> Value {
    let mut e: keyward_backup::SecretExport = serde_json::from_value(export).expect("an export");
    let key = &api.state.keys().expect("unsealed").audit_key;
    e.tag = Some(e.tag_with(key).expect("tag"));
    serde_json::to_value(e).expect("json")
}

/// A rotation reads its master secret as the server. Naming one (`master_secret`,
/// or a `masterarn` in the value when rotation is configured) needs the right to
/// read it, and a `masterarn` written into the value afterwards, by a caller who
/// may only put values, is not followed: the run refuses until someone allowed to
/// read that master configures the rotation again.
#[tokio::test]
async fn a_rotation_uses_only_a_master_secret_its_configurer_may_read() {
    let api = Api::new().await;
    let master = api
        .create_secret(
            "prod/master",
            r#"{"username":"postgres","password":"admin-pw-0123456789"}"#,
        )
        .await;
    let master_arn = master["secret"]["arn"].as_str().expect("arn").to_string();
    let app = api
        .principal_with(
            "app",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": "secretsmanager:*",
                "Resource": "arn:aws:secretsmanager:*:*:secret:app/*"}]}),
        )
        .await;
    let naming_master = json!({"key": "k-0123456789abcdef", "masterarn": master_arn}).to_string();
    let denied_master = |answer: &Value| {
        answer.to_string().contains("perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/master")
    };

    // Named outright.
    app.create_secret("app/db", r#"{"key":"k-0123456789abcdef"}"#)
        .await;
    let (status, answer) = app
        .native(
            "PUT",
            "/v1/rotation/app/db",
            Some(json!({"rotator": "postgres-alternating-users", "master_secret": "prod/master"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(denied_master(&answer), "{answer}");

    // Named by the value when rotation is configured, natively or by RotateSecret.
    let (status, answer) = app
        .native(
            "PUT",
            "/v1/secrets/app/db",
            Some(json!({ "value": naming_master })),
        )
        .await;
    assert!(status.is_success(), "{answer}");
    let (status, answer) = app
        .native(
            "PUT",
            "/v1/rotation/app/db",
            Some(json!({"rotator": "generated", "field": "key"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    // Named by the value, the master is part of it: the refusal does not repeat it.
    assert!(
        answer
            .to_string()
            .contains("the masterarn in the value of app/db"),
        "{answer}"
    );
    assert!(!answer.to_string().contains("prod/master"), "{answer}");
    let (status, answer) = app
        .aws(
            "secretsmanager.RotateSecret",
            json!({"SecretId": "app/db", "RotationRules": {"AutomaticallyAfterDays": 30}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["__type"], "AccessDeniedException", "{answer}");
    assert!(!answer.to_string().contains("prod/master"), "{answer}");

    // Written into the value after rotation was configured without a master.
    app.create_secret("app/key", r#"{"key":"k-0123456789abcdef"}"#)
        .await;
    let (status, answer) = app
        .native(
            "PUT",
            "/v1/rotation/app/key",
            Some(json!({"rotator": "generated", "field": "key"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = app
        .native(
            "PUT",
            "/v1/secrets/app/key",
            Some(json!({ "value": naming_master })),
        )
        .await;
    assert!(status.is_success(), "{answer}");
    let (_, ran) = api.native("POST", "/v1/rotate/app/key", None).await;
    assert!(
        ran.to_string()
            .contains("was not approved for this rotation"),
        "{ran}"
    );
    assert!(
        !ran.to_string().contains("prod/master"),
        "the value's masterarn is not repeated: {ran}"
    );
    let (_, value) = api.native("GET", "/v1/secrets/app/key", None).await;
    assert_eq!(value["value"], naming_master.as_str(), "nothing rotated");

    // Configured again by a caller who may read the master: the run goes ahead.
    let (status, answer) = api
        .native(
            "PUT",
            "/v1/rotation/app/key",
            Some(json!({"rotator": "generated", "field": "key"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["master_secret"], master_arn.as_str(), "{answer}");
    let (_, ran) = api.native("POST", "/v1/rotate/app/key", None).await;
    assert_eq!(ran["rotated"], true, "{ran}");

    // The approved master, unchanged, needs no new approval to reconfigure.
    let (status, answer) = app
        .native(
            "PUT",
            "/v1/rotation/app/key",
            Some(json!({"rotator": "generated", "field": "key", "schedule": "rate(30 days)"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["master_secret"], master_arn.as_str(), "{answer}");
}

/// The `command` rotator executes a program on the server and the `webhook`
/// rotator makes it send requests: whatever a caller's policy allows, only the
/// programs and URLs the server config lists can be configured.
#[tokio::test]
async fn a_rotation_runs_only_programs_and_urls_the_server_config_lists() {
    let mut cfg = keyward_server::ServerConfig::default();
    cfg.rotation.commands = vec!["/opt/rotators/rotate-api-key".into()];
    cfg.rotation.webhook_urls = vec!["https://rotator.internal".into()];
    cfg.rotation.webhook_secret = Some(keyward_crypto::SecretString::new("signing-key".into()));
    let api = Api::with(cfg).await;
    api.create_secret("svc/key", "k-0123456789abcdef").await;
    let set = async |body: Value| api.native("PUT", "/v1/rotation/svc/key", Some(body)).await;

    for refused in [
        json!({"rotator": "command", "command": "/bin/sh"}),
        json!({"rotator": "command", "command": "/opt/rotators/rotate-api-key/../../../bin/sh"}),
        json!({"rotator": "webhook", "url": "http://169.254.169.254/latest/meta-data/"}),
        json!({"rotator": "webhook", "url": "https://rotator.internal.evil.example/rotate"}),
        json!({"rotator": "webhook", "url": "https://rotator.internal:x@evil.example/rotate"}),
    ] {
        let (status, answer) = set(refused.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}: {answer}");
        assert!(
            answer.to_string().contains("the server config lists"),
            "{refused}: {answer}"
        );
    }
    for allowed in [
        json!({"rotator": "command", "command": "/opt/rotators/rotate-api-key"}),
        json!({"rotator": "webhook", "url": "https://rotator.internal:8443/rotate"}),
    ] {
        let (status, answer) = set(allowed.clone()).await;
        assert_eq!(status, StatusCode::OK, "{allowed}: {answer}");
    }
}

/// As in AWS IAM, creating a policy and changing one in force are separate
/// grants: `iam:CreatePolicy` does not let a caller rewrite a policy that exists.
#[tokio::test]
async fn a_grant_to_create_policies_does_not_reach_the_ones_in_force() {
    let api = Api::new().await;
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let (status, answer) = api
        .native("PUT", "/v1/policies/operators", Some(doc.clone()))
        .await;
    assert!(status.is_success(), "{answer}");
    let creator = api
        .principal_with(
            "creator",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": "iam:CreatePolicy", "Resource": "*"}]}),
        )
        .await;
    let (status, answer) = creator
        .native("PUT", "/v1/policies/team-new", Some(doc.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = creator
        .native("PUT", "/v1/policies/operators", Some(doc.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(
        answer
            .to_string()
            .contains("perform: iam:CreatePolicyVersion on resource"),
        "{answer}"
    );
    let editor = api
        .principal_with(
            "editor",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": "iam:CreatePolicyVersion", "Resource": "*"}]}),
        )
        .await;
    let (status, answer) = editor
        .native("PUT", "/v1/policies/operators", Some(doc))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// BatchGetSecretValue by filter enumerates secrets, so, as AWS requires, it
/// needs `secretsmanager:ListSecrets` beside the per-secret reads; by id it
/// does not.
#[tokio::test]
async fn a_batch_read_by_filter_needs_list_secrets() {
    let api = Api::new().await;
    for name in ["prod/a", "prod/b"] {
        api.create_secret(name, "v-0123456789abcdef").await;
    }
    let reader = api
        .principal_with(
            "reader",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["secretsmanager:BatchGetSecretValue", "secretsmanager:GetSecretValue"],
                "Resource": "*"}]}),
        )
        .await;
    let (status, answer) = reader
        .aws(
            "secretsmanager.BatchGetSecretValue",
            json!({"Filters": [{"Key": "name", "Values": ["prod"]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["__type"], "AccessDeniedException", "{answer}");
    assert!(
        answer.to_string().contains("secretsmanager:ListSecrets"),
        "{answer}"
    );
    let (status, answer) = reader
        .aws(
            "secretsmanager.BatchGetSecretValue",
            json!({"SecretIdList": ["prod/a", "prod/b"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["SecretValues"].as_array().map(Vec::len),
        Some(2),
        "{answer}"
    );
}

/// Tags on a principal feed `aws:PrincipalTag` conditions, so, as in AWS IAM,
/// giving them needs `iam:TagUser`; the `aws:` and `keyward:` keys are reserved.
#[tokio::test]
async fn tagging_a_new_principal_needs_tag_user() {
    let api = Api::new().await;
    let hr = api
        .principal_with(
            "hr",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["iam:CreateUser", "iam:CreateAccessKey"], "Resource": "*"}]}),
        )
        .await;
    let (status, answer) = hr
        .native("POST", "/v1/principals", Some(json!({"name": "plain"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let tagged = json!({"name": "tagged", "tags": [{"key": "team", "value": "payments"}]});
    let (status, answer) = hr
        .native("POST", "/v1/principals", Some(tagged.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(
        answer.to_string().contains("perform: iam:TagUser on"),
        "{answer}"
    );
    let (status, answer) = api.native("POST", "/v1/principals", Some(tagged)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let reserved =
        json!({"name": "sneaky", "tags": [{"key": "keyward:rotation-of", "value": "x"}]});
    let (status, answer) = api.native("POST", "/v1/principals", Some(reserved)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}

/// The change stream names only what its caller could see: a caller allowed
/// ListSecrets and reads of some parameters (not DescribeParameters) sees secrets'
/// changes and those parameters', not the others'.
#[tokio::test]
async fn the_change_stream_names_only_what_the_caller_may_list() {
    use futures::StreamExt;
    use tower::ServiceExt;
    let api = Api::new().await;
    let lister = api
        .principal_with(
            "lister",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"},
                {"Effect": "Allow", "Action": "ssm:GetParameter",
                 "Resource": "arn:aws:ssm:*:*:parameter/mine/*"}]}),
        )
        .await;
    let watch = lister.native_request("GET", "/v1/watch", Body::empty());
    let resp = keyward_server::router(api.state.clone())
        .oneshot(watch)
        .await
        .expect("infallible");
    assert_eq!(resp.status(), StatusCode::OK);
    let mut events = resp.into_body().into_data_stream();
    for name in ["/hidden/param", "/mine/param"] {
        let (status, answer) = api
            .aws(
                "AmazonSSM.PutParameter",
                json!({"Name": name, "Value": "v", "Type": "String"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    api.native("PUT", "/v1/secrets/visible", Some(json!({"value": "v1"})))
        .await;
    let mut seen = String::new();
    while !seen.contains("visible") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), events.next())
            .await
            .expect("an event within 5 s")
            .expect("the stream is open")
            .expect("bytes");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(!seen.contains("hidden"), "{seen}");
    assert!(
        seen.contains("/mine/param"),
        "a parameter it may read: {seen}"
    );
}
