#!/usr/bin/env bash
# Alerts by email (a local aiosmtpd SMTP server requiring STARTTLS) and the
# Prometheus metrics listener (parsed with prometheus_client), against real
# keyward servers the tests start themselves.
#
#   scripts/alerts-tests.sh            # builds keyward (debug), runs tests/python/test_alerts.py
#
# Needs openssl (the tests make a throwaway CA). The venv is the pinned one of
# tests/python/requirements.txt. KEYWARD_BIN overrides the binary.
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
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@" test_alerts.py
