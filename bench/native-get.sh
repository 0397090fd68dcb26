#!/usr/bin/env bash
# Benchmark: authenticated, audited secret reads over the native API versus the
# server's own health route, in the same run, on the same server.
#
#   bench/native-get.sh            # 64 connections, 10 s per route
#   CONNS=32 DURATION=5s bench/native-get.sh
#
# Prints req/s, p50/p99 and the server's CPU time per request for each route, and
# the ratio read ÷ health. Machines here are shared and noisy: quote the ratio (and
# CPU per request, which moves far less between runs than req/s), not a lone req/s.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS="${CONNS:-64}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"

command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p keyward
BIN="${CARGO_TARGET_DIR:-target}/release/keyward"

WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$BIN" init --data-dir "$WORK/d" --json > "$WORK/creds.json"
"$BIN" serve --data-dir "$WORK/d" --listen "127.0.0.1:$PORT" 2> "$WORK/server.log" &
PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/v1/sys/health" >/dev/null && break; sleep 0.1; done

export KEYWARD_ADDR="http://127.0.0.1:$PORT"
export KEYWARD_ACCESS_KEY_ID="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_key_id"])' "$WORK/creds.json")"
export KEYWARD_SECRET_ACCESS_KEY="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret_access_key"])' "$WORK/creds.json")"
"$BIN" put /bench/prod/database_url "postgres://app:$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')@db/app" 2>/dev/null
TOKEN="$("$BIN" token)"

# CPU seconds (user + system, all threads) that process $1 has used so far.
cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.6f", ($14 + $15) / hz}' "/proc/$1/stat"; }
run() { # name url [header]
  local name="$1" url="$2"; shift 2
  local cpu0; cpu0="$(cpu_secs "$PID")"
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$url" > "$WORK/$name.txt"
  local cpu1; cpu1="$(cpu_secs "$PID")"
  local rps p50 p99 us
  rps="$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.txt")"
  p50="$(awk '$1=="50%" {print $2}' "$WORK/$name.txt")"
  p99="$(awk '$1=="99%" {print $2}' "$WORK/$name.txt")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' "$WORK/$name.txt")"
  us="$(awk -v a="$cpu0" -v b="$cpu1" '/requests in/ {printf "%.0f", (b - a) * 1e6 / $1}' "$WORK/$name.txt")"
  printf '%-14s %10s req/s   p50 %-9s p99 %-9s server CPU %4s us/req   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "$us" "${non2xx:-0}"
  eval "RPS_$name=$rps"
}

echo "keyward native API, $CONNS connections, $DURATION per route (audit on, durable group commit)"
run health "http://127.0.0.1:$PORT/v1/sys/health"
run secret_read "http://127.0.0.1:$PORT/v1/secrets/%2Fbench%2Fprod%2Fdatabase_url" -H "Authorization: Bearer $TOKEN"
python3 -c "print(f'ratio secret_read / health = {float(\"$RPS_secret_read\")/float(\"$RPS_health\"):.2f}')"
AUDITED="$("$BIN" audit verify --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')"
echo "audit records written during the run: $AUDITED"
