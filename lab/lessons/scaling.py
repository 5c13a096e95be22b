"""How far fan-out goes: measured sweeps for lesson 6 and ``benchmarks/scaling.py``.

The cost model to check: with W concurrent workers and N branches of latency
L, the wall is about ⌈N/W⌉·L — the branches run in waves of W (at most 32:
SDK 0.6.7 starts no more threads per process than that) — plus a small
cost per branch (creating its durable promise, handing it to a worker,
resolving it, resuming the workflow). Against a server, adding worker
processes adds slots: orders per second grow with them until something else
(the CPU, the store) is the bound.

Runs the SDK itself, without the lessons' observing registry, so the figures
are Resonate's. The channel prints are silenced while measuring.
"""

from __future__ import annotations

import contextlib
import io
import math
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resonate import Resonate

from channels import send_email, send_push, send_slack, send_sms
from exercises.wide import notify_many
from lab.draw.scaling_chart import plot_svg
from lab.errors import Refused
from lab.orders.embedded_store import embedded
from lab.orders.events import new_event
from lab.servers.legacy import LocalServer
from lab.servers.processes import cpu_seconds

CHANNEL = "sms"  # every branch the same function: 250 ms
LATENCY_MS = 250
# resonate-sdk 0.6.7 runs at most 32 functions at once per process, whatever ``workers`` says
# (resonate/processor.py: ``min(32, workers)`` threads). More needs more processes.
SDK_MAX_WORKERS = 32

_instances: dict[tuple, Resonate] = {}
_servers: list[LocalServer] = []
_lock = threading.Lock()


@dataclass(frozen=True)
class Point:
    store: str
    workers: int
    n: int
    wall_ms: float  # median
    runs: int
    spread_ms: float = 0.0  # first to last branch promise created (median): the fan-out loop itself
    fan_in_ms: float = (
        0.0  # last branch resolved to the workflow resolved (median): the fan-in loop
    )

    @property
    def threads(self) -> int:
        return min(self.workers, SDK_MAX_WORKERS)

    @property
    def ideal_ms(self) -> float:
        """⌈N/W⌉·L, with W the threads the SDK really starts."""
        return math.ceil(self.n / self.threads) * LATENCY_MS

    @property
    def ratio(self) -> float:
        return self.wall_ms / self.ideal_ms

    @property
    def overhead_per_branch_ms(self) -> float:
        return (self.wall_ms - self.ideal_ms) / self.n


def _resonate(store: str, workers: int) -> Resonate:
    """One instance per (store, workers); on a server, a server of its own, so no other instance takes its branches."""
    with _lock:
        key = (store, workers)
        if key not in _instances:
            if store == "embedded":
                r = embedded(workers=workers, log_level="ERROR")
            else:
                server = LocalServer(Path(tempfile.mkdtemp(prefix="scaling-")))
                _servers.append(server.start())
                a = server.address
                r = Resonate.remote(
                    host=a.host,
                    store_port=str(a.store_port),
                    message_source_port=str(a.poll_port),
                    workers=workers,
                    log_level="ERROR",
                )
            r.register(notify_many)
            for fn in (send_email, send_sms, send_slack, send_push):
                r.register(fn)
            r.start()
            _instances[key] = r
            fresh = True
        else:
            fresh = False
    if fresh:  # the first run pays for imports and connections: not measured
        with contextlib.redirect_stdout(io.StringIO()):
            event = new_event()
            r.begin_run(f"wide/{event['order_id']}", notify_many, event, CHANNEL, 1).result()
    return _instances[key]


def fan_out(store: str, workers: int, n: int) -> tuple[float, float, float]:
    """One run of ``notify_many`` N wide: the wall ms the caller waited, the ms from the first
    branch's promise to the last's (fan-out), and from the last branch resolved to the root (fan-in)."""
    resonate = _resonate(store, workers)
    event = new_event()
    root = f"wide/{event['order_id']}"
    with contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        result = resonate.begin_run(root, notify_many, event, CHANNEL, n).result()
        wall = (time.perf_counter() - started) * 1000
    if result["ok"] != n:
        msg = f"{result['ok']} of {n} branches succeeded"
        raise RuntimeError(msg)
    branches = [resonate.promises.get(f"{root}.{CHANNEL}-{i}") for i in range(n)]
    last_done = max(b.completed_on for b in branches)
    return (
        wall,
        branches[-1].created_on - branches[0].created_on,
        resonate.promises.get(root).completed_on - last_done,
    )


def measure(store: str, workers: int, n: int, runs: int = 5) -> Point:
    walls, spreads, fan_ins = zip(*(fan_out(store, workers, n) for _ in range(runs)), strict=True)
    return Point(
        store,
        workers,
        n,
        statistics.median(walls),
        runs,
        statistics.median(spreads),
        statistics.median(fan_ins),
    )


