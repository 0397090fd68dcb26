//! Replication is authorized on the replica's side too, its writes are audited, and
//! propagation runs as the system principal and marks failures (issue 11, break 1).

use crate::common::aws::sm_as;
use crate::{ACCOUNT, aws_server, edit_database, principal_with};
use serde_json::{Value, json};

/// Allowed everything on `/myapp/dev/*` in us-east-1 only, explicitly denied
/// anything requested in eu-west-1.
fn dev_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:*",
         "Resource": format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:/myapp/dev/*")},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}
    ]})
}

fn value_in(s: &crate::common::TestServer, region: &str, id: &str) -> Value {
    s.sm(region, "GetSecretValue", json!({"SecretId": id})).ok()["SecretString"].clone()
}

#[test]
fn replicating_into_a_denied_region_is_refused_and_changes_nothing() {
    let s = aws_server();
    let dev = principal_with(&s, "dev", &dev_policy());
    let dev = (dev.0.as_str(), dev.1.as_str());
    // Someone else's secret of that name in eu-west-1.
    s.sm(
        "eu-west-1",
        "CreateSecret",
        json!({"Name": "/myapp/dev/shared", "SecretString": "eu-original"}),
    )
    .ok();
    sm_as(
        &s,
        dev,
        "us-east-1",
        "CreateSecret",
        json!({"Name": "/myapp/dev/shared", "SecretString": "attacker"}),
    )
    .ok();

    for force in [true, false] {
        let r = sm_as(
            &s,
            dev,
            "us-east-1",
            "ReplicateSecretToRegions",
            json!({
                "SecretId": "/myapp/dev/shared",
                "AddReplicaRegions": [{"Region": "eu-west-1"}],
                "ForceOverwriteReplicaSecret": force,
            }),
        );
        assert_eq!(
            r.error_type(),
            "AccessDeniedException",
            "force={force}: {}",
            r.json
        );
    }
    assert_eq!(
        value_in(&s, "eu-west-1", "/myapp/dev/shared"),
        "eu-original"
    );
    let versions = s
        .sm(
            "eu-west-1",
            "ListSecretVersionIds",
            json!({"SecretId": "/myapp/dev/shared"}),
        )
        .ok();
    assert_eq!(versions["Versions"].as_array().map(Vec::len), Some(1));

    // CreateSecret with AddReplicaRegions is checked before anything is created.
    let r = sm_as(
        &s,
        dev,
        "us-east-1",
        "CreateSecret",
        json!({
            "Name": "/myapp/dev/other", "SecretString": "x",
            "AddReplicaRegions": [{"Region": "eu-west-1"}],
        }),
    );
    assert_eq!(r.error_type(), "AccessDeniedException", "{}", r.json);
    let gone = s.sm(
        "us-east-1",
        "DescribeSecret",
        json!({"SecretId": "/myapp/dev/other"}),
    );
    assert_eq!(
        gone.error_type(),
        "ResourceNotFoundException",
        "{}",
        gone.json
    );
}

#[test]
fn removing_a_replica_needs_delete_in_its_region() {
    let s = aws_server();
    let dev = principal_with(&s, "dev", &dev_policy());
    let dev = (dev.0.as_str(), dev.1.as_str());
    s.sm(
        "us-east-1",
        "CreateSecret",
        json!({"Name": "/myapp/dev/r", "SecretString": "v1",
        "AddReplicaRegions": [{"Region": "eu-west-1"}]}),
    )
    .ok();
    let r = sm_as(
        &s,
        dev,
        "us-east-1",
        "RemoveRegionsFromReplication",
        json!({"SecretId": "/myapp/dev/r", "RemoveReplicaRegions": ["eu-west-1"]}),
    );
    assert_eq!(r.error_type(), "AccessDeniedException", "{}", r.json);
    assert_eq!(value_in(&s, "eu-west-1", "/myapp/dev/r"), "v1");
}

#[test]
fn replica_writes_are_audited_and_propagation_runs_as_the_system() {
    let s = aws_server();
    let created = s
        .sm(
            "us-east-1",
            "CreateSecret",
            json!({"Name": "/myapp/app/db", "SecretString": "v1"}),
        )
        .ok();
    let primary_arn = created["ARN"].as_str().expect("arn").to_string();
    let replica_arn = primary_arn.replace(":us-east-1:", ":eu-west-1:");
    s.sm(
        "us-east-1",
        "ReplicateSecretToRegions",
        json!({"SecretId": "/myapp/app/db", "AddReplicaRegions": [{"Region": "eu-west-1"}]}),
    )
    .ok();
    assert_eq!(value_in(&s, "eu-west-1", "/myapp/app/db"), "v1");

    s.sm(
        "us-east-1",
        "PutSecretValue",
        json!({"SecretId": "/myapp/app/db", "SecretString": "v2"}),
    )
    .ok();
    assert_eq!(value_in(&s, "eu-west-1", "/myapp/app/db"), "v2");

    s.sm(
        "us-east-1",
        "RemoveRegionsFromReplication",
        json!({"SecretId": "/myapp/app/db", "RemoveReplicaRegions": ["eu-west-1"]}),
    )
    .ok();

    let records = s.audit("");
    let on_replica = |action: &str| -> Vec<Value> {
        records
            .iter()
            .filter(|r| r["resource"] == replica_arn.as_str() && r["action"] == action)
            .cloned()
            .collect()
    };
    let created = on_replica("secretsmanager:ReplicateSecretToRegions");
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["outcome"], "success");
    assert!(
        created[0]["principal"]
            .as_str()
            .unwrap_or("")
            .ends_with(":user/admin")
    );
    let propagated = on_replica("secretsmanager:ReplicateSecretVersion");
    assert_eq!(
        propagated.len(),
        1,
        "one record per replica per change: {propagated:?}"
    );
    assert_eq!(propagated[0]["principal"], "keyward:system");
    assert_eq!(on_replica("secretsmanager:DeleteSecret").len(), 1);
}

#[test]
fn a_replica_that_cannot_be_updated_is_marked_failed() {
    let mut s = aws_server();
    s.sm(
        "us-east-1",
        "CreateSecret",
        json!({"Name": "/myapp/app/f", "SecretString": "v1",
        "AddReplicaRegions": [{"Region": "eu-west-1"}]}),
    )
    .ok();
    // The replica disappears behind keyward's back and someone takes its name.
    edit_database(
        &mut s,
        "DELETE FROM secrets WHERE region = 'eu-west-1' AND name = '/myapp/app/f';",
    );
    s.sm(
        "eu-west-1",
        "CreateSecret",
        json!({"Name": "/myapp/app/f", "SecretString": "squatter"}),
    )
    .ok();

    // The primary's own write still succeeds...
    s.sm(
        "us-east-1",
        "PutSecretValue",
        json!({"SecretId": "/myapp/app/f", "SecretString": "v2"}),
    )
    .ok();
    assert_eq!(value_in(&s, "us-east-1", "/myapp/app/f"), "v2");
    // ...the replica is marked Failed with the reason, and the squatter is untouched.
    let d = s
        .sm(
            "us-east-1",
            "DescribeSecret",
            json!({"SecretId": "/myapp/app/f"}),
        )
        .ok();
    let status = &d["ReplicationStatus"][0];
    assert_eq!(status["Region"], "eu-west-1");
    assert_eq!(status["Status"], "Failed", "{d}");
    assert!(
        status["StatusMessage"]
            .as_str()
            .unwrap_or("")
            .contains("already exists"),
        "{d}"
    );
    assert_eq!(value_in(&s, "eu-west-1", "/myapp/app/f"), "squatter");
}
