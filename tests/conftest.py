from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab import Lab  # noqa: E402
from lab.servers.v09 import binary as server09_binary  # noqa: E402

needs_server09 = pytest.mark.skipif(
    server09_binary() is None,
    reason="needs the Resonate server v0.9.8 (scripts/install-server.sh v0.9)",
)


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in HEAVY:
            item.add_marker(pytest.mark.heavy)


def chromium() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail(
            "chromium not found: scripts/test installs Debian's chromium, or set CHROMIUM=/path/to/chromium"
        )
    return path
