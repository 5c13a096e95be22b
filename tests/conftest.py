from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab import Lab  # noqa: E402


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    """A lab on the embedded store with its own ledger file."""
    return Lab(workers=4, ledger=tmp_path / "ledger.sqlite")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
