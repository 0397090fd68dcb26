//! Git history, staged scanning and hook installation on repositories made with the git CLI.

mod common;

use common::{args, gh_token, git};
use keyward_scan::cli::run;
use keyward_scan::{Scanner, git as kgit};

fn opts(threads: usize) -> kgit::BlobOptions {
    kgit::BlobOptions {
        max_size: 1 << 20,
        threads,
        include_fixtures: false,
    }
}

fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    git(d.path(), &["init", "-q", "-b", "main"]);
    d
}

#[test]
fn history_finds_removed_secret_with_its_commit() {
    let d = repo();
    let p = d.path();
    std::fs::write(p.join("README.md"), "hello\n").unwrap();
    git(p, &["add", "-A"]);
    git(p, &["commit", "-qm", "init"]);
    let t = gh_token(11);
    std::fs::write(
        p.join("deploy.sh"),
        format!("#!/bin/sh\nexport GITHUB_TOKEN={t}\n"),
    )
    .unwrap();
    git(p, &["add", "-A"]);
    git(p, &["commit", "-qm", "add deploy"]);
    let leak = git(p, &["rev-parse", "HEAD"]);
    std::fs::write(
        p.join("deploy.sh"),
        "#!/bin/sh\nexport GITHUB_TOKEN=$TOKEN\n",
    )
    .unwrap();
    git(p, &["commit", "-qam", "remove token"]);
    let head = git(p, &["rev-parse", "HEAD"]);

    let blobs = kgit::history_blobs(p, None).unwrap();
    assert_eq!(blobs.len(), 3, "each blob once: {blobs:?}");
    let s = Scanner::builtin().unwrap();
    let f = kgit::scan_blobs(&s, p, &blobs, &opts(2), None, None).unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].path, "deploy.sh");
    assert_eq!(f[0].line, 2);
    assert_eq!(f[0].commit.as_deref(), Some(leak.as_str()));

    // --since the leaking commit: only later commits, nothing found
    let since = kgit::history_blobs(p, Some(&leak)).unwrap();
    assert!(
        since
            .iter()
            .all(|b| b.commit.as_deref() == Some(head.as_str()))
    );
    assert!(
        kgit::scan_blobs(&s, p, &since, &opts(1), None, None)
            .unwrap()
            .is_empty()
    );

    // through the CLI
    let out = d.path().join("..").join(format!("{}.json", head));
    let code = run(
        &args(&[
            p.to_str().unwrap(),
            "--git",
            "-f",
            "json",
            "-o",
            out.to_str().unwrap(),
        ]),
        None,
    );
    assert_eq!(code, 1);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v[0]["commit"], leak.as_str());
    let _ = std::fs::remove_file(out);
}

#[test]
fn staged_reports_only_added_lines() {
    let d = repo();
    let p = d.path();
    let old = gh_token(21);
    std::fs::write(p.join("a.env"), format!("OLD={old}\n")).unwrap();
    git(p, &["add", "-A"]);
    git(p, &["commit", "-qm", "old secret (baseline debt)"]);
    let new = gh_token(22);
    std::fs::write(p.join("a.env"), format!("OLD={old}\nNEW={new}\n")).unwrap();
    std::fs::write(p.join("b.txt"), "clean\n").unwrap();
    std::fs::write(p.join("unstaged.env"), format!("X={}\n", gh_token(23))).unwrap();
    git(p, &["add", "a.env", "b.txt"]);

    let (blobs, added) = kgit::staged_blobs(p).unwrap();
    assert_eq!(blobs.len(), 2);
    let s = Scanner::builtin().unwrap();
    let f = kgit::only_added(
        kgit::scan_blobs(&s, p, &blobs, &opts(1), None, None).unwrap(),
        &added,
    );
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].path.as_str(), f[0].line), ("a.env", 2));

    let out = tempfile::NamedTempFile::new().unwrap();
    let code = run(
        &args(&[
            p.to_str().unwrap(),
            "--staged",
            "-f",
            "json",
            "-o",
            out.path().to_str().unwrap(),
        ]),
        None,
    );
    assert_eq!(code, 1);
    git(p, &["reset", "-q"]);
    assert_eq!(
        run(
            &args(&[
                p.to_str().unwrap(),
                "--staged",
                "-o",
                out.path().to_str().unwrap()
            ]),
            None
        ),
        0
    );
}

#[test]
fn install_hook_writes_executable_hook_once() {
    let d = repo();
    let p = d.path();
    assert_eq!(
        run(&args(&[p.to_str().unwrap(), "--install-hook"]), None),
        0
    );
    let hook = p.join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.contains("keyward scan --staged"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_ne!(
            std::fs::metadata(&hook).unwrap().permissions().mode() & 0o111,
            0
        );
    }
    // re-install over our own hook is fine; a foreign hook needs --force
    assert_eq!(
        run(&args(&[p.to_str().unwrap(), "--install-hook"]), None),
        0
    );
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    assert_eq!(
        run(&args(&[p.to_str().unwrap(), "--install-hook"]), None),
        2
    );
    assert_eq!(
        run(
            &args(&[p.to_str().unwrap(), "--install-hook", "--force"]),
            None
        ),
        0
    );
}

#[test]
fn not_a_repository_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    assert_eq!(run(&args(&[d.path().to_str().unwrap(), "--git"]), None), 2);
}
