//! Every native route × every way of (not) being allowed to call it: the status, the
//! error code, and an audit record for each denial.

use crate::common::{Auth, TestServer, allow, now};
use keyward_crypto::bearer::make_token;
use serde_json::{Value, json};

/// One native route: how to call it, the action it maps to, and the actions a
/// narrowly-scoped principal needs to be allowed to call it.
struct Route {
    method: &'static str,
    path: String,
    body: Option<Value>,
    action: &'static str,
    /// What a principal must be allowed to call the route.
    allow_actions: &'static [&'static str],
    /// Status of the allowed call.
    ok_status: u16,
}

fn route(
    method: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    action: &'static str,
    allow_actions: &'static [&'static str],
    ok_status: u16,
) -> Route {
    Route {
        method,
        path: path.into(),
        body,
        action,
        allow_actions,
        ok_status,
    }
}

/// The ways a caller can present itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    NoCredentials,
    WrongSecret,
    UnknownKeyId,
    MalformedToken,
    ExpiredToken,
    PolicyDenies,
    ExplicitDeny,
}

const DENIAL_CASES: [Case; 7] = [
    Case::NoCredentials,
    Case::WrongSecret,
    Case::UnknownKeyId,
    Case::MalformedToken,
    Case::ExpiredToken,
    Case::PolicyDenies,
    Case::ExplicitDeny,
];

impl Case {
    /// (status, native code, audit outcome)
    fn expected(self) -> (u16, &'static str, &'static str) {
        match self {
            Case::NoCredentials => (403, "missing_credentials", "unauthenticated"),
            Case::WrongSecret | Case::UnknownKeyId | Case::MalformedToken | Case::ExpiredToken => {
                (403, "invalid_credentials", "unauthenticated")
            }
            Case::PolicyDenies | Case::ExplicitDeny => (403, "access_denied", "denied"),
        }
    }
}

