use super::*;
use keyward_store::AuditEvent;
use time::macros::datetime;

fn record(seq: i64, at: OffsetDateTime, action: &str, outcome: Outcome) -> AuditRecord {
    AuditRecord {
        seq,
        mac: String::new(),
        event: AuditEvent {
            time: at,
            request_id: format!("r{seq}"),
            principal: Some("alice".into()),
            access_key_id: Some("AKIAALICE".into()),
            source_ip: Some("10.0.0.9".into()),
            user_agent: None,
            action: action.into(),
            resource: Some(format!(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db{seq}-AbC123"
            )),
            version_id: None,
            outcome,
            error_code: None,
            api: "aws".into(),
            count: None,
        },
    }
}

fn engine(toml: &str) -> Engine {
    let cfg: RulesConfig = toml::from_str(toml).expect("rules parse");
    Engine::new(cfg.resolve().expect("rules resolve"))
}

const T0: OffsetDateTime = datetime!(2026-01-14 10:00 UTC);

fn rules_of(alerts: &[Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.rule.as_str()).collect()
}

#[test]
fn bad_credentials_alert_once_at_the_threshold_and_follow_up_once_per_window() {
    let mut e =
        engine("[brute_force]\nthreshold = 5\nwindow = 60\n[first_read]\nenabled = false\n");
    let mut alerts = Vec::new();
    for i in 0..1000 {
        let mut r = record(
            i,
            T0 + Duration::from_millis(i as u64 * 10),
            "secretsmanager:GetSecretValue",
            Outcome::Unauthenticated,
        );
        r.event.principal = None;
        alerts.extend(e.evaluate(&[r]));
    }
    assert_eq!(rules_of(&alerts), ["brute_force"], "{alerts:#?}");
    assert_eq!(alerts[0].count, 5);
    assert_eq!(alerts[0].severity, Severity::High);
    assert!(
        alerts[0].summary.contains("10.0.0.9"),
        "{}",
        alerts[0].summary
    );
    // A folded summary record counts as many failures as it stands for.
    let mut folded = record(
        2000,
        T0 + Duration::from_secs(20),
        "keyward:AuthenticationFailures",
        Outcome::Unauthenticated,
    );
    folded.event.count = Some(9000);
    assert!(e.evaluate(&[folded]).is_empty());
    let closing = e.tick(T0 + Duration::from_secs(61));
    assert_eq!(
        closing.len(),
        1,
        "one follow-up for the source and key together: {closing:#?}"
    );
    assert_eq!(closing[0].count, 995 + 9000);
    assert!(e.tick(T0 + Duration::from_secs(200)).is_empty());
}

#[test]
fn a_denied_read_is_an_unauthorized_access_attempt() {
    let mut e = engine("");
    let a = e.evaluate(&[record(
        7,
        T0,
        "secretsmanager:GetSecretValue",
        Outcome::Denied,
    )]);
    assert_eq!(rules_of(&a), ["unauthorized_access"]);
    assert_eq!(a[0].severity, Severity::Critical);
    assert_eq!(a[0].secret.as_deref(), Some("prod/db7"));
    assert_eq!(a[0].principal.as_deref(), Some("alice"));
    assert_eq!(a[0].id, "unauthorized_access:7");
}

#[test]
fn failed_and_deleted_reads_and_system_events_have_their_rules() {
    let mut e = engine("");
    let mut missing = record(1, T0, "ssm:GetParameter", Outcome::NotFound);
    missing.event.error_code = Some("ParameterNotFound".into());
    let mut deleted = record(2, T0, "secretsmanager:GetSecretValue", Outcome::Invalid);
    deleted.event.error_code = Some("InvalidRequestException".into());
    let mut rotation = record(3, T0, "keyward:RotationFailed", Outcome::Error);
    rotation.event.api = "system".into();
    let glass = record(4, T0, "keyward:BreakGlass", Outcome::Success);
    let chain = record(5, T0, "keyward:VerifyAudit", Outcome::Error);
    let a = e.evaluate(&[missing, deleted, rotation, glass, chain]);
    assert_eq!(
        rules_of(&a),
        [
            "failed_retrieval",
            "deleted_secret_read",
            "rotation_failure",
            "break_glass",
            "audit_chain_failure"
        ]
    );
    let sev: Vec<Severity> = a.iter().map(|a| a.severity).collect();
    assert_eq!(
        sev,
        [
            Severity::High,
            Severity::High,
            Severity::High,
            Severity::Critical,
            Severity::Critical
        ]
    );
}

