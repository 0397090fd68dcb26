//! `keyward scan`: command-line arguments and the entry point the main binary calls.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::baseline::Baseline;
use crate::error::{Result, ScanError};
use crate::git;
use crate::managed::ManagedFingerprints;
use crate::report::{self, Format};
use crate::rules::RuleSet;
use crate::scanner::{Finding, Scanner};
use crate::walk::{self, WalkOptions};

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Scan files, directories or git history for leaked secrets.
///
/// Exit status: 0 = no findings, 1 = findings, 2 = error. Findings never contain the secret:
/// only a redacted preview and a fingerprint.
#[derive(Debug, Clone, Args)]
#[command(
    after_long_help = "Suppress a finding with an inline comment `keyward:allow` (or detect-secrets' \
`pragma: allowlist secret`) on the same line, or `keyward:allow-next-line` on the line before. \
Paths listed in .gitignore, .ignore or .keywardignore are skipped unless --no-git-ignore."
)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory). With --git/--staged:
    /// the repository.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format: human (colour on a terminal), json (array of findings with rule, path,
    /// line, column, preview, fingerprint, score) or sarif (SARIF 2.1.0 for GitHub code scanning).
    #[arg(long, short = 'f', value_enum, default_value = "human")]
    pub format: Format,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Scan the whole git history: every blob reachable from any ref, once, reported with the
    /// first commit and path that introduced it.
    #[arg(long, conflicts_with = "staged")]
    pub git: bool,

    /// With --git: only commits in REV..HEAD (implies --git).
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,

    /// Scan what is about to be committed (the index), reporting only added lines. Meant for
    /// pre-commit hooks.
    #[arg(long)]
    pub staged: bool,

    /// Install a git pre-commit hook that runs `keyward scan --staged`, then exit. The hook
    /// runs this keyward binary by its absolute path (falling back to `keyward` on PATH if
    /// it moves). The pre-commit framework route (.pre-commit-hooks.yaml) is unaffected.
    #[arg(long)]
    pub install_hook: bool,

    /// With --install-hook: replace an existing pre-commit hook not installed by keyward.
    #[arg(long, requires = "install_hook")]
    pub force: bool,

    /// The absolute path of the running binary, written into an installed hook (set by the
    /// `keyward` binary; not a flag).
    #[arg(skip)]
    pub hook_program: Option<PathBuf>,

    /// Extra rules file (TOML, `[[rule]]` tables as in the built-in rules); a rule with an
    /// existing id replaces the built-in one. Repeatable.
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,

    /// Disable a rule by id. Repeatable.
    #[arg(long = "disable-rule", value_name = "ID")]
    pub disable_rules: Vec<String>,

    /// Baseline file: findings recorded there (by fingerprint) are not reported.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record all current findings into the --baseline file (default
    /// .keyward-baseline.json) and exit 0.
    #[arg(long)]
    pub update_baseline: bool,

    /// Scan files even if .gitignore / .ignore / .keywardignore exclude them.
    #[arg(long)]
    pub no_git_ignore: bool,

    /// Skip hidden files and directories (by default they are scanned: .env, .npmrc, CI files).
    #[arg(long)]
    pub skip_hidden: bool,

    /// Also scan test-fixture directories (fixtures/, testdata/, __snapshots__/, ...).
    #[arg(long)]
    pub include_fixtures: bool,

    /// Skip paths matching GLOB (gitignore syntax). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Skip files (and blobs) larger than this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = 20)]
    pub max_file_size: u64,

    /// Worker threads (0 = one per CPU).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Report only findings whose likelihood score is at least this (0..1). Low-confidence
    /// identifiers such as Twilio account SIDs score 0.3.
    #[arg(long, value_name = "SCORE", default_value_t = 0.5)]
    pub min_score: f64,

    /// Also report values of secrets stored in keyward (matched by keyed fingerprints; the
    /// scanner never sees the values).
    #[arg(long)]
    pub managed: bool,

    /// With --managed: show the first characters of a matched stored value in the preview
    /// (by default a managed finding shows no character of the value, only its length).
    #[arg(long, requires = "managed")]
    pub show_prefix: bool,

    /// With --managed: rotate every stored secret whose value was found, through its
    /// configured rotator (`keyward rotation set`), recording `leak` as the reason in
    /// the audit log. Scan, confirm and rotate in one step.
    #[arg(long, requires = "managed")]
    pub rotate: bool,

    /// Colour human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,

    /// No progress bar (it is only shown on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

/// Run a scan; returns the process exit code (0 clean, 1 findings, 2 error).
pub fn run(args: &ScanArgs, managed: Option<&dyn ManagedFingerprints>) -> i32 {
    match run_inner(args, managed) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("keyward scan: error: {e}");
            2
        }
    }
}

