//! How many versions a secret keeps, as AWS documents it: Secrets Manager keeps
//! every version less than 24 hours old however many there are; Parameter Store
//! keeps 100, dropping the oldest, and refuses the write when the oldest has a
//! label. (The 24-hour rule itself is checked without waiting in the store's
//! conformance suite, which moves `now`.)

use crate::common::TestServer;
use serde_json::{Value, json};

const REGION: &str = "us-east-1";
const PRUNED: &str = "keyward:PruneSecretVersion";

fn pruned_records(s: &TestServer) -> Vec<Value> {
    s.audit_all()
        .into_iter()
        .filter(|r| r["action"] == PRUNED)
        .collect()
}

#[test]
fn secrets_manager_keeps_versions_younger_than_a_day_past_100() {
    let s = TestServer::start();
    s.sm(
        REGION,
        "CreateSecret",
        json!({"Name": "limits/sm", "SecretString": "v-0"}),
    )
    .ok();
    for i in 1..=101 {
        s.sm(
            REGION,
            "PutSecretValue",
            json!({"SecretId": "limits/sm", "SecretString": format!("v-{i}")}),
        )
        .ok();
    }
    let h: Value =
        serde_json::from_str(&s.cli_ok(&["history", "limits/sm", "--json"])).expect("history");
    assert_eq!(h["versions"].as_array().map(Vec::len), Some(102));
    assert!(pruned_records(&s).is_empty());
}

/// Every version number GetParameterHistory lists, oldest first.
fn parameter_versions(s: &TestServer, name: &str) -> Vec<i64> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut body = json!({"Name": name, "MaxResults": 50});
        if let Some(t) = &next {
            body["NextToken"] = json!(t);
        }
        let page = s.ssm(REGION, "GetParameterHistory", body).ok();
        out.extend(
            page["Parameters"]
                .as_array()
                .expect("Parameters")
                .iter()
                .map(|p| p["Version"].as_i64().expect("Version")),
        );
        match page["NextToken"].as_str() {
            Some(t) => next = Some(t.to_string()),
            None => return out,
        }
    }
}

#[test]
fn parameter_store_keeps_100_versions_and_audits_the_one_it_drops() {
    let s = TestServer::start();
    let name = "/limits/param";
    let put = |i: usize| {
        s.ssm(
            REGION,
            "PutParameter",
            json!({"Name": name, "Value": format!("p-{i}"), "Type": "String", "Overwrite": true}),
        )
    };
    for i in 1..=100 {
        put(i).ok();
    }
    assert_eq!(parameter_versions(&s, name), (1..=100).collect::<Vec<_>>());
    assert!(pruned_records(&s).is_empty());

    put(101).ok();
    assert_eq!(parameter_versions(&s, name), (2..=101).collect::<Vec<_>>());
    let pruned = pruned_records(&s);
    assert_eq!(pruned.len(), 1, "{pruned:?}");
    assert_eq!(pruned[0]["version_id"], "1");
    let verify = s.get("/v1/audit/verify").expect(200);
    assert_eq!(verify.json["ok"], true, "{}", verify.text);

    // A label on the oldest version: it cannot go, so the write is refused.
    s.ssm(
        REGION,
        "LabelParameterVersion",
        json!({"Name": name, "ParameterVersion": 2, "Labels": ["pinned"]}),
    )
    .ok();
    let refused = put(102);
    assert_eq!(refused.status, 400, "{}", refused.json);
    assert_eq!(refused.error_type(), "ParameterMaxVersionLimitExceeded");
    assert_eq!(parameter_versions(&s, name), (2..=101).collect::<Vec<_>>());
}
