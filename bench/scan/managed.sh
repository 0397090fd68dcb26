#!/usr/bin/env bash
# Cost of `keyward scan --managed` relative to a rules-only scan, in one run:
#   bench/scan/managed.sh [DIR] [N]     (default: the cargo registry sources, 30 stored values)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${1:-$(ls -d "$HOME"/.cargo/registry/src/*/ | head -1)}"
cd "$ROOT" && cargo run --quiet --release -p keyward-scan --example managed_bench -- "$DIR" "${2:-30}"
