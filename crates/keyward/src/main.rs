//! The `keyward` binary: server and CLI in one. Parsing lives in `cli`, each command
//! in `cmd/`; this file only sets up logging and process hardening and reports
//! errors with a hint of what to do next.

mod backup_config;
mod cli;
mod cmd;
mod datadir;
mod devcert;
mod output;
mod serve_config;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn harden_process() {
    // Secrets live in this process's memory: never let a crash write it to disk.
    let _ = rustix::process::setrlimit(
        rustix::process::Resource::Core,
        rustix::process::Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    );
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}

/// `KEYWARD_LOG`, else the Rust ecosystem's usual `RUST_LOG`, else `info`.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KEYWARD_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_env("RUST_LOG"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = std::env::var("KEYWARD_LOG_FORMAT")
        .map(|v| v == "json")
        .unwrap_or(false);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() {
    harden_process();
    let cli = cli::Cli::parse();
    init_logging();
    let code = match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if let Some(hint) = output::hint_for(&e) {
                eprintln!("hint: {hint}");
            }
            output::exit_code_for(&e)
        }
    };
    std::process::exit(code);
}
