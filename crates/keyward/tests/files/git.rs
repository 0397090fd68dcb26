//! The merge driver and textconv in a real git repository.

use super::harness::{Dir, need, stderr};
use std::process::Command;

fn git(d: &Dir, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(d.tmp.path())
        .env("KEYWARD_AGE_IDENTITY_FILE", d.path("k.key"))
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("HOME", d.tmp.path())
        .output()
        .unwrap()
}

fn git_ok(d: &Dir, args: &[&str]) -> String {
    let o = git(d, args);
    assert!(
        o.status.success(),
        "git {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn set(d: &Dir, key: &str, value: &str) {
    d.ok(&["set", "secrets.enc.env", key, value, "-i", "k.key"]);
}

fn repo() -> Dir {
    need("git");
    let d = Dir::new();
    let r = d.keygen("k.key");
    git_ok(&d, &["init", "-q", "-b", "main"]);
    d.write(".gitignore", "k.key\n");
    d.write("secrets.enc.env", "# shared settings\nA=1\nB=2\nC=3\n");
    d.ok(&[
        "encrypt",
        "secrets.enc.env",
        "--recipient",
        &r,
        "--install-git",
    ]);
    assert!(
        d.read(".gitattributes")
            .contains("/secrets.enc.env merge=keyward diff=keyward")
    );
    git_ok(&d, &["add", "-A"]);
    git_ok(&d, &["commit", "-qm", "base"]);
    d
}

#[test]
fn different_keys_merge_cleanly_through_the_driver() {
    let d = repo();
    git_ok(&d, &["checkout", "-qb", "feature"]);
    set(&d, "B", "two-feature");
    set(&d, "D", "new-on-feature");
    git_ok(&d, &["commit", "-qam", "feature edits B, adds D"]);
    git_ok(&d, &["checkout", "-q", "main"]);
    set(&d, "A", "one-main");
    git_ok(&d, &["commit", "-qam", "main edits A"]);
    let o = git(&d, &["merge", "--no-edit", "feature"]);
    assert!(
        o.status.success(),
        "merge failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    let plain = d.ok(&["decrypt", "secrets.enc.env", "-i", "k.key"]);
    assert_eq!(
        plain,
        "# shared settings\nA=one-main\nB=two-feature\nC=3\nD=new-on-feature\n"
    );
    // textconv: git diff shows decrypted values locally.
    let diff = git_ok(&d, &["diff", "HEAD~1", "HEAD", "--", "secrets.enc.env"]);
    assert!(
        diff.contains("+B=two-feature") && diff.contains("+D=new-on-feature"),
        "{diff}"
    );
    assert!(!diff.contains("keyward:age:v1:"), "{diff}");
}

#[test]
fn the_same_key_changed_on_both_sides_conflicts() {
    let d = repo();
    git_ok(&d, &["checkout", "-qb", "feature"]);
    set(&d, "B", "feature-value");
    set(&d, "C", "c-feature");
    git_ok(&d, &["commit", "-qam", "feature edits B and C"]);
    git_ok(&d, &["checkout", "-q", "main"]);
    set(&d, "B", "main-value");
    git_ok(&d, &["commit", "-qam", "main edits B"]);
    let o = git(&d, &["merge", "--no-edit", "feature"]);
    assert!(!o.status.success(), "a same-key edit merged silently");
    let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(all.contains("CONFLICT") && all.contains("`B`"), "{all}");
    assert!(
        !all.contains("feature-value") && !all.contains("main-value"),
        "a value was printed: {all}"
    );
    // Ours is kept for B, theirs taken for C, and the file still verifies.
    let plain = d.ok(&["decrypt", "secrets.enc.env", "-i", "k.key"]);
    assert_eq!(plain, "# shared settings\nA=1\nB=main-value\nC=c-feature\n");
    let status = git_ok(&d, &["status", "--porcelain"]);
    assert!(status.contains("UU secrets.enc.env"), "{status}");
}
