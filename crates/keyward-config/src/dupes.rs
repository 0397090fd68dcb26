//! "Never use the same secrets across environments": compares keyed fingerprints
//! (HMAC-SHA256 under a [`TokenKey`]), never values.

use crate::problem::{Problem, ProblemKind};
use keyward_crypto::{SecretString, TokenKey};
use std::collections::{BTreeMap, BTreeSet};

const DOMAIN: &[u8] = b"keyward-config/cross-env-duplicate/v1";

/// One problem per group of (environment, variable) pairs that share a value across
/// two or more environments. Empty values are ignored. Pass only the variables
/// that should differ (normally those declared `secret = true`).
pub fn check_cross_env_duplicates(
    values_by_env: &BTreeMap<String, BTreeMap<String, SecretString>>,
    key: &TokenKey,
) -> Vec<Problem> {
    let mut groups: BTreeMap<[u8; 32], Vec<(&str, &str)>> = BTreeMap::new();
    for (env, vars) in values_by_env {
        for (var, value) in vars {
            if value.is_empty() {
                continue;
            }
            let fp = key.mac(&[DOMAIN, value.expose().as_bytes()]);
            groups.entry(fp).or_default().push((env, var));
        }
    }
    let mut out = Vec::new();
    for members in groups.values() {
        let envs: BTreeSet<&str> = members.iter().map(|(e, _)| *e).collect();
        if envs.len() < 2 {
            continue;
        }
        let var = members[0].1;
        let names: BTreeSet<&str> = members.iter().map(|(_, v)| *v).collect();
        let envs_list = envs.iter().copied().collect::<Vec<_>>().join(", ");
        let what = if names.len() == 1 {
            format!("{var} has the same value in {envs_list}.")
        } else {
            let pairs = members
                .iter()
                .map(|(e, v)| format!("{v} ({e})"))
                .collect::<Vec<_>>()
                .join(", ");
            format!("{pairs} have the same value.")
        };
        out.push(Problem::error(
            var,
            None,
            ProblemKind::DuplicateAcrossEnvironments,
            format!(
                "{what}\nNever use the same secrets across environments: generate a separate value for each, e.g.\n  keyward gen --format urlsafe"
            ),
        ));
    }
    out
}