#[test]
fn every_route_by_every_credential_case() {
    let srv = TestServer::start();
    let secret = "matrix/s1";
    srv.put_secret(secret, "matrix-value-1");
    let (victim_key, _) = srv.create_principal("victim", &[]);
    srv.put(
        "/v1/policies/matrix-pol",
        &allow(&["secretsmanager:DescribeSecret"]),
    )
    .expect(200);

    // Denied by omission: a policy that allows only something else.
    let (limited_id, limited_secret) = srv.create_principal("limited", &[]);
    srv.grant(
        "limited",
        "only-describe",
        &allow(&["secretsmanager:DescribeSecret"]),
    );

    let routes = vec![
        route(
            "GET",
            "/v1/secrets",
            None,
            "secretsmanager:ListSecrets",
            &["secretsmanager:ListSecrets"],
            200,
        ),
        route(
            "POST",
            "/v1/secrets",
            Some(json!({"name": "matrix/created", "value": "v"})),
            "secretsmanager:CreateSecret",
            &["secretsmanager:CreateSecret"],
            201,
        ),
        route(
            "GET",
            TestServer::secret_path(secret),
            None,
            "secretsmanager:GetSecretValue",
            &["secretsmanager:GetSecretValue"],
            200,
        ),
        route(
            "PUT",
            TestServer::secret_path(secret),
            Some(json!({"value": "matrix-value-2"})),
            "secretsmanager:PutSecretValue",
            &["secretsmanager:PutSecretValue"],
            200,
        ),
        route(
            "GET",
            "/v1/history/matrix/s1",
            None,
            "secretsmanager:ListSecretVersionIds",
            &["secretsmanager:ListSecretVersionIds"],
            200,
        ),
        route(
            "DELETE",
            TestServer::secret_path(secret),
            None,
            "secretsmanager:DeleteSecret",
            &["secretsmanager:DeleteSecret"],
            200,
        ),
        route(
            "POST",
            "/v1/restore/matrix/s1",
            None,
            "secretsmanager:RestoreSecret",
            &["secretsmanager:RestoreSecret"],
            200,
        ),
        route(
            "GET",
            "/v1/principals",
            None,
            "iam:ListUsers",
            &["iam:ListUsers"],
            200,
        ),
        route(
            "POST",
            "/v1/principals",
            Some(json!({"name": "matrix-new"})),
            "iam:CreateUser",
            &["iam:CreateUser", "iam:CreateAccessKey"],
            201,
        ),
        route(
            "GET",
            "/v1/principals/victim",
            None,
            "iam:GetUser",
            &["iam:GetUser"],
            200,
        ),
        route(
            "POST",
            "/v1/principals/victim/keys",
            None,
            "iam:CreateAccessKey",
            &["iam:CreateAccessKey"],
            201,
        ),
        route(
            "PUT",
            "/v1/policies/matrix-pol2",
            Some(allow(&["s3:GetObject"])),
            "iam:CreatePolicy",
            &["iam:CreatePolicy"],
            200,
        ),
        route(
            "GET",
            "/v1/policies",
            None,
            "iam:ListPolicies",
            &["iam:ListPolicies"],
            200,
        ),
        route(
            "GET",
            "/v1/policies/matrix-pol",
            None,
            "iam:GetPolicy",
            &["iam:GetPolicy"],
            200,
        ),
        route(
            "PUT",
            "/v1/principals/victim/policies/matrix-pol",
            None,
            "iam:AttachUserPolicy",
            &["iam:AttachUserPolicy"],
            200,
        ),
        route(
            "DELETE",
            "/v1/principals/victim/policies/matrix-pol",
            None,
            "iam:DetachUserPolicy",
            &["iam:DetachUserPolicy"],
            200,
        ),
        route(
            "DELETE",
            "/v1/policies/matrix-pol2",
            None,
            "iam:DeletePolicy",
            &["iam:DeletePolicy"],
            200,
        ),
        route(
            "DELETE",
            format!("/v1/keys/{victim_key}"),
            None,
            "iam:DeleteAccessKey",
            &["iam:DeleteAccessKey"],
            200,
        ),
        route(
            "DELETE",
            "/v1/principals/victim",
            None,
            "iam:DeleteUser",
            &["iam:DeleteUser"],
            200,
        ),
        route(
            "GET",
            "/v1/audit",
            None,
            "cloudtrail:LookupEvents",
            &["cloudtrail:LookupEvents"],
            200,
        ),
        route(
            "GET",
            "/v1/audit/verify",
            None,
            "keyward:VerifyAudit",
            &["keyward:VerifyAudit"],
            200,
        ),
        // Last: it seals the server.
        route(
            "POST",
            "/v1/sys/seal",
            None,
            "keyward:Seal",
            &["keyward:Seal"],
            200,
        ),
    ];

    // Explicit deny: everything allowed, except every action under test.
    let (deny_id, deny_secret) = srv.create_principal("denied", &[]);
    let denied_actions: Vec<&str> = routes.iter().map(|r| r.action).collect();
    srv.grant(
        "denied",
        "allow-all-but",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": denied_actions, "Resource": "*"},
        ]}),
    );

    // One narrowly-allowed principal per route.
    let mut allowed_keys = Vec::new();
    for (i, r) in routes.iter().enumerate() {
        let name = format!("allowed-{i}");
        let key = srv.create_principal(&name, &[]);
        srv.grant(&name, &format!("allow-{i}"), &allow(r.allow_actions));
        allowed_keys.push(key);
    }

    // Denials first: none of them may change anything.
    for (i, r) in routes.iter().enumerate() {
        for case in DENIAL_CASES {
            let auth = match case {
                Case::NoCredentials => Auth::None,
                Case::WrongSecret => {
                    Auth::Key(srv.access_key_id.clone(), "not-the-secret-1234".into())
                }
                Case::UnknownKeyId => {
                    Auth::Key("KWNOSUCHKEY00000000".into(), srv.secret_access_key.clone())
                }
                Case::MalformedToken => Auth::Header("Bearer kw1.not-a-token".into()),
                Case::ExpiredToken => Auth::Header(format!(
                    "Bearer {}",
                    make_token(&srv.access_key_id, &srv.secret_access_key, now() - 3600)
                )),
                Case::PolicyDenies => Auth::Key(limited_id.clone(), limited_secret.clone()),
                Case::ExplicitDeny => Auth::Key(deny_id.clone(), deny_secret.clone()),
            };
            let ua = format!("itest-matrix/{i}/{case:?}");
            let body = r.body.as_ref().map(|b| b.to_string().into_bytes());
            let resp = srv.request(r.method, &r.path, &auth, body, Some(&ua));
            let (status, code, _) = case.expected();
            assert_eq!(
                (resp.status, resp.code()),
                (status, code),
                "{} {} with {case:?}: {}",
                r.method,
                r.path,
                resp.text
            );
            if case == Case::ExplicitDeny {
                assert!(resp.message().contains("explicit deny"), "{}", resp.text);
                assert!(resp.message().contains(r.action), "{}", resp.text);
            }
            if case == Case::PolicyDenies {
                assert!(resp.message().contains(r.action), "{}", resp.text);
            }
        }
    }

    // Each denial left exactly one audit record, with its outcome and action, and
    // (for authorization denials) the resource and the principal.
    let records = srv.audit("");
    for (i, r) in routes.iter().enumerate() {
        for case in DENIAL_CASES {
            let ua = format!("itest-matrix/{i}/{case:?}");
            let found: Vec<&Value> = records
                .iter()
                .filter(|rec| rec["user_agent"].as_str() == Some(&ua))
                .collect();
            assert_eq!(
                found.len(),
                1,
                "audit records for {ua} ({} {}): {found:?}",
                r.method,
                r.path
            );
            let rec = found[0];
            let (_, _, outcome) = case.expected();
            assert_eq!(rec["outcome"], outcome, "{ua}: {rec}");
            assert_eq!(rec["action"], r.action, "{ua}: {rec}");
            assert!(rec["error_code"].is_string(), "{ua}: {rec}");
            match case {
                Case::PolicyDenies | Case::ExplicitDeny => {
                    let res = rec["resource"].as_str().unwrap_or_default();
                    assert!(!res.is_empty(), "{ua}: denial without a resource: {rec}");
                    let who = if case == Case::PolicyDenies {
                        "limited"
                    } else {
                        "denied"
                    };
                    assert!(
                        rec["principal"]
                            .as_str()
                            .unwrap_or_default()
                            .ends_with(&format!(":user/{who}")),
                        "{ua}: {rec}"
                    );
                }
                Case::WrongSecret | Case::ExpiredToken => {
                    // The presented (unverified) key id is kept, but no principal.
                    assert_eq!(
                        rec["access_key_id"],
                        srv.access_key_id.as_str(),
                        "{ua}: {rec}"
                    );
                    assert!(rec["principal"].is_null(), "{ua}: {rec}");
                }
                Case::UnknownKeyId => {
                    assert_eq!(rec["access_key_id"], "KWNOSUCHKEY00000000", "{ua}: {rec}");
                    assert!(rec["principal"].is_null(), "{ua}: {rec}");
                }
                Case::NoCredentials | Case::MalformedToken => {
                    assert!(rec["principal"].is_null(), "{ua}: {rec}");
                }
            }
            // Unauthenticated attempts name their target too, where the request's
            // path names it (a new secret's or principal's name is in the body, an
            // access key's owner is only looked up for authenticated callers).
            let target_in_path = !matches!(
                (r.method, r.path.as_str()),
                ("POST", "/v1/secrets") | ("POST", "/v1/principals")
            ) && !r.path.starts_with("/v1/keys/");
            if target_in_path {
                assert!(
                    rec["resource"].as_str().is_some_and(|s| !s.is_empty()),
                    "{ua}: no resource: {rec}"
                );
            }
        }
    }
    // Resources are the right ones for a few representative routes.
    let resource_of = |i: usize| -> String {
        let ua = format!("itest-matrix/{i}/{:?}", Case::PolicyDenies);
        records
            .iter()
            .find(|rec| rec["user_agent"].as_str() == Some(&ua))
            .and_then(|rec| rec["resource"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        resource_of(2)
            .starts_with("arn:aws:secretsmanager:us-east-1:000000000000:secret:matrix/s1-"),
        "{}",
        resource_of(2)
    );
    assert_eq!(resource_of(9), "arn:aws:iam::000000000000:user/victim");
    assert_eq!(
        resource_of(13),
        "arn:aws:iam::000000000000:policy/matrix-pol"
    );
    let unauthenticated_resource = |i: usize| -> String {
        let ua = format!("itest-matrix/{i}/{:?}", Case::NoCredentials);
        records
            .iter()
            .find(|rec| rec["user_agent"].as_str() == Some(&ua))
            .and_then(|rec| rec["resource"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        unauthenticated_resource(2),
        "arn:aws:secretsmanager:us-east-1:000000000000:secret:matrix/s1"
    );
    assert_eq!(
        unauthenticated_resource(9),
        "arn:aws:iam::000000000000:user/victim"
    );

    // A caller who may not delete keys cannot tell an unknown key id from a real one.
    for key in [victim_key.as_str(), "KWNOSUCHKEY00000000"] {
        let r = srv.request(
            "DELETE",
            &format!("/v1/keys/{key}"),
            &Auth::Key(limited_id.clone(), limited_secret.clone()),
            None,
            None,
        );
        assert_eq!(
            (r.status, r.code()),
            (403, "access_denied"),
            "{key}: {}",
            r.text
        );
    }

    // Nothing changed: the secret still has one version and the victim still exists.
    let hist = srv.get("/v1/history/matrix/s1").expect(200);
    assert_eq!(hist.json["versions"].as_array().map(Vec::len), Some(1));
    srv.get("/v1/principals/victim").expect(200);
    srv.get("/v1/secrets/matrix/created").expect(404);

    // Then the allowed calls, each by a principal allowed exactly that action.
    for (i, r) in routes.iter().enumerate() {
        let (id, secret) = allowed_keys[i].clone();
        let ua = format!("itest-matrix/{i}/Allowed");
        let body = r.body.as_ref().map(|b| b.to_string().into_bytes());
        let resp = srv.request(r.method, &r.path, &Auth::Key(id, secret), body, Some(&ua));
        assert_eq!(
            resp.status, r.ok_status,
            "{} {} allowed: {}",
            r.method, r.path, resp.text
        );
    }
    // The last route sealed the server: it answers nothing until unsealed.
    let sealed = srv.request("GET", "/v1/secrets", &Auth::Admin, None, None);
    assert_eq!(
        (sealed.status, sealed.code()),
        (503, "sealed"),
        "{}",
        sealed.text
    );
    srv.post("/v1/sys/unseal", &json!({"root_key": srv.root_key()}))
        .expect(200);

    let records = srv.audit("");
    for (i, r) in routes.iter().enumerate() {
        let ua = format!("itest-matrix/{i}/Allowed");
        // A request that writes more than one thing (a principal and its key)
        // commits one record per write; the one for the route's own action counts.
        let rec = records
            .iter()
            .find(|rec| rec["user_agent"].as_str() == Some(&ua) && rec["action"] == r.action)
            .unwrap_or_else(|| panic!("no audit record of {} for {ua}", r.action));
        assert_eq!(rec["outcome"], "success", "{ua}: {rec}");
        assert_eq!(rec["action"], r.action, "{ua}: {rec}");
        assert!(
            rec["principal"]
                .as_str()
                .unwrap_or_default()
                .ends_with(&format!(":user/allowed-{i}")),
            "{ua}: {rec}"
        );
    }
    srv.get("/v1/audit/verify").expect(200);
    let verify = srv.get("/v1/audit/verify").expect(200);
    assert_eq!(verify.json["ok"], true, "{}", verify.text);
}
