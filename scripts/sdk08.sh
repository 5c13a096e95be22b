#!/usr/bin/env bash
# Lesson 8's kernel: .venv-sdk08 from requirements-sdk08.lock (resonate-sdk 0.8, hashes checked),
# registered as "Python 3 (resonate-sdk 0.8)" in the Jupyter that serves the lessons.
#
#   scripts/sdk08.sh [PREFIX]   # PREFIX: where that Jupyter looks for kernels (default: .venv)
#
# scripts/lessons, scripts/test, Binder's postBuild and the devcontainer run it. Idempotent:
# reinstalls only when the lock changed; registers the kernel every time (its path is absolute).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${1:-$ROOT/.venv}"
began=$SECONDS
LAB_VENV="$ROOT/.venv-sdk08" source "$ROOT/scripts/venv.sh" sdk08
"$ROOT/.venv-sdk08/bin/python" -m ipykernel install --prefix "$PREFIX" --name resonate-sdk-08 \
  --display-name "Python 3 (resonate-sdk 0.8)" >/dev/null 2>&1 \
  || { echo "sdk08: could not register the kernel in $PREFIX" >&2; exit 1; }
echo "sdk08: kernel \"Python 3 (resonate-sdk 0.8)\" registered in $PREFIX ($((SECONDS - began)) s)" >&2
