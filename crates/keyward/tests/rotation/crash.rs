//! Crash safety: the server aborts right after each step's completion is
//! durable (the `KEYWARD_TEST_CRASH_AFTER_STEP` fault point); restarted, it
//! resumes the rotation from the next step, and at every moment AWSCURRENT holds
//! a working value.

use super::support::*;
use std::time::Duration;

#[test]
fn a_server_killed_after_any_step_resumes_the_rotation_after_restart() {
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        let mut s = server_with("");
        let name = format!("crash/{step}");
        s.put_secret(&name, "the-old-value-0123456789");
        s.cli_ok(&[
            "rotation",
            "set",
            &name,
            "--rotator",
            "generated",
            "--format",
            "urlsafe",
        ]);
        // Run with the fault point: the rotation request dies with the server.
        s.stop();
        s.serve_opts.env = vec![("KEYWARD_TEST_CRASH_AFTER_STEP".into(), step.into())];
        s.spawn();
        s.wait_healthy();
        let out = s.cli(&["rotate", &name]);
        assert!(
            !out.status.success(),
            "the server should have died after {step}"
        );
        let status = s.wait_exit(Duration::from_secs(10));
        assert!(!status.success(), "aborted, not a clean exit");
        assert!(s.stderr().contains(&format!("aborting after {step}")));

        // Restart without the fault point. Until the rotation completes (or if
        // it never resumed), AWSCURRENT must still read.
        s.serve_opts.env.clear();
        s.spawn();
        s.wait_healthy();
        let current = get(&s, &name, "AWSCURRENT", None);
        if step != "finishSecret" {
            assert_eq!(
                current, "the-old-value-0123456789",
                "AWSCURRENT moved before finishSecret ({step})"
            );
        }
        let st = wait_rotated(&s, &name);
        assert!(st["last_error"].is_null(), "{st}");
        let new = get(&s, &name, "AWSCURRENT", None);
        assert_ne!(
            new, "the-old-value-0123456789",
            "rotation after a crash in {step} did not complete"
        );
        assert_eq!(
            get(&s, &name, "AWSPREVIOUS", None),
            "the-old-value-0123456789"
        );
        // Exactly one new version: the resumed rotation reused its token.
        assert_eq!(version_count(&s, &name), 2, "after {step}");
        let finished = audited(&s, "keyward:RotationStep/finishSecret");
        assert_eq!(finished.len(), 1, "after {step}");
        // And it stays done: no second rotation on the next ticks.
        std::thread::sleep(Duration::from_millis(800));
        assert_eq!(get(&s, &name, "AWSCURRENT", None), new);
    }
}
