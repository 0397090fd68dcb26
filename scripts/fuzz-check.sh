#!/usr/bin/env bash
# Build-checks the fuzz targets on the stable toolchain, for CI.
#
# Running them needs cargo-fuzz, which needs nightly (`cargo +nightly fuzz run
# native_request`); `cargo check` on stable is enough to catch targets that no
# longer compile against the library APIs they exercise. fuzz/ is its own
# workspace (outside the main one), hence --manifest-path.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo check --manifest-path fuzz/Cargo.toml --bins "$@"