#[test]
fn rules_can_be_turned_off_and_reweighted() {
    let mut e =
        engine("[unauthorized_access]\nenabled = false\n[failed_retrieval]\nseverity = \"low\"\n");
    assert!(
        e.evaluate(&[record(
            1,
            T0,
            "secretsmanager:GetSecretValue",
            Outcome::Denied
        )])
        .is_empty()
    );
    let a = e.evaluate(&[record(
        2,
        T0,
        "secretsmanager:GetSecretValue",
        Outcome::Error,
    )]);
    assert_eq!(a[0].severity, Severity::Low);
    assert!(toml::from_str::<RulesConfig>("[brute_force]\nthreshhold = 3\n").is_err());
    assert!(toml::from_str::<RulesConfig>("[no_such_rule]\n").is_err());
    let zero: RulesConfig = toml::from_str("[brute_force]\nthreshold = 0\n").unwrap();
    assert!(zero.resolve().is_err());
}

#[test]
fn first_reads_alert_once_per_principal_and_secret() {
    let mut e = engine("");
    let r = |seq, name: &str| {
        let mut r = record(seq, T0, "secretsmanager:GetSecretValue", Outcome::Success);
        r.event.resource = Some(name.into());
        r
    };
    e.remember_reads(&[r(1, "old")]);
    let a = e.evaluate(&[r(2, "old"), r(3, "new"), r(4, "new")]);
    assert_eq!(rules_of(&a), ["first_read"]);
    assert_eq!(a[0].secret.as_deref(), Some("new"));
    assert_eq!(a[0].severity, Severity::Low);
}

#[test]
fn reading_many_more_secrets_than_the_baseline_alerts_once_per_window() {
    let mut e = engine(
        "[first_read]\nenabled = false\n[unusual_access]\nthreshold = 5\nwindow = 60\nfactor = 3\n",
    );
    // Window 1: 2 distinct secrets (baseline becomes 0.6).
    let mut seq = 0;
    let mut read = |e: &mut Engine, at: OffsetDateTime, name: String| {
        seq += 1;
        let mut r = record(seq, at, "secretsmanager:GetSecretValue", Outcome::Success);
        r.event.resource = Some(name);
        e.evaluate(&[r])
    };
    for i in 0..2 {
        assert!(read(&mut e, T0, format!("s{i}")).is_empty());
    }
    // Window 2: a burst of 8 distinct secrets: one alert, at the fifth.
    let mut alerts = Vec::new();
    for i in 0..8 {
        alerts.extend(read(&mut e, T0 + Duration::from_secs(61), format!("b{i}")));
    }
    assert_eq!(rules_of(&alerts), ["unusual_access"], "{alerts:#?}");
    assert_eq!(alerts[0].count, 5);
    assert_eq!(alerts[0].severity, Severity::Medium);
    // Reading the same secret again and again is not "many distinct secrets".
    let mut same = Vec::new();
    for _ in 0..50 {
        same.extend(read(&mut e, T0 + Duration::from_secs(200), "s0".into()));
    }
    assert!(same.is_empty(), "{same:#?}");
}

#[test]
fn reads_outside_business_hours_alert_and_inside_do_not() {
    let cfg = "[first_read]\nenabled = false\n[[off_hours.business_hours]]\nsecrets = \"prod/\"\ntime_zone = \"UTC\"\ndays = \"mon-fri\"\nhours = \"09:00-17:00\"\n";
    let mut e = engine(cfg);
    let inside = record(1, T0, "secretsmanager:GetSecretValue", Outcome::Success);
    assert!(e.evaluate(&[inside]).is_empty());
    let night = record(
        2,
        datetime!(2026-01-14 23:00 UTC),
        "secretsmanager:GetSecretValue",
        Outcome::Success,
    );
    let a = e.evaluate(&[night]);
    assert_eq!(rules_of(&a), ["off_hours"]);
    assert_eq!(a[0].severity, Severity::Medium);
    let mut other_env = record(
        3,
        datetime!(2026-01-14 23:00 UTC),
        "secretsmanager:GetSecretValue",
        Outcome::Success,
    );
    other_env.event.resource = Some("dev/db".into());
    assert!(
        e.evaluate(&[other_env]).is_empty(),
        "only prod/ has business hours"
    );
}
