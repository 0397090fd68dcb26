//! Shared helpers for the condition test tables.
#![allow(dead_code)]

use keyward_policy::{Decision, Policy, RequestContext, evaluate};

pub type Keys<'a> = &'a [(&'a str, &'a [&'a str])];

/// Does an Allow statement with this `Condition` grant the request?
pub fn allows(condition: &str, keys: Keys<'_>) -> bool {
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"secretsmanager:*",
            "Resource":"*","Condition":{condition}}}]}}"#
    );
    let p = Policy::parse(&doc).unwrap_or_else(|e| panic!("{condition}: {e}"));
    let mut ctx = RequestContext::new(
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
        "arn:aws:iam::123456789012:user/alice",
        "123456789012",
    );
    for (k, vs) in keys {
        ctx.set_values(k, vs.iter().copied());
    }
    match evaluate(&[&p], None, &ctx) {
        Decision::Allow => true,
        Decision::ImplicitDeny => false,
        d => panic!("unexpected {d:?}"),
    }
}

pub fn run(table: &[(&str, Keys<'_>, bool)]) {
    let mut failures = Vec::new();
    for (i, (cond, keys, want)) in table.iter().enumerate() {
        let got = allows(cond, keys);
        if got != *want {
            failures.push(format!(
                "#{i}: {cond} with {keys:?}: got {got}, want {want}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

pub const NONE: Keys<'static> = &[];
