#!/usr/bin/env bash
# The test command (README): every test suite keyward has, with real parts.
#   - Rust unit, property and integration tests (the integration tests start the real
#     `keyward` binary and talk HTTP to it)
#   - boto3 / awscli / Django tests from PyPI against a running keyward (scripts/*.sh
#     create their own venv under ~/.cache)
#   - the fuzz targets build-check
# Fails on the first failing suite.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

for s in scripts/fuzz-check.sh scripts/aws-client-tests.sh scripts/ssm-tests.sh scripts/django-e2e.sh; do
  if [ -f "$s" ]; then
    step "$s"
    bash "$s"
  fi
done

step "cargo test --workspace"
cargo test --workspace --no-fail-fast 2>&1 | tee "${TMPDIR:-/tmp}/keyward-cargo-test.log"
