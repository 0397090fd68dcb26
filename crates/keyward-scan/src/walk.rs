//! File inputs: parallel directory walk (the `ignore` crate: `.gitignore`, `.ignore`,
//! `.keywardignore`), hidden files included, binaries and huge files skipped.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ignore::{WalkBuilder, WalkState};

use crate::managed::ManagedFingerprints;
use crate::scanner::{Finding, Scanner};

/// File selection and limits.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Honour `.gitignore` (and global git excludes).
    pub git_ignore: bool,
    /// Skip hidden files (default: scan them; `.env` files matter).
    pub skip_hidden: bool,
    /// Skip files larger than this many bytes.
    pub max_file_size: u64,
    /// Worker threads (0 = number of CPUs).
    pub threads: usize,
    /// Also scan test-fixture directories (`fixtures/`, `testdata/`, ...).
    pub include_fixtures: bool,
    /// Glob patterns (gitignore syntax) of paths to skip.
    pub exclude: Vec<String>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        Self {
            git_ignore: true,
            skip_hidden: false,
            max_file_size: 20 * 1024 * 1024,
            threads: 0,
            include_fixtures: false,
            exclude: Vec::new(),
        }
    }
}

/// Totals of a walk.
#[derive(Debug, Default, Clone, Copy)]
pub struct WalkStats {
    /// Files scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Files skipped (binary, too large, unreadable).
    pub skipped: u64,
}

/// Callback for progress reporting: called after each scanned file with its size.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

const BINARY_EXT: &[&str] = &[
    "png",
    "jpg",
    "jpeg",
    "gif",
    "bmp",
    "ico",
    "webp",
    "tif",
    "tiff",
    "psd",
    "zip",
    "gz",
    "tgz",
    "bz2",
    "xz",
    "zst",
    "7z",
    "rar",
    "jar",
    "war",
    "whl",
    "egg",
    "pdf",
    "woff",
    "woff2",
    "ttf",
    "otf",
    "eot",
    "mp3",
    "mp4",
    "mov",
    "avi",
    "mkv",
    "wav",
    "flac",
    "ogg",
    "exe",
    "dll",
    "so",
    "dylib",
    "a",
    "o",
    "obj",
    "lib",
    "rlib",
    "class",
    "pyc",
    "pyo",
    "wasm",
    "bin",
    "dat",
    "db",
    "sqlite",
    "sqlite3",
    "parquet",
    "npy",
    "npz",
    "pkl",
    "onnx",
    "pt",
    "ckpt",
    "safetensors",
    "iso",
    "dmg",
    "deb",
    "rpm",
    "svgz",
    "heic",
    "avif",
];

const FIXTURE_DIRS: &[&str] = &[
    "fixtures",
    "fixture",
    "testdata",
    "test-data",
    "test_data",
    "__fixtures__",
    "__snapshots__",
    "__mocks__",
];

/// True for paths inside test-fixture directories.
pub fn is_fixture_path(path: &Path) -> bool {
    path.components().any(|c| {
        let s = c.as_os_str().to_string_lossy();
        FIXTURE_DIRS.iter().any(|f| s.eq_ignore_ascii_case(f))
    })
}

fn binary_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| BINARY_EXT.iter().any(|b| e.eq_ignore_ascii_case(b)))
}

/// Looks like binary data: a NUL byte in the first 8 KiB (git's heuristic).
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8192)]).is_some()
}

/// Display form of a walked path: as given, without a leading `./`.
fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Read a file unless it is binary or too large. `Ok(None)` = skipped.
pub fn read_candidate(path: &Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    if binary_extension(path) {
        return Ok(None);
    }
    let f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    if len > max {
        return Ok(None);
    }
    let mut buf = Vec::with_capacity(len as usize + 1);
    f.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max || is_binary(&buf) {
        return Ok(None);
    }
    Ok(Some(buf))
}

/// Walk `roots` in parallel and scan every candidate file. Per-file errors are printed as
/// warnings; a missing root is returned as an error.
pub fn scan_paths(
    scanner: &Scanner,
    roots: &[PathBuf],
    opts: &WalkOptions,
    managed: Option<&dyn ManagedFingerprints>,
    progress: Option<Progress<'_>>,
) -> crate::Result<(Vec<Finding>, WalkStats)> {
    for r in roots {
        std::fs::symlink_metadata(r).map_err(|e| crate::ScanError::io(r, e))?;
    }
    let Some((first, rest)) = roots.split_first() else {
        return Ok((Vec::new(), WalkStats::default()));
    };
    let mut wb = WalkBuilder::new(first);
    for r in rest {
        wb.add(r);
    }
    wb.hidden(opts.skip_hidden)
        .git_ignore(opts.git_ignore)
        .git_global(opts.git_ignore)
        .git_exclude(opts.git_ignore)
        .ignore(opts.git_ignore)
        .parents(opts.git_ignore)
        .require_git(false)
        .follow_links(false)
        .add_custom_ignore_filename(".keywardignore")
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    if !opts.exclude.is_empty() {
        let mut ob = ignore::overrides::OverrideBuilder::new(".");
        for x in &opts.exclude {
            ob.add(&format!("!{x}"))
                .map_err(|e| crate::ScanError::Usage(format!("--exclude {x}: {e}")))?;
        }
        let ov = ob
            .build()
            .map_err(|e| crate::ScanError::Usage(e.to_string()))?;
        wb.overrides(ov);
    }
    // a root inside a fixture directory was asked for explicitly: scan it
    let include_fixtures = opts.include_fixtures || roots.iter().any(|r| is_fixture_path(r));
    let found = Mutex::new(Vec::new());
    let files = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let skipped = AtomicU64::new(0);
    wb.build_parallel().run(|| {
        Box::new(|entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    eprintln!("keyward scan: warning: {err}");
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = entry.path();
            // explicitly named files are always scanned; fixtures are skipped when walked into
            if entry.depth() > 0 && !include_fixtures && is_fixture_path(path) {
                skipped.fetch_add(1, Ordering::Relaxed);
                return WalkState::Continue;
            }
            match read_candidate(path, opts.max_file_size) {
                Ok(Some(data)) => {
                    let shown = display_path(path);
                    let mut f = scanner.scan_bytes_with(&shown, &data, managed);
                    files.fetch_add(1, Ordering::Relaxed);
                    bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                    if let Some(p) = progress {
                        p(data.len() as u64);
                    }
                    if !f.is_empty()
                        && let Ok(mut g) = found.lock()
                    {
                        g.append(&mut f);
                    }
                }
                Ok(None) => {
                    skipped.fetch_add(1, Ordering::Relaxed);
                }
                Err(err) => {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    eprintln!("keyward scan: warning: {}: {err}", path.display());
                }
            }
            WalkState::Continue
        })
    });
    let mut findings = found.into_inner().unwrap_or_else(|p| p.into_inner());
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
    });
    let stats = WalkStats {
        files: files.into_inner(),
        bytes: bytes.into_inner(),
        skipped: skipped.into_inner(),
    };
    Ok((findings, stats))
}
