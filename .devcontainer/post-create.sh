#!/usr/bin/env bash
# Codespaces / Dev Containers run this once, when the container is created: the installs of
# Binder's postBuild, into .venv as scripts/lessons uses it. Lessons 0-3 need no server, so a
# failed server install does not fail the container: it says so and goes on.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
began=$SECONDS
source scripts/venv.sh ""  # .venv from requirements.lock (hashes checked), the lessons' JupyterLab settings
if ! scripts/install-server.sh; then
  echo "post-create: WARNING: the Resonate server could not be installed; lessons 0-3 work, lesson 4 will say why it cannot." >&2
fi
scripts/sdk08.sh || echo "post-create: WARNING: lesson 8's kernel could not be installed; lessons 0-7 work." >&2
.venv/bin/python -m lab.course.workspace  # the learner's own copies, my-work/
echo "post-create: ready in $((SECONDS - began)) s; JupyterLab starts on port 8888 when you attach." >&2
