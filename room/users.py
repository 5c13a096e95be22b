"""Learners as Unix users: a hub name becomes ``jupyter-<name>``, created on first sign-in.

The name a learner types is made a hub name here (lower case, letters, digits and
hyphens), or refused in one line. The Unix user is ``jupyter-<name>``, shortened past
26 characters with a hash as The Littlest JupyterHub does, so it stays under 32. Its
home is 0700: no other learner can read their copies, run folder or server files.
Each learner's Resonate password is derived from the room's key (``secret``), so the
hub stores none and a restarted hub gives the same one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pwd
import re
import subprocess
from pathlib import Path

MARK = "fanout-lessons room learner"  # the GECOS field: how the room finds its users again
NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")


def hub_name(typed: str) -> str:
    """The learner's hub name for what they typed ("Ada Lovelace" → "ada-lovelace")."""
    return re.sub(r"[\s_.]+", "-", typed.strip().lower())


def refusal(typed: str) -> str | None:
    """Why ``typed`` cannot be a learner's name, in one line; None if it can."""
    name = hub_name(typed)
    if not name:
        return "type your name (letters and digits)"
    if not NAME.fullmatch(name):
        return (
            f"{typed.strip()[:40]!r} cannot be a name here: start with a letter; "
            "letters, digits, spaces and hyphens only; at most 32"
        )
    return None


def system_name(name: str) -> str:
    """``jupyter-<name>``, shortened with a hash past 26 characters (The Littlest JupyterHub's rule)."""
    full = f"jupyter-{name}"
    if len(full) < 26:
        return full
    return f"{full[:26]}-{hashlib.sha256(full.encode()).hexdigest()[:5]}"


def secret(room_key: bytes, name: str) -> str:
    """The learner's Resonate password: the room's key and their name, nothing stored."""
    return hmac.new(room_key, name.encode(), hashlib.sha256).hexdigest()[:32]


def ensure(name: str) -> pwd.struct_passwd:
    """The learner's Unix user, created with a 0700 home if it does not exist yet."""
    system = system_name(name)
    try:
        return pwd.getpwnam(system)
    except KeyError:
        pass
    subprocess.run(
        [
            "useradd",
            "--create-home",
            "--user-group",
            "--shell",
            "/bin/bash",
            "--comment",
            MARK,
            system,
        ],
        check=True,
        capture_output=True,
    )
    entry = pwd.getpwnam(system)
    os.chmod(entry.pw_dir, 0o700)
    return entry


def learners() -> list[pwd.struct_passwd]:
    """Every Unix user this machine's rooms created."""
    return [entry for entry in pwd.getpwall() if entry.pw_gecos == MARK]


def stop_processes(entry: pwd.struct_passwd) -> None:
    """SIGKILL everything the learner still runs (the room is closing)."""
    subprocess.run(["pkill", "-KILL", "-u", str(entry.pw_uid)], check=False)


def remove(entry: pwd.struct_passwd) -> None:
    """Delete the learner's Unix user and home: their work goes with it."""
    stop_processes(entry)
    subprocess.run(["userdel", "--remove", entry.pw_name], check=False, capture_output=True)
    if Path(entry.pw_dir).exists():
        subprocess.run(["rm", "-rf", "--one-file-system", entry.pw_dir], check=False)
