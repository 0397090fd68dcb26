#!/usr/bin/env bash
# Drives a real keyward server with the real AWS clients (boto3 and awscli):
# the seed documents' snippets unchanged, plus negative cases (bad signatures,
# tampering, stale dates, regions, policies) and their audit records.
#
#   scripts/aws-client-tests.sh            # builds keyward (debug), runs tests/python/test_sm_*.py
#   scripts/aws-client-tests.sh -k seed    # extra args go to pytest
#
# The venv lives in ${KEYWARD_PY_VENV:-$HOME/.cache/keyward-venv} and is created
# on first use from tests/python/requirements.txt (pinned; reinstalled when it changes). KEYWARD_BIN overrides the binary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${KEYWARD_PY_VENV:-$HOME/.cache/keyward-venv}"

# shellcheck source=lib/test-venv.sh
. "$ROOT/scripts/lib/test-venv.sh"
ensure_test_venv "$VENV"

if [ -z "${KEYWARD_BIN:-}" ]; then
  cargo build -q -p keyward --manifest-path "$ROOT/Cargo.toml"
  export KEYWARD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/keyward"
fi

cd "$ROOT/tests/python"
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@" test_sm_*.py
