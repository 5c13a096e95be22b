"""The README's two commands, run exactly as a learner types them.

``scripts/lessons --no-browser --port N`` must answer on port N, as root (the
usual workshop VM or container) and as an ordinary user, offering lesson 8's
kernel ("Python 3 (resonate-sdk 0.8)") beside the lessons' own; ``--help`` must
print its usage. ``scripts/test`` is CI's own command; here it runs once more
with arguments, as the README says it takes them.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port


def _serve_lessons(tmp_path: Path, prefix: list[str]) -> str:
    """Run ``scripts/lessons --no-browser --port N`` (behind ``prefix``) until it answers; return its log."""
    port = free_port()
    home = tmp_path / "home"
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
    }
    log = tmp_path / "lessons.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*prefix, str(ROOT / "scripts" / "lessons"), "--no-browser", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(
                    f"scripts/lessons exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
                )
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=2).close()
            except urllib.error.HTTPError:
                break  # it answered (a login page is an answer)
            except OSError:
                time.sleep(0.5)
                continue
            break
        else:
            pytest.fail(
                f"scripts/lessons did not answer on port {port} within 90 s:\n{log.read_text()[-3000:]}"
            )
        specs = _kernelspecs(port, log.read_text())
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            proc.wait(20)
    assert "resonate-sdk-08" in specs, f"lesson 8's kernel is not registered: {sorted(specs)}"
    assert specs["resonate-sdk-08"]["spec"]["display_name"] == "Python 3 (resonate-sdk 0.8)"
    return log.read_text()


def _kernelspecs(port: int, log: str) -> dict:
    """The kernels this JupyterLab offers (its REST API, with the token it printed)."""
    import json
    import re

    token = re.search(r"\?token=(\w+)", log)
    url = f"http://127.0.0.1:{port}/api/kernelspecs" + (f"?token={token.group(1)}" if token else "")
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.load(answer)["kernelspecs"]


def test_lessons_help_prints_usage() -> None:
    done = subprocess.run(
        [ROOT / "scripts" / "lessons", "--help"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert "scripts/lessons --no-browser --port 8899" in done.stdout
    assert "as root" in done.stdout and "my-work/" in done.stdout
    assert "pip" not in done.stdout + done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: the workshop VM case")
def test_lessons_command_as_root_answers_on_its_port(tmp_path: Path) -> None:
    log = _serve_lessons(
        tmp_path, []
    )  # JupyterLab refuses to start as root unless told --allow-root
    # The link it prints opens lesson 0 in the learner's own copy, not the Launcher.
    assert "/lab/tree/my-work/00_welcome.ipynb?token=" in log, log[-2000:]
    assert (ROOT / "my-work" / "00_welcome.ipynb").is_file()


def test_working_copies_are_made_once_and_reset_on_request(tmp_path: Path) -> None:
    from lab.course.workspace import main

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "04_worker_kills.ipynb").write_text("course v1")
    assert main(["--root", str(tmp_path)]) == 0
    copy = tmp_path / "my-work" / "04_worker_kills.ipynb"
    copy.write_text("the learner's work")
    (tmp_path / "notebooks" / "04_worker_kills.ipynb").write_text("course v2")  # a git pull
    assert main(["--root", str(tmp_path)]) == 0
    assert copy.read_text() == "the learner's work"  # never overwritten
    assert main(["--root", str(tmp_path), "--reset", "04"]) == 0
    assert copy.read_text() == "course v2"
    kept = list((tmp_path / "my-work").glob("04_worker_kills.before-reset-*.ipynb"))
    assert len(kept) == 1 and kept[0].read_text() == "the learner's work"
    assert main(["--root", str(tmp_path), "--reset", "09"]) == 2


def test_lessons_command_as_an_ordinary_user_answers_on_its_port(tmp_path: Path) -> None:
    prefix: list[str] = []
    if os.geteuid() == 0:
        # uid 1000 in a user namespace: JupyterLab sees an ordinary user, while the
        # files (the venv's Python under /root) stay readable as they are for their owner.
        prefix = ["unshare", "--user", "--map-user=1000", "--map-group=1000"]
        probe = subprocess.run([*prefix, "id", "-u"], capture_output=True, text=True, check=False)
        if probe.stdout.strip() != "1000":
            pytest.skip(f"cannot become an ordinary user here: {probe.stderr.strip()}")
    _serve_lessons(tmp_path, prefix)


def test_test_command_passes_its_arguments_to_pytest() -> None:
    done = subprocess.run(
        [
            ROOT / "scripts" / "test",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_production.py",
            "-k",
            "order_event_round_trip",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
    assert "3.13 fast suite is skipped" in done.stderr  # arguments chose the tests


# -- the first launch: both servers build in the background, from upstream's archives

VENDORED09 = ROOT.parent / "shared" / "vendor" / "resonate-server" / "resonate-server-v0.9.8.tar.gz"


def _install09(tmp_path: Path, url: str) -> subprocess.CompletedProcess:
    """scripts/install-server.sh v0.9 as a real user's clone runs it: no vendored source, a URL."""
    return subprocess.run(
        [str(ROOT / "scripts" / "install-server.sh"), "v0.9"],
        capture_output=True,
        text=True,
        timeout=1200,  # a cold cargo build; seconds when this machine built it before
        env={
            **os.environ,
            "RESONATE_SERVER09_SRC": str(tmp_path / "nowhere"),
            "RESONATE_SERVER09_URL": url,
            "RESONATE_TOOLS_BIN": str(tmp_path / "bin"),
        },
    )


