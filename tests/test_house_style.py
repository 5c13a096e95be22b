"""The lock check and the house style fail when they should (scripts/test runs both first)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, clone_of_working_tree

RUFF = str(ROOT / ".venv" / "bin" / "ruff")
UV = str(ROOT / ".venv" / "bin" / "uv")


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    return clone_of_working_tree(tmp_path / "clone")


def run(clone: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        args, cwd=clone, capture_output=True, text=True, timeout=300, env={**os.environ, **env}
    )


def test_the_locks_match_and_a_drifted_pyproject_fails(clone: Path) -> None:
    assert run(clone, "scripts/lock", "--check", UV=UV).returncode == 0
    pyproject = clone / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            '"nest-asyncio>=1.6",', '"nest-asyncio>=1.6",\n    "six>=1.16",'
        )
    )
    drifted = run(clone, "scripts/lock", "--check", UV=UV)
    assert drifted.returncode == 1
    assert "requirements.lock no longer matches pyproject.toml; run scripts/lock" in drifted.stderr
    assert "six==" in drifted.stderr  # the diff names what would change


def test_ruff_fails_on_a_lint_error_and_on_unformatted_code(clone: Path) -> None:
    assert run(clone, RUFF, "check", ".").returncode == 0
    assert run(clone, RUFF, "format", "--check", ".").returncode == 0
    tables = clone / "lab" / "tables.py"
    tables.write_text(
        tables.read_text().replace("from html import escape", "import os\nfrom html import escape")
    )
    lint = run(clone, RUFF, "check", ".")
    assert lint.returncode == 1 and "F401" in lint.stdout
    tables.write_text(tables.read_text().replace("import os\n", "") + "\nx = {  'a':1 }\n")
    fmt = run(clone, RUFF, "format", "--check", ".")
    assert fmt.returncode == 1 and "lab/tables.py" in fmt.stdout
