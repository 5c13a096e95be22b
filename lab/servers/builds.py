"""The two Resonate servers, built in the background at first launch, and how far along each is.

A fresh clone has neither server: the legacy one (lessons 4–7) is a Go build of about
2 minutes, lesson 8's v0.9.8 a cargo build of about 4. ``scripts/lessons`` starts both
here (``python -m lab.servers.builds``) before JupyterLab opens, at low priority and in
a session of their own, so they go on while the learner reads lesson 0 and outlive
the launcher. Each writes ``tools/builds/<name>.log``; ``progress(name)`` is what the
lessons show meanwhile — "building in the background, 1 of ~2 min" — or why it failed.
``scripts/install-server.sh`` holds a lock per server, so a build started here and one
started by hand never write the same binary at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lab.paths import PROJECT

BUILDS = PROJECT / "tools" / "builds"
SERVERS = {  # name -> (the binary it installs, install-server.sh's argument, minutes it takes)
    "legacy": (PROJECT / "tools" / "bin" / "resonate", [], 2),
    "v0.9": (PROJECT / "tools" / "bin" / "resonate-0.9.8", ["v0.9"], 4),
}


def _installed(name: str) -> bool:
    return os.access(SERVERS[name][0], os.X_OK)


def _builder(name: str) -> dict | None:
    """The background build's record, if its process is still running."""
    try:
        record = json.loads((BUILDS / f"{name}.json").read_text())
        cmdline = Path(f"/proc/{record['pid']}/cmdline").read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    return record if b"install-server.sh" in cmdline else None


def start(name: str) -> str:
    """Start building ``name`` in the background unless it is installed or being built."""
    if _installed(name):
        return "installed"
    if _builder(name) is not None:
        return progress(name) or "building"
    BUILDS.mkdir(parents=True, exist_ok=True)
    args = SERVERS[name][1]
    with (BUILDS / f"{name}.log").open("w") as log:
        child = subprocess.Popen(
            ["nice", "-n", "10", str(PROJECT / "scripts" / "install-server.sh"), *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT,
            start_new_session=True,  # ■ and closing the launcher's terminal leave it building
        )
    (BUILDS / f"{name}.json").write_text(json.dumps({"pid": child.pid, "started": time.time()}))
    return f"building in the background (about {SERVERS[name][2]} min; log: {_shown(name)})"


def progress(name: str) -> str | None:
    """While building: "building in the background, 1 of ~2 min"; after a failed build: why;
    None when it is installed or no background build was started."""
    if _installed(name):
        return None
    record = _builder(name)
    expected = SERVERS[name][2]
    if record is not None:
        minutes = int((time.time() - record["started"]) // 60) + 1
        so_far = f"{minutes} of ~{expected} min" if minutes <= expected else f"{minutes} min so far"
        return f"building in the background, {so_far} (log: {_shown(name)})"
    log = BUILDS / f"{name}.log"
    if not log.is_file():
        return None
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    last = lines[-1].strip() if lines else "no output"
    return f"the background build stopped without a server: {last[:160]} (log: {_shown(name)})"


def building(name: str) -> bool:
    return not _installed(name) and _builder(name) is not None


def _shown(name: str) -> str:
    return str((BUILDS / f"{name}.log").relative_to(PROJECT))


def main() -> int:
    """Start both builds; one line each on what was done."""
    for name, label in (("legacy", "the legacy Resonate server"), ("v0.9", "lesson 8's server")):
        print(f"scripts/lessons: {label}: {start(name)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
