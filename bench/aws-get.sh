#!/usr/bin/env bash
# Benchmark: Secrets Manager GetSecretValue over SigV4 (verified, authorized,
# decrypted and durably audited per request) versus the server's own health route
# in the same run, and versus moto_server answering the same request.
#
#   bench/aws-get.sh                        # 64 connections, 10 s per target
#   CONNS=32 DURATION=5s bench/aws-get.sh
#   SKIP_MOTO=1 bench/aws-get.sh
#   LAST_ACCESSED=off bench/aws-get.sh      # same build, LastAccessedDate not recorded
#                                            # (bench/last-accessed.sh compares on/off)
#
# The GetSecretValue request is signed once (SigV4 signatures stay valid for 15
# minutes and the server verifies every copy in full) and replayed by wrk.
# Prints req/s, p50/p99 and non-2xx per target and the ratios. Machines here are
# shared and noisy: quote the ratios, not a lone absolute number.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CONNS="${CONNS:-64}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
case "${LAST_ACCESSED:-on}" in
  on) RECORD_LAST_ACCESSED=true ;;
  off) RECORD_LAST_ACCESSED=false ;;
  *) echo "LAST_ACCESSED must be on or off" >&2; exit 2 ;;
esac
MOTO_VENV="${MOTO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/keyward-peer-moto/venv}"

command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p keyward
BIN="${CARGO_TARGET_DIR:-target}/release/keyward"

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 300); do python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0; sleep 0.1; done; echo "nothing on :$1" >&2; return 1; }

KEY_ID=AKIABENCHKEYWARD0001
SECRET=bench-secret-access-key-000000000000000
PORT="$(free_port)"
"$BIN" init --data-dir "$WORK/d" --json --account-id 123456789012 \
  --admin-access-key-id "$KEY_ID" --admin-secret-access-key "$SECRET" > /dev/null
"$BIN" serve --data-dir "$WORK/d" --listen "127.0.0.1:$PORT" \
  --record-last-accessed "$RECORD_LAST_ACCESSED" 2> "$WORK/server.log" &
KW_PID=$!
PIDS+=("$KW_PID")
wait_port "$PORT"

VALUE="postgres://app:$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')@db/app"
create_body="$(python3 -c 'import json,sys; print(json.dumps({"Name": "/bench/prod/database_url", "SecretString": sys.argv[1]}))' "$VALUE")"
get_body='{"SecretId": "/bench/prod/database_url"}'

# CPU seconds (user + system, all threads) that process $1 has used so far.
cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.6f", ($14 + $15) / hz}' "/proc/$1/stat"; }
run() { # name server-pid url [wrk args]
  local name="$1" pid="$2" url="$3"; shift 3
  local cpu0; cpu0="$(cpu_secs "$pid")"
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$url" > "$WORK/$name.txt"
  local cpu1; cpu1="$(cpu_secs "$pid")"
  local rps p50 p99 non2xx us
  rps="$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.txt")"
  p50="$(awk '$1=="50%" {print $2}' "$WORK/$name.txt")"
  p99="$(awk '$1=="99%" {print $2}' "$WORK/$name.txt")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' "$WORK/$name.txt")"
  us="$(awk -v a="$cpu0" -v b="$cpu1" '/requests in/ {printf "%.0f", (b - a) * 1e6 / $1}' "$WORK/$name.txt")"
  printf '%-22s %10s req/s   p50 %-9s p99 %-9s server CPU %5s us/req   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "$us" "${non2xx:-0}"
  eval "RPS_$name=$rps"
}

# keyward: create the secret, then sign one GetSecretValue for the run.
python3 "$ROOT/bench/lib/sign.py" "http://127.0.0.1:$PORT" CreateSecret "$create_body" "$KEY_ID" "$SECRET" send
python3 "$ROOT/bench/lib/sign.py" "http://127.0.0.1:$PORT" GetSecretValue "$get_body" "$KEY_ID" "$SECRET" send
python3 "$ROOT/bench/lib/sign.py" "http://127.0.0.1:$PORT" GetSecretValue "$get_body" "$KEY_ID" "$SECRET" > "$WORK/get.lua"

echo "GetSecretValue over SigV4, $CONNS connections, $DURATION per target (keyward: audit on, durable group commit, LastAccessedDate ${LAST_ACCESSED:-on})"
run kw_health "$KW_PID" "http://127.0.0.1:$PORT/v1/sys/health"
run kw_get_secret_value "$KW_PID" "http://127.0.0.1:$PORT/" -s "$WORK/get.lua"
AUDITED="$(KEYWARD_ADDR="http://127.0.0.1:$PORT" KEYWARD_ACCESS_KEY_ID="$KEY_ID" KEYWARD_SECRET_ACCESS_KEY="$SECRET" \
  "$BIN" audit verify --json | python3 -c 'import json,sys; print(json.load(sys.stdin).get("records", "?"))')"

if [ "${SKIP_MOTO:-0}" != 1 ]; then
  if [ ! -x "$MOTO_VENV/bin/moto_server" ]; then
    echo "creating $MOTO_VENV with moto[server]" >&2
    python3 -m venv "$MOTO_VENV"
    "$MOTO_VENV/bin/pip" install -q --disable-pip-version-check 'moto[server]'
  fi
  MPORT="$(free_port)"
  "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$MPORT" > "$WORK/moto.log" 2>&1 &
  MOTO_PID=$!
  PIDS+=("$MOTO_PID")
  wait_port "$MPORT"
  python3 "$ROOT/bench/lib/sign.py" "http://127.0.0.1:$MPORT" CreateSecret "$create_body" "$KEY_ID" "$SECRET" send
  python3 "$ROOT/bench/lib/sign.py" "http://127.0.0.1:$MPORT" GetSecretValue "$get_body" "$KEY_ID" "$SECRET" send
  python3 "$ROOT/bench/lib/sign.py" "http://127.0.0.1:$MPORT" GetSecretValue "$get_body" "$KEY_ID" "$SECRET" > "$WORK/mget.lua"
  run moto_get_secret_value "$MOTO_PID" "http://127.0.0.1:$MPORT/" -s "$WORK/mget.lua"
fi

python3 - "$RPS_kw_get_secret_value" "$RPS_kw_health" "${RPS_moto_get_secret_value:-}" <<'PY'
import sys
get, health, moto = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
print(f"ratio keyward GetSecretValue / keyward health = {get / health:.2f}")
if moto:
    print(f"ratio keyward GetSecretValue / moto GetSecretValue = {get / float(moto):.1f}")
PY
echo "audit records in the chain after the run: $AUDITED"
