"""The exercises' checks, on real runs: the solution passes every time, the practice as
given fails with its reason, and a corpus of answers — right ones written in several
ways, wrong ones as a room writes them — gets the expected verdict with a true reason
(``tests/exercise_corpus.py``). Each answer is a whole cell, loaded from a file, and
goes through the same ``check()`` a learner calls.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import nbformat
import pytest

from lab.checks.exercises import EXERCISES, fan_out
from lab.checks.verdicts import load_file
from tests.exercise_corpus import CORPUS, fan, ids, wf
from tests.lessons import NOTEBOOKS

LESSON = {
    "push_first": "01_sequential.ipynb",
    "fan_out": "02_fan_out.ipynb",
    "branch_ids": "03_push_failures.ipynb",
    "idempotency_key": "04_worker_kills.ipynb",
    "redelivery": "05_server_crash.ipynb",
    "fallback": "07_deadlines.ipynb",
}
SOLUTION_RUNS = int(os.environ.get("LAB_SOLUTION_RUNS", "5"))  # CI: 5 in a row
_cells = itertools.count()
TIMES: list[tuple[str, str, str, str, float]] = []


@pytest.fixture(autouse=True)
def _run_dir(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LAB_RUN_DIR", str(tmp_path))
    monkeypatch.delenv("RESONATE_HOST", raising=False)
    yield
    # A redelivery check starts lesson 5's server and workers for this run folder: stop them,
    # or 28 checks leave 28 servers and 56 workers loading the machine for every later test.
    from lab.clusters.crash import _servers, retire

    for key, server in list(_servers.items()):
        if key[1] == str(tmp_path):
            retire(server)
            del _servers[key]


def as_typed(cell: str, function: str, folder: Path) -> Any:
    """The function a cell defines, loaded from a file of its own, as a kernel runs a cell."""
    path = folder / f"answer_{next(_cells)}.py"
    path.write_text(cell)
    return load_file(path, path.stem, function)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_solution_passes_every_time(name: str) -> None:
    exercise = EXERCISES[name]
    for n in range(SOLUTION_RUNS):
        verdict = exercise.check(exercise.load("solution"), quiet=True)
        assert verdict.status == "passed", f"run {n + 1}: {verdict.failing()}"
        assert str(verdict).splitlines()[0] == f"{name}: passed ✓"
    assert not verdict.as_given


EXPECTED_REASON = {
    "push_first": "push waits for every channel started before it",
    "fan_out": "≈ the sum of the channels",
    "branch_ids": "push 0×",
    "idempotency_key": "no key was sent",
    "redelivery": "started notify/",
    "fallback": "the SDK gave up (no retry fits)",
}


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_practice_as_given_fails_with_its_reason(name: str) -> None:
    exercise = EXERCISES[name]
    verdict = exercise.check(exercise.load("practice"), quiet=True)
    assert verdict.status == "failed" and verdict.as_given
    assert str(verdict).splitlines()[0] == f"{name}: not yet ✗"
    assert any(EXPECTED_REASON[name] in text for text in verdict.failing()), verdict.failing()


@pytest.mark.parametrize(
    ("name", "case"),
    [(name, case) for name, cases in CORPUS.items() for case in cases],
    ids=[f"{name}: {case.label}" for name, cases in CORPUS.items() for case in cases],
)
def test_the_corpus_gets_its_verdict(name: str, case: Any, tmp_path: Path) -> None:
    exercise = EXERCISES[name]
    began = time.monotonic()
    verdict = exercise.check(as_typed(case.cell, exercise.function, tmp_path), quiet=True)
    took = time.monotonic() - began
    TIMES.append((name, case.label, case.expected, verdict.status, took))
    print(f"{name} | {case.label} | {case.expected} | {verdict.status} | {took:.1f} s")
    assert verdict.status == case.expected, str(verdict)
    if case.expected == "failed":
        assert case.reason in verdict.failing()[0], str(verdict)
        assert all(len(t.splitlines()) == 1 for t in verdict.failing())  # one line each
    assert took < 45, f"the check took {took:.0f} s"


def test_no_fallback_sent_passes_nothing_about_the_fallbacks_id(tmp_path: Path) -> None:
    """Nothing was sent as a fallback: no ✓ may speak of the fallback's id on a replay."""
    case = next(c for c in CORPUS["fallback"] if c.label == "the SMS branch's id")
    exercise = EXERCISES["fallback"]
    verdict = exercise.check(as_typed(case.cell, exercise.function, tmp_path), quiet=True)
    assert "no fallback SMS was sent" in verdict.failing()[0], str(verdict)
    assert not [c for c in verdict.criteria if c.ok and "fallback's id" in c.text], str(verdict)


