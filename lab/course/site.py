"""The lessons as a static site: every notebook executed here, rendered to HTML with its real outputs.

    scripts/site [FOLDER]          # default: site/ ; open FOLDER/index.html

For learners who read before or after the workshop, without a kernel. Each
lesson runs top to bottom in a fresh kernel with ``LAB_STATIC=1``: timelines
are then displayed as plain HTML (SVG) replaced by the finished chart, so
they render with no widget state; tables are HTML already. Guesses stay
unfilled and exercises run as given (their ✗ verdicts show what a check
says). The widget panels need a live kernel and are left out of the pages.

Each page is checked before the index is written: no error output, every
lesson from 1 on has a timeline, and each lesson's key figures are on it.
The index lists how long each lesson's cells took to run here.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lab.paths import PROJECT

NOTEBOOKS = PROJECT / "notebooks"

# What each page must show: measured figures, read off the real outputs.
KEY_FIGURES = {
    "00_welcome": [
        r"Environment check",
        r"'email': \d{3}",
        r"✓ a real fan-out run: 4 channels in \d+ ms",
    ],
    "01_sequential": [r"done: \d+ ms", r"4/4 channels notified", r"push_first: not yet ✗"],
    "02_fan_out": [
        r"fan-out wall\s+\d+ ms",
        r"speedup\s+[\d.]+x",
        r"Durable promises in the store",
    ],
    "03_push_failures": [r"retry after \d+ ms", r"may have arrived", r"Send ledger"],
    "04_worker_kills": [
        r"kill → done: \d+ ms",
        r"✗ killed the worker running email \(pid \d+\)",
        r"Send ledger",
    ],
    "05_server_crash": [
        r"restart → done: \d+ ms",
        r"no promise",
        r"stored before the crash, then re-sent: nothing",
    ],
    "06_scaling": [r"embedded, 4 workers: wall against N", r"ms/branch over ideal", r"orders/s"],
    "07_deadlines": [r"is still pending", r"missed: no answer within", r"after the deadline"],
    "08_todays_sdk": [
        r"straight port wall\s+\d+ ms",
        r"fixed / slowest",
        r"email's message",
        r"kill → done: \d+ ms",
        r"ran again \(in flight when killed\): email, sms",
    ],
}


@dataclass
class Page:
    name: str
    title: str
    seconds: float
    words: int
    problems: list[str]
    widgets: bool = False  # a panel that needs a live kernel (left out of the page)


def needs_a_kernel(nb: object) -> bool:
    """Does the lesson have a widget panel (``…Panel(``), which only a live kernel can run?"""
    return any(c.cell_type == "code" and "Panel(" in c.source for c in nb.cells)


def launch_bar(notebook: str, widgets: bool, repo: str | None) -> str:
    """The links that open this lesson live: Binder (this lesson) and Codespaces; none unnamed."""
    from lab.course.launch import HOW_TO_NAME, binder_url, codespaces_url

    why = " — its panel needs a live kernel" if widgets else ""
    style = "font-family:sans-serif;padding:8px 12px;border-bottom:1px solid #888"
    if repo is None:
        return f"<nav class='lab-launch' style='{style}'>To open this lesson live{why}: {HOW_TO_NAME}</nav>"
    return (
        f"<nav class='lab-launch' style='{style}'>Open this lesson live"
        f"{why}: <a class='binder' href='{html.escape(binder_url(notebook, repo))}'>on Binder</a> · "
        f"<a class='codespaces' href='{html.escape(codespaces_url(repo))}'>in GitHub Codespaces</a> "
        f"(then open <code>my-work/{html.escape(notebook)}</code>)</nav>"
    )


def _title(nb: object) -> str:
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    return first.splitlines()[0].lstrip("# ").strip() if first else ""


def _errors(nb: object) -> list[str]:
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif (
                out.get("output_type") == "stream"
                and out.get("name") == "stderr"
                and out.get("text", "").strip()
            ):
                found.append(f"cell {i} wrote to stderr: {out['text'].strip()[:200]}")
    return found


def build_page(path: Path, out: Path, repo: str | None = None) -> Page:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),  # lesson 8: its own
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    began = time.monotonic()
    client.execute()
    seconds = time.monotonic() - began
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    widgets = needs_a_kernel(nb)
    body = re.sub(
        r"(<body[^>]*>)", lambda m: m.group(1) + launch_bar(path.name, widgets, repo), body, count=1
    )
    (out / f"{path.stem}.html").write_text(body)
    problems = _errors(nb)
    text = html.unescape(body)
    chart = "lab-scaling" if path.stem == "06_scaling" else "lab-timeline"
    if path.stem != "00_welcome" and chart not in body:
        problems.append("no timeline on the page")
    problems += [
        f"key figure missing: /{pattern}/"
        for pattern in KEY_FIGURES.get(path.stem, [])
        if not re.search(pattern, text)
    ]
    words = sum(len(c.source.split()) for c in nb.cells if c.cell_type == "markdown")
    return Page(path.stem, _title(nb), seconds, words, problems, widgets)


def build(out: Path, names: list[str] | None = None) -> list[Page]:
    """Execute and render every lesson (or ``names``) into ``out``; returns the pages with any problems."""
    out.mkdir(parents=True, exist_ok=True)
    os.environ["LAB_STATIC"] = "1"  # the kernels inherit it
    os.environ.setdefault("LAB_RUN_DIR", str(out / ".runs"))
    from lab.course.launch import HOW_TO_NAME, binder_url, repository

    repo = repository()
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    pages = [build_page(p, out, repo) for p in paths if names is None or p.stem in names]

    def live(p: Page) -> str:
        return (
            f"<a href='{html.escape(binder_url(p.name + '.ipynb', repo))}'>Binder</a>"
            if repo
            else "—"
        )

    links = "each page links to itself on Binder and Codespaces" if repo else HOW_TO_NAME
    rows = "".join(
        f"<tr><td><a href='{p.name}.html'>{html.escape(p.title)}</a></td><td>{p.seconds:.0f} s</td>"
        f"<td>{p.words} words (~{p.words / 130:.0f} min read aloud)</td>"
        f"<td>{'a panel: needs a live kernel' if p.widgets else 'reads as is'}</td>"
        f"<td>{live(p)}</td></tr>"
        for p in pages
    )
    (out / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>Durable fan-out/fan-in with Resonate — the lessons</title>"
        "<style>body{font-family:sans-serif;max-width:760px;margin:2em auto}td{padding:4px 12px}</style>"
        "<h1>Durable fan-out/fan-in with Resonate</h1><p>Every lesson as it ran here, with its real outputs "
        f"(built {time.strftime('%Y-%m-%d %H:%M')}). The widget panels need a live kernel: open the notebooks in "
        f"JupyterLab to click them ({links}).</p><table><tr>"
        "<th>lesson</th><th>cells ran in</th><th>narrative</th><th>widgets</th><th>live</th></tr>"
        f"{rows}</table>"
    )
    (out / "pages.json").write_text(json.dumps([p.__dict__ for p in pages], indent=1))
    return pages


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    out = Path(args[0] if args else "site").resolve()
    pages = build(out)
    bad = False
    for p in pages:
        print(f"{'✓' if not p.problems else '✗'} {p.name}: {p.seconds:.0f} s, {p.words} words")
        for problem in p.problems:
            print(f"    {problem}")
            bad = True
    print(f"{out / 'index.html'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
