//! Git inputs through the `git` CLI (always present where a repository is; keeps compile time
//! low compared to a Rust git implementation): whole history (`--git`, `--since REV`), the
//! index (`--staged`) and the pre-commit hook installer.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::sync_channel;

use crate::error::{Result, ScanError};
use crate::managed::ManagedFingerprints;
use crate::scanner::{Finding, Scanner};
use crate::walk::{is_binary, is_fixture_path};

/// A blob to scan, with the first commit and path that introduced it.
#[derive(Debug, Clone)]
pub struct BlobRef {
    /// Blob object id.
    pub oid: String,
    /// Path of the blob in `commit`.
    pub path: String,
    /// Commit that introduced it (`None` for the index).
    pub commit: Option<String>,
}

fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(repo).env("GIT_TERMINAL_PROMPT", "0");
    c
}

fn run_git(repo: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = git(repo)
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| ScanError::Git(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(ScanError::Git(format!(
            "git {} failed: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// Every blob added or modified in the history (all refs, or `since..HEAD`), each once, with
/// the oldest commit/path where it appeared.
pub fn history_blobs(repo: &Path, since: Option<&str>) -> Result<Vec<BlobRef>> {
    let range;
    let mut args = vec![
        "log",
        "--reverse",
        "--topo-order",
        "--format=%x01%H",
        "--raw",
        "-z",
        "--no-abbrev",
        "--no-renames",
        "--no-ext-diff",
    ];
    match since {
        Some(rev) => {
            range = format!("{rev}..HEAD");
            args.push(&range);
        }
        None => args.push("--all"),
    }
    args.push("--");
    let out = run_git(repo, &args)?;
    let mut seen = HashSet::new();
    let mut blobs = Vec::new();
    let mut commit: Option<String> = None;
    let mut pending: Option<String> = None;
    for tok in out.split(|&b| b == 0) {
        let tok = tok.strip_prefix(b"\n").unwrap_or(tok);
        if let Some(oid) = pending.take() {
            let path = String::from_utf8_lossy(tok).into_owned();
            if seen.insert(oid.clone()) {
                blobs.push(BlobRef {
                    oid,
                    path,
                    commit: commit.clone(),
                });
            }
            continue;
        }
        if let Some(h) = tok.strip_prefix(b"\x01") {
            commit = Some(String::from_utf8_lossy(h).into_owned());
        } else if tok.first() == Some(&b':') {
            // :oldmode newmode oldoid newoid status
            let meta = String::from_utf8_lossy(tok);
            let f: Vec<&str> = meta.split(' ').collect();
            if f.len() >= 5 && !f[4].starts_with('D') && f[1].starts_with("100") {
                pending = Some(f[3].to_string());
            } else {
                pending = Some(String::new()); // consume the path token
            }
        }
    }
    blobs.retain(|b| !b.oid.is_empty() && !b.oid.bytes().all(|c| c == b'0'));
    Ok(blobs)
}

/// Staged blobs (added/copied/modified) and, per path, the line ranges added by the index
/// diff (`None` = treat the whole file as new).
pub fn staged_blobs(repo: &Path) -> Result<(Vec<BlobRef>, AddedLines)> {
    let out = run_git(
        repo,
        &[
            "diff",
            "--cached",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--diff-filter=ACMRT",
            "--no-ext-diff",
        ],
    )?;
    let mut blobs = Vec::new();
    let mut pending: Option<String> = None;
    for tok in out.split(|&b| b == 0) {
        if let Some(oid) = pending.take() {
            if !oid.is_empty() {
                blobs.push(BlobRef {
                    oid,
                    path: String::from_utf8_lossy(tok).into_owned(),
                    commit: None,
                });
            }
            continue;
        }
        if tok.first() == Some(&b':') {
            let meta = String::from_utf8_lossy(tok);
            let f: Vec<&str> = meta.split(' ').collect();
            let oid = if f.len() >= 5 && f[1].starts_with("100") {
                f[3].to_string()
            } else {
                String::new()
            };
            pending = Some(oid);
        }
    }
    let diff = run_git(
        repo,
        &[
            "-c",
            "core.quotePath=false",
            "diff",
            "--cached",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-renames",
            "--diff-filter=ACMRT",
        ],
    )?;
    let mut added: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    let mut cur: Option<String> = None;
    for line in diff.split(|&b| b == b'\n') {
        if let Some(p) = line.strip_prefix(b"+++ b/") {
            cur = Some(String::from_utf8_lossy(p).into_owned());
        } else if line.starts_with(b"+++ ") {
            cur = None;
        } else if let (Some(p), Some(h)) = (&cur, line.strip_prefix(b"@@ ")) {
            // @@ -a,b +c,d @@
            let h = String::from_utf8_lossy(h);
            if let Some(plus) = h.split(' ').find(|s| s.starts_with('+')) {
                let mut it = plus[1..].split(',');
                let start: usize = it.next().and_then(|s| s.parse().ok()).unwrap_or(1);
                let len: usize = it.next().and_then(|s| s.parse().ok()).unwrap_or(1);
                if len > 0 {
                    added
                        .entry(p.clone())
                        .or_default()
                        .push((start, start + len - 1));
                }
            }
        }
    }
    Ok((blobs, added))
}

/// Per path, the inclusive 1-based line ranges added by the index diff.
pub type AddedLines = HashMap<String, Vec<(usize, usize)>>;

/// Limits for blob scanning.
#[derive(Debug, Clone, Copy)]
pub struct BlobOptions {
    /// Skip blobs larger than this many bytes.
    pub max_size: u64,
    /// Scanning threads (at least 1 is used).
    pub threads: usize,
    /// Also scan blobs under test-fixture directories.
    pub include_fixtures: bool,
}

/// Stream blob contents with `git cat-file --batch` into `threads` scanning workers.
pub fn scan_blobs(
    scanner: &Scanner,
    repo: &Path,
    blobs: &[BlobRef],
    opts: &BlobOptions,
    managed: Option<&dyn ManagedFingerprints>,
    progress: Option<crate::walk::Progress<'_>>,
) -> Result<Vec<Finding>> {
    let blobs: Vec<&BlobRef> = blobs
        .iter()
        .filter(|b| opts.include_fixtures || !is_fixture_path(Path::new(&b.path)))
        .collect();
    let mut child = git(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| ScanError::Git(format!("cannot run git cat-file: {e}")))?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(ScanError::Git("no pipes to git cat-file".into()));
    };
    let ids: Vec<String> = blobs.iter().map(|b| b.oid.clone()).collect();
    let writer = std::thread::spawn(move || {
        for id in ids {
            if writeln!(stdin, "{id}").is_err() {
                break;
            }
        }
    });
    let found = Mutex::new(Vec::new());
    let threads = opts.threads.max(1);
    let (tx, rx) = sync_channel::<(usize, Vec<u8>)>(threads * 4);
    let rx = Mutex::new(rx);
    let result = std::thread::scope(|s| -> Result<()> {
        let (blobs, found, rx) = (&blobs, &found, &rx);
        for _ in 0..threads {
            s.spawn(move || {
                loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    let Ok((i, data)) = job else { return };
                    let b = blobs[i];
                    let mut f = scanner.scan_bytes_with(&b.path, &data, managed);
                    if let Some(p) = progress {
                        p(data.len() as u64);
                    }
                    for x in &mut f {
                        x.commit.clone_from(&b.commit);
                    }
                    if let Ok(mut g) = found.lock() {
                        g.append(&mut f);
                    }
                }
            });
        }
        let mut rd = BufReader::with_capacity(1 << 20, stdout);
        let mut header = Vec::new();
        for i in 0..blobs.len() {
            header.clear();
            rd.read_until(b'\n', &mut header)
                .map_err(|e| ScanError::Git(e.to_string()))?;
            let h = String::from_utf8_lossy(&header);
            let f: Vec<&str> = h.split_whitespace().collect();
            if f.len() < 3 {
                continue; // "<oid> missing"
            }
            let size: u64 = f[2].parse().unwrap_or(0);
            let mut data = Vec::new();
            (&mut rd)
                .take(size)
                .read_to_end(&mut data)
                .map_err(|e| ScanError::Git(e.to_string()))?;
            let mut nl = [0u8; 1];
            let _ = rd.read_exact(&mut nl);
            if f[1] != "blob" || size > opts.max_size || is_binary(&data) {
                continue;
            }
            if tx.send((i, data)).is_err() {
                break;
            }
        }
        drop(tx);
        Ok(())
    });
    if result.is_err() {
        let _ = child.kill();
    }
    let _ = writer.join();
    let _ = child.wait();
    result?;
    let mut v = found.into_inner().unwrap_or_else(|p| p.into_inner());
    v.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
    });
    Ok(v)
}

/// Keep only findings on lines added by the index diff.
pub fn only_added(
    findings: Vec<Finding>,
    added: &HashMap<String, Vec<(usize, usize)>>,
) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| match added.get(&f.path) {
            Some(r) => r.iter().any(|&(a, b)| f.line <= b && f.end_line >= a),
            None => false,
        })
        .collect()
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The hook's text: the installing binary when known, else (or when it has gone) `PATH`.
pub fn hook_script(program: Option<&Path>) -> String {
    let mut body = format!(
        "#!/bin/sh\n{HOOK_MARKER}\n# Blocks commits that add secrets. Bypass once with `git commit --no-verify`.\n"
    );
    if let Some(p) = program {
        body.push_str(&format!(
            "# Runs the keyward that installed this hook; if it has moved, the one on PATH.\n\
             KEYWARD={}\n\
             if [ -x \"$KEYWARD\" ]; then exec \"$KEYWARD\" scan --staged; fi\n",
            sh_quote(&p.to_string_lossy())
        ));
    }
    body.push_str(
        "if command -v keyward >/dev/null 2>&1; then exec keyward scan --staged; fi\n\
         echo \"keyward pre-commit hook: keyward not found (not at the installed path, not on PATH); reinstall with: keyward scan --install-hook\" >&2\n\
         exit 1\n",
    );
    body
}

