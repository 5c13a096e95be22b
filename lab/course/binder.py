"""What ``binder/start`` asks of the lab: how to start a durable server, as bash.

    python -m lab.course.binder STATE_DIR

prints two bash lines for ``binder/start`` to source: the ``RESONATE_*``
variables the kernels read (the server's address, and its SQLite file, which
``Cluster`` reads to see which worker holds a task) (``Lab(server=True)`` and ``Cluster`` then use that
server with no setting) and ``SERVER_ARGS``, the command line. The flags and
the free ports come from ``LocalServer``, so the kernel's own server and
Binder's are started the same way. The shell starts the server itself, so that
it belongs to JupyterLab once ``start`` hands over with ``exec``.
"""

from __future__ import annotations

import shlex
import sys

from lab.servers.legacy import LocalServer, ServerUnavailable


def plan(state: str) -> str:
    server = LocalServer(state)
    address = server.address
    return (
        f"export RESONATE_HOST={address.host} RESONATE_PORT_STORE={address.store_port} "
        f"RESONATE_PORT_MESSAGE_SOURCE={address.poll_port} RESONATE_SERVER_DB={shlex.quote(str(server.db))}\n"
        f"SERVER_ARGS=({' '.join(shlex.quote(a) for a in server.args())})\n"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m lab.course.binder STATE_DIR")
    try:
        sys.stdout.write(plan(sys.argv[1]))
    except ServerUnavailable as e:
        sys.exit(str(e))
