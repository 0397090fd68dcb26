//! What is never reported though a rule matches: a line marked `keyward:allow`
//! (or the line after a `keyward:allow-next-line`), assignment names that contain
//! a keyword but never hold a secret, and the generic rules in lock files.

use memchr::{memchr, memmem, memrchr};

/// `keyward:allow` / `pragma: allowlist secret` on the line, or the `nextline` forms on the
/// line before.
pub(super) fn allowed_inline(data: &[u8], pos: usize) -> bool {
    let ls = memrchr(b'\n', &data[..pos]).map_or(0, |i| i + 1);
    let le = memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
    let line = &data[ls..le];
    if memmem::find(line, b"keyward:allow").is_some()
        || memmem::find(line, b"pragma: allowlist secret").is_some()
    {
        return true;
    }
    if ls == 0 {
        return false;
    }
    let ps = memrchr(b'\n', &data[..ls - 1]).map_or(0, |i| i + 1);
    let prev = &data[ps..ls - 1];
    memmem::find(prev, b"keyward:allow-next-line").is_some()
        || memmem::find(prev, b"pragma: allowlist nextline secret").is_some()
}

/// Assignment names that contain a keyword but never hold a secret value.
pub(super) fn excluded_key(key: &[u8]) -> bool {
    let k = key.to_ascii_lowercase();
    const SUFFIXES: &[&[u8]] = &[
        b"_id",
        b"-id",
        b".id",
        b"_url",
        b"_uri",
        b"url",
        b"uri",
        b"_name",
        b"_file",
        b"_path",
        b"_dir",
        b"_type",
        b"_len",
        b"_length",
        b"_size",
        b"_count",
        b"_ttl",
        b"_timeout",
        b"_header",
        b"_field",
        b"_env",
        b"_var",
        b"_prefix",
        b"_format",
        b"_mode",
        b"_policy",
        b"_hint",
        b"_label",
        b"_enabled",
        b"_endpoint",
        b"_expiry",
        b"_expires",
        b"_hash",
        b"_sha",
        b"_digest",
        b"_checksum",
        b"_pattern",
        b"_regex",
        b"_class",
        b"_version",
        b"_key_id",
        b"fingerprint",
        b"_region",
        b"_algorithm",
        b"_spec",
        b"_arn",
        b"_scope",
        b"_method",
        b"_store",
        b"_provider",
        b"_manager",
        b"_service",
        b"_kind",
        b"_types",
        b"_names",
    ];
    const PARTS: &[&[u8]] = &[
        b"author",
        b"tokeniz",
        b"oauth2",
        b"passthrough",
        b"passeng",
        b"passag",
        b"passiv",
        b"passed",
        b"passes",
        b"bypass",
        b"compass",
        b"keyboard",
        b"monkey",
        b"hotkey",
        // pagination cursors, idempotency and CSRF tokens: random but not credentials
        b"nexttoken",
        b"next_token",
        b"continuation",
        b"pagetoken",
        b"page_token",
        b"clienttoken",
        b"client_token",
        b"idempotency",
        b"csrf",
        b"xsrf",
    ];
    SUFFIXES.iter().any(|s| k.ends_with(s)) || PARTS.iter().any(|p| memmem::find(&k, p).is_some())
}

/// Lock files and checksum manifests: only specific (non-generic) rules run there.
pub fn is_lockfile(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    matches!(
        name,
        "package-lock.json"
            | "npm-shrinkwrap.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "Cargo.lock"
            | "poetry.lock"
            | "Pipfile.lock"
            | "composer.lock"
            | "Gemfile.lock"
            | "go.sum"
            | "go.work.sum"
            | "uv.lock"
            | "pdm.lock"
            | "bun.lock"
            | "flake.lock"
            | "mix.lock"
            | "pubspec.lock"
            | "packages.lock.json"
            | "gradle.lockfile"
            | ".cargo-checksum.json"
            | "requirements.txt"
    ) || name.ends_with(".lock")
        || name.ends_with(".sum")
}
