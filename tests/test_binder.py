"""Binder as repo2docker runs it: ``binder/postBuild`` once, then ``binder/start <command>`` at each launch.

Run here, not on mybinder.org (no conda-forge or Docker Hub from these
machines): a throw-away clone of the working tree is ``$HOME``, where
repo2docker puts the repository; a fresh venv stands in for the conda
environment; Go's caches fall under that ``$HOME`` (Go's defaults), so the
test sees postBuild clean them. The launch is pinned to one core, as Binder
gives a pod one CPU.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.servers.processes import alive
from tests.conftest import ROOT, clone_of_working_tree

VENDOR = ROOT.parent / "shared" / "vendor" / "resonate-legacy-server"

PROBE = """
import json, os
from pathlib import Path
import psutil
def rss_mb(pid):
    return psutil.Process(pid).memory_info().rss / 2**20
server_pid = int((Path.home() / ".resonate" / "server.pid").read_text())
workers = [w.pid for w in cluster.running()]
print(json.dumps({
    "external": cluster.local is None, "port": cluster.address.store_port,
    "env_port": int(os.environ["RESONATE_PORT_STORE"]),
    "result": run.result["channels_notified"], "sends": run.sends(), "first_kill": cluster.kills_of(run)[0].target,
    "db": str(cluster.db), "env_db": os.environ.get("RESONATE_SERVER_DB"), "workflow_pid": run.workflow_pid,
    "recovery_ms": cluster.recovery_ms(run), "cpus": sorted(os.sched_getaffinity(0)),
    "server_pid": server_pid, "pids": workers + [server_pid],
    "rss_mb": {"server": rss_mb(server_pid), "workers": sum(rss_mb(p) for p in workers), "kernel": rss_mb(os.getpid())},
}))
"""

RUNNER = """
import json, sys
sys.path.insert(0, {root!r})
from tests.lessons import execute
found = execute("04_worker_kills.ipynb", {probe!r}, __import__("pathlib").Path({runs!r}), passes=1,
                answers={{"my_recovery_ms": "2300", "my_rerun_completed": "set()"}})
print("FOUND " + json.dumps(found))
"""


@pytest.fixture(scope="module")
def binder_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv standing in for Binder's conda environment: Python 3.12+, nothing installed yet."""
    env = tmp_path_factory.mktemp("binder-env") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    return env / "bin"


def binder_env(home: Path, bin_dir: Path, **extra: str) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RESONATE_", "LAB_", "GO", "VIRTUAL_ENV", "PYTHON"))
    }
    return {**keep, "HOME": str(home), "PATH": f"{bin_dir}:{os.environ['PATH']}", **extra}


def warm_go(home: Path, env: dict[str, str]) -> dict[str, str]:
    """This machine's Go caches for postBuild's build of the server, where it must clean them.

    A cold build in a fresh ``$HOME`` took 169 s of CI's time (Binder's own, cold, is timed
    in benchmarks, not here): the build cache goes under ``$HOME`` where Go looks by default,
    so postBuild's ``go clean`` must still remove it, and the modules come from the machine's
    download cache through a ``file://`` proxy, the real proxy behind it for anything missing.
    A machine that never built the server has neither: the build is cold, as before.
    """
    go = {
        k: subprocess.run(["go", "env", k], capture_output=True, text=True).stdout.strip()
        for k in ("GOCACHE", "GOMODCACHE")
    }
    if go["GOCACHE"] and Path(go["GOCACHE"]).is_dir():
        shutil.copytree(go["GOCACHE"], home / ".cache" / "go-build")
    downloads = Path(go["GOMODCACHE"] or "/nonexistent") / "cache" / "download"
    if downloads.is_dir():
        env = {**env, "GOPROXY": f"{downloads.as_uri()},https://proxy.golang.org,direct"}
    return env


def size_mb(folder: Path) -> float:
    return (
        sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())
        / 2**20
    )


