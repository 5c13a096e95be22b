"""Each thing the lessons rely on, checked for real: one ``Check`` each, ✓ or ✗ with its fix.

``scripts/preflight`` and lesson 0 run these (``lab.course.preflight``); lesson 0's
environment table reads lesson 8's two (``lab.lessons.cells``).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from lab.servers.builds import building, progress

AGAIN = "run this again in a minute; lessons 0–3 need no server"


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    found: str
    fix: str = ""
    optional: bool = False  # a lesson's extra: "–" when missing, still ready
    pending: bool = False  # building in the background since the first launch: "…"

    @property
    def sign(self) -> str:
        return "✓" if self.ok else "…" if self.pending else "–" if self.optional else "✗"

    def __str__(self) -> str:
        line = f"{self.sign} {self.what}: {self.found}"
        if self.ok:
            return line
        return f"{line}\n    {'meanwhile' if self.pending else 'to have it' if self.optional else 'fix'}: {self.fix}"

    @property
    def ready(self) -> bool:
        return self.ok or self.optional


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def check_python() -> Check:
    found = sys.version.split()[0]
    return Check(
        "Python ≥ 3.12",
        sys.version_info >= (3, 12),
        f"{found} ({sys.executable})",
        "run scripts/lessons: it builds .venv with Python 3.12 or newer (pyenv install 3.12, or set PYTHON=)",
    )


def check_packages() -> Check:
    wanted = {"resonate-sdk": "0.6.", "jupyterlab": "4.", "ipywidgets": "8.", "nest-asyncio": ""}
    found = {name: _version(name) for name in wanted}
    bad = [n for n, v in found.items() if v is None or not v.startswith(wanted[n])]
    sdk = found["resonate-sdk"] or "0"
    if sdk.startswith("0.6.") and int(sdk.split(".")[2]) < 7:
        bad.append("resonate-sdk")
    shown = ", ".join(f"{n} {v or 'missing'}" for n, v in found.items())
    return Check(
        "packages",
        not bad,
        shown,
        f"{', '.join(bad)}: run scripts/lessons (it installs the locked versions into .venv)",
    )


def check_server_installed() -> Check:
    from lab.servers.legacy import VERSION, server_binary

    binary = server_binary()
    if binary is None and building("legacy"):
        return Check("Resonate server", False, progress("legacy"), AGAIN, pending=True)
    if binary is None:
        return Check(
            "Resonate server installed",
            False,
            progress("legacy") or "no binary (RESONATE_SERVER_BIN, tools/bin/resonate, PATH)",
            "scripts/install-server.sh (about 2 minutes the first time); lessons 0-3 work without it",
        )
    out = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=10
    ).stdout.strip()
    return Check(
        "Resonate server installed",
        out.endswith(VERSION),
        f"{binary}: {out or 'no version'}",
        f"the lessons need the legacy server {VERSION}: scripts/install-server.sh",
    )


def check_server_answers() -> Check:
    from lab.servers.legacy import LocalServer, ServerUnavailable, server_binary

    if server_binary() is None:
        pending = building("legacy")
        why = "not installed yet: it is building" if pending else "not installed"
        return Check(
            "server starts and answers",
            False,
            why,
            AGAIN if pending else "scripts/install-server.sh",
            pending=pending,
        )
    with tempfile.TemporaryDirectory() as folder:
        began = time.monotonic()
        server = LocalServer(folder)
        try:
            server.start(timeout=10)
            return Check(
                "server starts and answers",
                True,
                f"in {round((time.monotonic() - began) * 1000)} ms on {server.address.url}",
            )
        except ServerUnavailable as e:
            return Check(
                "server starts and answers",
                False,
                str(e).splitlines()[0][:200],
                f"read {server.log}; scripts/install-server.sh",
            )
        finally:
            server.kill()


def check_port(port: int) -> Check:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return Check(
                f"port {port} free for JupyterLab",
                False,
                "taken by another program",
                f"scripts/lessons --port {port + 2} (and open the URL it prints), or stop what uses {port}",
            )
    return Check(f"port {port} free for JupyterLab", True, "free")


def check_kernel() -> Check:
    from jupyter_client.manager import start_new_kernel

    began = time.monotonic()
    try:
        manager, client = start_new_kernel(
            kernel_name="python3", startup_timeout=30, stderr=subprocess.DEVNULL
        )
    except Exception as e:  # noqa: BLE001 - reported with its fix
        return Check(
            "a Python kernel starts",
            False,
            f"{type(e).__name__}: {e}"[:200],
            "python -m ipykernel install --sys-prefix",
        )
    try:
        reply = client.execute_interactive("import lab, channels, workflow", timeout=30)
        ok = reply["content"]["status"] == "ok"
        found = (
            f"in {round((time.monotonic() - began) * 1000)} ms, imports the lab"
            if ok
            else reply["content"].get("evalue", "")
        )
        return Check(
            "a Python kernel starts",
            ok,
            found,
            "pip install -e . in the kernel's Python (scripts/lessons does it)",
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def check_sdk08_kernel() -> Check:
    """Lesson 8's kernel is registered, and its Python has resonate-sdk 0.8."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    what, fix = (
        "lesson 8's kernel, Python 3 (resonate-sdk 0.8)",
        "run scripts/sdk08.sh (scripts/lessons does it)",
    )
    try:
        spec = KernelSpecManager().get_kernel_spec("resonate-sdk-08")
    except NoSuchKernel:
        return Check(what, False, "not registered", fix)
    python = spec.argv[0]
    try:
        found = subprocess.run(
            [
                python,
                "-c",
                "from importlib.metadata import version; print(version('resonate-sdk'))",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    except OSError as e:
        return Check(what, False, f"{python}: {e}", fix)
    return Check(what, found.startswith("0.8."), f"resonate-sdk {found or '?'} ({python})", fix)


def check_server09() -> Check:
    """Today's server v0.9.8, for lesson 8's worker kill only: built on demand, never required."""
    from lab.servers.v09 import INSTALL, VERSION, binary

    what = f"lesson 8's worker kill, the Resonate server {VERSION}"
    found = binary()
    if found is None and building("v0.9"):
        return Check(what, False, progress("v0.9"), AGAIN, optional=True, pending=True)
    if found is None:
        fix = f"{INSTALL} (a cargo build, about 4 minutes); the rest of lesson 8 runs without it"
        return Check(what, False, progress("v0.9") or "not built", fix, optional=True)
    out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=10)
    version_line = out.stdout.strip()
    return Check(what, version_line.endswith(VERSION), f"{found}: {version_line}", INSTALL)


def check_fan_out() -> Check:
    from lab.orders.runtime import Lab

    with tempfile.TemporaryDirectory() as folder:
        run = Lab(workers=4, server=False, ledger=Path(folder) / "ledger.sqlite").run(
            live=False, timeout=30
        )
        total = sum(run.channel_ms().values())
        ok = run.result["channels_notified"] == 4 and run.wall_ms < 0.6 * total
        return Check(
            "a real fan-out run",
            ok,
            f"4 channels in {run.wall_ms} ms (sum {total} ms)",
            "the machine is too busy or has too few CPUs for the demo: close other programs",
        )