fn threads(n: usize) -> usize {
    if n > 0 {
        n
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
}

fn run_inner(args: &ScanArgs, managed: Option<&dyn ManagedFingerprints>) -> Result<i32> {
    let repo = args
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    if args.install_hook {
        let p = git::install_hook(&repo, args.force, args.hook_program.as_deref())?;
        match &args.hook_program {
            Some(bin) => eprintln!(
                "keyward scan: installed {} (runs {}, or keyward from PATH if that moves)",
                p.display(),
                bin.display()
            ),
            None => eprintln!(
                "keyward scan: installed {} (runs keyward from PATH)",
                p.display()
            ),
        }
        return Ok(0);
    }
    if args.managed && managed.is_none() {
        return Err(ScanError::Usage(
            "--managed needs a keyward server connection".into(),
        ));
    }
    if !(0.0..=1.0).contains(&args.min_score) {
        return Err(ScanError::Usage(
            "--min-score must be between 0 and 1".into(),
        ));
    }
    let mut rules = RuleSet::builtin();
    for f in &args.rules {
        rules.extend(RuleSet::from_file(f)?);
    }
    rules.disable(&args.disable_rules);
    let scanner = Scanner::new(rules)?.with_managed_prefix(args.show_prefix);
    let max = args.max_file_size.saturating_mul(1024 * 1024);
    let blob_opts = git::BlobOptions {
        max_size: max,
        threads: threads(args.threads),
        include_fixtures: args.include_fixtures,
    };

    let bar = progress_bar(args);
    let tick = |n: u64| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    };
    let progress: Option<walk::Progress<'_>> = if bar.is_some() { Some(&tick) } else { None };

    let mut findings: Vec<Finding> = if args.staged {
        if args.paths.len() > 1 {
            return Err(ScanError::Usage(
                "--staged takes at most one repository path".into(),
            ));
        }
        let (blobs, added) = git::staged_blobs(&repo)?;
        let all = git::scan_blobs(&scanner, &repo, &blobs, &blob_opts, managed, progress)?;
        git::only_added(all, &added)
    } else if args.git || args.since.is_some() {
        if args.paths.len() > 1 {
            return Err(ScanError::Usage(
                "--git takes at most one repository path".into(),
            ));
        }
        let blobs = git::history_blobs(&repo, args.since.as_deref())?;
        git::scan_blobs(&scanner, &repo, &blobs, &blob_opts, managed, progress)?
    } else {
        let roots = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        let opts = WalkOptions {
            git_ignore: !args.no_git_ignore,
            skip_hidden: args.skip_hidden,
            max_file_size: max,
            threads: args.threads,
            include_fixtures: args.include_fixtures,
            exclude: args.exclude.clone(),
        };
        let has_stdin = roots.iter().any(|r| r.as_os_str() == "-");
        let mut v = Vec::new();
        if has_stdin {
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut data)
                .map_err(|e| ScanError::io("-", e))?;
            v = scanner.scan_bytes_with("-", &data, managed);
        }
        let files: Vec<PathBuf> = roots.into_iter().filter(|r| r.as_os_str() != "-").collect();
        if !files.is_empty() {
            v.extend(walk::scan_paths(&scanner, &files, &opts, managed, progress)?.0);
        }
        v
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    findings.retain(|f| f.score >= args.min_score);

    if args.update_baseline {
        let path = args
            .baseline
            .clone()
            .unwrap_or_else(|| PathBuf::from(".keyward-baseline.json"));
        Baseline::from_findings(&findings).save(&path)?;
        eprintln!(
            "keyward scan: recorded {} finding(s) in {}",
            findings.len(),
            path.display()
        );
        return Ok(0);
    }
    if let Some(p) = &args.baseline {
        findings = Baseline::load(p)?.filter(findings);
    }

    let rule_defs: Vec<_> = scanner.rules().collect();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let write_err = |e: std::io::Error| ScanError::Output(e.to_string());
    match &args.output {
        Some(path) => {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path).map_err(|e| ScanError::io(path, e))?,
            );
            report::write(&mut f, args.format, &findings, &rule_defs, color).map_err(write_err)?;
            f.flush().map_err(write_err)?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            match report::write(&mut lock, args.format, &findings, &rule_defs, color)
                .and_then(|()| lock.flush())
            {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(write_err(e)),
            }
        }
    }
    Ok(i32::from(!findings.is_empty()))
}

fn progress_bar(args: &ScanArgs) -> Option<indicatif::ProgressBar> {
    if args.no_progress || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} scanning {binary_bytes} ({binary_bytes_per_sec}) {elapsed}",
    ) {
        pb.set_style(style);
    }
    pb.enable_steady_tick(Duration::from_millis(120));
    Some(pb)
}
