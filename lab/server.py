"""Finding a Resonate server, and refusing fast when there is none.

``Resonate.remote()`` pointed at nothing retries forever, which in a workshop
is a cell that never finishes. ``require_server`` answers within a few seconds
with what to start or set.
"""

from __future__ import annotations

import os
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit


class ServerUnavailable(RuntimeError):
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
            raise ValueError(msg)
        store = parts.port or int(os.environ.get("RESONATE_PORT_STORE", "8001"))
        poll = int(os.environ.get("RESONATE_PORT_MESSAGE_SOURCE", "8002"))
        return cls(f"{parts.scheme}://{parts.hostname}", store, poll)


HOW_TO_GET_ONE = (
    "Start one with `scripts/install-server.sh && tools/bin/resonate serve` "
    "(or `tools/bin/resonate dev`), or set RESONATE_HOST (and RESONATE_PORT_STORE / "
    "RESONATE_PORT_MESSAGE_SOURCE) to a running legacy server (v0.7.x). "
    "Lessons 0–3 need no server: use the embedded store."
)


def require_server(address: ServerAddress, timeout: float = 2.5) -> None:
    """Raise ServerUnavailable within ``timeout`` seconds unless both ports answer."""
    deadline = time.monotonic() + timeout
    try:
        remaining = max(0.1, deadline - time.monotonic())
        request = urllib.request.Request(f"{address.url}/promises?id=lab-health-check&limit=1")
        try:
            urllib.request.urlopen(request, timeout=remaining).close()
        except urllib.error.HTTPError:
            pass  # any HTTP answer means the API is up
        with socket.create_connection((urlsplit(address.host).hostname, address.poll_port), timeout=max(0.1, deadline - time.monotonic())):
            pass
    except (OSError, urllib.error.URLError) as e:
        reason = getattr(e, "reason", e)
        msg = f"no Resonate server at {address.url} (long-poll port {address.poll_port}): {reason}. {HOW_TO_GET_ONE}"
        raise ServerUnavailable(msg) from None
