"""A room, measured: N learners at once on one machine's hub (for the closing notes, not a test).

    sudo .venv/bin/python benchmarks/room.py --learners 30 [--stagger 10] [--out benchmarks/results]

Opens a room of its own with ``scripts/room`` (a throw-away folder and install, the cap at
N), then N learners follow their instructor, started over ``--stagger`` seconds: each
signs in with the room's code, starts their server, opens a kernel and runs lesson 2's
fan-out, lesson 3's push failure and lesson 4's worker kill (``room.client``). Per learner:
the server's start time, fan-out wall ÷ slowest channel, kill → order done, every error,
and the memory of everything they ran. For the machine: CPU and memory at their peak.
Writes ``room-<N>.csv`` and ``room-<N>.svg`` (learners on the x axis) and prints a summary.
Then closes the room and removes its learners.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.room_watch import Page, Sampler, stored_events  # noqa: E402
from room.client import CHECKS, LESSONS_2_3_4, Learner, start_room  # noqa: E402


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def follow(learner: Learner, delay: float, row: dict) -> None:
    time.sleep(delay)
    began = time.monotonic()
    try:
        answer = learner.sign_in()
        if answer.status_code != 302:
            raise RuntimeError(f"sign-in answered {answer.status_code}")
        learner.get_token()
        row["server_start_s"] = round(learner.start_server(timeout=600), 1)
        kernel = learner.kernel()
        out = kernel.run(LESSONS_2_3_4, timeout=900)
        found = json.loads(out.strip().splitlines()[-1])
        checks = json.loads(kernel.run(CHECKS, timeout=300).strip().splitlines()[-1])
        row["event_ids"], row["checked"] = checks["ids"], checks["checked"]
        row["fan_out_ratio"] = round(found["fan_out_wall_ms"] / found["slowest_ms"], 3)
        row["kill_to_done_ms"] = found["kill_to_done_ms"]
        row["kills"] = found["kills"]  # 0: the order finished before email's worker could be killed
        row["notified"] = (
            f"{found['fan_out_notified']}/{found['crash_notified']}/{found['kill_notified']}"
        )
    except Exception as e:  # noqa: BLE001 - every error is a figure of the room
        row["error"] = " ".join(f"{type(e).__name__}: {e}".split())[:300]
        traceback.print_exc()
    row["done_s"] = round(time.monotonic() - began, 1)


def plot(rows: list[dict], title: str) -> str:
    """Per learner: the server's start and kill → done (seconds), on one axis; errors marked."""
    width, height, left, top, bottom = 760, 320, 50, 40, 40
    n = len(rows)
    values = [r.get(k) or 0 for r in rows for k in ("server_start_s",)] + [
        (r.get("kill_to_done_ms") or 0) / 1000 for r in rows
    ]
    top_s = max([*values, 1.0]) * 1.1
    step = (width - left - 20) / max(n, 1)

    def y(s: float) -> float:
        return top + (1 - s / top_s) * (height - top - bottom)

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' "
        f"font-family='sans-serif' font-size='11' role='img'><title>{escape(title)}</title>",
        f"<text x='4' y='16' font-weight='bold'>{escape(title)}</text>",
        f"<text x='{left}' y='30'>■ server start (s)  ■ kill → done (s)  ✗ error</text>",
    ]
    for k in range(0, int(top_s) + 1, max(1, int(top_s / 6))):
        out.append(f"<text x='{left - 6}' y='{y(k) + 4:.0f}' text-anchor='end'>{k}</text>")
        out.append(
            f"<line x1='{left}' x2='{width - 20}' y1='{y(k):.0f}' y2='{y(k):.0f}' stroke='#ccc'/>"
        )
    for i, r in enumerate(rows):
        x = left + i * step
        for j, (value, colour) in enumerate(
            [
                (r.get("server_start_s"), "#0072B2"),
                ((r.get("kill_to_done_ms") or 0) / 1000, "#E69F00"),
            ]
        ):
            if value:
                out.append(
                    f"<rect x='{x + j * step / 2.5 + 1:.1f}' y='{y(value):.1f}' width='{step / 2.5:.1f}' "
                    f"height='{y(0) - y(value):.1f}' fill='{colour}'/>"
                )
        if r.get("error"):
            out.append(f"<text x='{x + step / 3:.1f}' y='{y(0) - 4:.0f}' fill='#c62828'>✗</text>")
        out.append(
            f"<text x='{x + step / 2:.1f}' y='{height - bottom + 14}' text-anchor='middle'>{i + 1}</text>"
        )
    out.append(f"<text x='{width / 2}' y='{height - 8}' text-anchor='middle'>learner</text></svg>")
    return "".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--stagger", type=float, default=10.0, help="seconds over which they start")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="room-bench-"))
    prefix = Path(f"/opt/fanout-lessons-bench-{uuid.uuid4().hex[:8]}")
    port, code = free_port(), "bench-room-1"
    opened = start_room(
        ROOT / "scripts" / "room",
        port=port,
        folder=folder,
        prefix=prefix,
        code=code,
        max_servers=args.learners,
    )
    if opened.returncode != 0:
        print(opened.stdout, opened.stderr, file=sys.stderr)
        return 1
    names = [f"bench-{i:02d}" for i in range(1, args.learners + 1)]
    rows = [{"learner": name} for name in names]
    page = Page(
        f"http://127.0.0.1:{port}", code, (folder / "instructor-password").read_text().strip()
    )
    page.start()
    page.ready.wait(120)
    sampler = Sampler(names)
    sampler.start()
    began = time.monotonic()
    threads = [
        threading.Thread(
            target=follow,
            args=(
                Learner(f"http://127.0.0.1:{port}", name, code),
                i * args.stagger / max(1, len(names) - 1),
                row,
            ),
        )
        for i, (name, row) in enumerate(zip(names, rows, strict=True))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    sampler.stop.set()
    events = stored_events(folder, rows)
    checked = {r["learner"] for r in rows if r.get("checked")}
    until = time.monotonic() + 60  # a ✓ that takes longer than this is counted as never shown
    while not checked <= set(page.seen) and time.monotonic() < until:
        time.sleep(0.2)
    page.stop.set()
    page.join(30)
    for row in rows:
        if row.get("checked") and row["learner"] in page.seen:
            row["page_ms"] = round((page.seen[row["learner"]] - row["checked"]) * 1000)
    for row in rows:
        row["peak_rss_mb"] = round(sampler.learner_peak_mb[row["learner"]])
    closed = subprocess.run(
        [str(ROOT / "scripts" / "room"), "stop", "--folder", str(folder), "--remove-learners"],
        capture_output=True,
        text=True,
    )
    subprocess.run(["rm", "-rf", str(prefix)], check=False)
    args.out.mkdir(parents=True, exist_ok=True)
    fields = [
        "learner",
        "server_start_s",
        "fan_out_ratio",
        "kill_to_done_ms",
        "kills",
        "notified",
        "done_s",
        "peak_rss_mb",
        "events_sent",
        "events_stored",
        "event_max_ms",
        "page_ms",
        "error",
    ]
    with (args.out / f"room-{args.learners}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    ok = [r for r in rows if not r.get("error")]
    title = f"{args.learners} learners on one machine ({os.cpu_count()} cores), started over {args.stagger:g} s"
    (args.out / f"room-{args.learners}.svg").write_text(plot(rows, title))

    def median(key: str) -> str:
        values = [r[key] for r in ok if r.get(key) is not None]
        return f"{statistics.median(values):g} (max {max(values):g})" if values else "—"

    print(title)
    print(f"  all done in {wall:.0f} s; {len(ok)} of {len(rows)} learners without an error")
    print(f"  server start, s: {median('server_start_s')}")
    print(f"  fan-out wall ÷ slowest channel: {median('fan_out_ratio')}")
    print(f"  kill → order done, ms: {median('kill_to_done_ms')}")
    print(f"  per learner at peak, MB: {median('peak_rss_mb')}")
    sent = sum(r.get("events_sent", 0) for r in rows)
    print(
        f"  events: {sent} sent by the learners' kernels, {events['stored']} stored, "
        f"{events['lost']} lost, {events['misattributed']} under another learner's name; "
        f"kernel → service, ms: median {events['median_ms']}, max {events['max_ms']} "
        "(the instructor's page asks every second)"
    )
    shown = [r["page_ms"] for r in rows if r.get("page_ms") is not None]
    checked = [r for r in rows if r.get("checked")]
    print(
        f"  the instructor's page in chromium: {len(shown)} of {len(checked)} learners' ✓ shown; "
        f"check → on the page, ms: median {statistics.median(shown) if shown else '—'}, "
        f"max {max(shown, default='—')}; over 2 s: {sum(ms > 2000 for ms in shown)}"
        + (f"; page error: {page.error}" if page.error else "")
    )
    print(
        f"  machine at peak: CPU {sampler.cpu_peak:.0f} %, memory {sampler.mem_peak_mb:,.0f} MB "
        f"({sampler.mem_peak_mb - sampler.base_mb:,.0f} MB over the {sampler.base_mb:,.0f} MB before)"
    )
    split = sampler.cpu_by_kind()
    print(
        "  CPU seconds by kind of process: "
        + ", ".join(f"{k} {v:,.0f}" for k, v in split.items())
        + f" (of {wall * (os.cpu_count() or 1):,.0f} core-seconds)"
    )
    for r in rows:
        if r.get("error"):
            print(f"  ✗ {r['learner']}: {r['error']}")
    print(f"  {closed.stdout.strip() or closed.stderr.strip()}")
    return 0 if closed.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
