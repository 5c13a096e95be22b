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

from tests.conftest import ROOT, needs_server09
from tests.exercise_corpus08 import PORT_FAN_OUT

PYTHON08 = ROOT / ".venv-sdk08" / "bin" / "python"
SOLUTION_RUNS = int(os.environ.get("LAB_SOLUTION_RUNS", "5"))

DRIVER = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
import lab.orders.sdk08
from lab.checks.exercises import port_fan_out
from lab.checks.verdicts import load_file
for i, (label, cell) in enumerate(json.loads(Path({cases!r}).read_text())):
    if cell in ("solution", "practice"):
        fn = port_fan_out.load(cell)
    else:
        path = Path({folder!r}) / f"answer_{{i}}.py"
        path.write_text(cell)
        fn = load_file(path, path.stem, "notify_port")
    began = time.monotonic()
    v = port_fan_out.check(fn, quiet=True, live=False)
    took = time.monotonic() - began
    print("VERDICT " + json.dumps([label, v.status, v.failing(), v.as_given, str(v).splitlines()[0], took]), flush=True)
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
        status, failing, as_given, first, _ = found[label]
        assert status == "passed" and first == "port_fan_out: passed ✓", (label, failing)
        assert not as_given
    status, failing, as_given, first, _ = found["practice"]
    assert status == "failed" and as_given and first == "port_fan_out: not yet ✗"
    assert "≈ the sum" in failing[0], failing


def test_the_corpus_gets_its_verdict(sdk08: Path, tmp_path: Path) -> None:
    found = judge([(case.label, case.cell) for case in PORT_FAN_OUT], tmp_path)
    for case in PORT_FAN_OUT:
        status, failing, _, _, seconds = found[case.label]
        assert status == case.expected, (case.label, failing)
        if case.expected == "failed":
            assert case.reason in failing[0], (case.label, failing)
            if " raised " in case.reason:  # the learner's error, within seconds: not a 30 s timeout
                assert seconds < 8, (case.label, seconds)
            assert all(len(t.splitlines()) == 1 for t in failing)
            said = [t for t in failing if "{" in t or "['" in t]  # a sentence, not a repr
            assert not said, (case.label, said)


REFUSALS = """
import asyncio, json, os, sys
sys.path.insert(0, {root!r})
from lab.clusters.cluster08 import Cluster08

def one_line(call):
    try:
        call()
    except Exception as e:  # every refusal renders as one line in a notebook
        return [type(e).__name__, e._render_traceback_()]
    return None

async def main():
    os.environ["RESONATE_SERVER09_BIN"] = "/nonexistent/resonate"
    missing = one_line(Cluster08)
    del os.environ["RESONATE_SERVER09_BIN"]
    bad = {{"processes=1": one_line(lambda: Cluster08(processes=1)),
           'ttl="2"': one_line(lambda: Cluster08(ttl="2"))}}
    cluster = Cluster08()
    before = len(cluster.ledger._read("SELECT id FROM attempts", ()))
    for what, options in {{'kill_after="fax"': {{"kill_after": "fax"}}, "timeout=-1": {{"timeout": -1}},
                          "a bad event": {{"event": {{"order_id": 1}}}}}}.items():
        try:
            await cluster.run(**options)
        except Exception as e:
            bad[what] = [type(e).__name__, e._render_traceback_()]
    await asyncio.sleep(1)  # anything submitted by mistake would have run by now
    after = len(cluster.ledger._read("SELECT id FROM attempts", ()))
    print("RESULT " + json.dumps({{"missing": missing, "bad": bad, "ran": after - before}}))
    os._exit(0)

asyncio.run(main())
"""


@needs_server09
def test_lesson_8s_cluster_refuses_in_one_line_and_submits_nothing(
    sdk08: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [str(sdk08), "-c", REFUSALS.format(root=str(ROOT))],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "LAB_RUN_DIR": str(tmp_path / "runs")},
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout[-2000:] + done.stderr[-2000:]
    found = json.loads(lines[-1][7:])
    name, rendered = found["missing"]
    assert name == "Server09Unavailable" and len(rendered) == 1, found
    assert "scripts/install-server.sh v0.9" in rendered[0], rendered
    for what, (name, rendered) in found["bad"].items():
        assert name in ("Refused", "InvalidEvent"), what
        assert len(rendered) == 1 and "\n" not in rendered[0], what
    assert set(found["bad"]) == {
        "processes=1",
        'ttl="2"',
        'kill_after="fax"',
        "timeout=-1",
        "a bad event",
    }
    assert found["ran"] == 0  # a refused call ran nothing
