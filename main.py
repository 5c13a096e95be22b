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
import sys
import time

from resonate import Resonate

from channels import OrderEvent, send_email, send_push, send_slack, send_sms
from lab.server import ServerAddress, ServerUnavailable, require_server
from workflow import notify_all


def connect(server: str | None, workers: int) -> tuple[Resonate, str]:
    if not server:
        return Resonate.local(workers=workers), "embedded store (no server)"
    address = ServerAddress.parse(server)
    require_server(address)  # Resonate.remote() would otherwise retry forever
    resonate = Resonate.remote(
        host=address.host,
        store_port=str(address.store_port),
        message_source_port=str(address.poll_port),
        workers=workers,
    )
    return resonate, f"server at {address.url}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crash", action="store_true", help="fail push's first attempt")
    parser.add_argument("--server", default=os.environ.get("RESONATE_HOST"), help="Resonate server URL (default: embedded)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent function executions (default 4)")
    args = parser.parse_args(argv)

    try:
        resonate, where = connect(args.server, args.workers)
    except (ServerUnavailable, ValueError) as e:
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
