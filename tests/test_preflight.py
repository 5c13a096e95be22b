"""scripts/preflight, as an instructor runs it: passes here, and each ✗ names its fix."""

from __future__ import annotations

import os
import socket
import subprocess
import time

from tests.conftest import ROOT, free_port, needs_server09


def preflight(*args: str, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    began = time.monotonic()
    done = subprocess.run(
        [str(ROOT / "scripts" / "preflight"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
    )
    return done, time.monotonic() - began


@needs_server09  # every row ✓: built beside the first tests in CI, waited for
def test_preflight_passes_here_within_a_minute() -> None:
    done, took = preflight("--port", str(free_port()))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line[:1] in "✓✗"]
    assert len(lines) == 9 and all(line.startswith("✓") for line in lines), done.stdout
    assert any("lesson 8's kernel" in line for line in lines)
    assert "ready" in done.stdout.splitlines()[-1]
    assert took < 60


def test_a_missing_server_binary_is_named_with_its_fix() -> None:
    done, _ = preflight("--port", str(free_port()), RESONATE_SERVER_BIN="/nonexistent/resonate")
    assert done.returncode == 1
    assert (
        "✗ Resonate server installed" in done.stdout
        and "fix: scripts/install-server.sh" in done.stdout
    )
    assert "✓ a real fan-out run" in done.stdout  # one ✗ does not hide the other checks
    assert "NOT ready" in done.stdout


def test_lesson_8s_server_is_on_demand_named_but_not_required() -> None:
    done, _ = preflight(
        "--port", str(free_port()), RESONATE_SERVER09_BIN="/nonexistent/resonate-0.9.8"
    )
    assert done.returncode == 0, done.stdout  # built on demand: the room is ready without it
    assert "– lesson 8's worker kill, the Resonate server 0.9.8: not built" in done.stdout
    assert "to have it: scripts/install-server.sh v0.9" in done.stdout
    assert "ready" in done.stdout.splitlines()[-1] and "NOT" not in done.stdout


def test_a_taken_port_is_named_with_its_fix() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done, _ = preflight("--port", str(port))
    assert done.returncode == 1
    assert (
        f"✗ port {port} free for JupyterLab" in done.stdout
        and f"scripts/lessons --port {port + 2}" in done.stdout
    )


def test_lesson_8s_kernel_is_checked_and_named_with_its_fix(monkeypatch) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    from lab.course.readiness import check_sdk08_kernel

    found = check_sdk08_kernel()  # scripts/test registered it
    assert found.ok and "resonate-sdk 0.8." in found.found, found

    def missing(self, name):
        raise NoSuchKernel(name)

    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", missing)
    found = check_sdk08_kernel()
    assert not found.ok and found.found == "not registered" and "scripts/sdk08.sh" in found.fix
