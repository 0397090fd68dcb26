//! `keyward docs` (Markdown reference of every declared variable) and `keyward
//! example` (a `.env.example`), both from keyward.toml alone, so neither can ever
//! contain a real value.

use super::{DocsArgs, EX_CONFIG};
use anyhow::{Context, Result};
use keyward_config::Config;

fn write_out(a: &DocsArgs, text: &str) -> Result<i32> {
    match &a.output {
        Some(p) => {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?;
            eprintln!("wrote {}", p.display());
        }
        None => print!("{text}"),
    }
    Ok(0)
}

fn load(a: &DocsArgs) -> Result<Config, i32> {
    Config::load(&a.config).map_err(|e| {
        eprintln!("error: {e}");
        EX_CONFIG
    })
}

pub fn docs(a: DocsArgs) -> Result<i32> {
    match load(&a) {
        Ok(c) => write_out(&a, &keyward_config::docs_markdown(&c)),
        Err(code) => Ok(code),
    }
}

pub fn example(a: DocsArgs) -> Result<i32> {
    match load(&a) {
        Ok(c) => write_out(&a, &keyward_config::env_example(&c)),
        Err(code) => Ok(code),
    }
}
