"""The embedded store's two races in resonate-sdk 0.6.7, with and without lab.orders.embedded_store.

    .venv/bin/python benchmarks/embedded_store_races.py [--processes 5] [--orders 150]

Each trial is a process of its own (SDK 0.6.7 ends the process when its store
loop raises): ``--orders`` fan-outs of four short branches, each with a 2 s
deadline, one after another, while 8 threads keep the interpreter busy and the
GIL switch interval is 1 µs, so that a thread is often preempted mid-operation —
what hundreds of threads in a long test session or kernel do, rarely, at the
default 5 ms. Prints per store — as shipped, and lab.orders.embedded_store's — the
processes the SDK ended, orders that stalled (> 1 s; the slowest branch takes
100 ms) and orders with a branch timed out.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORES = {
    "sdk": "SDK 0.6.7 as shipped",
    "closed": "lab.orders.embedded_store",
}


def trial(store: str, orders: int) -> None:
    sys.path.insert(0, str(ROOT))
    from resonate import Resonate
    from resonate.errors import ResonateTimedoutError

    from lab.orders.embedded_store import embedded

    def branch(ctx: object, ms: int) -> int:
        time.sleep(ms / 1000)
        return ms

    def fan_out(ctx: object, n: int):
        handles = []
        for i, ms in enumerate((100, 60, 40, 20)):
            handles.append((yield ctx.rfi(branch, ms).options(id=f"{ctx.id}.{i}", timeout=2)))
        timed_out = 0
        for h in handles:
            try:
                yield h
            except ResonateTimedoutError:
                timed_out += 1
        return timed_out

    make = embedded if store == "closed" else Resonate.local
    resonate = make(workers=4, log_level="CRITICAL")
    resonate.register(branch)
    resonate.register(fan_out)
    resonate.start()

    def busy() -> None:
        x = 0
        while True:
            for _ in range(2000):
                x += 1
            time.sleep(0.0005)

    for _ in range(8):
        threading.Thread(target=busy, daemon=True).start()
    sys.setswitchinterval(1e-6)
    stalled = timed_out = 0
    for n in range(orders):
        began = time.monotonic()
        timed_out += bool(resonate.run(f"race-{n}-{time.time_ns()}", fan_out, n))  # its result
        stalled += time.monotonic() - began > 1
        print(json.dumps({"done": n + 1, "stalled": stalled, "timed_out": timed_out}), flush=True)


def trial_process(store: str, orders: int) -> tuple[int, dict[str, int]]:
    """``trial`` in a process of its own: its exit code and its last counts."""
    run = subprocess.run(
        [sys.executable, __file__, "--trial", store, "--orders", str(orders)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    counts = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return run.returncode, counts[-1] if counts else {"done": 0, "stalled": 0, "timed_out": 0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--orders", type=int, default=150)
    parser.add_argument("--trial", choices=STORES)
    args = parser.parse_args()
    if args.trial:
        trial(args.trial, args.orders)
        return
    for store in STORES:
        ended = stalled = timed_out = done = 0
        for _ in range(args.processes):
            code, last = trial_process(store, args.orders)
            ended += code != 0
            done += last["done"]
            stalled += last["stalled"]
            timed_out += last["timed_out"]
        name = STORES[store]
        print(
            f"{name}: {ended}/{args.processes} processes ended by the SDK; {done} orders done, "
            f"{stalled} stalled > 1 s, {timed_out} with a branch timed out"
        )


if __name__ == "__main__":
    main()
