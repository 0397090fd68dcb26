#!/usr/bin/env bash
# keyward-scan benchmark: one command that builds keyward-scan (release) and measures it
# against the peer scanners installed by ../shared/peer/scanbench/install.sh (beside the repo), in one run.
#
#   bench/scan/run.sh                 # build, make corpora if missing, time + score, print ratios
#   RUNS=3 TOOLS="keyward ripsecrets" bench/scan/run.sh
#
# Corpora (under $SCANBENCH_HOME/corpus, built once):
#   planted       scanbench planted.py (seed 1337)      -> recall / precision
#   planted-alt   planted.py --seed 4242 --projects 60  -> same, unseen seed
#   clean-small   6 PyPI sdists (Django, botocore, requests, Twisted, tornado, flask) + the
#                 local cargo registry sources: real code, findings there are false positives
#                 or test fixtures
#   clean-mini    requests + flask + tornado + ~20 crates: timing corpus every tool can finish
# Timing: GNU time, median of RUNS for keyward/rg (PEER_RUNS [1] for the slow peers), wall MB/s
# and MB per CPU-second (the machine is shared: CPU-seconds are the steadier number).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SB="${SCANBENCH:-$ROOT/../shared/peer/scanbench}"
STATE="${SCANBENCH_HOME:-$HOME/.cache/keyward-scanbench}"
T="$STATE/tools"
C="$STATE/corpus"
OUT="${OUT:-$STATE/results/keyward-scan}"
RUNS="${RUNS:-3}"
TOOLS="${TOOLS:-keyward ripsecrets gitleaks detect-secrets}"
FULL_TOOLS="${FULL_TOOLS:-keyward ripsecrets}"   # also timed on clean-small (ripsecrets: ~10 min there)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target-scan}"
mkdir -p "$OUT"/{raw,norm,time} "$C"

echo ">> building keyward-scan (release)" >&2
(cd "$ROOT" && cargo build --quiet --release -p keyward-scan --example kwscan) || exit 2
KW="$CARGO_TARGET_DIR/release/examples/kwscan"

# ------------------------------------------------------------------ corpora
[ -d "$C/planted" ] || python3 "$SB/planted.py" --out "$C/planted" > /dev/null
[ -d "$C/planted-alt" ] || python3 "$SB/planted.py" --out "$C/planted-alt" --truth "$C/planted-alt_truth.json" \
  --seed 4242 --projects 60 > /dev/null
if [ ! -d "$C/clean-small" ]; then
  echo ">> building clean-small corpus" >&2
  mkdir -p "$C/dl/pypi" "$C/clean-small/pypi" "$C/clean-small/crates"
  for spec in Django==5.1.4 botocore==1.35.0 requests==2.32.3 Twisted==24.10.0 tornado==6.4.1 flask==3.0.3; do
    ls "$C/dl/pypi" | grep -qi "^${spec%%==*}-${spec##*==}\." || \
      pip download --quiet --no-deps --no-binary :all: -d "$C/dl/pypi" "$spec" || echo "WARN: $spec" >&2
  done
  for f in "$C"/dl/pypi/*.tar.gz; do
    d="$C/clean-small/pypi/$(basename "$f" .tar.gz)"; mkdir -p "$d"; tar xzf "$f" -C "$d" --strip-components=1
  done
  cp -r "$HOME"/.cargo/registry/src/*/. "$C/clean-small/crates/"
  find "$C/clean-small" -type l -delete
