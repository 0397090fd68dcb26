#!/usr/bin/env bash
# Benchmark: does a hanging alert sink move GetSecretValue's latency?
#
# Two servers of the same release build run side by side, each with one webhook
# alert sink and the same stream of alerts (a principal with no policy reading a
# new secret name RATE times a second: one unauthorized_access alert each). The
# "hang" server's sink reads every delivery and never answers (each attempt waits
# for the delivery timeout, then retries); the "ok" server's sink answers at
# once. Round after round, wrk drives GetSecretValue over SigV4 against both at
# the same time (which starts first alternates). Prints each round's p50/p99 and
# req/s for both, and the median p99 ratio hang/ok (target: about 1).
#
#   bench/alerts-hanging-sink.sh                    # 5 rounds, 5 s each
#   RUNS=3 DURATION=3s CONNS=32 RATE=50 bench/alerts-hanging-sink.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${RUNS:-5}"
DURATION="${DURATION:-5s}"
CONNS="${CONNS:-32}"
THREADS="${THREADS:-2}"
RATE="${RATE:-20}"

command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p keyward
  BIN="${CARGO_TARGET_DIR:-target}/release/keyward"
fi
SIGN="$ROOT/bench/lib/sign.py"

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 300); do python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0; sleep 0.1; done; echo "nothing on :$1" >&2; return 1; }

KEY_ID=AKIABENCHKEYWARD0001
SECRET=bench-secret-access-key-000000000000000
VALUE="postgres://app:$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')@db/app"
create_body="$(python3 -c 'import json,sys; print(json.dumps({"Name": "/bench/prod/database_url", "SecretString": sys.argv[1]}))' "$VALUE")"
get_body='{"SecretId": "/bench/prod/database_url"}'

declare -A PORT HOOK
for mode in hang ok; do
  PORT[$mode]="$(free_port)"
  HOOK[$mode]="$(free_port)"
  python3 "$ROOT/bench/lib/hook.py" "${HOOK[$mode]}" "$mode" &
  PIDS+=("$!")
  cat > "$WORK/$mode.toml" <<TOML
[[alert.sink]]
name = "ops"
type = "webhook"
url = "http://127.0.0.1:${HOOK[$mode]}/hook"
signing_secret = "bench-signing-secret-0123456789"

[alert.delivery]
timeout = 2
retry_initial = 1
retry_max = 5
rate_limit = 1000000

[alert.rules.first_read]
enabled = false
TOML
  "$BIN" init --data-dir "$WORK/$mode" --json --account-id 123456789012 \
    --admin-access-key-id "$KEY_ID" --admin-secret-access-key "$SECRET" > /dev/null
  "$BIN" serve --data-dir "$WORK/$mode" --listen "127.0.0.1:${PORT[$mode]}" \
    --config "$WORK/$mode.toml" 2> "$WORK/$mode.log" &
  PIDS+=("$!")
  wait_port "${PORT[$mode]}"
  python3 "$SIGN" "http://127.0.0.1:${PORT[$mode]}" CreateSecret "$create_body" "$KEY_ID" "$SECRET" send
  nobody="$(KEYWARD_ADDR="http://127.0.0.1:${PORT[$mode]}" KEYWARD_ACCESS_KEY_ID="$KEY_ID" KEYWARD_SECRET_ACCESS_KEY="$SECRET" \
    "$BIN" principal create nobody --json)"
  nid="$(python3 -c 'import json,sys; v=json.load(sys.stdin); print(v.get("access_key_id") or v["access_key"]["access_key_id"])' <<<"$nobody")"
  nsecret="$(python3 -c 'import json,sys; v=json.load(sys.stdin); print(v.get("secret_access_key") or v["access_key"]["secret_access_key"])' <<<"$nobody")"
  python3 "$ROOT/bench/lib/denied.py" "http://127.0.0.1:${PORT[$mode]}" "$nid" "$nsecret" "$RATE" &
  PIDS+=("$!")
done
sleep 3 # alerts are flowing (and, on "hang", piling up behind the timeout)

sign_for() { python3 "$SIGN" "http://127.0.0.1:${PORT[$1]}" GetSecretValue "$get_body" "$KEY_ID" "$SECRET" > "$WORK/$1.lua"; }
declare -A WRK
start_wrk() { wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$WORK/$1.lua" "http://127.0.0.1:${PORT[$1]}/" > "$WORK/$1.txt" & WRK[$1]=$!; }
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}'; }
pct() { grep -E "^ +$2% " "$WORK/$1.txt" | awk '{print $2}' | to_ms; }
rps() { awk '/Requests\/sec/ {print $2}' "$WORK/$1.txt"; }

echo "GetSecretValue over SigV4, $CONNS connections, $DURATION per round, $RUNS rounds; $RATE alerts/s to each server's sink"
printf "%-6s %10s %10s %10s %10s %10s %10s %8s\n" round hang_p50 hang_p99 hang_rps ok_p50 ok_p99 ok_rps p99_ratio
ratios=()
for r in $(seq "$RUNS"); do
  sign_for hang; sign_for ok
  if [ $((r % 2)) -eq 1 ]; then start_wrk hang; start_wrk ok; else start_wrk ok; start_wrk hang; fi
  wait "${WRK[hang]}" "${WRK[ok]}"
  for m in hang ok; do
    if grep -q "Non-2xx" "$WORK/$m.txt"; then echo "non-2xx answers from the $m server:" >&2; cat "$WORK/$m.txt" >&2; exit 1; fi
  done
  ratio="$(awk -v a="$(pct hang 99)" -v b="$(pct ok 99)" 'BEGIN {printf "%.3f", a / b}')"
  ratios+=("$ratio")
  printf "%-6s %10s %10s %10s %10s %10s %10s %8s\n" "$r" "$(pct hang 50)" "$(pct hang 99)" "$(rps hang)" "$(pct ok 50)" "$(pct ok 99)" "$(rps ok)" "$ratio"
done
median="$(printf "%s\n" "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
echo "median p99 ratio hang/ok: $median (latencies in ms)"
for m in hang ok; do
  KEYWARD_ADDR="http://127.0.0.1:${PORT[$m]}" KEYWARD_ACCESS_KEY_ID="$KEY_ID" KEYWARD_SECRET_ACCESS_KEY="$SECRET" \
    "$BIN" alert ls --json --limit 1000 |
    python3 -c 'import json,sys; from collections import Counter; rows=json.load(sys.stdin); print(sys.argv[1], "sink: outbox (latest 1000)", dict(Counter(r["state"] for r in rows)))' "$m"
done
