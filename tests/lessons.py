"""Run a lesson notebook in a real kernel, the way a learner would."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = (
    Path(__file__).resolve().parent.parent
)  # no pytest here: binder's test runs this in the Binder venv
NOTEBOOKS = ROOT / "notebooks"


CELL_LIMIT_S = 60  # no lesson cell may keep a room waiting longer, on any pass
PREDICTION = re.compile(r"^(my_\w+) = None\b.*$", re.MULTILINE)


def predictions_in(nb: nbformat.NotebookNode) -> list[str]:
    """The names of the guesses a lesson leaves for the learner (``my_... = None``)."""
    return [
        m.group(1) for c in nb.cells if c.cell_type == "code" for m in PREDICTION.finditer(c.source)
    ]


def answer(nb: nbformat.NotebookNode, answers: dict[str, str]) -> None:
    """Fill in the learner's guesses, as a learner would: every one must be given."""
    missing = [n for n in predictions_in(nb) if n not in answers]
    assert not missing, f"the test gives no answer for {missing}"
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = PREDICTION.sub(
                lambda m: f"{m.group(1)} = {answers[m.group(1)]}", cell.source
            )


def solve(nb: nbformat.NotebookNode, code: dict[str, str]) -> None:
    """Replace the practice cell that defines each function named in ``code`` with the given source."""
    for name, source in code.items():
        cells = [
            c
            for c in nb.cells
            if c.cell_type == "code" and c.source.startswith((f"def {name}(", f"async def {name}("))
        ]
        assert len(cells) == 1, f"no practice cell defines {name}"
        cells[0].source = source


def execute(
    name: str,
    probe: str,
    run_dir: Path,
    passes: int = 2,
    answers: dict[str, str] | None = None,
    code: dict[str, str] | None = None,
    again: int = 2,
) -> dict:
    """Run every cell of ``name`` as a room does, in one fresh kernel, then ``probe``.

    The first pass runs each code cell ``again`` times in a row (a learner re-running
    a cell); then the whole lesson is run ``passes - 1`` more times (Run All again).
    Twice in a row and once more in a Run All keeps CI's full run under 45 minutes.
    Every run must tell the same story: no cell may take over ``CELL_LIMIT_S``, and
    no cell may show an error.

    ``answers`` fills in the learner's guesses (``{"my_prediction_ms": "950"}``);
    without it they stay ``None``, as the lesson is committed. ``code`` puts a
    learner's code in an exercise's practice cell (``{"notify_fan_out": source}``). Fails on any
    error output. ``probe`` is Python run in the same kernel afterwards; it
    ends by printing one JSON line, which is returned, with ``_printed``: what each code
    cell printed on the last pass, by the cell's source.
    """
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    if answers is not None:
        answer(nb, answers)
    if code:
        solve(nb, code)
    client = NotebookClient(
        nb,
        timeout=180,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),  # lesson 8: its own
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    with client.setup_kernel(env={**os.environ, "LAB_RUN_DIR": str(run_dir)}):
        for n in range(passes):
            for index, cell in enumerate(nb.cells):
                for time_ in range(again if n == 0 and cell.cell_type == "code" else 1):
                    if cell.cell_type != "code":
                        continue
                    where = f"{name} pass {n + 1}, cell {index}, run {time_ + 1}"
                    began = time.monotonic()
                    client.execute_cell(cell, index)
                    took = time.monotonic() - began
                    errors = [o for o in cell.outputs if o.output_type == "error"]
                    assert not errors, f"{where}: {errors[0].ename}: {errors[0].evalue}"
                    assert took < CELL_LIMIT_S, f"{where}: {took:.0f} s"
        probe_cell = nbformat.v4.new_code_cell(probe)
        nb.cells.append(probe_cell)
        client.execute_cell(probe_cell, len(nb.cells) - 1)
    text = "".join(o.get("text", "") for o in probe_cell.outputs if o.output_type == "stream")
    found = json.loads(text.strip().splitlines()[-1])
    # What each code cell printed on the last pass, by its source: what the learner reads.
    found["_printed"] = {
        cell.source: "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        for cell in nb.cells[:-1]
        if cell.cell_type == "code"
    }
    return found
