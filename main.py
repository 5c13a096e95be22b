"""Run the fan-out/fan-in example once and print its report.

    python main.py                 # happy path, embedded store, no server needed
    python main.py --crash         # push fails on its first attempt and is retried
    python main.py --server http://127.0.0.1:8001   # the same against a Resonate server
                                                    # (or set RESONATE_HOST)

``workers`` is passed explicitly: left unset it follows the CPU count, and on
a 2-core machine only two channels would run at once.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from urllib.parse import urlsplit

from resonate import Resonate

from channels import OrderEvent, send_email, send_push, send_slack, send_sms
from workflow import notify_all


def connect(server: str | None, workers: int) -> tuple[Resonate, str]:
    if not server:
        return Resonate.local(workers=workers), "embedded store (no server)"
    parts = urlsplit(server if "://" in server else f"http://{server}")
    if not parts.hostname:
        msg = f"not a server address: {server!r}; expected something like http://127.0.0.1:8001"
        raise ValueError(msg)
    store_port = parts.port or int(os.environ.get("RESONATE_PORT_STORE", "8001"))
    poll_port = int(os.environ.get("RESONATE_PORT_MESSAGE_SOURCE", "8002"))
    # Resonate.remote() pointed at nothing retries forever: check both ports first.
    for port in (store_port, poll_port):
        try:
            socket.create_connection((parts.hostname, port), timeout=2.5).close()
        except OSError as e:
            msg = (
                f"no Resonate server at {parts.scheme}://{parts.hostname}:{port}: {e}. "
                "Start one (`resonate serve`) or point RESONATE_HOST at one."
            )
            raise ConnectionError(msg) from None
    resonate = Resonate.remote(
        host=f"{parts.scheme}://{parts.hostname}",
        store_port=str(store_port),
        message_source_port=str(poll_port),
        workers=workers,
    )
    return resonate, f"server at {parts.hostname}:{store_port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--crash", action="store_true", help="fail push's first attempt")
    parser.add_argument(
        "--server",
        default=os.environ.get("RESONATE_HOST"),
        help="Resonate server URL (default: embedded)",
    )
    parser.add_argument(
        "--workers", type=int, default=4, help="concurrent function executions (default 4)"
    )
    args = parser.parse_args(argv)

    try:
        resonate, where = connect(args.server, args.workers)
    except (ConnectionError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    workflow = resonate.register(notify_all)
    for channel in (send_email, send_sms, send_slack, send_push):
        resonate.register(channel)
    resonate.start()

    order_id = f"ord_{int(time.time() * 1000)}"
    event = OrderEvent(
        order_id=order_id,
        user_id="user_alice",
        event="order.confirmed",
        message=f"Your order {order_id} is confirmed and will ship soon.",
    )

    print(f"Mode: {'crash (push fails on attempt 1)' if args.crash else 'happy path'} — {where}")
    print(f"Notifying {event.user_id} about {event.order_id}...\n")
    started = time.time()
    result = workflow.run(f"notify/{order_id}", event.to_dict(), args.crash)
    wall = int((time.time() - started) * 1000)

    print(f"\nChannels notified: {result['channels_notified']}/4")
    print(f"Wall time: {wall}ms")
    for r in result["results"]:
        print(f"  {r['channel']:<6} {r['duration_ms']:4d}ms  {r['message_id']}")
    if not args.crash:
        sequential = sum(r["duration_ms"] for r in result["results"])
        print(f"\nFan-out time:        {result['total_ms']}ms")
        print(f"Sequential estimate: {sequential}ms")
        print(f"Speedup:             {sequential / max(result['total_ms'], 1):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
