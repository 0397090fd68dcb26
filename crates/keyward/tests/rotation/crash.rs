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

/// Names of the temporary principals external rotators run with.
fn temporary_principals(s: &crate::common::TestServer) -> Vec<String> {
    let list: serde_json::Value =
        serde_json::from_str(&s.cli_ok(&["principal", "ls", "--json"])).expect("principals JSON");
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .filter(|n| n.starts_with("keyward-rotation-"))
        .map(str::to_owned)
        .collect()
}

/// A server killed while a `command` rotator's createSecret runs (the first run
/// of the command hangs; later runs fail at once), then restarted: returns the
/// server, the temporary principal the killed run left behind and the temp dir.
fn killed_during_a_command_step(
    name: &str,
) -> (crate::common::TestServer, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("ran");
    let pidfile = dir.path().join("pid");
    let script = dir.path().join("rotate");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ ! -e {m} ]; then touch {m}; echo $$ > {p}; exec sleep 120; fi\nexit 1\n",
            m = marker.display(),
            p = pidfile.display()
        ),
    )
    .expect("write the rotation command");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let command = script.display().to_string();
    let mut s = server_with(&format!("commands = [\"{command}\"]"));
    s.put_secret(name, "the-old-value-0123456789");
    s.cli_ok(&[
        "rotation",
        "set",
        name,
        "--rotator",
        "command",
        "--command",
        &command,
    ]);
    let mut rotate = s
        .cli_command(&s.access_key_id, &s.secret_access_key)
        .args(["rotate", name])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start keyward rotate");
    let leftover = crate::common::wait_for(
        "the command step to start with a temporary key",
        Duration::from_secs(30),
        || {
            let names = temporary_principals(&s);
            (pidfile.exists() && names.len() == 1).then(|| names[0].clone())
        },
    );
    s.stop(); // SIGKILL: the run cannot delete its key
    let _ = rotate.wait();
    let sleeper = std::fs::read_to_string(&pidfile).expect("pid file");
    let _ = std::process::Command::new("kill")
        .arg(sleeper.trim())
        .status();
    s.spawn();
    s.wait_healthy();
    assert!(temporary_principals(&s).contains(&leftover));
    (s, leftover, dir)
}

#[test]
fn a_resumed_command_rotation_deletes_the_key_a_killed_run_left_behind() {
    let name = "crash/command-resumed";
    let (s, leftover, _dir) = killed_during_a_command_step(name);
    // Still in progress, so only the resumed run (which fails: the command
    // exits 1) can have deleted it.
    wait_for_gone(&s, &leftover);
    let st = wait_for_failure(&s, name);
    assert!(
        st["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("createSecret"),
        "{st}"
    );
    assert!(!st["in_progress"].is_null(), "{st}");
    s.cli_ok(&["rotation", "cancel", name]);
    assert_eq!(
        get(&s, name, "AWSCURRENT", None),
        "the-old-value-0123456789"
    );
}

#[test]
fn the_key_of_a_killed_command_rotation_that_is_cancelled_is_deleted() {
    let name = "crash/command-cancelled";
    let (s, leftover, _dir) = killed_during_a_command_step(name);
    // Cancelled, the rotation is no longer in progress: the scheduler deletes the
    // key (or the resumed run did, had it started before the cancel).
    s.cli_ok(&["rotation", "cancel", name]);
    wait_for_gone(&s, &leftover);
    assert_eq!(
        get(&s, name, "AWSCURRENT", None),
        "the-old-value-0123456789"
    );
    crate::common::wait_for("no temporary principal", Duration::from_secs(30), || {
        temporary_principals(&s).is_empty().then_some(())
    });
}

fn wait_for_gone(s: &crate::common::TestServer, principal: &str) {
    crate::common::wait_for(
        "the leftover temporary principal to be deleted",
        Duration::from_secs(60),
        || (!temporary_principals(s).iter().any(|n| n == principal)).then_some(()),
    );
}

fn wait_for_failure(s: &crate::common::TestServer, name: &str) -> serde_json::Value {
    crate::common::wait_for("the resumed step to fail", Duration::from_secs(60), || {
        let st = status(s, name);
        (!st["last_error"].is_null()).then_some(st)
    })
}
