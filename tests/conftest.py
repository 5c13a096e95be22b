from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab import Lab  # noqa: E402
from lab.servers.v09 import binary as server09_binary  # noqa: E402


def server09_built(timeout: float = 1200) -> str | None:
    """Lesson 8's server, waited for while ``scripts/install-server.sh v0.9`` builds it.

    ``scripts/test`` builds it beside the first tests (a cargo build, ~4 min cold); the
    install holds ``tools/bin/.install-v0.9.lock`` until the binary is in place.
    """
    lock = ROOT / "tools" / "bin" / ".install-v0.9.lock"
    deadline = time.monotonic() + timeout
    while server09_binary() is None and lock.exists() and time.monotonic() < deadline:
        with lock.open() as held:
            try:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # still building
                time.sleep(1)
                continue
        break  # nobody is building it
    return server09_binary()


@pytest.fixture
def server09() -> str:
    found = server09_built()
    if found is None:
        pytest.skip("needs the Resonate server v0.9.8 (scripts/install-server.sh v0.9)")
    return found


needs_server09 = pytest.mark.usefixtures("server09")


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    """A lab on the embedded store with its own ledger file."""
    return Lab(workers=4, ledger=tmp_path / "ledger.sqlite")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=lessons", "-c", "user.email=lessons@localhost", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def clone_of_working_tree(dest: Path) -> Path:
    """A git repository holding the working tree as it is (committed or not), set up like a learner's clone."""
    files = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "the lessons as a learner clones them")
    return dest


# How CI runs these at once (scripts/test). The heavy files install or build whole
# environments (pip, Go, npm) or drive a browser: they run after the lessons' timing tests,
# never beside them, since their CPU would disturb what the lessons measure. The hub's file
# and the browser's each share one module fixture (a hub with its Unix users; a JupyterLab
# whose lessons the last test reads), so each runs in a pytest of its own rather than spread
# over workers: pytest-xdist's groups do nothing with pytest 9.2 (xdist 3.8 writes a test's
# group into the old node id attribute, which pytest 9.2 no longer reads).
HEAVY = {
    "test_binder",
    "test_browser",
    "test_hub",
    "test_site",
    "test_commands",
    "test_house_style",
}


# Timing tests bound by the CPU, not by waiting: lesson 6's cost model times 32 threads'
# waves, and beside three other timing tests on two cores 32 workers took 472 ms against
# 4 workers' 286 (CI; the lesson's claim is < 1.6×). They run alone, after the browser.
ALONE = {
    "test_scaling_lesson_measures_the_cost_model",
    # Lesson 2 on a server: about ten HTTP hops on the critical path, each 2-3x longer when
    # other lessons share the two cores (alone 0.52 x the sum, beside three busy loops 0.62,
    # four lessons at once 0.89: issue 33, item 19). Alone, it is held to the embedded ratio.
    "test_fan_out_runs_in_parallel_and_needs_workers[server]",
    # Lesson 4's scripted kill: email's worker once push is confirmed. Push is the fourth
    # branch the workflow creates, one HTTP create after another, so it starts ~100 ms after
    # email and is confirmed ~150 ms before email ends (alone, 8 orders). Beside four other
    # timing tests each create took 2-3x longer and, twice in one CI run, email ended first.
    "test_the_lessons_scripted_kill_holds_ten_times_in_a_row",
    "test_worker_kills_lesson_kills_a_worker_and_finishes_the_order",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in HEAVY:
            item.add_marker(pytest.mark.heavy)
        if item.originalname in ALONE or item.name in ALONE:
            item.add_marker(pytest.mark.alone)


def chromium() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail(
            "chromium not found: scripts/test installs Debian's chromium, or set CHROMIUM=/path/to/chromium"
        )
    return path
