//! `keyward run`: resolve every declared variable (or every secret under
//! `--path`), refuse with every problem at once (exit 78), or start the command
//! with the values in its environment and supervise it: signals forwarded, exit
//! code passed through, output redacted, restarts on rotation, offline snapshot.

use super::child::{self, Event, Running};
use super::resolve::{
    Injection, StoreClient, WatchSet, dotenv_files, injection_from, load_config, pick_env,
    print_problems, process_env, resolve_config, resolve_prefix,
};
use super::{EX_CONFIG, RunArgs, cache, parse_duration, watch};
use anyhow::{Context, Result};
use keyward_config::{Config, DotenvFile, Problem, SecretString};
use std::collections::BTreeMap;
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

enum Mode {
    Config {
        config: Config,
        env: String,
    },
    Prefix(String),
    /// `--file` without keyward.toml: every value of the encrypted files.
    Files(String),
}

/// What every (re-)resolve needs.
struct Ctx {
    a: RunArgs,
    mode: Mode,
    penv: BTreeMap<String, SecretString>,
    dotenv: Vec<DotenvFile>,
    /// How many of `dotenv` (the first ones) are decrypted `--file`s.
    encrypted: usize,
    max_age: Duration,
}

impl Ctx {
    /// (app, env) for messages and the snapshot's binding.
    fn labels(&self) -> (String, String) {
        match &self.mode {
            Mode::Config { config, env } => (config.app.clone(), env.clone()),
            Mode::Prefix(p) => ("--path".into(), p.clone()),
            Mode::Files(f) => ("--file".into(), f.clone()),
        }
    }

    /// Values from encrypted files are secrets: mask them with --redact.
    fn redact_encrypted(&self, mut inj: Injection) -> Injection {
        for f in &self.dotenv[..self.encrypted] {
            for (k, v) in &f.values {
                if inj.values.get(k) == Some(v) && v.expose().chars().count() >= 4 {
                    inj.redact.push(v.clone());
                }
            }
        }
        inj
    }

    fn attempt(&self, store: &StoreClient) -> Result<(Injection, Vec<Problem>), Vec<Problem>> {
        match &self.mode {
            Mode::Config { config, env } => {
                resolve_config(config, env, &self.penv, &self.dotenv, store)
                    .map(|r| (injection_from(config, &r), r.warnings))
            }
            Mode::Prefix(p) => {
                resolve_prefix(p, &self.penv, &self.dotenv, store).map(|i| (i, Vec::new()))
            }
            Mode::Files(_) => {
                let mut values = BTreeMap::new();
                for f in self.dotenv.iter().rev() {
                    values.extend(
                        f.values
                            .iter()
                            .filter(|(k, _)| !self.penv.contains_key(*k))
                            .map(|(k, v)| (k.clone(), v.clone())),
                    );
                }
                Ok((
                    Injection {
                        values,
                        redact: Vec::new(),
                    },
                    Vec::new(),
                ))
            }
        }
        .map(|(i, w)| (self.redact_encrypted(i), w))
    }

    fn watch_set(&self) -> WatchSet {
        match &self.mode {
            Mode::Config { config, env } => WatchSet::Paths(
                config
                    .vars
                    .iter()
                    .filter_map(|(n, s)| config.store_path(n, s, env))
                    .collect(),
            ),
            Mode::Prefix(p) => WatchSet::Prefix(p.clone()),
            Mode::Files(_) => WatchSet::Paths(Default::default()),
        }
    }