def post_build(home: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(home / "binder" / "postBuild")],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def lesson_4(
    tmp_path: Path, home: Path, env: dict[str, str], probe: str, launch: list[str]
) -> tuple[subprocess.CompletedProcess, dict]:
    """Lesson 4 headless in the clone ``home``, started by ``launch`` (Binder's start, a venv)."""
    runner = tmp_path / "run_lesson_4.py"
    runner.write_text(RUNNER.format(root=str(home), probe=probe, runs=str(tmp_path / "runs")))
    launched = subprocess.run(
        [*launch, str(runner)], cwd=home, env=env, capture_output=True, text=True, timeout=600
    )
    assert launched.returncode == 0, launched.stderr[-3000:]
    found = next(line for line in launched.stdout.splitlines() if line.startswith("FOUND "))
    return launched, json.loads(found[6:])


def test_without_a_server_the_build_and_the_launch_go_on_and_lesson_4_says_why(
    tmp_path: Path, binder_python: Path
) -> None:
    home = clone_of_working_tree(tmp_path / "home")
    env = binder_env(
        home, binder_python
    )  # no source archives: as on Binder where go install and the release fail
    built = post_build(home, env)
    assert built.returncode == 0, built.stderr[-3000:]
    assert (
        "could not be installed" in built.stderr
        and not (home / "tools" / "bin" / "resonate").exists()
    )

    started = time.monotonic()
    launched = subprocess.run(
        [
            str(home / "binder" / "start"),
            "python",
            "-c",
            "from lab.clusters.cluster import Cluster; Cluster()",
        ],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 20  # the launch is never held up
    assert launched.returncode != 0  # the command ran, and lesson 4's setup said why it cannot
    assert "ServerUnavailable" in launched.stderr and "not installed" in launched.stderr
    assert (
        str(home / ".resonate" / "server.log") in launched.stderr
    )  # and where start logged its attempt
    assert "no Resonate server" in (home / ".resonate" / "server.log").read_text()
    # The learner's working copies, and the lessons' JupyterLab settings where Binder's
    # JupyterLab reads them (it is launched by repo2docker, not by scripts/lessons).
    assert (home / "my-work" / "00_welcome.ipynb").is_file()
    prefix = binder_python.parent
    assert (prefix / "etc" / "jupyter" / "jupyter_server_config.py").is_file()
    assert (prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json").is_file()
    # Lesson 8's kernel, where Binder's JupyterLab looks for kernels.
    spec = json.loads((prefix / "share/jupyter/kernels/resonate-sdk-08/kernel.json").read_text())
    assert spec["display_name"] == "Python 3 (resonate-sdk 0.8)"
    assert spec["argv"][0] == str(home / ".venv-sdk08" / "bin" / "python")


@pytest.mark.skipif(
    not VENDOR.is_dir(),
    reason="the server's source archives are in ../shared/vendor only on the workshop machines",
)
def test_post_build_installs_the_server_and_start_serves_lesson_4_on_one_core(
    tmp_path: Path, binder_python: Path
) -> None:
    home = clone_of_working_tree(tmp_path / "home")
    env = warm_go(home, binder_env(home, binder_python, RESONATE_SERVER_SRC=str(VENDOR)))
    warm_mb = size_mb(home / ".cache" / "go-build")
    began = time.monotonic()
    built = post_build(home, env)
    build_s = time.monotonic() - began
    assert built.returncode == 0, built.stderr[-3000:]
    assert os.access(home / "tools" / "bin" / "resonate", os.X_OK)
    for cache in (
        home / "go",
        home / ".cache" / "go-build",
    ):  # Go's defaults under $HOME (a README stays)
        assert size_mb(cache) < 1, f"postBuild left {size_mb(cache):.0f} MB in {cache}"

    launched, found = lesson_4(
        tmp_path, home, env, PROBE, ["taskset", "-c", "0", str(home / "binder" / "start"), "python"]
    )
    print(
        f"postBuild {build_s:.0f} s (Go's build cache {warm_mb:.0f} MB warm); "
        f"{launched.stderr.strip().splitlines()[0]}; memory {found['rss_mb']}"
    )

    assert (
        found["external"] and found["port"] == found["env_port"]
    )  # the lesson used the server start launched
    assert found["cpus"] == [0]
    assert found["result"] == 4 and found["sends"] == {"email": 1, "sms": 1, "slack": 1, "push": 1}
    assert (
        found["first_kill"] == "email"
    )  # the lesson's kill: email's worker, once push is confirmed
    # The workflow's worker is found through start's SQLite file, which start exports.
    assert found["db"] == found["env_db"] and found["workflow_pid"] is not None
    assert sum(found["rss_mb"].values()) < 600
    deadline = time.monotonic() + 5  # JupyterLab's stand-in has exited: the server went with it
    while any(alive(p) for p in found["pids"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in found["pids"] if alive(p)]


def test_repo2docker_reads_binder_as_these_tests_assume(tmp_path: Path) -> None:
    """repo2docker's own reading of binder/, offline: the Dockerfile it would build (no Docker)."""
    repo = clone_of_working_tree(tmp_path / "clone")
    r2d = Path(sys.executable).with_name("repo2docker")
    out = subprocess.run(
        [str(r2d), "--no-build", "--debug", "--no-run", str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    dockerfile = out.stdout + out.stderr
    assert "Building conda environment for python=3.12" in dockerfile
    # its base environment for that Python (the file name as repo2docker escapes it)
    assert "environment-2epy-2d3-2e12-2dlinux-2d64-2elock" in dockerfile
    update = dockerfile.index('env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"')
    post_build = dockerfile.index("RUN ./binder/postBuild")
    assert update < post_build  # postBuild runs in the environment.yml environment
    assert 'ENV R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in dockerfile  # start wraps the launch
    # What repo2docker does not check, and a launch depends on:
    start = (repo / "binder" / "start").read_text().strip().splitlines()
    assert start[-1] == 'exec "$@"'  # start hands over to JupyterLab, keeping the pid
    assert "set -euo pipefail" in (repo / "binder" / "postBuild").read_text()
    listing = subprocess.run(
        ["git", "ls-files", "-s", "binder"], cwd=repo, capture_output=True, text=True
    ).stdout
    modes = {line.split("\t")[1]: line.split()[0] for line in listing.splitlines()}
    assert modes == {
        "binder/environment.yml": "100644",
        "binder/postBuild": "100755",
        "binder/start": "100755",
    }, modes


DEVCONTAINER_PROBE = """
import json
print(json.dumps({"own_server": cluster.local is not None, "result": run.result["channels_notified"],
                  "sends": run.sends(), "first_kill": cluster.kills_of(run)[0].target}))
"""


def devcontainer_config(repo: Path) -> dict:
    """``.devcontainer/devcontainer.json``: JSON with comments (JSONC), as Codespaces reads it."""
    import re

    text = (repo / ".devcontainer" / "devcontainer.json").read_text()
    return json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.M))


def test_the_devcontainer_sets_up_as_binder_does_and_serves_lesson_4(tmp_path: Path) -> None:
    """Codespaces, re-enacted: its post-create command in a throw-away clone, then lesson 4."""
    home = clone_of_working_tree(tmp_path / "workspace")
    config = devcontainer_config(home)
    assert "python:1-3.12" in config["image"]
    assert any("features/go" in f for f in config["features"])
    assert config["forwardPorts"] == [8888]
    assert "--port 8888" in (home / ".devcontainer" / "start.sh").read_text()
    server = ROOT / "tools" / "bin"
    if (server / "resonate").is_file():  # built once per machine: the Binder test builds it afresh
        (home / "tools" / "bin").mkdir(parents=True)
        for f in server.iterdir():
            shutil.copy2(f, home / "tools" / "bin" / f.name)
    env = binder_env(home, Path(sys._base_executable).parent, PYTHON=sys._base_executable)
    if VENDOR.is_dir():
        env["RESONATE_SERVER_SRC"] = str(VENDOR)
    began = time.monotonic()
    created = subprocess.run(
        ["bash", "-c", config["postCreateCommand"]],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    took = time.monotonic() - began
    assert created.returncode == 0, created.stderr[-3000:]
    print(f"post-create: {took:.0f} s")
    assert (home / ".venv" / "bin" / "jupyter").is_file()
    assert os.access(home / "tools" / "bin" / "resonate", os.X_OK)
    assert (home / "my-work" / "00_welcome.ipynb").is_file()
    assert (home / ".venv/share/jupyter/kernels/resonate-sdk-08/kernel.json").is_file()
    _, found = lesson_4(
        tmp_path, home, env, DEVCONTAINER_PROBE, [str(home / ".venv" / "bin" / "python")]
    )
    assert found["own_server"]  # no Binder start here: the lesson started its server itself
    assert found["result"] == 4 and found["sends"] == {"email": 1, "sms": 1, "slack": 1, "push": 1}
    assert found["first_kill"] == "email"
