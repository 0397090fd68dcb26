#!/usr/bin/env bash
# Encrypted config files (issue 19), all ratios from this one run:
#   1. encrypt / decrypt a .env of 10,000 entries (in process, best of 3): time per
#      entry and ratio to parsing the same plain file;
#   2. `keyward run --file` (50 encrypted values) vs `keyward run --env-file` (the
#      same 50 values in plain) starting `true`: the ratio (target: at most 2x).
# Uses hyperfine when installed (apt-get install -y hyperfine), else a timed loop.
#
#   KEYWARD_BIN   binary to measure (default: cargo build --release, target/release)
#   ENTRIES       entries in the big file (default 10000)
#   RUNS          iterations for the run comparison (default 30)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENTRIES="${ENTRIES:-10000}"
RUNS="${RUNS:-30}"
N=50
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && cargo build -q --release -p keyward-files --example bench_files)
if [[ -z "${KEYWARD_BIN:-}" ]]; then
    (cd "$ROOT" && cargo build -q --release -p keyward)
    KEYWARD_BIN="$TARGET/release/keyward"
fi
KW="$KEYWARD_BIN"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
for v in $(env | grep -o '^KEYWARD_[A-Z_]*'); do unset "$v"; done

echo "== encrypt / decrypt a .env of $ENTRIES entries (one recipient)"
"$TARGET/release/examples/bench_files" "$ENTRIES" 3 > "$TMP/inproc.txt"
python3 - "$TMP/inproc.txt" <<'PY'
import sys
v = dict(l.split() for l in open(sys.argv[1]))
n, parse = int(v["entries"]), float(v["parse"])
print(f"threads used: {v['threads']}")
print(f"parse plain   : {parse / n * 1e6:8.2f} us/entry")
for k in ("encrypt", "decrypt"):
    t = float(v[k])
    print(f"{k:<14}: {t / n * 1e6:8.2f} us/entry   {t / parse:8.1f}x parsing the plain file   ({t:.3f} s for {n})")
PY

echo
echo "== keyward run --file ($N encrypted values) vs keyward run --env-file (same values, plain)"
cd "$TMP"
R="$("$KW" keygen --out "$TMP/k.key" 2>/dev/null)"
{
    echo 'app = "bench"'
    echo 'environments = ["production"]'
    for i in $(seq -w 1 $N); do
        printf '[vars.SECRET_%s]\nsecret = true\nrequired = true\n' "$i"
    done
} > keyward.toml
for i in $(seq -w 1 $N); do
    echo "SECRET_$i=$("$KW" gen --format urlsafe)"
done > plain.env
cp plain.env secrets.enc.env
"$KW" encrypt secrets.enc.env --recipient "$R" 2>/dev/null
export KEYWARD_AGE_IDENTITY_FILE="$TMP/k.key"
"$KW" run --file secrets.enc.env -- sh -c "test -n \"\$SECRET_01\" && test -n \"\$SECRET_$N\"" \
    || { echo "bench: run --file did not inject the values" >&2; exit 1; }
"$KW" run --env-file plain.env -- sh -c "test -n \"\$SECRET_01\" && test -n \"\$SECRET_$N\"" \
    || { echo "bench: run --env-file did not inject the values" >&2; exit 1; }

PLAIN_CMD="$KW run --env-file plain.env -- true"
ENC_CMD="$KW run --file secrets.enc.env -- true"
if command -v hyperfine > /dev/null; then
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$TMP/h.json" "$PLAIN_CMD" "$ENC_CMD" >&2
    read -r P E < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(r[0]["mean"], r[1]["mean"])' "$TMP/h.json")
else
    timeit() {
        python3 - "$RUNS" "$@" <<'PY'
import subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
for _ in range(3):
    subprocess.run(cmd, check=True)
best = []
for _ in range(runs):
    t = time.perf_counter(); subprocess.run(cmd, check=True); best.append(time.perf_counter() - t)
best.sort()
print(sum(best[: max(1, runs // 2)]) / max(1, runs // 2))
PY
    }
    # Interleaved, so both see the same machine load.
    P="$(timeit $PLAIN_CMD)"
    E="$(timeit $ENC_CMD)"
fi
python3 -c '
import sys
p, e = float(sys.argv[1]), float(sys.argv[2])
print(f"run --env-file : {p*1e3:7.2f} ms")
print(f"run --file     : {e*1e3:7.2f} ms   ratio {e/p:.2f}x (target <= 2x; +{(e-p)*1e3:.2f} ms for 50 decryptions and the MAC)")' "$P" "$E"
