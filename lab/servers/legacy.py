"""Finding or starting a Resonate server, and refusing fast when there is none.

``Resonate.remote()`` pointed at nothing retries forever, which in a workshop
is a cell that never finishes. ``require_server`` answers within a few seconds
with what to start or set.

``LocalServer`` runs the legacy server (v0.7.25, the one SDK 0.6 speaks) for
the kernel: all four listeners on 127.0.0.1 on free ports, its SQLite file in
the run folder, and three settings the lessons need:

- ``--system-signal-timeout 10ms``: how long the server waits to batch work;
  the 1 s default adds about a second to every hop of a fan-out. An idle server
  wakes that often too: 7.8 % of a core at 10 ms, 2.0 % at 50 ms (measured). The
  room, with a server per learner, sets ``LAB_SIGNAL_TIMEOUT=50ms``.
- ``--aio-sender-plugin-poll-ttr 2s``: how soon the server re-sends a task
  nobody acknowledged; the 15 s default makes recovery after an outage slow.
- ``--aio-sender-plugin-poll-ttc 5s``: how long a task handed to a worker may
  wait to be claimed before it goes to another; with the 1 min default a
  worker killed between receiving a task and claiming it stalls that branch
  for a minute (seen in the randomized kill test). Not shorter: a worker
  claims its messages one at a time, and a claim that comes after the server
  re-sent the task fails and ends the worker process (the SDK exits on any
  internal error) — 2 s did that to a worker with a burst of 50 orders queued.

It is started with the kernel's life (``lab.servers.processes``): it dies with it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lab.errors import Refused, Unavailable
from lab.paths import PROJECT
from lab.servers.credentials import open_url, server_config
from lab.servers.processes import spawn

VERSION = "0.7.25"
CLAIM_TIMEOUT_S = 5  # --aio-sender-plugin-poll-ttc: see the module's docstring


class ServerUnavailable(Unavailable):
    """No Resonate server answers where the lab was told to look."""


@dataclass(frozen=True)
class ServerAddress:
    host: str  # scheme and host name, as the SDK wants it: http://127.0.0.1
    store_port: int  # HTTP API (the server's default 8001)
    poll_port: int  # long-poll message source (default 8002)

    @property
    def url(self) -> str:
        return f"{self.host}:{self.store_port}"

    @classmethod
    def parse(cls, url: str | None = None) -> ServerAddress:
        """From ``url`` (``http://HOST[:PORT]``) or the SDK's environment variables."""
        url = url or os.environ.get("RESONATE_HOST", "http://localhost")
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = f"not a server address: {url!r}; expected something like http://127.0.0.1:8001"
            raise Refused(msg)
        store = parts.port or int(os.environ.get("RESONATE_PORT_STORE", "8001"))
        poll = int(os.environ.get("RESONATE_PORT_MESSAGE_SOURCE", "8002"))
        return cls(f"{parts.scheme}://{parts.hostname}", store, poll)


HOW_TO_GET_ONE = (
    "Install it with `scripts/install-server.sh` (the lessons then start it themselves), "
    "or set RESONATE_HOST (and RESONATE_PORT_STORE / RESONATE_PORT_MESSAGE_SOURCE) to a "
    "running legacy server (v0.7.x). Lessons 0–3 need no server: they use the embedded store."
)


def how_to_get_one() -> str:
    """What to do, plus where ``binder/start`` logged its attempt when it made one."""
    log = os.environ.get("RESONATE_SERVER_LOG")
    return (
        f"{HOW_TO_GET_ONE} The server started at launch logs to {log}." if log else HOW_TO_GET_ONE
    )


def require_server(address: ServerAddress, timeout: float = 2.5) -> None:
    """Raise ServerUnavailable within ``timeout`` seconds unless both ports answer."""
    deadline = time.monotonic() + timeout
    try:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            open_url(f"{address.url}/promises?id=lab-health-check&limit=1", remaining).close()
        except urllib.error.HTTPError:
            pass  # any HTTP answer means the API is up
        with socket.create_connection(
            (urlsplit(address.host).hostname, address.poll_port),
            timeout=max(0.1, deadline - time.monotonic()),
        ):
            pass
    except (OSError, urllib.error.URLError) as e:
        reason = getattr(e, "reason", e)
        msg = f"no Resonate server at {address.url} (long-poll port {address.poll_port}): {reason}. {how_to_get_one()}"
        raise ServerUnavailable(msg) from None


def server_binary() -> str | None:
    """``$RESONATE_SERVER_BIN`` if set (and only it), else ``tools/bin/resonate``, else ``resonate`` on the PATH."""
    explicit = os.environ.get("RESONATE_SERVER_BIN")
    candidates = (
        [explicit]
        if explicit
        else [str(PROJECT / "tools" / "bin" / "resonate"), shutil.which("resonate")]
    )
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports on 127.0.0.1 that nothing listens on right now."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class LocalServer:
    """``resonate serve`` for this kernel, on 127.0.0.1, its promises in ``run_dir/resonate.db``."""

    def __init__(
        self, run_dir: str | os.PathLike[str], *, binary: str | None = None, durable: bool = True
    ) -> None:
        self.binary = binary or server_binary()
        if not self.binary:
            from lab.servers.builds import building, progress

            msg = (
                f"the Resonate server {VERSION} is {progress('legacy')}: run this cell again when it is done"
                if building("legacy")
                else f"the Resonate server {VERSION} is not installed. {how_to_get_one()}"
            )
            raise ServerUnavailable(msg)
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.db = self.run_dir / "resonate.db"
        self.log = self.run_dir / "server.log"
        self.durable = durable
        http, poll, grpc, metrics = free_ports(4)
        self.address = ServerAddress("http://127.0.0.1", http, poll)
        self._extra = (grpc, metrics)
        self.process: subprocess.Popen | None = None
        # A panel's Restart button and a scheduled restart may come at once: one start at a time.
        self._lock = threading.RLock()
        self.starts = 0  # how often it was started (a restart after a crash makes it 2)

    def args(self) -> list[str]:
        grpc, metrics = self._extra
        mode = ["serve", "--aio-store-sqlite-path", str(self.db)] if self.durable else ["dev"]
        auth = server_config(self.run_dir)  # in the room: the learner's own password
        return [
            self.binary,
            *mode,
            *(["--config", str(auth)] if auth else []),
            "--api-http-addr",
            f"127.0.0.1:{self.address.store_port}",
            "--aio-sender-plugin-poll-addr",
            f"127.0.0.1:{self.address.poll_port}",
            "--api-grpc-addr",
            f"127.0.0.1:{grpc}",
            "--metrics-addr",
            f"127.0.0.1:{metrics}",
            "--system-signal-timeout",
            os.environ.get("LAB_SIGNAL_TIMEOUT", "10ms"),
            "--aio-sender-plugin-poll-ttr",
            "2s",
            "--aio-sender-plugin-poll-ttc",
            f"{CLAIM_TIMEOUT_S}s",
            "--log-level",
            "warn",
        ]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 15) -> LocalServer:
        """Start it (same ports, same file as before) and wait until it answers."""
        with self._lock:
            return self._start(timeout)

    def _start(self, timeout: float) -> LocalServer:
        if self.running:
            return self
        self.starts += 1
        with self.log.open("a") as log:
            self.process = spawn(
                self.args(), stdout=log, stderr=subprocess.STDOUT, cwd=self.run_dir
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                require_server(self.address, timeout=1)
                return self
            except ServerUnavailable:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    tail = self.log.read_text()[-1500:]
                    self.kill()
                    msg = f"the Resonate server did not start ({' '.join(self.args())}); its log ends:\n{tail}"
                    raise ServerUnavailable(msg) from None
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown, no flush beyond what SQLite already has."""
        with self._lock:
            if self.process is not None and self.process.poll() is None:
                self.process.send_signal(signal.SIGKILL)
                self.process.wait(10)
