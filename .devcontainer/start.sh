#!/usr/bin/env bash
# Codespaces / Dev Containers run this each time the editor attaches: JupyterLab on lesson 0,
# port 8888 (forwarded, private to your GitHub account, so no token on top), in the background,
# its log in .lab-runs/jupyterlab.log. Already running: nothing to do.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if (exec 3<>/dev/tcp/127.0.0.1/8888) 2>/dev/null; then
  echo "JupyterLab is already running on port 8888."
  exit 0
fi
mkdir -p .lab-runs
nohup scripts/lessons --no-browser --ip 0.0.0.0 --port 8888 --IdentityProvider.token= \
  >.lab-runs/jupyterlab.log 2>&1 &
echo "JupyterLab is starting on port 8888 (log: .lab-runs/jupyterlab.log); open the forwarded port."
