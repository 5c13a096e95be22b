# Sourced by the scripts: make .venv (Python >= 3.12) and install the locked versions into it.
#   source scripts/venv.sh ""     # the lessons: requirements.lock
#   source scripts/venv.sh test   # and the test tools: requirements-test.lock
# LAB_VENV=/path and PYTHON=/path/to/python pick another venv and interpreter (CI's 3.13 run).
# Idempotent: reinstalls only when the lock changed. Installs with hashes checked, nothing unpinned.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LAB_VENV:-$ROOT/.venv}"
EXTRAS="${1:-}"
LOCK="$ROOT/requirements${EXTRAS:+-$EXTRAS}.lock"

find_python() {
  local c
  for c in "${PYTHON:-}" python3.13 python3.12 python3 python; do
    [ -n "$c" ] || continue
    command -v "$c" >/dev/null 2>&1 || continue
    if (cd "$ROOT" && "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)') >/dev/null 2>&1; then
      (cd "$ROOT" && "$c" -c 'import sys; print(sys.executable)')
      return 0
    fi
  done
  return 1
}

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
  if ! PY="$(find_python)"; then
    echo "error: Python 3.12 or newer is needed and none was found." >&2
    echo "  Install one (e.g. 'pyenv install 3.12', or your OS package python3.12), or set PYTHON=/path/to/python3.12." >&2
    exit 1
  fi
  echo "Creating $(basename "$VENV") with $PY" >&2
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi

stamp_of() { echo "$VENV/.installed-$(cat "$1" "$ROOT/pyproject.toml" | sha1sum | cut -c1-12)"; }
STAMP="$(stamp_of "$LOCK")"
# The test lock pins the lessons' packages to the same versions, plus the test tools: a venv
# installed from it serves the lessons as it is.
[ -z "$EXTRAS" ] && [ -f "$(stamp_of "$ROOT/requirements-test.lock")" ] && STAMP="$(stamp_of "$ROOT/requirements-test.lock")"
if [ ! -f "$STAMP" ]; then
  echo "Installing the locked versions ($(basename "$LOCK")) into $(basename "$VENV")..." >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$LOCK"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$ROOT"
  rm -f "$VENV"/.installed-*
  touch "$STAMP"
fi

# JupyterLab defaults for a room (scripts/jupyterlab-overrides.json): save every 5 s, so a
# reloaded tab finds its outputs; no news pop-up over the corner on the first launch.
mkdir -p "$VENV/share/jupyter/lab/settings"
cp "$ROOT/scripts/jupyterlab-overrides.json" "$VENV/share/jupyter/lab/settings/overrides.json"
