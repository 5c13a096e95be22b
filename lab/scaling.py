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
import itertools
import math
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from resonate import Resonate

from channels import send_email, send_push, send_slack, send_sms
from exercises.wide import notify_many
from lab.embedded_store import embedded
from lab.errors import Refused
from lab.events import new_event
from lab.processes import cpu_seconds
from lab.server import LocalServer
from lab.theme import ERROR, GRID, INK, INK2, SERIES, fill, stroke
from lab.timeline import nice_step

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

    from lab.cluster import Cluster
    from lab.sdk_log import route_sdk_log

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
        from lab.inspector import lost_wakeup

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


_plot_ids = itertools.count(1)


def plot_svg(points: list[Point], title: str, width: int = 640, height: int = 340) -> str:
    """Wall against N, one line per (store, workers), with each line's ideal ⌈N/W⌉·L dashed."""
    left, right, top, bottom = 60, 150, 30, 40
    ns = sorted({p.n for p in points})
    top_ms = max(max(p.wall_ms, p.ideal_ms) for p in points)
    step = nice_step(top_ms)
    ymax = math.ceil(top_ms * 1.05 / step) * step  # nice ticks: 0, 500, 1000, …
    cid = f"s{next(_plot_ids)}"
    span = max(math.log2(ns[-1]) - math.log2(ns[0]), 1)

    def x(n: int) -> float:  # N on a log scale: 4, 8, 16, … evenly spaced
        return left + (math.log2(n) - math.log2(ns[0])) / span * (width - left - right)

    def y(ms: float) -> float:
        return top + (1 - ms / ymax) * (height - top - bottom)

    colours = SERIES
    words = "; ".join(
        f"{p.store}, W={p.workers}, N={p.n}: {p.wall_ms:.0f} ms (ideal {p.ideal_ms:.0f})"
        for p in sorted(points, key=lambda p: (p.store, p.workers, p.n))
    )
    out = [
        f"<svg class='lab-scaling' viewBox='0 0 {width} {height}' width='100%' "
        f"style='max-width:{width}px' font-family='sans-serif' font-size='11' role='img' "
        f"aria-labelledby='{cid}-title {cid}-desc'>",
        f"<title id='{cid}-title'>{escape(title)}</title><desc id='{cid}-desc'>{escape(words)}</desc>",
        f"<text x='{left}' y='16' font-weight='bold' {fill(INK)}>{escape(title)}</text>",
    ]
    for n in ns:
        out.append(
            f"<line x1='{x(n):.1f}' y1='{top}' x2='{x(n):.1f}' y2='{height - bottom}' {stroke(GRID)}/>"
            f"<text x='{x(n):.1f}' y='{height - bottom + 14}' text-anchor='middle' {fill(INK2)}>{n}</text>"
        )
    out.append(
        f"<text x='{(left + width - right) / 2:.0f}' y='{height - 6}' text-anchor='middle' "
        f"{fill(INK2)}>branches N</text>"
    )
    for ms in range(0, int(ymax) + 1, step):
        out.append(
            f"<text x='{left - 6}' y='{y(ms) + 4:.1f}' text-anchor='end' {fill(INK2)}>{ms}</text>"
        )
    out.append(f"<text x='12' y='{top - 8}' {fill(INK2)}>wall ms</text>")
    series = sorted({(p.store, p.workers) for p in points})
    for k, (store, workers) in enumerate(series):
        colour = colours[k % len(colours)]
        mine = sorted(
            (p for p in points if (p.store, p.workers) == (store, workers)), key=lambda p: p.n
        )
        measured = " ".join(f"{x(p.n):.1f},{y(p.wall_ms):.1f}" for p in mine)
        ideal = " ".join(f"{x(p.n):.1f},{y(p.ideal_ms):.1f}" for p in mine)
        out.append(
            f"<polyline class='ideal' points='{ideal}' fill='none' stroke='{colour}' "
            "stroke-dasharray='4 3' opacity='0.7'/>"
        )
        out.append(
            f"<polyline class='measured' data-workers='{workers}' points='{measured}' "
            f"fill='none' stroke='{colour}' stroke-width='2'/>"
        )
        out += [
            f"<circle cx='{x(p.n):.1f}' cy='{y(p.wall_ms):.1f}' r='3' fill='{colour}' "
            f"data-n='{p.n}' data-ms='{p.wall_ms:.0f}'/>"
            for p in mine
        ]
        out.append(
            f"<line x1='{width - right + 10}' y1='{top + 14 * k + 6}' x2='{width - right + 24}' "
            f"y2='{top + 14 * k + 6}' stroke='{colour}' stroke-width='3'/>"
            f"<text x='{width - right + 28}' y='{top + 14 * k + 10}' {fill(INK)}>{store}, W={workers}</text>"
        )
    out.append(
        f"<text x='{width - right + 10}' y='{top + 14 * len(series) + 14}' {fill(INK2)}>dashed: "
        f"⌈N/W⌉·{LATENCY_MS} ms</text>"
    )
    out.append("</svg>")
    return "".join(out)


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
        handle.update(HTML(plot_svg(list(points.values()), title)))
    print(f"{'N':>4}{'wall ms':>9}{'ideal':>7}{'ms/branch over ideal':>22}")
    for p in points.values():
        print(f"{p.n:>4}{p.wall_ms:>9.0f}{p.ideal_ms:>7.0f}{p.overhead_per_branch_ms:>22.1f}")
    return points


