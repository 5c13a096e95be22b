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
    tables = clone / "lab" / "draw" / "tables.py"
    tables.write_text(
        tables.read_text().replace("from html import escape", "import os\nfrom html import escape")
    )
    lint = run(clone, RUFF, "check", ".")
    assert lint.returncode == 1 and "F401" in lint.stdout
    tables.write_text(tables.read_text().replace("import os\n", "") + "\nx = {  'a':1 }\n")
    fmt = run(clone, RUFF, "format", "--check", ".")
    assert fmt.returncode == 1 and "lab/draw/tables.py" in fmt.stdout


def test_lab_is_in_layers_and_no_module_is_over_300_lines(tmp_path: Path) -> None:
    from tests.layers import LAYERS, long_modules, upward_imports

    assert upward_imports(ROOT) == []
    assert long_modules(ROOT) == []
    top = sorted(p.name for p in (ROOT / "lab").iterdir() if p.name != "__pycache__")
    assert top == sorted(["__init__.py", *(f"{name}.py" for name in LAYERS[:2]), *LAYERS[2:]])
    # The checks can fail: a chart that imports a panel, a module grown past the bound.
    copy = tmp_path / "lab"
    for path in (ROOT / "lab").rglob("*.py"):
        (copy / path.relative_to(ROOT / "lab")).parent.mkdir(parents=True, exist_ok=True)
        (copy / path.relative_to(ROOT / "lab")).write_text(path.read_text())
    tables = copy / "draw" / "tables.py"
    tables.write_text(tables.read_text() + "\nfrom lab.widgets.panel import Panel\n" + "#\n" * 300)
    assert upward_imports(tmp_path) == [
        f"lab/draw/tables.py:{len(tables.read_text().splitlines()) - 300} imports lab.widgets.panel"
    ]
    assert long_modules(tmp_path) == [
        f"lab/draw/tables.py: {len(tables.read_text().splitlines())} lines"
    ]
