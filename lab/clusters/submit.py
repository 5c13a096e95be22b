"""Submit one order from a process of its own.

    python -m lab.clusters.submit --server http://127.0.0.1:8001 --poll-port 8002 --event '{...}'
    python -m lab.clusters.submit ... --event '{...}' --cell answer.py --function submit

Connects as a client (a group of its own: it runs no task). The first form is the
duplicate-submission demo: it prints ``ready``, waits for a line on stdin so that
two submitters can go at the same moment, submits ``notify/<order_id>`` and prints
the workflow's result as JSON. The second is lesson 5's exercise: an event
redelivered to *another* process, which has none of the kernel's memory — it loads
the learner's cell from a file (on another day: ``lab.checks.clock``), calls
``function(resonate, event)`` and prints ``{"id": …, "result": …}`` or
``{"error": …}`` as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

from resonate import Resonate

from lab.servers.processes import watch_parent


def _learner(args: argparse.Namespace, resonate: Resonate, event: dict) -> dict:
    from lab.clusters.worker import load_function

    try:
        fn = load_function(args.cell, args.function)
        handle = fn(resonate, event)
        return {"id": getattr(handle, "id", None), "result": handle.result(timeout=60)}
    except Exception as e:  # noqa: BLE001 - the learner's code failed: reported, as data
        mine = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == args.cell]
        where = f" (file line {mine[-1]})" if mine else ""
        return {"error": f"{type(e).__name__}: {str(e)[:160]}{where}"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", required=True)
    parser.add_argument("--poll-port", required=True, type=int)
    parser.add_argument("--event", required=True, help="the order.confirmed event as JSON")
    parser.add_argument("--cell", help="a learner's cell, as a Python file")
    parser.add_argument("--function", default="submit", help="the function in --cell to call")
    args = parser.parse_args(argv)
    watch_parent()
    event = json.loads(args.event)
    host, port = args.server.rsplit(":", 1)
    resonate = Resonate.remote(
        host=host,
        store_port=port,
        message_source_port=str(args.poll_port),
        group="lessons-client",
        pid=f"submitter-{os.getpid()}",
        workers=1,
        log_level="CRITICAL",
    )
    resonate.start()
    if args.cell:
        print(json.dumps(_learner(args, resonate, event), default=str), flush=True)
        return
    print("ready", flush=True)
    sys.stdin.readline()
    handle = resonate.begin_rpc(f"notify/{event['order_id']}", "notify_all", event, False)
    print(json.dumps(handle.result()), flush=True)


if __name__ == "__main__":
    main()
