#!/usr/bin/env bash
# Runs the SSM Parameter Store client tests (tests/python/test_ssm_*.py) with boto3
# against a fresh keyward server on a free loopback port.
#
#   scripts/ssm-tests.sh                 # all SSM tests
#   scripts/ssm-tests.sh -k labels -x    # extra arguments go to pytest
#
# The Python venv (boto3, pytest) lives in ${KEYWARD_PY_VENV:-~/.cache/keyward-venv}
# and is created on first use from tests/python/requirements.txt (pinned; reinstalled
# when it changes).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${KEYWARD_PY_VENV:-$HOME/.cache/keyward-venv}"

cargo build -q -p keyward --manifest-path "$ROOT/Cargo.toml"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/keyward"

# shellcheck source=lib/test-venv.sh
. "$ROOT/scripts/lib/test-venv.sh"
ensure_test_venv "$VENV"

WORK="$(mktemp -d)"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$BIN" init --data-dir "$WORK/d" --json --account-id 123456789012 \
  --admin-access-key-id FOOBARKEY --admin-secret-access-key FOOBARSECRET > "$WORK/init.json"
"$BIN" serve --data-dir "$WORK/d" --listen "127.0.0.1:$PORT" > "$WORK/server.log" 2>&1 &
PID=$!
up=""
for _ in $(seq 300); do
  if curl -sf "http://127.0.0.1:$PORT/v1/sys/health" >/dev/null 2>&1; then up=1; break; fi
  sleep 0.1
done
if [ -z "$up" ]; then
  echo "keyward did not come up; server log:" >&2
  cat "$WORK/server.log" >&2
  exit 1
fi

export KEYWARD_BIN="$BIN"
export KEYWARD_ADDR="http://127.0.0.1:$PORT"
export KEYWARD_ACCESS_KEY_ID=FOOBARKEY
export KEYWARD_SECRET_ACCESS_KEY=FOOBARSECRET
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
export AWS_ACCESS_KEY_ID=FOOBARKEY
export AWS_SECRET_ACCESS_KEY=FOOBARSECRET
export AWS_DEFAULT_REGION=us-east-1
export AWS_REGION=us-east-1
export AWS_ACCOUNT_ID=123456789012
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

set +e
(cd "$ROOT/tests/python" && "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@" test_ssm_*.py)
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "--- server log (warnings and errors, last 20 lines)" >&2
  grep -v "INFO" "$WORK/server.log" | tail -n 20 >&2
fi
exit $rc
