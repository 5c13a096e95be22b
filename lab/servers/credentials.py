"""A learner's own Resonate password: in the room, every server their kernel starts asks for it.

On a shared machine every learner's servers listen on the same loopback, so any of
them could reach any other's ports. ``scripts/room`` gives each learner's Jupyter
server ``RESONATE_USERNAME`` and ``RESONATE_PASSWORD``; the legacy server a kernel
starts then requires them on its API and its long-poll port (HTTP basic auth, which
also turns its unauthenticated gRPC API off), SDK 0.6.7's store and poller send
them, and so does every HTTP read the lab makes. The password goes in a 0600 file
beside the server's database, never on a command line (``ps`` shows those to all).
Without them (a laptop, Binder) nothing changes.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.request
from pathlib import Path
from typing import Any


def credentials() -> tuple[str, str] | None:
    """(user, password) from the environment, as the SDK reads them; None outside a room."""
    user, password = os.environ.get("RESONATE_USERNAME"), os.environ.get("RESONATE_PASSWORD")
    return (user, password) if user and password else None


def open_url(url: str, timeout: float) -> Any:
    """``urllib.request.urlopen`` with the learner's credentials, when there are any."""
    request = urllib.request.Request(url)
    found = credentials()
    if found:
        token = base64.b64encode(f"{found[0]}:{found[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    return urllib.request.urlopen(request, timeout=timeout)


_CONFIG = """\
api:
  subsystems:
    http:
      config:
        auth:
          {user}: {password}
aio:
  subsystems:
    sender:
      config:
        plugins:
          poll:
            config:
              auth:
                {user}: {password}
"""


def server_config(folder: Path) -> Path | None:
    """A 0600 config file asking the learner's credentials on the API and the long-poll port."""
    found = credentials()
    if found is None:
        return None
    user, password = (_yaml_string(x) for x in found)
    path = folder / "resonate-auth.yml"
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(_CONFIG.format(user=user, password=password))
    return path


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def v09_token(folder: Path) -> tuple[Path, str] | None:
    """In the room: a key pair of the server v0.9.8's own, and the token signed with it.

    v0.9.8 has no passwords but verifies JWTs (``--auth-publickey``); resonate-sdk 0.8
    sends ``RESONATE_TOKEN``. The private key is never written: only this kernel, which
    made the token, and the processes it starts, can speak to that server.
    """
    found = credentials()
    if found is None:
        return None
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    public = folder / "resonate-09-public.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    claims = {"sub": found[0], "role": "admin", "exp": int(time.time()) + 7 * 86400}
    signed = f"{_b64(json.dumps({'alg': 'EdDSA', 'typ': 'JWT'}))}.{_b64(json.dumps(claims))}"
    return public, f"{signed}.{_b64(key.sign(signed.encode()))}"


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
