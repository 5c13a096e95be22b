"""Deadline → order done, and what a timed-out branch did after it (for the closing notes, not a test).

    .venv/bin/python benchmarks/deadlines.py [--runs 10] [--server URL]

Each run: lesson 7's ``notify_all_by_deadline`` with push's provider hanging, on a
new order; then push's provider comes back 1 s after the order ended. Prints the
median, min and max of *order done - push's deadline* (goal ≤ 100 ms embedded),
and, per run, when push's call was delivered after the order had counted it
missed, and how many push attempts started after the deadline. Then the same with
push down for good: when the SDK gave up, against the deadline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exercises.deadlines import notify_all_by_deadline
from lab import Fault, Lab


def one(lab: Lab, fault: Fault) -> dict[str, float]:
    run = lab.start(workflow=notify_all_by_deadline, faults={"push": fault})
    result = run.wait(30)
    assert result["channels_notified"] == 3, result
    time.sleep(1)
    lab.provider_back("push")
    time.sleep(0.5)
    push = [a for a in run.attempts() if a.channel == "push"]
    deadline = push[0].deadline
    sent = [a for a in push if a.outcome == "sent"]
    return {
        "done_after_deadline_ms": (run.ended - deadline) * 1000,
        "done_ms": run.wall_ms,
        "delivered_after_done_ms": (sent[0].ended - run.ended) * 1000 if sent else float("nan"),
        "attempts": len(push),
        "started_after_deadline": sum(a.started > deadline for a in push),
        "gave_up_before_deadline_ms": (deadline - push[-1].ended) * 1000 if push[-1].ended else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--server", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        lab = Lab(workers=16, server=args.server or False, ledger=Path(folder) / "ledger.sqlite")
        lab.run(live=False)  # warm up
        hang = [one(lab, Fault(hang=True)) for _ in range(args.runs)]
        late = [h["done_after_deadline_ms"] for h in hang]
        print(f"push hangs, {args.runs} runs, {lab.mode}")
        print(
            f"  order done - deadline: median {statistics.median(late):.0f} ms, "
            f"min {min(late):.0f}, max {max(late):.0f} (order done at "
            f"{statistics.median(h['done_ms'] for h in hang):.0f} ms, deadline 2000)"
        )
        after = [h["delivered_after_done_ms"] for h in hang]
        print(
            f"  push delivered after the order had counted it missed: {len(after)}/{len(hang)} runs, "
            f"{min(after):.0f}–{max(after):.0f} ms after the order ended (provider back 1 s after)"
        )
        print(
            f"  push attempts per run: {sorted({h['attempts'] for h in hang})}; started after "
            f"the deadline: {sum(h['started_after_deadline'] for h in hang)}"
        )
        down = [one(lab, Fault(down=True)) for _ in range(args.runs)]
        print(f"push down for good, {args.runs} runs")
        print(
            f"  order done at median {statistics.median(d['done_ms'] for d in down):.0f} ms; push gave up "
            f"{statistics.median(d['gave_up_before_deadline_ms'] for d in down):.0f} ms before its "
            f"deadline; attempts per run: {sorted({d['attempts'] for d in down})}"
        )


if __name__ == "__main__":
    main()
