#!/usr/bin/env bash
# Runs moto's own Secrets Manager test suite (the "peer suite") against a fresh
# keyward server and prints the suite's summary line.
#
#   scripts/peer-moto.sh                 # core profile, boto3 suite
#   SUITE=all scripts/peer-moto.sh       # also the raw-wire suite
#   SM_PROFILE=aws scripts/peer-moto.sh  # drop tests that need moto-only behaviour
#
# The suite itself lives in the shared checkout beside this repository
# (${SHARED:-../shared}/peer/moto); results land in ~/.cache/keyward-peer-moto/results/.
# keyward has no /moto-api/reset: the harness cleans up through the public API.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
SHARED="$(cd "$SHARED" && pwd)"
RUNNER="$SHARED/peer/moto/run_peer_suite.sh"
SUITE="${SUITE:-secretsmanager}"
[ -x "$RUNNER" ] || { echo "peer suite not found at $RUNNER (set SHARED=path/to/shared)" >&2; exit 2; }

PROFILE="${PROFILE:-release}"
if [ "$PROFILE" = release ]; then
  cargo build --release -q -p keyward --manifest-path "$ROOT/Cargo.toml"
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/keyward"
else
  cargo build -q -p keyward --manifest-path "$ROOT/Cargo.toml"
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/keyward"
fi

WORK="$(mktemp -d)"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$BIN" init --data-dir "$WORK/d" --json --account-id 123456789012 \
  --admin-access-key-id FOOBARKEY --admin-secret-access-key FOOBARSECRET > "$WORK/init.json"
"$BIN" serve --data-dir "$WORK/d" --listen "127.0.0.1:$PORT" > "$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 200); do
  if curl -sf "http://127.0.0.1:$PORT/v1/sys/health" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

set +e
ENDPOINT="http://127.0.0.1:$PORT" "$RUNNER" "$SUITE"
rc=$?
set -e
STATE="${PEER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/keyward-peer-moto}"
echo "---"
cat "$STATE/results/summary.txt" 2>/dev/null || true
if [ -s "$STATE/results/secretsmanager.failed.txt" ]; then
  echo "failures: $STATE/results/secretsmanager.failed.txt"
fi
exit $rc
