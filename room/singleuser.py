"""A learner's Jupyter server in the room: their copies of the lessons first, then the server.

Run by the hub's spawner as the learner (never as root, so nothing here writes where
the learner could have pointed a link): copies every lesson that has no copy yet into
``~/my-work`` (``lab.course.workspace``), then becomes ``jupyterhub-singleuser``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from lab.course.workspace import prepare


def main() -> None:
    prepare(Path.home())
    server = shutil.which("jupyterhub-singleuser") or "jupyterhub-singleuser"
    os.execv(server, [server, *sys.argv[1:]])


if __name__ == "__main__":
    main()
