#!/usr/bin/env bash
# Every keyward benchmark in one run; each prints ratios measured within that run.
#   bench/native-get.sh    native secret read vs /v1/sys/health (audit on)
#   bench/aws-get.sh       SigV4 GetSecretValue vs health and vs moto_server
#   bench/last-accessed.sh GetSecretValue with LastAccessedDate on vs off (median of 5 pairs)
#   bench/tls-get.sh       native secret read over TLS vs plain HTTP
#   bench/run-overhead.sh  `keyward run` start-to-exec overhead, 50 secrets
#   bench/scan/run.sh      leak scanner vs ripsecrets, gitleaks, detect-secrets
#   bench/scan/managed.sh  `scan --managed` cost relative to a rules-only scan
#   bench/files.sh         encrypted files: encrypt/decrypt per entry, run --file vs --env-file
set -uo pipefail
cd "$(dirname "$0")"
status=0
for b in native-get.sh aws-get.sh last-accessed.sh tls-get.sh run-overhead.sh scan/run.sh scan/managed.sh files.sh; do
  printf '\n===== bench/%s =====\n' "$b"
  bash "$b" || { echo "bench/$b failed" >&2; status=1; }
done
exit $status
