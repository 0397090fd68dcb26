#!/usr/bin/env bash
# Runs AWS's published PostgreSQL rotation templates, unchanged, against keyward
# and a throwaway PostgreSQL cluster: the single-user and multi-user
# lambda_function.py of a checkout you supply, as `command` rotators through
# contrib/aws-lambda-shim (see docs/rotation.md). Not part of CI: it needs the
# templates' code, which this repository does not carry.
#
#   git clone https://github.com/aws-samples/aws-secrets-manager-rotation-lambdas /tmp/aws-rotation
#   scripts/aws-rotation-templates.sh /tmp/aws-rotation
#
# Needs PostgreSQL's server (initdb, pg_ctl) and libpq headers (libpq-dev) to
# build PyGreSQL, the templates' driver. The venv is the test suite's
# (${KEYWARD_PY_VENV:-$HOME/.cache/keyward-venv}) plus PyGreSQL; KEYWARD_BIN
# overrides the binary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${KEYWARD_PY_VENV:-$HOME/.cache/keyward-venv}"
PYGRESQL="PyGreSQL==6.2.3"

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 CHECKOUT_OF_aws-secrets-manager-rotation-lambdas" >&2
  exit 2
fi

# shellcheck source=lib/test-venv.sh
. "$ROOT/scripts/lib/test-venv.sh"
ensure_test_venv "$VENV"
if ! "$VENV/bin/python" -c "import pgdb" 2>/dev/null; then
  echo "installing $PYGRESQL (the templates' PostgreSQL driver) into $VENV" >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$PYGRESQL"
fi

if [ -z "${KEYWARD_BIN:-}" ]; then
  cargo build -q -p keyward --manifest-path "$ROOT/Cargo.toml"
  export KEYWARD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/keyward"
fi

exec "$VENV/bin/python" "$ROOT/scripts/lib/aws_rotation_templates.py" "$1"