    /// Resolves, falling back to the offline snapshot when allowed. `Err` is the
    /// exit code after everything was printed.
    fn resolve(&self) -> Result<Injection, i32> {
        let store = StoreClient::from_env();
        let mut result = self.attempt(&store);
        let unreachable = store.unreachable();
        if let (Some(why), true) = (&unreachable, self.a.offline_cache) {
            let (app, env) = self.labels();
            let loaded = keyward_client::Credentials::from_env()
                .map_err(anyhow::Error::from)
                .and_then(|c| cache::load(&c, &app, &env, self.max_age));
            match loaded {
                Ok((values, age, path)) => {
                    eprintln!(
                        "keyward: WARNING: the keyward server is unreachable ({why}).\nkeyward: WARNING: using the OFFLINE SNAPSHOT from {} ago ({}); values rotated since then are NOT seen.",
                        cache::human(age),
                        path.display()
                    );
                    result = self.attempt(&StoreClient::from_snapshot(values));
                }
                // Without a usable snapshot, a run that resolved anyway (development
                // defaults) goes on; one that needed the store is refused.
                Err(e) if result.is_err() => {
                    eprintln!(
                        "error: the keyward server is unreachable ({why}), and --offline-cache cannot help: {e:#}"
                    );
                    return Err(EX_CONFIG);
                }
                Err(e) => eprintln!("warning: --offline-cache: {e:#}"),
            }
        }
        match result {
            Ok((inj, warnings)) => {
                print_problems(&warnings);
                if self.a.offline_cache && unreachable.is_none() {
                    self.save_snapshot(&store);
                }
                Ok(inj)
            }
            Err(problems) => {
                print_problems(&problems);
                let n = problems.iter().filter(|p| p.is_error()).count();
                let (_, env) = self.labels();
                let cmd = self.a.command.first().map(String::as_str).unwrap_or("");
                match &self.mode {
                    Mode::Config { .. } => eprintln!(
                        "keyward: {n} problem{} in environment `{env}` ({}); not starting `{cmd}`.\nkeyward: re-check with `keyward check --env {env}`.",
                        if n == 1 { "" } else { "s" },
                        self.a.cfg.config.display()
                    ),
                    Mode::Prefix(_) | Mode::Files(_) => {
                        eprintln!("keyward: not starting `{cmd}`.")
                    }
                }
                Err(EX_CONFIG)
            }
        }
    }

    fn save_snapshot(&self, store: &StoreClient) {
        let (app, env) = self.labels();
        let seen = store.take_seen();
        let saved = keyward_client::Credentials::from_env()
            .map_err(anyhow::Error::from)
            .and_then(|c| cache::save(&c, &app, &env, &seen));
        if let Err(e) = saved {
            eprintln!("warning: could not write the offline snapshot: {e:#}");
        }
    }
}

pub fn run(a: RunArgs) -> Result<i32> {
    let max_age = parse_duration(&a.max_age).context("--max-age")?;
    let jitter = parse_duration(&a.jitter).context("--jitter")?;
    let grace = parse_duration(&a.grace).context("--grace")?;
    let reload_signal = match &a.signal {
        Some(s) => Some(child::signal_number(s).with_context(|| {
            format!("--signal {s}: use one of HUP, INT, QUIT, USR1, USR2, TERM")
        })?),
        None => None,
    };
    let penv = process_env();
    let decrypted = match crate::cmd::files::open_for_run(&a.enc_files, &a.ids) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: --file: {e:#}");
            return Ok(EX_CONFIG);
        }
    };
    let encrypted = decrypted.len();
    let dotenv = match dotenv_files(&a.cfg, &penv) {
        Ok(d) => decrypted
            .into_iter()
            .map(|(name, values)| DotenvFile::new(name, values))
            .chain(d)
            .collect(),
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(EX_CONFIG);
        }
    };
    let mode = match &a.path {
        Some(p) => Mode::Prefix(p.clone()),
        None if encrypted > 0 && !a.cfg.config.exists() => {
            Mode::Files(a.enc_files[0].display().to_string())
        }
        None => match load_config(&a.cfg) {
            Ok(config) => {
                let env = pick_env(&config, &a.cfg);
                Mode::Config { config, env }
            }
            Err(msg) => {
                eprintln!("error: {msg}");
                return Ok(EX_CONFIG);
            }
        },
    };
    let ctx = Ctx {
        a,
        mode,
        penv,
        dotenv,
        encrypted,
        max_age,
    };
    let (tx, rx) = channel();
    // Subscribe before resolving so a rotation in between is not missed.
    let mut watcher = None;
    if ctx.a.watch {
        match keyward_client::Client::from_env() {
            Ok(c) => {
                let first = watch::subscribe(&c)
                    .map_err(|e| eprintln!("warning: --watch: {e:#}; retrying in the background"))
                    .ok();
                watcher = Some((c, first));
            }
            Err(e) => {
                eprintln!("error: --watch needs a keyward server: {e}");
                return Ok(EX_CONFIG);
            }
        }
    }
    let inj = match ctx.resolve() {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    child::start_signal_thread(tx.clone())?;
    if let Some((c, first)) = watcher {
        watch::spawn_reader(c, first, tx.clone())?;
    }
    supervise(&ctx, inj, rx, tx, jitter, grace, reload_signal)
}

