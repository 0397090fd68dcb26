//! Hot-path timing. Ignored by default; run with
//! `cargo test --release -p keyward-policy --test perf -- --ignored --nocapture`.

use std::hint::black_box;
use std::time::Instant;

use keyward_policy::{Policy, RequestContext, evaluate};

/// On-CPU nanoseconds of this thread (Linux), so that a loaded machine
/// does not inflate the numbers; falls back to wall time.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn per_eval_ns(policies: &[&Policy], resource: Option<&Policy>, ctx: &RequestContext) -> f64 {
    let n = 1_000_000u32;
    for _ in 0..1000 {
        black_box(evaluate(black_box(policies), resource, black_box(ctx)));
    }
    let (t, c) = (Instant::now(), cpu_ns());
    for _ in 0..n {
        black_box(evaluate(black_box(policies), resource, black_box(ctx)));
    }
    let ns = match (c, cpu_ns()) {
        (Some(a), Some(b)) => (b - a) as f64,
        _ => t.elapsed().as_nanos() as f64,
    };
    ns / f64::from(n)
}

#[test]
#[ignore = "timing; run in release"]
fn evaluation_is_fast() {
    let simple = Policy::parse(
        r#"{"Effect":"Allow","Action":["ssm:GetParameter"],"Resource":"arn:aws:ssm:*:*:parameter/myapp/prod/*"}"#,
    )
    .unwrap();
    let conditioned = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":["secretsmanager:Get*","secretsmanager:Describe*"],
           "Resource":"arn:aws:secretsmanager:*:*:secret:production/*",
           "Condition":{"StringEquals":{"aws:PrincipalTag/Role":"admin"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},
                        "Bool":{"aws:SecureTransport":"true"}}},
          {"Sid":"D","Effect":"Deny","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:${aws:username}-private*"}]}"#,
    )
    .unwrap();
    let ctx = RequestContext::new(
        "ssm:GetParameter",
        "arn:aws:ssm:us-east-1:123456789012:parameter/myapp/prod/database_url",
        "arn:aws:iam::123456789012:user/app",
        "123456789012",
    );
    let ctx2 = RequestContext::new(
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:production/db-AbCdEf",
        "arn:aws:iam::123456789012:user/app",
        "123456789012",
    )
    .with_value("aws:PrincipalTag/Role", "admin")
    .with_value("aws:SourceIp", "10.1.2.3")
    .with_value("aws:SecureTransport", "true")
    .with_value("aws:username", "app");
    for (act, res) in [
        ("*", "*"),
        ("ssm:GetParameter", "*"),
        ("*", "arn:aws:ssm:*:*:parameter/myapp/prod/*"),
        (
            "*",
            "arn:aws:ssm:us-east-1:123456789012:parameter/myapp/prod/database_url",
        ),
    ] {
        let p = Policy::parse(&format!(
            r#"{{"Effect":"Allow","Action":"{act}","Resource":"{res}"}}"#
        ))
        .unwrap();
        println!(
            "Action {act} / Resource {res}: {:.0} ns/eval",
            per_eval_ns(&[&p], None, &ctx)
        );
    }
    let a = per_eval_ns(&[&simple], None, &ctx);
    let b = per_eval_ns(&[&conditioned], None, &ctx2);
    println!(
        "simple policy: {a:.0} ns/eval; 2 statements + 3 conditions + variable: {b:.0} ns/eval"
    );
    if !cfg!(debug_assertions) {
        assert!(a < 1000.0, "simple evaluation took {a} ns");
    }
}