/// Marker written into hooks this tool installs.
pub const HOOK_MARKER: &str = "# installed by keyward scan --install-hook";

/// Install a `pre-commit` hook running `keyward scan --staged`. Refuses to overwrite a foreign
/// hook unless `force`. With `program` (the absolute path of the installing `keyward`), the hook
/// runs that binary, falling back to `keyward` on `PATH` when it has moved: git runs hooks with
/// the committer's `PATH`, which often lacks `~/.cargo/bin` (IDEs, GUI clients).
pub fn install_hook(
    repo: &Path,
    force: bool,
    program: Option<&Path>,
) -> Result<std::path::PathBuf> {
    let hooks = run_git(repo, &["rev-parse", "--git-path", "hooks"])?;
    let hooks = String::from_utf8_lossy(&hooks).trim().to_string();
    let dir = if Path::new(&hooks).is_absolute() {
        Path::new(&hooks).to_path_buf()
    } else {
        repo.join(hooks)
    };
    std::fs::create_dir_all(&dir).map_err(|e| ScanError::io(&dir, e))?;
    let path = dir.join("pre-commit");
    if let Ok(old) = std::fs::read_to_string(&path)
        && !old.contains(HOOK_MARKER)
        && !force
    {
        return Err(ScanError::Usage(format!(
            "{} exists and was not installed by keyward; use --force to replace it",
            path.display()
        )));
    }
    let body = hook_script(program);
    std::fs::write(&path, body).map_err(|e| ScanError::io(&path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| ScanError::io(&path, e))?;
    }
    Ok(path)
}