def test_a_kernel_stalled_during_the_fallback_still_passes_a_right_answer(tmp_path: Path) -> None:
    """The machine stops the kernel for 0.8 s while the fallback SMS is on its way (SIGSTOP
    from outside, as a busy room's CPU or a long collection does): the order ends late, and
    the solution still passes, since the check judges push's deadline and how soon the
    fallback followed, not the order's total."""
    exercise, fallbacks = EXERCISES["fallback"], []

    def stall_at_the_first_fallback() -> None:
        ledger = tmp_path / "checks.sqlite"
        while not fallbacks:
            try:  # read-only: never make the check's ledger before it does
                with closing(sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5)) as db:
                    sms = db.execute("SELECT COUNT(*) FROM attempts WHERE channel = 'sms'")
                    if sms.fetchone()[0] >= 2:
                        stop = f"sleep 0.05; kill -STOP {os.getpid()}; sleep 0.8; kill -CONT {os.getpid()}"
                        fallbacks.append(subprocess.Popen(["sh", "-c", stop]))
            except sqlite3.OperationalError:  # no ledger yet, or not its tables (CI saw both)
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=stall_at_the_first_fallback, daemon=True)
    watcher.start()
    try:
        verdict = exercise.check(exercise.load("solution"), quiet=True)
    finally:
        fallbacks.append(None)  # the watcher stops
    assert fallbacks[0] is not None and fallbacks[0].wait(10) == 0
    hung = verdict.run.trials["push hangs"].run
    assert hung.wall_ms > 2800, f"the stall missed the order: {hung.wall_ms} ms"
    assert verdict.status == "passed", str(verdict)


def test_a_second_check_of_fixed_ids_names_the_shared_id(tmp_path: Path) -> None:
    """A learner re-runs the check cell: the second order finds the first check's promises
    under the same fixed ids and nothing runs. The verdict says so, not "never called"."""
    cell = wf("notify_fan_out", fan(ids('"{c}"')))
    for n in (1, 2):
        verdict = fan_out.check(as_typed(cell, fan_out.function, tmp_path), quiet=True)
        assert verdict.status == "failed", f"check {n}: {verdict}"
        assert "another order used the same id" in verdict.failing()[0], f"check {n}: {verdict}"
        assert len(verdict.failing()) == 1, f"check {n}: nothing ran, so nothing else is judged"


def test_nothing_defined_is_not_attempted_not_a_failure() -> None:
    verdict = fan_out.check(quiet=True)  # no notify_fan_out in __main__
    assert verdict.status == "not attempted" and verdict.passed is None and verdict.run is None
    assert str(verdict) == "fan_out: not attempted yet"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_lesson_shows_the_practice_file(name: str) -> None:
    """The practice cell and practice.py are one starting point: they must not drift apart."""
    nb = nbformat.read(NOTEBOOKS / LESSON[name], as_version=4)
    exercise = EXERCISES[name]
    cells = [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and c.source.startswith(f"def {exercise.function}(")
    ]
    assert cells == [exercise.practice_source()]
    assert any(c.source.strip() == f"{name}.check()" for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_exercise_is_one_folder(name: str) -> None:
    folder = EXERCISES[name].folder
    for part in ("README.md", "practice.py", "solution.py", "check.py"):
        assert (folder / part).is_file(), f"exercises/{name}/{part}"
