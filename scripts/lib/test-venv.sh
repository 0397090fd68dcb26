# Sourced by scripts/*.sh. ensure_test_venv DIR: DIR is a venv holding exactly the
# versions pinned in tests/python/requirements.txt. The venv keeps the file's
# sha256 in .keyward-requirements; when the file changes, the next run reinstalls.
# A lock keeps two scripts sharing one venv from installing into it at once.
ensure_test_venv() {
  local venv="$1"
  local req
  req="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/python/requirements.txt"
  local want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  mkdir -p "$(dirname "$venv")"
  (
    flock 9
    if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.keyward-requirements" 2>/dev/null)" = "$want" ]; then
      exit 0
    fi
    echo "installing the pinned test dependencies ($req) into $venv" >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    echo "$want" > "$venv/.keyward-requirements"
  ) 9> "$venv.lock"
}
