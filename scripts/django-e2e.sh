#!/usr/bin/env bash
# End-to-end check of issue 4 against a real Django project (seed 000's
# verification steps): builds keyward, makes a Python venv with Django and pytest
# (pinned in tests/python/requirements.txt),
# and runs tests/python/test_django_seed.py, which starts `keyward serve`, runs
# `django-admin startproject mysite`, points settings.py at the environment and
# drives `keyward run ... -- python manage.py check --deploy`; and
# tests/python/test_django_rollover.py, which rotates SECRET_KEY under `keyward run`
# and checks a session cookie through SECRET_KEY_FALLBACKS (`previous_as`).
#
#   KEYWARD_PY_VENV  venv to create/reuse (default ~/.cache/keyward-venv)
#   KEYWARD_BIN      keyward binary to test (default: cargo build, then target/debug)
#   extra arguments go to pytest (e.g. -k production -x -vv)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${KEYWARD_PY_VENV:-$HOME/.cache/keyward-venv}"

if [[ -z "${KEYWARD_BIN:-}" ]]; then
    (cd "$ROOT" && cargo build -q -p keyward)
    KEYWARD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/keyward"
fi
[[ -x "$KEYWARD_BIN" ]] || { echo "django-e2e: no keyward binary at $KEYWARD_BIN" >&2; exit 2; }
export KEYWARD_BIN

# shellcheck source=lib/test-venv.sh
. "$ROOT/scripts/lib/test-venv.sh"
ensure_test_venv "$VENV"

exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/tests/python/test_django_seed.py" \
    "$ROOT/tests/python/test_django_rollover.py" "$@"