fi
if [ ! -d "$C/clean-mini" ]; then
  mkdir -p "$C/clean-mini"
  for d in "$C"/clean-small/pypi/{requests,flask,tornado}-*; do cp -al "$d" "$C/clean-mini/"; done
  ls -d "$C"/clean-small/crates/* | head -20 | xargs -I{} cp -al {} "$C/clean-mini/"
fi

# ------------------------------------------------------------------ tool adaptors
run_keyward()        { "$KW" "$1" --format json --no-progress > "$2"; }
run_ripsecrets()     { "$T/cargo/bin/ripsecrets" "$1" > "$2"; }
run_gitleaks()       { "$T/npm/node_modules/.bin/gitleaks" dir "$1" --no-banner --log-level error \
                         --exit-code 0 -f json -r "$2"; }
run_detect-secrets() { (cd "$1" && "$T/venv-ds/bin/detect-secrets" scan --all-files --no-verify .) > "$2"; }  # from inside: run elsewhere (e.g. in a git repo) it scans nothing
run_rg()             { rg -c . "$1" > "$2"; }
have() { case $1 in keyward) true;; ripsecrets) [ -x "$T/cargo/bin/ripsecrets" ];;
  gitleaks) [ -x "$T/npm/node_modules/.bin/gitleaks" ];; detect-secrets) [ -x "$T/venv-ds/bin/detect-secrets" ];;
  rg) command -v rg > /dev/null;; *) false;; esac; }

bytes_of() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END {print s}'; }
timed() { # timed TOOL CORPUS DIR RUN -> appends "wall cpu rss" to $OUT/time/TOOL.CORPUS
  local raw="$OUT/raw/$1.$2.out"
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/time/$1.$2.$4" bash -c "$(declare -f run_$1); KW='$KW'; T='$T'; run_$1 '$3' '$raw'" \
    2> "$OUT/raw/$1.$2.stderr" || true
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# ------------------------------------------------------------------ timing
for c in clean-mini clean-small; do echo "$(bytes_of "$C/$c")" > "$OUT/bytes.$c"; done
find "$C/clean-mini" "$C/clean-small" -type f -print0 | xargs -0 cat > /dev/null
for i in $(seq 1 "$RUNS"); do
  for tool in rg $TOOLS; do
    have "$tool" || continue
    for c in clean-mini clean-small; do
      [ "$c" = clean-small ] && [[ " $FULL_TOOLS rg " != *" $tool "* ]] && continue
      # peers are 10-1000x slower: one run each (RUNS applies to keyward and rg)
      [ "$tool" != keyward ] && [ "$tool" != rg ] && [ "$i" -gt "${PEER_RUNS:-1}" ] && continue
      echo ">> $(date +%T) $tool $c run $i" >&2
      timed "$tool" "$c" "$C/$c" "$i"
    done
  done
done

# ------------------------------------------------------------------ accuracy
for p in planted planted-alt; do
  truth="$C/${p}_truth.json"
  for tool in $TOOLS; do
    have "$tool" || continue
    echo ">> $tool $p" >&2
    timed "$tool" "$p" "$C/$p" acc
    python3 "$SB/score.py" norm "$tool" "$OUT/raw/$tool.$p.out" "$C/$p" "$OUT/norm/$tool.$p.tsv" > /dev/null
    python3 "$SB/score.py" eval "$truth" "$OUT/norm/$tool.$p.tsv" --json "$OUT/norm/$tool.$p.score.json" > /dev/null
  done
done
for tool in $TOOLS; do
  have "$tool" || continue
  for c in clean-mini clean-small; do
    [ -s "$OUT/raw/$tool.$c.out" ] && \
      python3 "$SB/score.py" norm "$tool" "$OUT/raw/$tool.$c.out" "$C/$c" "$OUT/norm/$tool.$c.tsv" > /dev/null
  done
done

# ------------------------------------------------------------------ report
python3 - "$OUT" "$TOOLS" <<'PY'
import json, os, sys, statistics
out, tools = sys.argv[1], ["rg"] + sys.argv[2].split()
def timing(tool, c):
    rows = []
    for f in os.listdir(f"{out}/time"):
        if f.startswith(f"{tool}.{c}.") and not f.endswith(".acc"):
            w, u, s, m = open(f"{out}/time/{f}").read().split()[-4:]
            rows.append((float(w), float(u) + float(s), int(m)))
    if not rows: return None
    return statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows), max(r[2] for r in rows), len(rows)
def fp_lines(tool, c):
    p = f"{out}/norm/{tool}.{c}.tsv"
    if not os.path.exists(p): return None
    return len({tuple(l.split("\t")[:2]) for l in open(p)})
print("\n## Timing (median wall s / CPU s; MB = 10^6 bytes)\n")
print("| tool | corpus | runs | wall s | CPU s | MB/s wall | MB per CPU-s | RSS MB | findings (distinct lines) |")
print("|---|---|---|---|---|---|---|---|---|")
rate = {}
for c in ["clean-mini", "clean-small"]:
    mb = int(open(f"{out}/bytes.{c}").read()) / 1e6
    for t in tools:
        r = timing(t, c)
        if not r: continue
        w, cpu, rss, n = r
        rate[(t, c)] = (mb / max(w, 1e-3), mb / max(cpu, 1e-3))
        fl = fp_lines(t, c) if t != "rg" else "-"
        print(f"| {t} | {c} ({mb:.0f} MB) | {n} | {w:.2f} | {cpu:.2f} | {mb/max(w,1e-3):.1f} | {mb/max(cpu,1e-3):.1f} | {rss//1024} | {fl} |")
print("\n## keyward speed ratios (same corpus, same run)\n")
print("| vs | corpus | wall ratio | CPU ratio |")
print("|---|---|---|---|")
for c in ["clean-mini", "clean-small"]:
    k = rate.get(("keyward", c))
    if not k: continue
    for t in tools:
        if t == "keyward" or (t, c) not in rate: continue
        o = rate[(t, c)]
        print(f"| {t} | {c} | {k[0]/o[0]:.1f}x | {k[1]/o[1]:.1f}x |")
print("\n## Accuracy (scanbench score.py)\n")
print("| tool | corpus | recall | precision (lines) | precision (secret-level) | FP lines | decoy FPs |")
print("|---|---|---|---|---|---|---|")
for p in ["planted", "planted-alt"]:
    for t in tools:
        f = f"{out}/norm/{t}.{p}.score.json"
        if not os.path.exists(f): continue
        d = json.load(open(f))
        g = lambda *ks: next((d[k] for k in ks if k in d), "?")
        fmt = lambda x: f"{x:.3f}" if isinstance(x, float) else str(x)
        print(f"| {t} | {p} | {fmt(g('recall'))} | {fmt(g('precision'))} | {fmt(g('precision_secret'))} | {g('fp_lines')} | {g('fp_decoy_lines')} |")
PY
