//! `keyward check`: `run`'s validation without running anything. Exit 0 when every
//! checked environment resolves, 1 on any error, 78 when keyward.toml itself is
//! unusable.

use super::resolve::{
    StoreClient, dotenv_files, load_config, pick_env, print_problems, problem_json, process_env,
    resolve_config,
};
use super::{CheckArgs, EX_CONFIG};
use anyhow::Result;
use keyward_config::{Problem, SecretString};
use keyward_crypto::RootKey;
use serde_json::json;
use std::collections::BTreeMap;

pub fn check(a: CheckArgs) -> Result<i32> {
    let config = match load_config(&a.cfg) {
        Ok(c) => c,
        Err(msg) => {
            if a.json {
                crate::output::print_json(&json!({"ok": false, "config_error": msg}));
            } else {
                eprintln!("error: {msg}");
            }
            return Ok(EX_CONFIG);
        }
    };
    let penv = process_env();
    let dotenv = match dotenv_files(&a.cfg, &penv) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(EX_CONFIG);
        }
    };
    let envs: Vec<String> = if a.all_envs {
        config.environments.clone()
    } else {
        vec![pick_env(&config, &a.cfg)]
    };
    let store = StoreClient::from_env();
    let mut report = Vec::new();
    let mut all_problems: Vec<Problem> = Vec::new();
    let mut secrets_by_env: BTreeMap<String, BTreeMap<String, SecretString>> = BTreeMap::new();
    for env in &envs {
        let (problems, provenance) = match resolve_config(&config, env, &penv, &dotenv, &store) {
            Ok(r) => {
                let secret: BTreeMap<String, SecretString> = r
                    .values
                    .iter()
                    .filter(|(n, _)| config.var(n).is_some_and(|s| s.secret))
                    .map(|(n, v)| (n.clone(), v.clone()))
                    .collect();
                secrets_by_env.insert(env.clone(), secret);
                let prov: BTreeMap<String, String> = r
                    .provenance
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_string()))
                    .collect();
                (r.warnings, prov)
            }
            Err(p) => (p, BTreeMap::new()),
        };
        let errors = problems.iter().filter(|p| p.is_error()).count();
        report.push(json!({
            "env": env,
            "ok": errors == 0,
            "problems": problems.iter().map(problem_json).collect::<Vec<_>>(),
            "sources": provenance,
        }));
        if !a.json {
            if errors == 0 {
                eprintln!(
                    "{env}: ok ({} variables resolved{})",
                    provenance.len(),
                    if problems.is_empty() {
                        String::new()
                    } else {
                        format!(", {} warnings", problems.len())
                    }
                );
            } else {
                eprintln!(
                    "{env}: {errors} problem{}",
                    if errors == 1 { "" } else { "s" }
                );
            }
            print_problems(&problems);
        }
        all_problems.extend(problems);
    }
    let mut dupes = Vec::new();
    if a.all_envs {
        // A fresh random key per run: fingerprints are comparable within this run
        // and useless to anyone who sees them later.
        let key = RootKey::generate().token_key();
        dupes = keyward_config::check_cross_env_duplicates(&secrets_by_env, &key);
        if !a.json {
            print_problems(&dupes);
        }
    }
    let ok = !all_problems.iter().chain(&dupes).any(Problem::is_error);
    if a.json {
        crate::output::print_json(&json!({
            "ok": ok,
            "config": a.cfg.config,
            "environments": report,
            "duplicates": dupes.iter().map(problem_json).collect::<Vec<_>>(),
        }));
    } else if ok {
        eprintln!("keyward check: ok");
    } else {
        eprintln!("keyward check: problems found");
    }
    Ok(if ok { 0 } else { 1 })
}
