#!/usr/bin/env bash
# Benchmark: does recording LastAccessedDate slow GetSecretValue down?
#
# Two servers of the same release build run side by side, one with
# --record-last-accessed true (the default) and one with false; each holds the
# same secret, already read once (as any secret in use has been: the day's one
# write is behind us). Then, round after round, wrk drives GetSecretValue over
# SigV4 against both. Prints each round's req/s and ratio on/off, the median
# ratio (target: at least 0.97), and the servers' CPU time per request.
#
# PAIRING=concurrent (default): in each round both servers are loaded at the same
#   time, so whatever else runs on a shared machine hits both alike; which one
#   starts first alternates.
# PAIRING=sequential: one then the other, the order flipping every round (only
#   meaningful on a quiet machine: a build elsewhere lands on one side).
#
#   bench/last-accessed.sh                      # 7 rounds, 5 s each
#   RUNS=9 DURATION=3s CONNS=32 PAIRING=sequential bench/last-accessed.sh
#   LAST_ACCESSED=off bench/aws-get.sh          # one server, recording off
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${RUNS:-7}"
DURATION="${DURATION:-5s}"
CONNS="${CONNS:-64}"
THREADS="${THREADS:-2}"
PAIRING="${PAIRING:-concurrent}"
case "$PAIRING" in concurrent|sequential) ;; *) echo "PAIRING must be concurrent or sequential" >&2; exit 2;; esac

command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p keyward
BIN="${CARGO_TARGET_DIR:-target}/release/keyward"
SIGN="$ROOT/bench/lib/sign.py"

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 300); do python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0; sleep 0.1; done; echo "nothing on :$1" >&2; return 1; }
cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.6f", ($14 + $15) / hz}' "/proc/$1/stat"; }

KEY_ID=AKIABENCHKEYWARD0001
SECRET=bench-secret-access-key-000000000000000
VALUE="postgres://app:$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')@db/app"
create_body="$(python3 -c 'import json,sys; print(json.dumps({"Name": "/bench/prod/database_url", "SecretString": sys.argv[1]}))' "$VALUE")"
get_body='{"SecretId": "/bench/prod/database_url"}'

declare -A PORT PID
for mode in on off; do
  flag=true; [ "$mode" = off ] && flag=false
  PORT[$mode]="$(free_port)"
  "$BIN" init --data-dir "$WORK/$mode" --json --account-id 123456789012 \
    --admin-access-key-id "$KEY_ID" --admin-secret-access-key "$SECRET" > /dev/null
  "$BIN" serve --data-dir "$WORK/$mode" --listen "127.0.0.1:${PORT[$mode]}" \
    --record-last-accessed "$flag" 2> "$WORK/$mode.log" &
  PID[$mode]=$!
  PIDS+=("$!")
  wait_port "${PORT[$mode]}"
  python3 "$SIGN" "http://127.0.0.1:${PORT[$mode]}" CreateSecret "$create_body" "$KEY_ID" "$SECRET" send
  python3 "$SIGN" "http://127.0.0.1:${PORT[$mode]}" GetSecretValue "$get_body" "$KEY_ID" "$SECRET" send
done
sleep 2 # the "on" server writes today's date in the background

sign_for() { python3 "$SIGN" "http://127.0.0.1:${PORT[$1]}" GetSecretValue "$get_body" "$KEY_ID" "$SECRET" > "$WORK/$1.lua"; }
start_wrk() { # mode: runs wrk in the background, CPU time noted before
  cpu_secs "${PID[$1]}" > "$WORK/$1.cpu0"
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s "$WORK/$1.lua" "http://127.0.0.1:${PORT[$1]}/" > "$WORK/$1.txt" &
  WRK[$1]=$!
}
result() { # mode -> "req/s cpu-us-per-request", after its wrk ended
  local c1
  c1="$(cpu_secs "${PID[$1]}")"
  if grep -q "Non-2xx" "$WORK/$1.txt"; then
    echo "non-2xx answers from the $1 server:" >&2; cat "$WORK/$1.txt" >&2; exit 1
  fi
  awk -v a="$(cat "$WORK/$1.cpu0")" -v b="$c1" '/Requests\/sec/ {r=$2} /requests in/ {n=$1} END {printf "%s %.1f\n", r, (b - a) * 1e6 / n}' "$WORK/$1.txt"
}
declare -A WRK
echo "GetSecretValue over SigV4, $CONNS connections, $DURATION per round, $RUNS rounds, pairing $PAIRING"
ratios=()
for i in $(seq "$RUNS"); do
  if [ $((i % 2)) = 1 ]; then order="on off"; else order="off on"; fi
  declare -A R=() U=()
  for mode in on off; do sign_for "$mode"; done
  for mode in $order; do
    start_wrk "$mode"
    if [ "$PAIRING" = sequential ]; then wait "${WRK[$mode]}"; read -r R[$mode] U[$mode] < <(result "$mode"); fi
  done
  if [ "$PAIRING" = concurrent ]; then
    for mode in $order; do wait "${WRK[$mode]}"; read -r R[$mode] U[$mode] < <(result "$mode"); done
  fi
  r="$(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.3f}')" "${R[on]}" "${R[off]}")"
  printf 'round %2d (%-6s): on %10s req/s %6s us/req   off %10s req/s %6s us/req   on/off %s\n' \
    "$i" "${order// /,}" "${R[on]}" "${U[on]}" "${R[off]}" "${U[off]}" "$r"
  ratios+=("$r")
  echo "${U[on]} ${U[off]}" >> "$WORK/cpu.txt"
done
python3 - "$WORK/cpu.txt" "${ratios[@]}" <<'PY'
import statistics, sys
cpu = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
r = sorted(float(x) for x in sys.argv[2:])
print(f"median ratio GetSecretValue req/s, LastAccessedDate on / off, over {len(r)} rounds = "
      f"{statistics.median(r):.3f} (min {r[0]:.3f}, max {r[-1]:.3f})")
print(f"median server CPU per request, on / off = "
      f"{statistics.median(a / b for a, b in cpu):.3f}")
PY
for mode in on off; do
  python3 "$SIGN" "http://127.0.0.1:${PORT[$mode]}" DescribeSecret "$get_body" "$KEY_ID" "$SECRET" show |
    python3 -c 'import json,sys; print(sys.argv[1], "server: LastAccessedDate", json.load(sys.stdin).get("LastAccessedDate", "(none)"))' "$mode"
done
