"""Submit one order from a process of its own: the duplicate-submission demo.

    python -m lab.submit --server http://127.0.0.1:8001 --poll-port 8002 --event '{...}'

Connects as a client (a group of its own: it runs no task), prints ``ready``,
waits for a line on stdin so that two submitters can go at the same moment,
submits ``notify/<order_id>`` and prints the workflow's result as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from resonate import Resonate

from lab.processes import watch_parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", required=True)
    parser.add_argument("--poll-port", required=True, type=int)
    parser.add_argument("--event", required=True, help="the order.confirmed event as JSON")
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
        log_level="ERROR",
    )
    resonate.start()
    print("ready", flush=True)
    sys.stdin.readline()
    handle = resonate.begin_rpc(f"notify/{event['order_id']}", "notify_all", event, False)
    print(json.dumps(handle.result()), flush=True)


if __name__ == "__main__":
    main()
