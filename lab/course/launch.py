"""Where a lesson opens live: Binder and Codespaces links, once the repository is named.

A link to ``OWNER/REPO`` leads nowhere, so no link is made until the repository is
known: ``LAB_REPOSITORY=owner/name`` where it is set (a site built for a fork),
else the GitHub repository the clone's ``origin`` remote names. Without either,
the static site says how to name it instead of linking. Binder opens the learner's
own copy of a lesson (``my-work/``, made by ``binder/start``). Codespaces cannot
open a file from its link: it creates the codespace, JupyterLab opens on lesson 0,
and the page says which notebook to open.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from lab.errors import Refused
from lab.paths import PROJECT

_NAME = re.compile(r"[\w.-]+/[\w.-]+")
_GITHUB = re.compile(r"github\.com[:/]([\w.-]+/[\w.-]+?)(?:\.git)?/?$")
HOW_TO_NAME = (
    "launch links appear once the repository is named: a GitHub remote named origin, "
    "or LAB_REPOSITORY=owner/name"
)


def repository(project: Path = PROJECT) -> str | None:
    """``owner/name`` on GitHub: ``$LAB_REPOSITORY``, else the ``origin`` remote's; None if neither."""
    named = os.environ.get("LAB_REPOSITORY")
    if named:
        if not _NAME.fullmatch(named):
            msg = f"LAB_REPOSITORY must be owner/name (a GitHub repository), got {named!r}"
            raise Refused(msg)
        return named
    try:
        url = subprocess.run(
            ["git", "-C", str(project), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except OSError:  # no git: nothing names it
        return None
    found = _GITHUB.search(url)
    return found.group(1) if found else None


def binder_url(notebook: str, repo: str) -> str:
    """The lesson ``notebook`` (``07_deadlines.ipynb``), the learner's copy, on mybinder.org."""
    return f"https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/my-work/{notebook}"


def codespaces_url(repo: str) -> str:
    return f"https://codespaces.new/{repo}?quickstart=1"
