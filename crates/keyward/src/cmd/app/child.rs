//! Running the command: spawning it with the resolved environment, forwarding
//! signals, piping its output through the redactor, and reporting its exit.
//!
//! Outside an interactive terminal (and always under `--watch`) the command gets
//! its own process group: a wrapper (`sh -c`, npm, a start script) forks the real
//! server, and only signalling the whole group reaches it. Stopping a command means
//! stopping its group, so no old server keeps its port after a restart or after
//! keyward exits.

use keyward_config::SecretString;
use keyward_config::redact::Redactor;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// Everything the supervisor waits for.
#[derive(Debug)]
pub enum Event {
    /// A signal keyward received (to forward).
    Signal(i32),
    /// A child exited; `generation` tells restarts apart.
    Exited { generation: u64, status: ExitStatus },
    /// A secret changed on the server (its name).
    Changed(String),
}

/// The signals forwarded to the command.
pub const FORWARDED: &[(&str, i32)] = {
    use rustix::process::Signal;
    &[
        ("HUP", Signal::HUP.as_raw()),
        ("INT", Signal::INT.as_raw()),
        ("QUIT", Signal::QUIT.as_raw()),
        ("USR1", Signal::USR1.as_raw()),
        ("USR2", Signal::USR2.as_raw()),
        ("TERM", Signal::TERM.as_raw()),
    ]
};

/// `HUP`, `SIGHUP` or `1` -> 1.
pub fn signal_number(s: &str) -> Option<i32> {
    let up = s.trim().to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    FORWARDED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .or_else(|| {
            name.parse()
                .ok()
                .filter(|n| FORWARDED.iter().any(|(_, v)| v == n))
        })
}

/// Whether keyward runs in the terminal's foreground process group. Then a Ctrl-C
/// (SIGINT) or Ctrl-\ (SIGQUIT) from the terminal already reaches the command,
/// which shares the group, so forwarding it again would deliver it twice.
pub fn terminal_delivers_to_child() -> bool {
    let stdin = std::io::stdin();
    rustix::termios::isatty(&stdin)
        && rustix::termios::tcgetpgrp(&stdin).is_ok_and(|p| p == rustix::process::getpgrp())
}

/// Whether keyward should pass `sig` on to the command.
pub fn should_forward(sig: i32, interactive: bool) -> bool {
    use rustix::process::Signal;
    !(interactive && (sig == Signal::INT.as_raw() || sig == Signal::QUIT.as_raw()))
}

/// Sends signal `sig` to `pid` (errors ignored: the process may just have exited).
pub fn send_signal(pid: u32, sig: i32) {
    use rustix::process::{Pid, Signal, kill_process};
    let (Some(pid), Some(sig)) = (
        i32::try_from(pid).ok().and_then(Pid::from_raw),
        Signal::from_named_raw(sig),
    ) else {
        return;
    };
    let _ = kill_process(pid, sig);
}

/// Sends `sig` to every process of the group `pgid` (errors ignored, as above).
pub fn signal_group(pgid: u32, sig: i32) {
    use rustix::process::{Pid, Signal, kill_process_group};
    let (Some(pgid), Some(sig)) = (
        i32::try_from(pgid).ok().and_then(Pid::from_raw),
        Signal::from_named_raw(sig),
    ) else {
        return;
    };
    let _ = kill_process_group(pgid, sig);
}

/// Whether a live process is left in the group `pgid`. Zombies do not count: they
/// hold no port or file, and their reaping is up to whoever adopted them (an init
/// that reaps lazily would otherwise hold a restart back).
pub fn group_alive(pgid: u32) -> bool {
    use rustix::process::{Pid, test_kill_process_group};
    let exists = i32::try_from(pgid)
        .ok()
        .and_then(Pid::from_raw)
        .is_some_and(|p| test_kill_process_group(p).is_ok());
    exists && live_members(pgid).is_none_or(|n| n > 0)
}

