//! A schedule (shortened by the documented test setting) fires inside its
//! window once, and its persisted next run survives a restart: no second run
//! after the restart, and no run per missed period.

use super::support::*;
use crate::common::wait_for;
use serde_json::Value;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn at(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().expect("a time"), &Rfc3339).expect("RFC 3339")
}

#[test]
fn aws_minimum_rate_holds_without_the_test_setting() {
    let s = server_with("");
    s.put_secret("sched/strict", "value-0123456789");
    let out = s.cli(&[
        "rotation",
        "set",
        "sched/strict",
        "--rotator",
        "generated",
        "--schedule",
        "rate(10 seconds)",
    ]);
    assert!(!out.status.success());
    let out = s.cli(&[
        "rotation",
        "set",
        "sched/strict",
        "--rotator",
        "generated",
        "--schedule",
        "rate(1 hours)",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("4 hours"), "{err}");
    s.cli_ok(&[
        "rotation",
        "set",
        "sched/strict",
        "--rotator",
        "generated",
        "--schedule",
        "cron(0 3 ? * SUN *)",
        "--window",
        "2h",
    ]);
    let st = status(&s, "sched/strict");
    let next = at(&st["next_rotation"]);
    assert_eq!(next.weekday(), time::Weekday::Sunday);
    assert_eq!(next.hour(), 3);
    assert!(next.minute() < 60);
}

#[test]
fn a_shortened_schedule_fires_once_in_its_window_and_not_again_after_restart() {
    let mut s = server_with("test_minimum_rate = 1");
    s.put_secret("sched/token", "value-0123456789");
    let set_at = OffsetDateTime::now_utc();
    s.cli_ok(&[
        "rotation",
        "set",
        "sched/token",
        "--rotator",
        "generated",
        "--schedule",
        "rate(6 seconds)",
        "--window",
        "2s",
    ]);
    let planned = at(&status(&s, "sched/token")["next_rotation"]);
    assert!(
        planned >= set_at + Duration::from_secs(5) && planned <= set_at + Duration::from_secs(8),
        "{planned} vs {set_at}"
    );
    let st = wait_rotated(&s, "sched/token");
    let fired = at(&st["last_rotated"]);
    assert!(
        fired >= planned - Duration::from_millis(1),
        "fired before its time"
    );
    assert!(
        fired <= planned + Duration::from_secs(2),
        "fired outside its window: {fired} vs {planned}"
    );
    assert_eq!(version_count(&s, "sched/token"), 2, "fired exactly once");
    let next = at(&st["next_rotation"]);
    assert!(next >= fired + Duration::from_secs(5));

    // Restart at once: the persisted next run holds; nothing runs again now.
    s.restart();
    std::thread::sleep(Duration::from_millis(1500));
    let after = status(&s, "sched/token");
    assert_eq!(
        at(&after["next_rotation"]),
        next,
        "the restart moved the next run"
    );
    assert_eq!(
        at(&after["last_rotated"]),
        fired,
        "a second run after the restart"
    );
    assert_eq!(version_count(&s, "sched/token"), 2);

    // Downtime across several periods: one catch-up run, not one per period.
    s.stop();
    std::thread::sleep(Duration::from_secs(14));
    s.spawn();
    s.wait_healthy();
    let caught_up = wait_for("the catch-up run", Duration::from_secs(10), || {
        let st = status(&s, "sched/token");
        (at(&st["last_rotated"]) > fired).then_some(st)
    });
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(version_count(&s, "sched/token"), 3, "one catch-up run");
    assert!(at(&caught_up["next_rotation"]) > OffsetDateTime::now_utc());
}
