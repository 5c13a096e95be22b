"""Today's Resonate server, v0.9.8 (Rust), for lesson 8's worker kill on resonate-sdk 0.8.

The 0.6 lessons run the legacy server (``lab.servers.legacy``); 0.8 speaks only v0.9+.
``scripts/lessons`` builds it in the background at first launch (``lab.servers.builds``;
``scripts/install-server.sh v0.9``: upstream's source, pinned, an unoptimised cargo build
of about 4 minutes) into ``tools/bin/resonate-0.9.8``. Until then the lesson's kill
section answers with one line: how far the build is, or how to have it.

``Server09`` runs it for the kernel: its HTTP API (which also carries 0.8's
SSE transport) on a free port of 127.0.0.1, its promises in a SQLite file in
the run folder, and one setting the lesson needs:

- ``--timeouts-poll-interval 100``: how often the server looks for expired
  leases. At the default, 1 s, a dead worker's task waits up to a second more
  than its lease before another worker may take it.

Like every child of the lab, it dies with the kernel (``lab.servers.processes``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from lab.errors import Unavailable
from lab.paths import PROJECT
from lab.servers.credentials import v09_token
from lab.servers.legacy import free_ports
from lab.servers.processes import spawn

VERSION = "0.9.8"
INSTALL = "scripts/install-server.sh v0.9"
HOW_TO_GET_ONE = (
    f"Build it once with `{INSTALL}` in a terminal (a cargo build of upstream's "
    "source for the tag, about 4 minutes on 2 cores), "
    "then run this cell again. The rest of this lesson needs no server."
)


class Server09Unavailable(Unavailable):
    """The v0.9 server is not installed, or did not start."""


def binary() -> str | None:
    """``$RESONATE_SERVER09_BIN`` if set (and only it), else ``tools/bin/resonate-0.9.8``."""
    path = os.environ.get("RESONATE_SERVER09_BIN") or str(
        PROJECT / "tools" / "bin" / f"resonate-{VERSION}"
    )
    return path if os.access(path, os.X_OK) else None


class Server09:
    """``resonate serve`` v0.9.8 on 127.0.0.1, its promises in ``run_dir/resonate-09.db``."""

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        found = binary()
        if not found:
            from lab.servers.builds import building, progress

            msg = (
                f"the Resonate server {VERSION} is {progress('v0.9')}: run this cell again when it is done"
                if building("v0.9")
                else f"the Resonate server {VERSION} is not installed. {HOW_TO_GET_ONE}"
            )
            raise Server09Unavailable(msg)
        self.binary = found
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.db = self.run_dir / "resonate-09.db"
        self.log = self.run_dir / "server-09.log"
        (self.port,) = free_ports(1)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        # In the room, this learner's token: the kernel's clients and the workers it starts
        # send it (the SDK reads RESONATE_TOKEN); nobody else can make one.
        self.auth = v09_token(self.run_dir)
        if self.auth is not None:
            os.environ["RESONATE_TOKEN"] = self.auth[1]

    def args(self) -> list[str]:
        return [
            self.binary,
            "serve",
            "--server-port",
            str(self.port),
            "--server-bind",
            "127.0.0.1",
            "--observability-metrics-port",
            "0",
            "--storage-sqlite-path",
            str(self.db),
            "--timeouts-poll-interval",
            "100",
            *(["--auth-publickey", str(self.auth[0])] if self.auth else []),
        ]

    def answers(self, timeout: float = 1) -> bool:
        """True when the HTTP API answers (any HTTP status counts)."""
        try:
            urllib.request.urlopen(f"{self.url}/promises/lab-health-check", timeout=timeout).close()
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    def start(self, timeout: float = 20) -> Server09:
        """Start it (a fresh store: the lesson's orders are its own) and wait until it answers."""
        if self.running:
            return self
        for stale in self.run_dir.glob("resonate-09.db*"):
            stale.unlink()
        with self.log.open("ab") as log:
            self.process = spawn(
                self.args(), stdout=log, stderr=subprocess.STDOUT, cwd=self.run_dir
            )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-1500:]
                self.stop()
                msg = f"the Resonate server {VERSION} did not start; its log ends:\n{tail}"
                raise Server09Unavailable(msg)
            time.sleep(0.1)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
