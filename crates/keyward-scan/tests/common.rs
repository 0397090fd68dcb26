#![allow(dead_code)]
//! Shared helpers for the integration tests.

use clap::Parser;
use keyward_scan::cli::ScanArgs;

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    scan: ScanArgs,
}

/// Parse `keyward scan` arguments (without the program name).
pub fn args(a: &[&str]) -> ScanArgs {
    let mut v = vec!["keyward-scan"];
    v.extend_from_slice(a);
    Cli::try_parse_from(v).expect("valid arguments").scan
}

/// Fake token assembled at run time so this source does not contain a token-shaped literal.
pub fn token(prefix: &str, body_len: usize, seed: u64) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut s = String::from(prefix);
    for _ in 0..body_len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push(alphabet[(x % 62) as usize] as char);
    }
    s
}

/// A GitHub-classic-shaped fake token.
pub fn gh_token(seed: u64) -> String {
    token(&["gh", "p_"].concat(), 36, seed)
}

/// Run git in `dir`.
pub fn git(dir: &std::path::Path, a: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(a)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {a:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
