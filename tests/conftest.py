from __future__ import annotations

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
