"""A worker process: the production workflow and channels, serving a Resonate server.

    python -m lab.clusters.worker --server http://127.0.0.1:8001 --poll-port 8002 --ledger run/ledger.sqlite

It registers ``notify_all`` and the four channels (observed by the same
``ObservingRegistry`` as in the kernel, so every channel attempt lands in the
shared send ledger with this process's id), joins the ``default`` group, and
serves until it is killed or its parent goes away.

``--ttl`` is how long the server lets a claimed task go without a heartbeat
before it hands the task to another worker. The SDK's default is 10 s; the
lessons use 2 s so a kill recovers while the room watches.
"""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from resonate import Resonate

from lab.orders.ledger import Ledger
from lab.orders.observe import ObservingRegistry
from lab.servers.processes import watch_parent

TEACHING_TTL = 2


def sdk_pid(os_pid: int) -> str:
    """The id this worker gives the server, so a task's holder can be traced to a process."""
    return f"worker-{os_pid}"


def load_function(path: str, name: str) -> Callable[..., Any]:
    """``name`` from the Python file at ``path`` (a learner's cell, for an exercise's check).

    In a process started on another day (``lab.checks.clock.another_day``) whose clock
    libfaketime could not move, the module's own clocks are moved instead.
    """
    import importlib.util

    from lab.checks.clock import move_names_if_needed

    spec = importlib.util.spec_from_file_location(Path(path).stem.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    move_names_if_needed(module)
    return getattr(module, name)


def main(argv: list[str] | None = None) -> None:
    from lab.orders.runtime import register_all

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", required=True, help="http://HOST:PORT of the server's API")
    parser.add_argument("--poll-port", required=True, type=int, help="the server's long-poll port")
    parser.add_argument("--ledger", required=True, help="the shared send ledger (SQLite file)")
    parser.add_argument(
        "--ttl",
        type=int,
        default=TEACHING_TTL,
        help="seconds before a silent worker's task is handed on",
    )
    parser.add_argument(
        "--workers", type=int, default=4, help="functions run at once in this process"
    )
    parser.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="run send_NAME from FILE in place of the production channel (lesson 4's exercise)",
    )
    args = parser.parse_args(argv)

    # Before any thread starts: under libfaketime (a check's worker on another day) every
    # thread waiting for the GIL reads the environment, and a write beside it (putenv
    # moving the array) killed 1 worker in 16 with SIGSEGV under CI's load.
    os.environ["LAB_LEDGER"] = args.ledger  # lab.checks.gateway records there
    watch_parent()
    replace = {}
    for spec in args.channel:
        name, path = spec.split("=", 1)
        replace[name] = load_function(path, f"send_{name}")
    registry = ObservingRegistry(Ledger(args.ledger), replace)
    registry.note_workflow_steps = True
    host, port = args.server.rsplit(":", 1)
    resonate = Resonate.remote(
        host=host,
        store_port=port,
        message_source_port=str(args.poll_port),
        group="default",
        pid=sdk_pid(os.getpid()),
        ttl=args.ttl,
        workers=args.workers,
        registry=registry,
        log_level="ERROR",
    )
    register_all(resonate)
    resonate.start()
    print(f"worker {os.getpid()} ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