def throughput_table(rows: list[Throughput]) -> Any:
    from IPython.display import HTML

    from lab.tables import html_table

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


class ScalingPanel:
    """Widgets for lesson 6: the N sweep with a chosen number of workers, and orders/s
    with a chosen number of worker processes.

    Runs go to a background thread, so the buttons stay live and no cell is held busy.
    """

    def __init__(self) -> None:
        import ipywidgets as widgets

        self.workers = widgets.ToggleButtons(options=[4, 16, 32], value=16, description="workers")
        self.largest = widgets.ToggleButtons(options=[16, 32, 64], value=32, description="N up to")
        self.processes = widgets.ToggleButtons(options=[1, 2, 4], value=2, description="processes")
        self.sweep_button = widgets.Button(
            description="Run the sweep",
            button_style="primary",
            icon="play",
            layout={"width": "200px"},
        )
        self.orders_button = widgets.Button(
            description="Measure orders/s", icon="tachometer", layout={"width": "200px"}
        )
        self.status = widgets.HTML()
        self.plot = widgets.HTML()
        self.table = widgets.HTML()
        self.sweep_button.on_click(lambda _: self._background(self._sweep))
        self.orders_button.on_click(lambda _: self._background(self._orders))
        self.done = threading.Event()
        self.done.set()
        self.points: dict[int, Point] = {}
        self.rows: list[Throughput] = []
        self.widget = widgets.VBox(
            [
                widgets.HTML("<b>Fan-out N wide</b> on the embedded store (one run per N):"),
                self.workers,
                self.largest,
                self.sweep_button,
                widgets.HTML("<b>Orders per second</b>: 20 orders at once on a server:"),
                self.processes,
                self.orders_button,
                self.status,
                self.plot,
                self.table,
            ]
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _background(self, job: Any) -> None:
        if not self.done.is_set():
            self.status.value = "a measurement is running: wait for it"
            return
        self.done.clear()

        def run() -> None:
            try:
                job()
            except Exception as e:  # noqa: BLE001 - shown to the learner
                self.status.value = f"<span style='color:{ERROR}'>✗ {escape(str(e))}</span>"
            finally:
                self.done.set()

        threading.Thread(target=run, daemon=True).start()

    def _sweep(self) -> None:
        workers, ns = self.workers.value, [n for n in (4, 8, 16, 32, 64) if n <= self.largest.value]
        self.points = {}
        for n in ns:
            self.status.value = f"measuring N = {n} with {workers} workers…"
            wall, spread, fan_in = fan_out("embedded", workers, n)
            self.points[n] = Point("embedded", workers, n, wall, 1, spread, fan_in)
            self.plot.value = plot_svg(
                list(self.points.values()), f"embedded, {workers} workers: wall against N"
            )
        last = self.points[ns[-1]]
        self.status.value = (
            f"✓ N = {last.n}: {last.wall_ms:.0f} ms, ideal {last.ideal_ms:.0f} ms "
            f"({last.overhead_per_branch_ms:.1f} ms per branch over it)"
        )

    def _orders(self) -> None:
        self.status.value = f"20 orders on {self.processes.value} worker process(es)…"
        self.rows = [r for r in self.rows if r.processes != self.processes.value]
        self.rows.append(orders_per_second(self.processes.value, orders=20))
        self.rows.sort(key=lambda t: t.processes)
        self.table.value = throughput_table(self.rows).data
        self.status.value = (
            f"✓ {self.rows[-1].per_second:.1f} orders/s with {self.rows[-1].processes} process(es)"
        )

    def wait(self, timeout: float = 120) -> None:
        if not self.done.wait(timeout):
            msg = f"the measurement did not finish within {timeout} s"
            raise TimeoutError(msg)
