"""Each learner's own Jupyter server, started as their own Unix user on first sign-in.

JupyterHub's ``LocalProcessSpawner`` runs a server as the Unix user named like the
hub user; here the hub name ``ada`` runs as ``jupyter-ada``, created on the first
spawn (The Littlest JupyterHub does the same), with a 0700 home. The server is
``python -m room.singleuser`` from the shared read-only install: it makes the
learner's own copies of the lessons in ``~/my-work`` and opens lesson 0. Its
environment gives the lessons a run folder in the learner's home and the
learner's own Resonate password, which their servers then ask of every client.
"""

from __future__ import annotations

import pwd
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Unicode

from room import users
from room.processes import own_port


class RoomSpawner(LocalProcessSpawner):
    """``LocalProcessSpawner`` as ``jupyter-<name>``, created on first spawn."""

    room_key_file = Unicode(config=True, help="the room's key: each learner's Resonate password")
    course = Unicode(config=True, help="the shared install's course folder (PROJECT)")
    python_lib = Unicode("", config=True, help="LD_LIBRARY_PATH for a copied Python, if any")

    @property
    def system_name(self) -> str:
        return users.system_name(self.user.name)

    def make_preexec_fn(self, name: str) -> object:
        return set_user_setuid(self.system_name)

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        entry = pwd.getpwnam(self.system_name)
        env.update(USER=entry.pw_name, HOME=entry.pw_dir, SHELL=entry.pw_shell or "/bin/bash")
        return env

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        home = pwd.getpwnam(self.system_name).pw_dir
        venv = Path(self.course) / ".venv" / "bin"
        env.update(
            PATH=f"{venv}:/usr/local/bin:/usr/bin:/bin",
            LAB_RUN_DIR=f"{home}/.lab-runs",  # the learner's ledger, servers' files, logs
            RESONATE_USERNAME=self.user.name,
            RESONATE_PASSWORD=users.secret(Path(self.room_key_file).read_bytes(), self.user.name),
            JUPYTER_PLATFORM_DIRS="1",
            # A server per learner: an idle legacy server wakes every signal timeout, 7.8 % of a
            # core each at the lessons' 10 ms, 2.0 % at 50 ms (lab/servers/legacy.py).
            LAB_SIGNAL_TIMEOUT="50ms",
        )
        if self.python_lib:
            env["LD_LIBRARY_PATH"] = self.python_lib
        return env

    async def start(self) -> object:
        users.ensure(self.user.name)
        self.port = own_port(pwd.getpwnam(self.system_name).pw_uid)
        return await super().start()

    async def move_certs(self, paths: dict[str, str]) -> dict[str, str]:  # no internal SSL here
        return paths
