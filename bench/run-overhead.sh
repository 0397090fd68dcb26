#!/usr/bin/env bash
# How much time `keyward run` adds before exec'ing the command: 50 declared
# secrets resolved from a local server (one batch read), versus running the child
# (`true`) directly. Uses hyperfine when installed (apt-get install -y hyperfine),
# else a timed loop. Prints the ratio and the added milliseconds.
#
#   KEYWARD_BIN   binary to measure (default: cargo build --release, target/release)
#   RUNS          iterations (default 30)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-30}"
N=50
if [[ -z "${KEYWARD_BIN:-}" ]]; then
    (cd "$ROOT" && cargo build -q --release -p keyward)
    KEYWARD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/keyward"
fi
KW="$KEYWARD_BIN"

TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
for v in $(env | grep -o '^KEYWARD_[A-Z_]*'); do unset "$v"; done

"$KW" init --data-dir "$TMP/data" --json > "$TMP/init.json"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
KEYWARD_LOG=warn "$KW" serve --data-dir "$TMP/data" --listen "127.0.0.1:$PORT" 2> "$TMP/server.log" &
SERVER_PID=$!
export KEYWARD_ADDR="http://127.0.0.1:$PORT"
export KEYWARD_ACCESS_KEY_ID="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_key_id"])' "$TMP/init.json")"
export KEYWARD_SECRET_ACCESS_KEY="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret_access_key"])' "$TMP/init.json")"
for _ in $(seq 100); do
    curl -fsS "$KEYWARD_ADDR/v1/sys/health" > /dev/null 2>&1 && break
    sleep 0.1
done

# 50 secrets in the store and 50 declarations in keyward.toml.
{
    echo 'app = "bench"'
    echo 'environments = ["production"]'
    for i in $(seq -w 1 $N); do
        printf '[vars.SECRET_%s]\nsecret = true\nrequired = true\nsource = "/{app}/{env}/secret_%s"\n' "$i" "$i"
    done
} > "$TMP/keyward.toml"
for i in $(seq -w 1 $N); do
    echo "SECRET_$i=$("$KW" gen --format urlsafe)"
done > "$TMP/secrets.env"
"$KW" import "$TMP/secrets.env" --path /bench/production/ > /dev/null 2>&1
cd "$TMP"
"$KW" run --env production -- sh -c "test -n \"\$SECRET_01\" && test -n \"\$SECRET_$N\"" \
    || { echo "bench: keyward run did not inject the secrets" >&2; exit 1; }

RUN_CMD="$KW run --env production -- true"
if command -v hyperfine > /dev/null; then
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$TMP/h.json" "true" "$RUN_CMD" >&2
    read -r BASE WITH < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(r[0]["mean"] * 1000, r[1]["mean"] * 1000)' "$TMP/h.json")
else
    ms() { python3 -c 'import time; print(time.perf_counter() * 1000)'; }
    loop() {
        local t0 t1
        t0=$(ms)
        for _ in $(seq "$RUNS"); do "$@" > /dev/null; done
        t1=$(ms)
        python3 -c "print(($t1 - $t0) / $RUNS)"
    }
    BASE=$(loop true)
    WITH=$(loop $RUN_CMD)
fi
python3 - "$BASE" "$WITH" <<'PY'
import sys
base, with_kw = float(sys.argv[1]), float(sys.argv[2])
print(f"child alone:               {base:8.2f} ms")
print(f"keyward run (50 secrets):  {with_kw:8.2f} ms")
print(f"added by keyward run:      {with_kw - base:8.2f} ms  (ratio {with_kw / base:.1f}x)")
PY