/// The number of non-zombie processes in group `pgid`, from /proc (None where
/// there is no /proc: then the group counts as alive while it exists).
fn live_members(pgid: u32) -> Option<usize> {
    let dir = std::fs::read_dir("/proc").ok()?;
    let mut n = 0;
    for entry in dir.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue; // exited meanwhile
        };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut f = rest.split_ascii_whitespace();
        let (state, _ppid, pgrp) = (f.next(), f.next(), f.next());
        if pgrp.and_then(|g| g.parse::<u32>().ok()) == Some(pgid) && state != Some("Z") {
            n += 1;
        }
    }
    Some(n)
}

/// Stops the group `pgid`: SIGTERM to all of it, SIGKILL to what is left after
/// `grace`, then waits (bounded) until the group is gone. Returns whether it had to
/// kill. The caller's wait thread reaps the leader; orphaned members are reaped by
/// init, so an empty group means every port they held is released.
pub fn stop_group(pgid: u32, grace: Duration) -> bool {
    const POLL: Duration = Duration::from_millis(20);
    if !group_alive(pgid) {
        return false;
    }
    signal_group(pgid, SIGTERM);
    let deadline = std::time::Instant::now() + grace;
    while group_alive(pgid) {
        if std::time::Instant::now() >= deadline {
            signal_group(pgid, SIGKILL);
            // SIGKILL cannot be caught; this only waits for the reaping.
            let limit = std::time::Instant::now() + Duration::from_secs(5);
            while group_alive(pgid) && std::time::Instant::now() < limit {
                std::thread::sleep(POLL);
            }
            return true;
        }
        std::thread::sleep(POLL);
    }
    false
}

pub const SIGKILL: i32 = rustix::process::Signal::KILL.as_raw();

pub const SIGTERM: i32 = rustix::process::Signal::TERM.as_raw();

/// Catches the forwarded signals from now on and reports them as events. Returns
/// once the handlers are installed, so none is lost.
pub fn start_signal_thread(tx: Sender<Event>) -> anyhow::Result<()> {
    let (ready_tx, ready_rx) = channel::<Result<(), String>>();
    std::thread::Builder::new()
        .name("keyward-signals".into())
        .spawn(move || {
            use tokio::signal::unix::{SignalKind, signal};
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            rt.block_on(async move {
                let mut streams = Vec::new();
                for (_, n) in FORWARDED {
                    match signal(SignalKind::from_raw(*n)) {
                        Ok(s) => streams.push((*n, s)),
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    }
                }
                let _ = ready_tx.send(Ok(()));
                loop {
                    let next = futures_select(&mut streams).await;
                    if tx.send(Event::Signal(next)).is_err() {
                        return;
                    }
                }
            });
        })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => anyhow::bail!("cannot install signal handlers: {e}"),
        Err(_) => anyhow::bail!("cannot install signal handlers"),
    }
}

