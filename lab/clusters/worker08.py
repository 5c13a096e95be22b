"""A lesson-8 worker process: resonate-sdk 0.8 serving the Resonate server v0.9.

    python -m lab.clusters.worker08 --server http://127.0.0.1:8001 --ttl 2

It runs in lesson 8's venv (``.venv-sdk08``). It registers the fixed port,
``exercises.todays_sdk.notify_all_08``, under ``WORKFLOW``; its channels are
observed by ``lab.orders.sdk08``, so every attempt lands in the shared send ledger
(``$LAB_RUN_DIR/ledger.sqlite``) with this process's id. It joins the group
``workers`` and serves until it is killed or its parent goes away.

``--ttl`` is the lease this worker asks for when it takes a task: a task whose
holder goes ``ttl`` seconds without a heartbeat goes to another worker. 0.8's
default is 1 min; the lesson uses 2 s, like lesson 4, so the room sees the
recovery.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from datetime import timedelta

from lab.servers.processes import watch_parent

GROUP = "workers"
WORKFLOW = "notify_all_08"
TEACHING_TTL = 2


def sdk_pid(os_pid: int) -> str:
    """The id this worker leases its tasks under, so a task's holder traces to a process."""
    return f"worker08-{os_pid}"


async def serve(server: str, ttl: float) -> None:
    from resonate.resonate import Resonate

    from exercises.todays_sdk import notify_all_08

    resonate = Resonate(
        url=server, group=GROUP, pid=sdk_pid(os.getpid()), ttl=timedelta(seconds=ttl)
    )
    resonate.register(notify_all_08, name=WORKFLOW)
    print(f"worker {os.getpid()} ready", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", required=True, help="http://HOST:PORT of the v0.9 server")
    parser.add_argument(
        "--ttl", type=float, default=TEACHING_TTL, help="seconds a task's lease lasts unrenewed"
    )
    args = parser.parse_args(argv)
    watch_parent()
    asyncio.run(serve(args.server, args.ttl))


if __name__ == "__main__":
    main()