fn start(
    ctx: &Ctx,
    inj: &Injection,
    group: child::GroupMode,
    generation: u64,
    tx: &Sender<Event>,
) -> Result<Running, i32> {
    let redact = ctx.a.redact.then_some(inj.redact.as_slice());
    child::spawn(
        &ctx.a.command,
        &inj.values,
        redact,
        group,
        generation,
        tx.clone(),
    )
    .map_err(|e| {
        eprintln!("keyward: {}", e.message);
        e.code
    })
}

/// Stops the running command and everything it started, within `grace`.
fn stop(cur: &Running, grace: Duration) {
    let killed = match cur.pgid {
        Some(g) => child::stop_group(g, grace),
        // Only an interactive run without --watch shares keyward's group, and it is
        // never restarted; stopping the command alone is all that can be done.
        None => {
            child::send_signal(cur.pid, child::SIGTERM);
            false
        }
    };
    if killed {
        eprintln!("keyward: the command did not exit within --grace; killed its process group");
    }
}

/// Which process group the command gets. In a terminal without --watch it shares
/// keyward's foreground group, so Ctrl-C and reading the terminal behave as
/// without keyward; everywhere else it gets its own, so keyward can stop all of it.
fn group_mode(watch: bool, interactive: bool) -> child::GroupMode {
    use child::GroupMode::*;
    match (watch, interactive) {
        (false, true) => Shared,
        (true, true) => OwnNoTerminal,
        (_, false) => Own,
    }
}

fn supervise(
    ctx: &Ctx,
    mut inj: Injection,
    rx: std::sync::mpsc::Receiver<Event>,
    tx: Sender<Event>,
    jitter: Duration,
    grace: Duration,
    reload_signal: Option<i32>,
) -> Result<i32> {
    let watch_set = ctx.watch_set();
    let interactive = child::terminal_delivers_to_child();
    let group = group_mode(ctx.a.watch, interactive);
    // The terminal delivers Ctrl-C itself only to the foreground group.
    let terminal_delivers = interactive && group == child::GroupMode::Shared;
    let mut cur = match start(ctx, &inj, group, 0, &tx) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let mut resolve_at: Option<Instant> = None;
    loop {
        let ev = match resolve_at {
            Some(d) => match rx.recv_timeout(d.saturating_duration_since(Instant::now())) {
                Ok(ev) => Some(ev),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => anyhow::bail!("supervisor channel closed"),
            },
            None => Some(rx.recv().context("supervisor channel closed")?),
        };
        let now = Instant::now();
        match ev {
            None => {
                resolve_at = None;
                let Ok(new) = ctx.resolve() else {
                    eprintln!(
                        "keyward: --watch: keeping the running command with its current values"
                    );
                    continue;
                };
                if new == inj {
                    eprintln!("keyward: --watch: values unchanged; nothing to do");
                } else if let Some(sig) = reload_signal {
                    child::send_signal(cur.pid, sig);
                    eprintln!("keyward: --watch: sent signal {sig} to the command");
                    inj = new;
                } else {
                    // The old group must be gone (ports released) before the new
                    // command starts; its exit event is then stale and ignored.
                    stop(&cur, grace);
                    let generation = cur.generation + 1;
                    cur.finish_output(Duration::from_millis(500));
                    inj = new;
                    cur = match start(ctx, &inj, group, generation, &tx) {
                        Ok(r) => r,
                        Err(code) => return Ok(code),
                    };
                    eprintln!("keyward: --watch: restarted the command with the new values");
                }
            }
            Some(Event::Signal(n)) => {
                if child::should_forward(n, terminal_delivers) {
                    cur.signal_all(n);
                }
            }
            Some(Event::Exited { generation, status }) if generation == cur.generation => {
                // Nothing the command started may outlive keyward.
                if let Some(g) = cur.pgid.filter(|g| child::group_alive(*g)) {
                    eprintln!(
                        "keyward: the command exited but left processes behind; stopping them"
                    );
                    child::stop_group(g, grace);
                }
                cur.finish_output(Duration::from_secs(2));
                return Ok(child::exit_code(status));
            }
            Some(Event::Exited { .. }) => {}
            Some(Event::Changed(name)) => {
                if watch_set.matches(&name) && resolve_at.is_none() {
                    eprintln!("keyward: --watch: {name} changed");
                    resolve_at = Some(now + watch::jitter(jitter));
                }
            }
        }
    }
}
