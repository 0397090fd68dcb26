//! One module per group of commands.

mod admin;
mod alert;
pub mod app;
mod backup;
pub mod files;
mod mfa;
pub mod operator;
pub mod rotation;
mod secrets;
mod server;

use crate::cli::{Cli, Command};
use anyhow::Result;
use clap::CommandFactory;

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Dev(a) => server::dev(a),
        Command::Init(a) => server::init(a),
        Command::Serve(a) => server::serve(a),
        Command::Put(a) => secrets::put(a),
        Command::Get(a) => secrets::get(a),
        Command::Ls(a) => secrets::ls(a),
        Command::History(a) => secrets::history(a),
        Command::Rm(a) => secrets::rm(a),
        Command::Restore(a) => secrets::restore(a),
        Command::Principal(c) => admin::principal(c),
        Command::Key(c) => admin::key(c),
        Command::Policy(c) => admin::policy(c),
        Command::Audit(c) => admin::audit(c),
        Command::Alert(c) => alert::alert(c),
        Command::Token => admin::token(),
        Command::Mfa(c) => mfa::mfa(c),
        Command::FileRecipient(c) => files::file_recipient(c),
        Command::Login(a) => mfa::login(a),
        Command::Rotation(c) => rotation::rotation(c),
        Command::Rotate(a) => rotation::rotate(a),
        Command::Scan(a) => scan(&a),
        Command::Run(a) => app::run(a),
        Command::Check(a) => app::check(a),
        Command::Docs(a) => app::docs(a),
        Command::Example(a) => app::example(a),
        Command::Gen(a) => app::gen_secret(a),
        Command::Import(a) => app::import(a),
        Command::Export(a) => app::export(a),
        Command::Doctor(a) => app::doctor(a),
        Command::Files(c) => files::run(c),
        Command::Operator(c) => operator::run(c),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "keyward",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Command::Man { dir } => {
            std::fs::create_dir_all(&dir)?;
            let cmd = Cli::command();
            clap_mangen::generate_to(cmd, &dir)?;
            println!("man pages written to {}", dir.display());
            Ok(0)
        }
    }
}

fn client() -> Result<keyward_client::Client> {
    Ok(keyward_client::Client::from_env()?)
}

/// `keyward scan`; with `--managed`, first fetches per-scan fingerprints of the
/// stored values (never the values) from the server.
fn scan(args: &keyward_scan::cli::ScanArgs) -> Result<i32> {
    let mut with_exe;
    let args = if args.install_hook {
        with_exe = args.clone();
        with_exe.hook_program = std::env::current_exe().ok();
        &with_exe
    } else {
        args
    };
    if !args.managed {
        return Ok(keyward_scan::cli::run(args, None));
    }
    let c = client()?;
    let v = c.scan_fingerprints(&Default::default())?;
    let key =
        hex::decode(&v.key).map_err(|_| anyhow::anyhow!("the server sent a malformed scan key"))?;
    let mut by_mac = std::collections::HashMap::new();
    // Every value's length, or none: a server that does not send them gets every span tried.
    let mut lengths = Some(std::collections::HashSet::new());
    for f in v.fingerprints {
        match (f.length.and_then(|n| usize::try_from(n).ok()), &mut lengths) {
            (Some(n), Some(set)) => {
                set.insert(n);
            }
            _ => lengths = None,
        }
        let Ok(bytes) = hex::decode(&f.fingerprint) else {
            continue;
        };
        if let Ok(arr) = <[u8; 32]>::try_from(bytes.as_slice()) {
            by_mac.insert(arr, f.name);
        }
    }
    if v.skipped > 0 {
        eprintln!(
            "note: {} secret(s) were not fingerprinted: your policy does not allow keyward:GetSecretFingerprint on them",
            v.skipped
        );
    }
    let mut managed = keyward_scan::managed::InMemoryManaged::from_fingerprints(key, by_mac);
    if let Some(set) = lengths {
        managed = managed.with_lengths(set);
    }
    let recording = RecordingHits {
        inner: managed,
        hits: Default::default(),
    };
    let code = keyward_scan::cli::run(args, Some(&recording));
    let hits = recording.hits.into_inner().unwrap_or_default();
    report_leaks(&c, &hits);
    if args.rotate {
        rotation::rotate_leaked(&c, hits.into_keys().collect())?;
    }
    Ok(code)
}

/// Counts which managed secrets the scan found, to report them to the server.
struct RecordingHits {
    inner: keyward_scan::managed::InMemoryManaged,
    hits: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl keyward_scan::managed::ManagedFingerprints for RecordingHits {
    fn scan_key(&self) -> &[u8] {
        self.inner.scan_key()
    }
    fn lookup(&self, fingerprint: &[u8; 32]) -> Option<&str> {
        let found = self.inner.lookup(fingerprint);
        if let Some(name) = found
            && let Ok(mut hits) = self.hits.lock()
        {
            *hits.entry(name.to_string()).or_default() += 1;
        }
        found
    }
    fn lengths(&self) -> Option<&std::collections::HashSet<usize>> {
        self.inner.lengths()
    }
}

/// Tells the server which managed secrets leaked (names and counts only), so the
/// `leaked_secret` alert fires. A failure to report is a warning: the scan's own
/// findings and exit code stand.
fn report_leaks(c: &keyward_client::Client, hits: &std::collections::BTreeMap<String, u64>) {
    if hits.is_empty() {
        return;
    }
    let report = keyward_client::api::scan::LeakReport {
        found: hits
            .iter()
            .map(|(name, n)| keyward_client::api::scan::LeakFound {
                secret: name.clone(),
                hits: *n,
            })
            .collect(),
    };
    if let Err(e) = c.report_leaks(&report) {
        eprintln!(
            "warning: could not report the leaked secrets to the server ({e}); no leaked_secret alert was raised"
        );
    }
}
