//! One module per group of commands.

mod admin;
pub mod app;
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
        Command::Token => admin::token(),
        Command::Scan(a) => Ok(keyward_scan::cli::run(&a, None)),
        Command::Run(a) => app::run(a),
        Command::Check(a) => app::check(a),
        Command::Docs(a) => app::docs(a),
        Command::Example(a) => app::example(a),
        Command::Gen(a) => app::gen_secret(a),
        Command::Import(a) => app::import(a),
        Command::Export(a) => app::export(a),
        Command::Doctor(a) => app::doctor(a),
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
