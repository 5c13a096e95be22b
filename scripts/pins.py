"""The README's "last verified" line: the pinned versions a room gets, and when they were pinned.

    python scripts/pins.py --write   # scripts/lock: after pinning, today's date and the versions
    python scripts/pins.py --check   # scripts/lock --check (CI, every run): the line names the locks' versions

The versions are read from requirements.lock (resonate-sdk, JupyterLab, ipywidgets),
requirements-sdk08.lock (lesson 8's kernel), lab/servers/legacy.py (the legacy server,
with the number of patches the build applies) and lab/servers/v09.py (lesson 8's
server, built from its vendored source).
"""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- pins: written by scripts/lock -->", "<!-- /pins -->"


def versions() -> str:
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {
        name: re.search(rf"^{name}==([\w.]+)", lock, re.M).group(1)
        for name in ("resonate-sdk", "jupyterlab", "ipywidgets")
    }
    sdk08 = re.search(
        r"^resonate-sdk==([\w.]+)", (ROOT / "requirements-sdk08.lock").read_text(), re.M
    ).group(1)
    server = re.search(
        r'^VERSION = "([\w.]+)"', (ROOT / "lab" / "servers" / "legacy.py").read_text(), re.M
    )
    patches = len(list((ROOT / "scripts" / "patches").glob("*.patch")))
    server09 = re.search(
        r'^VERSION = "([\w.]+)"', (ROOT / "lab" / "servers" / "v09.py").read_text(), re.M
    ).group(1)
    return (
        f"resonate-sdk {pinned['resonate-sdk']}, the legacy Resonate server v{server.group(1)} "
        f"(+{patches} patch{'es' if patches != 1 else ''}), JupyterLab {pinned['jupyterlab']}, "
        f"ipywidgets {pinned['ipywidgets']}; lesson 8's kernel resonate-sdk {sdk08} "
        f"(its local connection, and the Resonate server v{server09} for its worker kill)"
    )


def line(day: str) -> str:
    return (
        f"{START}\n**Last verified {day}** with {versions()}: pinned by `scripts/lock` that day; "
        f"CI runs every test against exactly these on every change, and fails if this line no "
        f"longer names the locked versions.\n{END}"
    )


def main(argv: list[str]) -> int:
    readme = ROOT / "README.md"
    text = readme.read_text()
    found = re.search(
        re.escape(START) + r"\n\*\*Last verified ([\d-]+)\*\*.*?" + re.escape(END), text, re.S
    )
    if argv == ["--write"]:
        block = re.search(re.escape(START) + r".*?" + re.escape(END), text, re.S)
        if not block:
            print(f"pins: README.md has no {START} … {END} block", file=sys.stderr)
            return 1
        readme.write_text(text.replace(block.group(0), line(datetime.date.today().isoformat())))
        return 0
    if argv == ["--check"]:
        if not found or found.group(0) != line(found.group(1)):
            print(
                f"pins: README.md's last-verified line does not name {versions()}: run scripts/lock",
                file=sys.stderr,
            )
            return 1
        print(f"pins: README.md names {versions()} (last verified {found.group(1)})")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
