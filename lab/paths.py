"""Where the lab keeps what it writes: the run folder (ledger, servers' files, logs).

A module of its own, importing no SDK, so lesson 8's kernel (resonate-sdk 0.8)
files its runs where the 0.6 lessons do.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def run_dir() -> Path:
    """``$LAB_RUN_DIR``, else ``.lab-runs`` in the project: the ledger, the server's file, the logs."""
    return Path(os.environ.get("LAB_RUN_DIR", PROJECT / ".lab-runs"))


def default_ledger_path() -> Path:
    return run_dir() / "ledger.sqlite"
