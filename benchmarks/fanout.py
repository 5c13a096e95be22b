"""Fan-out timing with the harness observing, for the closing notes (not a test).

    .venv/bin/python benchmarks/fanout.py [--runs 10] [--workers 4] [--server URL]

Prints the median over N runs of: fan-out wall / slowest channel (goal <= 1.03
embedded), and the speedup of the fan-out over the sequential variant, both
measured (goal >= 2.3x). Also the bare SDK's figure, without the harness.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from resonate import Resonate

from channels import OrderEvent, send_email, send_push, send_slack, send_sms
from exercises.sequential import notify_sequential
from lab import Lab
from lab.orders.capture import install_stdout_router
from workflow import notify_all


def bare_sdk(runs: int, workers: int) -> list[float]:
    resonate = Resonate.local(workers=workers, log_level="ERROR")
    workflow = resonate.register(notify_all)
    for fn in (send_email, send_sms, send_slack, send_push):
        resonate.register(fn)
    ratios = []
    for i in range(runs):
        event = OrderEvent(
            f"ord_bare_{i}_{time.time_ns()}", "user_alice", "order.confirmed", "m"
        ).to_dict()
        started = time.time()
        result = workflow.run(f"notify/{event['order_id']}", event, False)
        wall = (time.time() - started) * 1000
        ratios.append(wall / max(r["duration_ms"] for r in result["results"]))
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--server", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        lab = Lab(workers=args.workers, server=args.server, ledger=Path(tmp) / "ledger.sqlite")
        install_stdout_router()
        lab.run(live=False)  # warm-up
        fan = [lab.run(live=False) for _ in range(args.runs)]
        seq = [lab.run(live=False, workflow=notify_sequential) for _ in range(args.runs)]

    ratio = statistics.median(r.wall_ms / max(r.channel_ms().values()) for r in fan)
    fan_wall = statistics.median(r.wall_ms for r in fan)
    seq_wall = statistics.median(r.wall_ms for r in seq)
    with contextlib.redirect_stdout(io.StringIO()):  # the bare SDK lets the channels print
        bare = (
            statistics.median(bare_sdk(args.runs, args.workers))
            if not args.server
            else float("nan")
        )
    sys.stdout = sys.__stdout__
    print(f"mode: {lab.mode}, workers={args.workers}, runs={args.runs}")
    print(f"fan-out wall, median:            {fan_wall:.0f} ms")
    print(f"sequential wall, median:         {seq_wall:.0f} ms")
    print(f"fan-out wall / slowest channel:  {ratio:.3f}  (bare SDK, no harness: {bare:.3f})")
    print(f"speedup over sequential:         {seq_wall / fan_wall:.2f}x")


if __name__ == "__main__":
    main()
