#!/usr/bin/env bash
# Benchmark: what TLS costs. The same authenticated, audited secret read over plain
# HTTP and over TLS (keep-alive), on one server each, from one data directory
# setup, in the same run. The dev certificate (`keyward dev --tls`'s CA) is used.
#
#   bench/tls-get.sh               # 64 connections, 10 s per route
#   CONNS=32 DURATION=5s bench/tls-get.sh
#
# Prints req/s, p50/p99 and server CPU per request for each, and the ratio
# TLS ÷ plain. Machines here are shared and noisy: quote the ratio, not a lone req/s.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS="${CONNS:-64}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"

command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p keyward
BIN="${CARGO_TARGET_DIR:-target}/release/keyward"

WORK="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PLAIN_PORT="$(free_port)"
TLS_PORT="$(free_port)"
cleanup() {
  [ -n "${PLAIN_PID:-}" ] && kill "$PLAIN_PID" 2>/dev/null
  [ -n "${TLS_PID:-}" ] && kill "$TLS_PID" 2>/dev/null
  wait 2>/dev/null; rm -rf "$WORK"
}
trap cleanup EXIT

# `dev --tls` makes the data directory and the certificate; stop it, then serve the
# same directory twice (plain and TLS) so both read the same database.
"$BIN" dev --tls --data-dir "$WORK/d" --listen "127.0.0.1:$PLAIN_PORT" > "$WORK/exports" 2> "$WORK/dev.log" &
DEV_PID=$!
for _ in $(seq 100); do curl -sf --cacert "$WORK/d/tls/ca.pem" "https://127.0.0.1:$PLAIN_PORT/v1/sys/health" >/dev/null && break; sleep 0.1; done
eval "$(grep ^export "$WORK/exports")"
"$BIN" put /bench/prod/database_url "postgres://app:$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')@db/app" >/dev/null
TOKEN="$("$BIN" token)"
kill "$DEV_PID"; wait "$DEV_PID" 2>/dev/null || true

"$BIN" serve --data-dir "$WORK/d" --listen "127.0.0.1:$PLAIN_PORT" 2> "$WORK/plain.log" &
PLAIN_PID=$!
"$BIN" serve --data-dir "$WORK/d" --listen "127.0.0.1:$TLS_PORT" \
  --tls-cert "$WORK/d/tls/server.pem" --tls-key "$WORK/d/tls/server-key.pem" 2> "$WORK/tls.log" &
TLS_PID=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PLAIN_PORT/v1/sys/health" >/dev/null \
    && curl -sf --cacert "$WORK/d/tls/ca.pem" "https://127.0.0.1:$TLS_PORT/v1/sys/health" >/dev/null && break
  sleep 0.1
done

cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.6f", ($14 + $15) / hz}' "/proc/$1/stat"; }
run() { # name pid url
  local name="$1" pid="$2" url="$3"
  local cpu0; cpu0="$(cpu_secs "$pid")"
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$url" > "$WORK/$name.txt"
  local cpu1; cpu1="$(cpu_secs "$pid")"
  local rps p50 p99 us non2xx
  rps="$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.txt")"
  p50="$(awk '$1=="50%" {print $2}' "$WORK/$name.txt")"
  p99="$(awk '$1=="99%" {print $2}' "$WORK/$name.txt")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' "$WORK/$name.txt")"
  us="$(awk -v a="$cpu0" -v b="$cpu1" '/requests in/ {printf "%.0f", (b - a) * 1e6 / $1}' "$WORK/$name.txt")"
  printf '%-12s %10s req/s   p50 %-9s p99 %-9s server CPU %4s us/req   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "$us" "${non2xx:-0}"
  eval "RPS_$name=$rps"
}

PATH_Q="/v1/secrets/%2Fbench%2Fprod%2Fdatabase_url"
echo "keyward secret read, plain HTTP vs TLS (keep-alive), $CONNS connections, $DURATION each"
run plain "$PLAIN_PID" "http://127.0.0.1:$PLAIN_PORT$PATH_Q"
run tls "$TLS_PID" "https://127.0.0.1:$TLS_PORT$PATH_Q"
python3 -c "print(f'ratio tls / plain = {float(\"$RPS_tls\")/float(\"$RPS_plain\"):.2f}')"
