#!/usr/bin/env bash
# The test command (README): every test suite keyward has, with real parts.
#   - Rust unit, property and integration tests (the integration tests start the real
#     `keyward` binary and talk HTTP to it)
#   - boto3 / awscli / Django tests from PyPI against a running keyward (scripts/*.sh
#     create their own venv under ~/.cache)
#   - the fuzz targets build-check
# Fails on the first failing suite; ends with one summary line of all counts.
set -euo pipefail
cd "$(dirname "$0")/.."

LOG="$(mktemp "${TMPDIR:-/tmp}/keyward-tests.XXXXXX")"
trap 'rm -f "$LOG"' EXIT
step() { printf '\n==> %s\n' "$*"; }

for s in scripts/fuzz-check.sh scripts/aws-client-tests.sh scripts/ssm-tests.sh scripts/django-e2e.sh scripts/alerts-tests.sh; do
  step "$s"
  bash "$s" 2>&1 | tee -a "$LOG"
done

step "cargo test --workspace"
cargo test --workspace --no-fail-fast 2>&1 | tee -a "$LOG"

# One line for all suites: cargo's "test result: ok. N passed; M failed" and
# pytest's "N passed[, M failed] in Xs".
awk '
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
  / passed.* in [0-9.]+s/ && !/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^skipped/) s += $i } }
  END { printf "all suites: %d passed, %d failed, %d skipped\n", p, f, s }
' "$LOG"
