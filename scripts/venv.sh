# Sourced by scripts/lessons and scripts/test: make .venv (Python >= 3.12) and install the project.
# Idempotent: reinstalls only when pyproject.toml changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${1:-}"

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
  echo "Creating .venv with $PY" >&2
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi

STAMP="$VENV/.installed-$(cat "$ROOT/pyproject.toml" | sha1sum | cut -c1-12)${EXTRAS:+-$EXTRAS}"
if [ ! -f "$STAMP" ]; then
  echo "Installing the project into .venv${EXTRAS:+ (with [$EXTRAS])}..." >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT${EXTRAS:+[$EXTRAS]}"
  touch "$STAMP"
fi
