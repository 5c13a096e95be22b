"""How far fan-out goes: N branches wide, and many orders against more worker processes.

    .venv/bin/python benchmarks/scaling.py                 # both sweeps, writes benchmarks/results/
    taskset -c 0 .venv/bin/python benchmarks/scaling.py --tag one-core

1. Fan-out of N = 4, 8, 16, 32, 64 branches of one channel (SMS, 250 ms) under
   generated ids f"{ctx.id}.sms-<i>" (``exercises/wide.py``), embedded and on a
   server, with 4, 16, 32 and 64 workers: wall (median of --runs), wall ÷ the
   ideal ⌈N/W⌉·250 ms, the overhead per branch, the spread of the branch
   promises' creation times (the fan-out loop itself) and the time from the
   last branch resolved to the workflow resolved (the fan-in).
2. 50 production orders submitted at once to a server with 1, 2 and 4 worker
   processes (4 workers each): orders per second, and how busy the CPUs were.

Writes scaling-<tag>.csv, throughput-<tag>.csv and scaling-<tag>.svg.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.clusters.crash import route_sdk_log
from lab.draw.scaling_chart import plot_svg
from lab.lessons.scaling import LATENCY_MS, measure, orders_per_second

OUT = Path(__file__).resolve().parent / "results"


def write_sweep(points: list, tag: str, runs: int) -> None:
    with (OUT / f"scaling-{tag}.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "store",
                "workers",
                "n",
                "wall_ms",
                "ideal_ms",
                "ratio",
                "overhead_ms_per_branch",
                "spread_ms",
                "fan_in_ms",
                "runs",
            ]
        )
        for p in points:
            w.writerow(
                [
                    p.store,
                    p.workers,
                    p.n,
                    f"{p.wall_ms:.1f}",
                    p.ideal_ms,
                    f"{p.ratio:.3f}",
                    f"{p.overhead_per_branch_ms:.2f}",
                    p.spread_ms,
                    p.fan_in_ms,
                    p.runs,
                ]
            )
    (OUT / f"scaling-{tag}.svg").write_text(
        plot_svg(points, f"Fan-out wall against N ({tag}, median of {runs})", LATENCY_MS)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tag", default=f"{len(os.sched_getaffinity(0))}-cpu")
    parser.add_argument("--ns", default="4,8,16,32,64")
    parser.add_argument("--workers", default="4,16,32,64")
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--skip-sweep", action="store_true", help="only the orders-per-second part")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    route_sdk_log()  # servers shut down mid-script leave clients retrying: keep their warnings off the report
    ns = [int(n) for n in args.ns.split(",")]
    points = []
    print(
        f"{'store':<9}{'W':>4}{'N':>5}{'wall ms':>10}{'ideal':>8}{'÷ideal':>8}"
        f"{'ms/branch':>11}{'spread':>8}{'fan-in':>8}"
    )
    for store in () if args.skip_sweep else ("embedded", "server"):
        for workers in (int(w) for w in args.workers.split(",")):
            for n in ns:
                p = measure(store, workers, n, runs=args.runs)
                points.append(p)
                print(
                    f"{store:<9}{workers:>4}{n:>5}{p.wall_ms:>10.0f}{p.ideal_ms:>8.0f}{p.ratio:>8.2f}"
                    f"{p.overhead_per_branch_ms:>11.2f}{p.spread_ms:>8.0f}{p.fan_in_ms:>8.0f}",
                    flush=True,
                )
    if points:
        write_sweep(points, args.tag, args.runs)

    print(f"\n{'processes':>9}{'orders/s':>10}{'seconds':>9}{'cpu busy':>10}")
    rows = []
    for processes in (1, 2, 4):
        runs = [orders_per_second(processes, orders=args.orders) for _ in range(args.runs)]
        best = sorted(runs, key=lambda t: t.per_second)[len(runs) // 2]  # the median run
        rows.append(best)
        print(
            f"{processes:>9}{best.per_second:>10.1f}{best.seconds:>9.2f}{best.cpu_busy:>10.0%}  "
            f"(runs: {', '.join(f'{t.per_second:.1f}' for t in runs)}; "
            f"orders unfinished after 60 s: {sum(t.unfinished for t in runs)} of {args.orders * len(runs)})",
            flush=True,
        )
        for order in (o for t in runs for o in t.stuck):  # named, never waited on silently
            print(f"{'':>9}stuck (lost wake-up): {order}", flush=True)
    with (OUT / f"throughput-{args.tag}.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["processes", "orders", "orders_per_second", "seconds", "cpu_busy", "unfinished"]
        )
        for t in rows:
            w.writerow(
                [
                    t.processes,
                    t.orders,
                    f"{t.per_second:.2f}",
                    f"{t.seconds:.2f}",
                    f"{t.cpu_busy:.2f}",
                    t.unfinished,
                ]
            )
    print(
        f"\n4 processes ÷ 1: {rows[-1].per_second / rows[0].per_second:.2f}×; median of "
        f"{args.runs} runs each"
    )


if __name__ == "__main__":
    main()
