//! Fuzz `keyward_policy::Policy::parse`: it must never panic, and whatever
//! parses must evaluate, validate and round-trip through `to_json`.
//!
//! Needs a `fuzz/Cargo.toml` (cargo-fuzz layout) declaring this target with
//! `libfuzzer-sys` and `keyward-policy` as dependencies.
#![no_main]

use keyward_policy::{Policy, PolicyKind, RequestContext, evaluate, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::parse(text) else {
        return;
    };
    let ctx = RequestContext::new(
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:production/db-AbCdEf",
        "arn:aws:iam::123456789012:user/alice",
        "123456789012",
    )
    .with_value("aws:username", "alice")
    .with_value("aws:SourceIp", "10.1.2.3")
    .with_value("aws:CurrentTime", "2024-06-15T12:00:00Z")
    .with_values("aws:TagKeys", ["a", "b"]);
    let _ = evaluate(&[&policy], Some(&policy), &ctx);
    let _ = validate(&policy, PolicyKind::Resource);
    let _ = validate(&policy, PolicyKind::Identity);
    let json = policy.to_json();
    let again = Policy::parse(&json).expect("canonical JSON must re-parse");
    assert_eq!(again.to_json(), json);
});
