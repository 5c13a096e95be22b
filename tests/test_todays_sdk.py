"""Lesson 8's exercise, port_fan_out, judged in the resonate-sdk 0.8 venv (it runs only there).

Each answer runs through the same ``check()`` a learner calls, in a driver process
on ``.venv-sdk08`` (``scripts/sdk08.sh``): the solution several times in a row,
the practice code as given, and the corpus of answers written other ways.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.exercise_corpus08 import PORT_FAN_OUT

PYTHON08 = ROOT / ".venv-sdk08" / "bin" / "python"
SOLUTION_RUNS = int(os.environ.get("LAB_SOLUTION_RUNS", "10"))

DRIVER = """
import json, sys
from pathlib import Path
sys.path.insert(0, {root!r})
import lab.sdk08
from lab.exercises import port_fan_out
from lab.verdicts import load_file
for i, (label, cell) in enumerate(json.loads(Path({cases!r}).read_text())):
    if cell in ("solution", "practice"):
        fn = port_fan_out.load(cell)
    else:
        path = Path({folder!r}) / f"answer_{{i}}.py"
        path.write_text(cell)
        fn = load_file(path, path.stem, "notify_port")
    v = port_fan_out.check(fn, quiet=True, live=False)
    print("VERDICT " + json.dumps([label, v.status, v.failing(), v.as_given, str(v).splitlines()[0]]), flush=True)
"""


def judge(cases: list[tuple[str, str]], tmp_path: Path) -> dict[str, tuple]:
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run(
        [
            str(PYTHON08),
            "-c",
            DRIVER.format(root=str(ROOT), cases=str(tmp_path / "cases.json"), folder=str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "LAB_RUN_DIR": str(tmp_path / "runs")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    verdicts = [
        json.loads(line[8:]) for line in done.stdout.splitlines() if line.startswith("VERDICT ")
    ]
    assert len(verdicts) == len(cases), done.stdout[-2000:]
    return {label: tuple(rest) for label, *rest in verdicts}


@pytest.fixture(scope="module")
def sdk08() -> Path:
    if not PYTHON08.is_file():
        pytest.fail(".venv-sdk08 is missing: scripts/test makes it (scripts/sdk08.sh)")
    return PYTHON08


def test_the_solution_passes_every_time_and_the_practice_fails_with_its_reason(
    sdk08: Path, tmp_path: Path
) -> None:
    runs = [(f"solution {n + 1}", "solution") for n in range(SOLUTION_RUNS)]
    found = judge([*runs, ("practice", "practice")], tmp_path)
    for label, _ in runs:
        status, failing, as_given, first = found[label]
        assert status == "passed" and first == "port_fan_out: passed ✓", (label, failing)
        assert not as_given
    status, failing, as_given, first = found["practice"]
    assert status == "failed" and as_given and first == "port_fan_out: not yet ✗"
    assert "≈ the sum" in failing[0], failing


def test_the_corpus_gets_its_verdict(sdk08: Path, tmp_path: Path) -> None:
    found = judge([(case.label, case.cell) for case in PORT_FAN_OUT], tmp_path)
    for case in PORT_FAN_OUT:
        status, failing, _, _ = found[case.label]
        assert status == case.expected, (case.label, failing)
        if case.expected == "failed":
            assert case.reason in failing[0], (case.label, failing)
            assert all(len(t.splitlines()) == 1 for t in failing)
