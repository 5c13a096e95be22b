"""The course installed once for every learner: one read-only folder (default /opt/fanout-lessons).

Four steps, each skipped when already done, each saying how long it took:

1. ``python/``: a Python the learners' Unix users can run. The lessons' own may live
   where only root can read (pyenv under /root): then it is copied here, without its
   site-packages and tests, and run with ``LD_LIBRARY_PATH`` at its ``lib/``.
2. ``course/``: the course's files (what git tracks), and the servers
   ``scripts/install-server.sh`` built (``tools/bin``).
3. ``course/.venv`` from ``requirements-room.lock`` (the lessons' pins and JupyterHub)
   and lesson 8's ``course/.venv-sdk08``, by the same scripts as a laptop's.
4. ``proxy/``: configurable-http-proxy from npm, by ``npm ci`` from ``room/package-lock.json``.

Then everything is root's, and nobody else may write anywhere in it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

from lab.paths import PROJECT

_NOT_COPIED = {"site-packages", "test", "tests", "idlelib", "tkinter", "turtledemo", "__pycache__"}


def step(what: str):
    class Step:
        def __enter__(self) -> None:
            self.began = time.monotonic()

        def __exit__(self, *exc: object) -> None:
            if exc[0] is None:
                print(f"room: {what} ({time.monotonic() - self.began:.0f} s)", flush=True)

    return Step()


def _others_can_run(path: Path) -> bool:
    """Can a user who is neither owner nor in the group reach and run ``path``?"""
    for part in [path, *path.parents]:
        mode = part.stat().st_mode
        need = stat.S_IXOTH | (stat.S_IROTH if part == path else 0)
        if mode & need != need:
            return False
    return True


def learners_python(prefix: Path) -> tuple[Path, str]:
    """A Python ≥ 3.12 every learner can run, and the ``LD_LIBRARY_PATH`` it needs ("" if none)."""
    base = Path(sys.base_prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if _others_can_run(base / "bin" / version) and _others_can_run(base / "lib"):
        return base / "bin" / version, ""
    copy = prefix / "python"
    if not (copy / "bin" / version).exists():
        with step(f"copied {base} to {copy}, where the learners can run it"):
            shutil.copytree(
                base, copy, symlinks=True, ignore=lambda _, names: _NOT_COPIED & set(names)
            )
    return copy / "bin" / version, str(copy / "lib")


def _tracked(project: Path) -> list[str]:
    done = subprocess.run(
        ["git", "-C", str(project), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [name for name in done.stdout.split("\0") if name and (project / name).is_file()]


def copy_course(project: Path, course: Path) -> None:
    """The course's files and its built servers, copied where they differ."""
    with step(f"the course copied to {course}"):
        names = _tracked(project)
        tools = project / "tools" / "bin"
        names += [str(p.relative_to(project)) for p in tools.glob("*")] if tools.is_dir() else []
        for name in names:
            source, target = project / name, course / name
            if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _run(args: list[str], env: dict[str, str], what: str, cwd: Path | None = None) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=cwd)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise SystemExit(f"room: {what} failed:\n" + "\n".join(tail))


def venvs(course: Path, python: Path, python_lib: str) -> None:
    """``course/.venv`` (the lessons and JupyterHub) and lesson 8's kernel, from their locks."""
    env = {**os.environ, "PYTHON": str(python), "LD_LIBRARY_PATH": python_lib}
    env.pop("VIRTUAL_ENV", None)
    with step("the learners' Python packages, from requirements-room.lock"):
        _run(["bash", "-c", f"source {course}/scripts/venv.sh room"], env, "the room's venv")
    with step("lesson 8's kernel, from requirements-sdk08.lock"):
        _run([str(course / "scripts" / "sdk08.sh")], env, "lesson 8's kernel")


def proxy(course: Path, prefix: Path) -> Path:
    """configurable-http-proxy, as pinned in ``room/package-lock.json``."""
    folder = prefix / "proxy"
    lock = course / "room" / "package-lock.json"
    stamp = folder / ".installed-lock"
    binary = folder / "node_modules" / ".bin" / "configurable-http-proxy"
    if binary.exists() and stamp.exists() and stamp.read_bytes() == lock.read_bytes():
        return binary
    with step("configurable-http-proxy, by npm ci"):
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(course / "room" / name, folder / name)
        _run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            {**os.environ},
            "npm ci",
            cwd=folder,
        )
        shutil.copy2(lock, stamp)
    return binary


def read_only(prefix: Path) -> None:
    """Root's, readable by all, writable by nobody else."""
    for where, dirs, files in os.walk(prefix):
        for name in [*dirs, *files]:
            path = Path(where) / name
            if path.is_symlink():
                continue
            os.chown(path, 0, 0)
            mode = path.stat().st_mode
            path.chmod(
                (mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH) & ~0o022
                | (0o111 if path.is_dir() or mode & stat.S_IXUSR else 0)
            )
    os.chown(prefix, 0, 0)
    prefix.chmod(0o755)


def install(prefix: Path, project: Path = PROJECT) -> dict[str, str]:
    """Everything under ``prefix``; returns where the hub finds it."""
    prefix.mkdir(parents=True, exist_ok=True)
    python, python_lib = learners_python(prefix)
    course = prefix / "course"
    copy_course(project, course)
    venvs(course, python, python_lib)
    binary = proxy(course, prefix)
    with step("made read-only for the learners"):
        read_only(prefix)
    return {"course": str(course), "python_lib": python_lib, "proxy": str(binary)}