/// Waits for whichever signal comes first.
async fn futures_select(streams: &mut [(i32, tokio::signal::unix::Signal)]) -> i32 {
    std::future::poll_fn(|cx| {
        for (n, s) in streams.iter_mut() {
            if let std::task::Poll::Ready(Some(())) = s.poll_recv(cx) {
                return std::task::Poll::Ready(*n);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// A running command.
#[derive(Debug)]
pub struct Running {
    pub pid: u32,
    /// The command's own process group (its pid), when it has one.
    pub pgid: Option<u32>,
    pub generation: u64,
    pumps: Vec<(JoinHandle<()>, Receiver<()>)>,
}

impl Running {
    /// Delivers `sig` the way a terminal would: to the whole group when the
    /// command has its own, else to the command.
    pub fn signal_all(&self, sig: i32) {
        match self.pgid {
            Some(g) => signal_group(g, sig),
            None => send_signal(self.pid, sig),
        }
    }

    /// Waits (at most `limit`) for the redaction pumps to flush the last output.
    pub fn finish_output(self, limit: Duration) {
        let deadline = std::time::Instant::now() + limit;
        for (handle, done) in self.pumps {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if done.recv_timeout(left).is_ok() {
                let _ = handle.join();
            }
        }
    }
}

/// Which process group the command runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupMode {
    /// keyward's own (the terminal's foreground group: Ctrl-C and reading the
    /// terminal work as without keyward).
    Shared,
    /// A new group led by the command.
    Own,
    /// A new group, with standard input from /dev/null (keyward holds the terminal).
    OwnNoTerminal,
}

/// Why the command could not start, with the shell's exit code for it.
pub struct SpawnError {
    pub code: i32,
    pub message: String,
}

/// Starts `argv` with `env` added to keyward's own environment; with
/// `own_group`, as the leader of a new process group.
pub fn spawn(
    argv: &[String],
    env: &BTreeMap<String, SecretString>,
    redact: Option<&[SecretString]>,
    own_group: GroupMode,
    generation: u64,
    tx: Sender<Event>,
) -> Result<Running, SpawnError> {
    let Some((prog, args)) = argv.split_first() else {
        return Err(SpawnError {
            code: 2,
            message: "no command given after `--`".into(),
        });
    };
    let mut cmd = Command::new(prog);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v.expose());
    }
    if redact.is_some() {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    match own_group {
        GroupMode::Shared => {}
        GroupMode::Own => {
            cmd.process_group(0);
        }
        // A background group reading the terminal would be stopped (SIGTTIN):
        // give it end-of-file instead.
        GroupMode::OwnNoTerminal => {
            cmd.process_group(0).stdin(Stdio::null());
        }
    }
    let mut child = cmd.spawn().map_err(|e| SpawnError {
        code: if e.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        },
        message: format!("cannot start `{prog}`: {e}"),
    })?;
    let mut pumps = Vec::new();
    if let Some(secrets) = redact {
        if let Some(out) = child.stdout.take() {
            pumps.push(pump(out, std::io::stdout(), secrets));
        }
        if let Some(err) = child.stderr.take() {
            pumps.push(pump(err, std::io::stderr(), secrets));
        }
    }
    let pid = child.id();
    std::thread::Builder::new()
        .name("keyward-wait".into())
        .spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = tx.send(Event::Exited { generation, status });
            }
        })
        .map_err(|e| SpawnError {
            code: 126,
            message: format!("cannot wait for `{prog}`: {e}"),
        })?;
    Ok(Running {
        pid,
        pgid: (own_group != GroupMode::Shared).then_some(pid),
        generation,
        pumps,
    })
}

/// Copies `from` to `to` through a redactor until EOF.
fn pump<R: Read + Send + 'static, W: Write + Send + 'static>(
    mut from: R,
    to: W,
    secrets: &[SecretString],
) -> (JoinHandle<()>, Receiver<()>) {
    let secrets: Vec<SecretString> = secrets.to_vec();
    let (done_tx, done_rx) = channel();
    let handle = std::thread::spawn(move || {
        // The matcher only fails to build on absurd inputs; then mask everything
        // rather than leak.
        let mut r = match Redactor::new(to, &secrets) {
            Ok(r) => r,
            Err(_) => {
                let mut sink = std::io::sink();
                let _ = std::io::copy(&mut from, &mut sink);
                let _ = done_tx.send(());
                return;
            }
        };
        let mut buf = [0u8; 8192];
        loop {
            match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if r.write_all(&buf[..n]).and_then(|_| r.flush()).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = r.finish();
        let _ = done_tx.send(());
    });
    (handle, done_rx)
}

/// The shell convention: the exit code, or 128 + the signal that killed it.
pub fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn signal_names() {
        assert_eq!(super::signal_number("HUP"), Some(1));
        assert_eq!(super::signal_number("sigterm"), Some(15));
        assert_eq!(super::signal_number("10"), Some(10));
        assert_eq!(super::signal_number("KILL"), None);
    }
}
