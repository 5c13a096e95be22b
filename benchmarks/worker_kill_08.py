"""Lesson 8's worker kill, measured (for the closing notes, not a test).

    .venv-sdk08/bin/python benchmarks/worker_kill_08.py [--runs 10]

resonate-sdk 0.8 on the Resonate server v0.9.8 (``tools/bin/resonate-0.9.8``,
``scripts/install-server.sh v0.9``), two ``lab.clusters.worker08`` processes, ``ttl`` 2 s:
first ``--runs`` orders with no kill (the caller's wall and the workflow's own
clock), then ``--runs`` orders whose worker is SIGKILLed once slack is confirmed.
For each kill: kill → the other worker's first attempt, kill → done, which
channels ran again, and whether any channel confirmed before the kill did.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.0f} (min {min(values):.0f}, max {max(values):.0f})"


async def main(runs: int) -> None:
    from lab.clusters.cluster08 import Cluster08
    from lab.orders.ledger import CHANNELS

    cluster = Cluster08(processes=2, ttl=2)
    await cluster.run()  # the first order opens the connections: not counted
    walls, own = [], []
    for _ in range(runs):
        run = await cluster.run()
        walls.append(run.wall_ms)
        own.append(run.result["total_ms"])
    print(f"no kill, {runs} orders: wall {spread(walls)} ms; own clock {spread(own)} ms")
    takeover, done, again, rerun = [], [], [], []
    for _ in range(runs):
        run = await cluster.run(kill_after="slack")
        kill = cluster.kills[run.workflow_id]
        after = [a for a in run.attempts() if a.started >= kill.t]
        takeover.append((min(a.started for a in after) - kill.t) * 1000)
        done.append(cluster.recovery_ms(run))
        again.append(",".join(sorted({a.channel for a in after}, key=CHANNELS.index)))
        rerun.append(cluster.rerun_completed(run))
        assert run.result["channels_notified"] == 4, run.result
    print(f"kill once slack is confirmed, {runs} orders:")
    print(f"  kill → the other worker's first attempt: {spread(takeover)} ms")
    print(f"  kill → done: {spread(done)} ms")
    print(f"  ran again: {sorted(set(again))} ({again.count('email,sms')}/{runs} email,sms)")
    print(f"  confirmed before the kill and run again: {sum(bool(r) for r in rerun)}/{runs}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("LAB_RUN_DIR", tempfile.mkdtemp(prefix="kill08-"))
    os.environ.setdefault("LAB_STATIC", "1")  # charts as plain HTML: no widget comm here
    asyncio.run(main(args.runs))
    os._exit(0)  # the SDK's connections hold the loop's exit; the children die with this process
