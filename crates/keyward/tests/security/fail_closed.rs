//! A stored policy that no longer parses denies instead of vanishing (issue 11,
//! break 8): its Deny statements must not silently stop applying.

use crate::common::aws::sm_as;
use crate::common::{Auth, TestServer};
use crate::{aws_server, edit_database, principal_with};
use serde_json::json;

#[test]
fn an_unreadable_resource_policy_denies_and_names_the_secret() {
    let mut s = aws_server();
    s.sm(
        "us-east-1",
        "CreateSecret",
        json!({"Name": "/rp/guarded", "SecretString": "v"}),
    )
    .ok();
    let (id, secret) = principal_with(&s, "reader", &crate::common::allow(&["*"]));
    s.sm("us-east-1", "PutResourcePolicy", json!({"SecretId": "/rp/guarded", "ResourcePolicy":
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
            "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
            .to_string()})).ok();
    // The stored document is damaged: cut mid-statement.
    edit_database(
        &mut s,
        r#"UPDATE secrets SET resource_policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny",' WHERE name = '/rp/guarded';"#,
    );
    let r = sm_as(
        &s,
        (&id, &secret),
        "us-east-1",
        "GetSecretValue",
        json!({"SecretId": "/rp/guarded"}),
    );
    assert_eq!(r.error_type(), "AccessDeniedException", "{}", r.json);
    let log = s.stderr();
    assert!(
        log.lines()
            .any(|l| l.contains("does not parse") && l.contains("/rp/guarded")),
        "the log names the secret whose policy is broken"
    );
}

#[test]
fn an_unreadable_identity_policy_denies_everything_for_its_principal() {
    let mut s = TestServer::start();
    s.put_secret("fc/value", "fc-value-1");
    let (id, secret) = s.create_principal("half", &[]);
    s.grant("half", "allow-all", &crate::common::allow(&["*"]));
    s.grant(
        "half",
        "deny-reads",
        &json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}),
    );
    let read = |s: &TestServer| {
        s.request(
            "GET",
            &TestServer::secret_path("fc/value"),
            &Auth::Key(id.clone(), secret.clone()),
            None,
            None,
        )
    };
    assert_eq!(read(&s).status, 403);
    edit_database(
        &mut s,
        "UPDATE policies SET document = '{\"Statement\": [' WHERE name = 'deny-reads';",
    );
    let r = read(&s);
    assert_eq!((r.status, r.code()), (403, "access_denied"), "{}", r.text);
}
