#!/usr/bin/env bash
# Benchmark: rotations per second with the `generated` rotator, and what a
# running rotation load does to GetSecretValue throughput, in one run.
#
# One server (release build unless PROFILE=debug). Part 1: ROTATIONS rotations of
# one secret, one after another, through the native API (each: claim the token,
# four steps each persisted and audited, AWSCURRENT moved) -> rotations/s.
# Part 2: wrk drives GetSecretValue over SigV4 on a second secret for DURATION
# without, then with, a background loop rotating the first secret as fast as it
# can, alternating ROUNDS times; prints each round's req/s and the median ratio
# with/without (the cost readers pay while rotations run).
#
#   bench/rotate.sh
#   PROFILE=debug ROTATIONS=100 ROUNDS=3 DURATION=3s bench/rotate.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROTATIONS="${ROTATIONS:-300}"
ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-5s}"
CONNS="${CONNS:-32}"
PROFILE="${PROFILE:-release}"

command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
if [ "$PROFILE" = release ]; then cargo build --release -q -p keyward; else cargo build -q -p keyward; fi
BIN="${CARGO_TARGET_DIR:-target}/$PROFILE/keyward"
SIGN="$ROOT/bench/lib/sign.py"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
KEY_ID=AKIABENCHKEYWARD0001
SECRET=bench-secret-access-key-000000000000000
"$BIN" init --data-dir "$WORK/d" --json --admin-access-key-id "$KEY_ID" --admin-secret-access-key "$SECRET" > /dev/null
"$BIN" serve --data-dir "$WORK/d" --listen "127.0.0.1:$PORT" 2> "$WORK/server.log" &
PIDS+=("$!")
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$PORT/v1/sys/health" >/dev/null && break; sleep 0.1; done
export KEYWARD_ADDR="http://127.0.0.1:$PORT" KEYWARD_ACCESS_KEY_ID="$KEY_ID" KEYWARD_SECRET_ACCESS_KEY="$SECRET"
"$BIN" put bench/rotated "initial-value-0123456789" > /dev/null
"$BIN" put bench/read "postgres://app:$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')@db/app" > /dev/null
"$BIN" rotation set bench/rotated --rotator generated --format urlsafe > /dev/null

# Rotates bench/rotated N times (or until killed with N=0) over one keep-alive connection.
cat > "$WORK/rotate.py" <<'PY'
import http.client, subprocess, sys, time
port, n, binary = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
conn = http.client.HTTPConnection("127.0.0.1", port)
token, minted, done, start = None, 0.0, 0, time.time()
stop = sys.argv[4] if len(sys.argv) > 4 else None
import os
# Stops between rotations when the stop file appears: killing it mid-request
# would leave a rotation in progress for the scheduler to resume.
while (n == 0 and not os.path.exists(stop)) or (n and done < n):
    if time.time() - minted > 60:
        token, minted = subprocess.check_output([binary, "token"], text=True).strip(), time.time()
    conn.request("POST", "/v1/rotate/bench/rotated", body="{}", headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = conn.getresponse(); body = r.read()
    assert r.status == 200 and b'"rotated":true' in body, (r.status, body)
    done += 1
if n:
    secs = time.time() - start
    print(f"{done} rotations in {secs:.2f} s: {done / secs:.1f} rotations/s")
PY
echo "== generated rotator, $ROTATIONS rotations back to back ($PROFILE build)"
python3 "$WORK/rotate.py" "$PORT" "$ROTATIONS" "$BIN"

python3 "$SIGN" "http://127.0.0.1:$PORT" GetSecretValue '{"SecretId": "bench/read"}' "$KEY_ID" "$SECRET" > "$WORK/get.lua"
rps() { wrk -t2 -c"$CONNS" -d"$DURATION" -s "$WORK/get.lua" "http://127.0.0.1:$PORT/" | awk '/Non-2xx/ {bad=1} /Requests\/sec/ {r=$2} END {if (bad) {print "non-2xx" > "/dev/stderr"; exit 1} print r}'; }
echo "== GetSecretValue over SigV4, $CONNS connections, $DURATION per run: without / with a rotation loop"
ratios=()
for round in $(seq "$ROUNDS"); do
  quiet="$(rps)"
  rm -f "$WORK/stop"
  python3 "$WORK/rotate.py" "$PORT" 0 "$BIN" "$WORK/stop" & LOOP=$!
  busy="$(rps)"
  touch "$WORK/stop"; wait "$LOOP"
  ratio="$(awk -v a="$busy" -v b="$quiet" 'BEGIN {printf "%.3f", a / b}')"
  ratios+=("$ratio")
  echo "round $round: without $quiet req/s, with rotations $busy req/s, ratio $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print "median ratio with/without rotation load: " a[int((NR+1)/2)]}'
echo "rotations completed in total: $("$BIN" history bench/rotated --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["versions"]))') versions kept"