def _repacked(tmp_path: Path, folder: str, change: str | None = None) -> Path:
    """The vendored archive under another folder name (as GitHub names it), optionally edited."""
    work = tmp_path / "repack"
    work.mkdir()
    subprocess.run(["tar", "xzf", str(VENDORED09), "-C", str(work)], check=True)
    (work / "resonate-server-0.9.8").rename(work / folder)
    if change:
        with (work / folder / change).open("a") as f:
            f.write("\n// one line more\n")
    out = tmp_path / f"{folder}.tar.gz"
    subprocess.run(["tar", "czf", str(out), "-C", str(work), folder], check=True)
    return out


@pytest.mark.skipif(not VENDORED09.is_file(), reason="needs ../shared's copy to serve as upstream")
def test_the_v09_server_installs_from_upstreams_archive_pinned_by_its_content(
    tmp_path: Path,
) -> None:
    """No ../shared: the tag's archive from a URL, accepted because its files are the tag's."""
    archive = _repacked(tmp_path, "resonate-0.9.8")  # GitHub's folder name, other gzip bytes
    done = _install09(tmp_path, archive.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"downloading the source of v0.9.8 from {archive.as_uri()}" in done.stderr
    assert "is tag v0.9.8's (its files hash to the pinned" in done.stderr
    binary = tmp_path / "bin" / "resonate-0.9.8"
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30)
    assert version.stdout.strip() == "resonate 0.9.8"


@pytest.mark.skipif(not VENDORED09.is_file(), reason="needs ../shared's copy to serve as upstream")
def test_the_v09_install_refuses_another_source_in_one_line(tmp_path: Path) -> None:
    tampered = _repacked(tmp_path, "resonate-0.9.8", change="Cargo.toml")
    done = _install09(tmp_path, tampered.as_uri())
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert "could not be installed: the archive from file://" in last, done.stderr
    assert "is not tag v0.9.8's source (its files hash to" in last
    assert "Lesson 8 runs without it, all but its worker kill" in last
    assert not (tmp_path / "bin" / "resonate-0.9.8").exists()
    gone = _install09(tmp_path, (tmp_path / "no-such.tar.gz").as_uri())
    assert gone.returncode == 1 and "could not download file://" in gone.stderr.splitlines()[-1]


VENDORED07 = ROOT.parent / "shared" / "vendor" / "resonate-legacy-server"
PROBE = """
import json, sys
from lab.course.readiness import check_server09, check_server_answers, check_server_installed
from lab.lessons.cells import _server09
checks = [check_server_installed(), check_server_answers(), check_server09()]
print(json.dumps([[c.sign, str(c)] for c in checks] + [list(_server09())]))
"""


@pytest.mark.skipif(
    not (VENDORED07.is_dir() and VENDORED09.is_file()), reason="needs ../shared as upstream"
)
def test_the_first_launch_builds_both_servers_and_lesson_0_shows_how_far(tmp_path: Path) -> None:
    """A fresh clone, its launcher's build step: '…' with progress while a server builds, then ✓."""
    import fcntl
    import json

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=60)
    env = {  # a real user's clone: no ../shared, upstream's archive by URL (here a file)
        **{k: v for k, v in os.environ.items() if not k.startswith("RESONATE_")},
        "RESONATE_SERVER_SRC": str(VENDORED07),
        "RESONATE_SERVER09_SRC": str(tmp_path / "nowhere"),
        "RESONATE_SERVER09_URL": VENDORED09.as_uri(),
    }
    python = str(ROOT / ".venv" / "bin" / "python")

    def probe() -> list:
        done = subprocess.run(
            [python, "-c", PROBE], cwd=clone, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    bins = clone / "tools" / "bin"
    bins.mkdir(parents=True)
    with (bins / ".install-legacy.lock").open("w") as held:  # a build by hand, still running
        fcntl.flock(held, fcntl.LOCK_EX)
        started = subprocess.run(
            [python, "-m", "lab.servers.builds"], cwd=clone, env=env, capture_output=True, text=True
        )
        assert "legacy Resonate server: building in the background (about 2 min" in started.stderr
        waiting = probe()
    installed, answers, _, _ = waiting
    assert installed[0] == "…" and "building in the background, 1 of ~2 min" in installed[1]
    assert answers[0] == "…" and "run this again in a minute" in answers[1], answers
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        installed, answers, v09, row = found = probe()
        if installed[0] != "…" and v09[0] != "…":
            break
        time.sleep(2)
    assert [installed[0], answers[0], v09[0]] == ["✓", "✓", "✓"], found
    assert row[2] == "✓", row  # lesson 0's environment table: the same sign as preflight's
    log = (clone / "tools" / "builds" / "v0.9.log").read_text()
    assert "is tag v0.9.8's (its files hash to the pinned" in log, log[-2000:]
