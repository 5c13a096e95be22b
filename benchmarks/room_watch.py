"""What the room benchmark watches while its learners work: the machine, the page, the events.

``Sampler``: CPU and memory, the machine's and each learner's. ``Page``: the instructor's
live page in chromium, and when each learner's check first shows on it.
``stored_events``: the room's service's events counted against what each kernel wrote.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from pathlib import Path

import psutil

from lab.checks.standing import when
from room import users


class Sampler(threading.Thread):
    """CPU and memory every half second: the machine, and each learner's processes."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(daemon=True)
        self.names, self.stop = names, threading.Event()
        self.cpu_peak = self.mem_peak_mb = 0.0
        self.base_mb = psutil.virtual_memory().used / 2**20
        self.learner_peak_mb: dict[str, float] = dict.fromkeys(names, 0.0)
        self.cpu_s: dict[int, tuple[str, float]] = {}  # pid -> (kind, CPU seconds while sampled)
        self.cpu_before: dict[int, float] = {}  # what a process had used before sampling began
        self.first = True
        psutil.cpu_percent()

    def cpu_by_kind(self) -> dict[str, float]:
        """CPU seconds each kind of process used while sampled, most first."""
        total: dict[str, float] = {}
        for what, used in self.cpu_s.values():
            total[what] = total.get(what, 0.0) + used
        return dict(sorted(total.items(), key=lambda kv: -kv[1]))

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.cpu_peak = max(self.cpu_peak, psutil.cpu_percent())
            self.mem_peak_mb = max(self.mem_peak_mb, psutil.virtual_memory().used / 2**20)
            rss: dict[str, float] = {}
            for p in psutil.process_iter(["username", "memory_info", "cmdline", "cpu_times"]):
                user = p.info["username"] or ""
                if p.info["memory_info"] is not None:
                    rss[user] = rss.get(user, 0.0) + p.info["memory_info"].rss / 2**20
                if p.info["cpu_times"] is not None:
                    used = p.info["cpu_times"].user + p.info["cpu_times"].system
                    before = self.cpu_before.setdefault(p.pid, used if self.first else 0.0)
                    self.cpu_s[p.pid] = (kind(p.info["cmdline"] or [], p.pid), used - before)
            self.first = False
            for name in self.names:
                mine = rss.get(users.system_name(name), 0.0)
                self.learner_peak_mb[name] = max(self.learner_peak_mb[name], mine)


def kind(cmdline: list[str], pid: int) -> str:
    """What a process is, for the CPU split: the room's own kinds, else "other"."""
    if pid == os.getpid():
        return "the benchmark: learners' clients, the page's driver"
    line = " ".join(cmdline)
    for what, marks in (
        ("legacy servers", ("resonate serve", "resonate-legacy")),
        ("workers", ("lab.clusters.worker",)),
        ("kernels", ("ipykernel",)),
        ("learners' Jupyter servers", ("jupyterhub-singleuser", "jupyter-labhub")),
        ("hub, proxy, room service", ("jupyterhub", "configurable-http-proxy", "room.progress")),
        ("chromium", ("chrom",)),
    ):
        if any(m in line for m in marks):
            return what
    return "other"


class Page(threading.Thread):
    """The instructor's live page in chromium: when each learner's fan_out ✓ first shows on it."""

    def __init__(self, url: str, code: str, password: str) -> None:
        super().__init__(daemon=True)
        self.url, self.code, self.password = url, code, password
        self.stop, self.ready = threading.Event(), threading.Event()
        self.seen: dict[str, float] = {}
        self.error = ""

    def run(self) -> None:
        import shutil

        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as p:
                chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
                page = browser.new_page()
                page.goto(f"{self.url}/hub/login?next=%2Fservices%2Froom%2F")
                page.fill("#username_input", "instructor")
                page.fill("#code_input", self.code)
                page.fill("#password_input", self.password)
                page.click("[type=submit]")
                page.wait_for_selector("#room thead tr", timeout=60_000)
                self.ready.set()
                while not self.stop.wait(0.1):
                    cells = page.evaluate(
                        "() => Object.fromEntries([...document.querySelectorAll('#room tbody tr')]"
                        ".map(r => [r.dataset.learner, r.querySelector(\"td[data-exercise='fan_out']\").textContent]))"
                    )
                    now = time.time()
                    for name, text in cells.items():
                        if text.startswith("✓") and name not in self.seen:
                            self.seen[name] = now
                browser.close()
        except Exception as e:  # noqa: BLE001 - a figure of the room too
            self.error = f"{type(e).__name__}: {e}"[:300]
            self.ready.set()


def stored_events(folder: Path, rows: list[dict]) -> dict:
    """Count the room's service's events against the ids each learner's kernel wrote.

    Waits up to 30 s for the last ones. Per learner: sent, stored under their name, the
    slowest from the kernel's timestamp to the service's receipt.
    """
    import sqlite3

    sent = {r["learner"]: set(r.get("event_ids") or ()) for r in rows}
    deadline = time.monotonic() + 30
    while True:
        with sqlite3.connect(folder / "progress.sqlite") as db:
            found = db.execute("SELECT id, learner, received, body FROM events").fetchall()
        if sum(map(len, sent.values())) <= len(found) or time.monotonic() > deadline:
            break
        time.sleep(1)
    by_id = {i: (learner, received, json.loads(body)) for i, learner, received, body in found}
    delays = []
    lost = wrong = 0
    for r in rows:
        mine = sent[r["learner"]]
        stored = [i for i in mine if i in by_id and by_id[i][0] == r["learner"]]
        wrong += sum(1 for i in mine if i in by_id and by_id[i][0] != r["learner"])
        lost += sum(1 for i in mine if i not in by_id)
        waits = [round((by_id[i][1] - when(by_id[i][2])) * 1000) for i in stored]
        delays += waits
        r.update(
            events_sent=len(mine), events_stored=len(stored), event_max_ms=max(waits, default=None)
        )
    return {
        "stored": len(found),
        "lost": lost,
        "misattributed": wrong,
        "median_ms": round(statistics.median(delays)) if delays else None,
        "max_ms": max(delays, default=None),
    }