@dataclass(frozen=True)
class Throughput:
    processes: int
    orders: int
    seconds: float  # from the first submission to the last result received
    cpu_busy: float  # share of the usable CPUs that the server, the workers and this client used
    unfinished: int = 0  # orders without a result after the wait (reported, never hidden)
    stuck: tuple[str, ...] = ()  # of those, the ones with every branch resolved: the lost wake-up

    @property
    def per_second(self) -> float:
        return (self.orders - self.unfinished) / self.seconds


def orders_per_second(
    processes: int, orders: int = 50, ttl: int = 2, wait_s: float = 60
) -> Throughput:
    """``orders`` production orders submitted at once to a server with ``processes`` worker processes (4 slots each)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from lab.clusters.cluster import Cluster
    from lab.orders.sdk_log import route_sdk_log

    route_sdk_log()  # the client reconnecting to the server shut down below logs into SDK_LOG, not into a cell
    cluster = Cluster(
        processes=processes, ttl=ttl, server=LocalServer(Path(tempfile.mkdtemp(prefix="orders-")))
    )
    try:
        cluster.start().wait(30)  # warm-up
        pids = [os.getpid(), cluster.local.process.pid, *(w.pid for w in cluster.running())]
        with contextlib.redirect_stdout(io.StringIO()):
            cpu0, began = cpu_seconds(pids), time.perf_counter()
            # "At once": from 8 threads, as a web front end would; one after another the
            # submissions alone (a round trip each) take ~0.7 s of a 4 s run.
            with ThreadPoolExecutor(8) as pool:
                runs = list(pool.map(lambda _: cluster.start(), range(orders)))
            deadline = time.monotonic() + wait_s
            while not all(r.done for r in runs) and time.monotonic() < deadline:
                time.sleep(0.01)
            finished = [r for r in runs if r.done and r.ended]
            last = max((r.ended for r in finished), default=time.time())
            took = last - (time.time() - (time.perf_counter() - began))
            cpu = cpu_seconds(pids) - cpu0
        from lab.servers.inspector import lost_wakeup

        stuck = tuple(
            r.workflow_id
            for r in runs
            if not r.done and lost_wakeup(cluster.address, r.workflow_id)
        )
        return Throughput(
            processes,
            orders,
            took,
            cpu / (took * len(os.sched_getaffinity(0))),
            orders - len(finished),
            stuck,
        )
    finally:
        cluster.shutdown()


def shutdown() -> None:
    """Stop the servers the sweeps started (scripts; a kernel's exit does it too)."""
    for server in _servers:
        server.kill()


# -- lesson 6: small, live versions (seconds, not minutes)


def sweep(
    ns: tuple[int, ...] = (4, 8, 16, 32), workers: int = 4, store: str = "embedded"
) -> dict[int, Point]:
    """Fan-out N wide for each N, one run each, the plot redrawn after every point; returns {N: Point}."""
    from IPython.display import HTML, display

    if (
        store not in ("embedded", "server")
        or not isinstance(workers, int)
        or not 1 <= workers <= 64
    ):
        msg = (
            "store must be 'embedded' or 'server' and workers a whole number from 1 to 64, "
            f"got {store!r}, {workers!r}"
        )
        raise Refused(msg)
    points: dict[int, Point] = {}
    title = f"{store}, {workers} workers: wall against N (dashed: ideal ⌈N/W⌉·{LATENCY_MS} ms)"
    handle = display(HTML(f"<p>measuring N = {', '.join(map(str, ns))}…</p>"), display_id=True)
    for n in ns:
        wall, spread, fan_in = fan_out(store, workers, n)
        points[n] = Point(store, workers, n, wall, 1, spread, fan_in)
        handle.update(HTML(plot_svg(list(points.values()), title, LATENCY_MS)))
    print(f"{'N':>4}{'wall ms':>9}{'ideal':>7}{'ms/branch over ideal':>22}")
    for p in points.values():
        print(f"{p.n:>4}{p.wall_ms:>9.0f}{p.ideal_ms:>7.0f}{p.overhead_per_branch_ms:>22.1f}")
    return points


def throughput_table(rows: list[Throughput]) -> Any:
    from IPython.display import HTML

    from lab.draw.tables import html_table

    ones = [t.per_second for t in rows if t.processes == 1]
    base = ones[-1] if ones else None  # no 1-process row measured: no ratio to show
    cells = [
        (
            t.processes,
            t.orders,
            f"{t.seconds:.2f} s",
            f"{t.per_second:.1f}",
            f"{t.per_second / base:.2f}×" if base else "— (run 1 process too)",
            f"{t.cpu_busy:.0%}",
        )
        for t in rows
    ]
    return HTML(
        html_table(
            (
                "worker processes",
                "orders",
                "all done in",
                "orders/s",
                "vs 1 process",
                "CPU busy",
                "unfinished",
            ),
            cells,
            caption="Orders submitted at once to a server (4 workers per process)",
        )
    )
