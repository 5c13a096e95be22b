"""Where a lesson opens live: Binder and Codespaces links, from the one place they are set.

The repository is named once, in the README's Binder badge (``OWNER/REPO`` until a
fork sets it); the Codespaces badge beside it must name the same one, and the
static site's per-lesson links are made here from it. Binder opens the learner's
own copy of a lesson (``my-work/``, made by ``binder/start``). Codespaces cannot
open a file from its link: it creates the codespace, JupyterLab opens on lesson 0,
and the page says which notebook to open.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
_BINDER = re.compile(r"https://mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/HEAD\?urlpath=lab/tree/")
_CODESPACES = re.compile(r"https://codespaces\.new/([\w.-]+/[\w.-]+)\?quickstart=1")


def repository(readme: Path = README) -> str:
    """``owner/name`` as the README's Binder badge has it; the Codespaces badge must agree."""
    text = readme.read_text()
    binder, codespaces = _BINDER.search(text), _CODESPACES.search(text)
    if binder is None or codespaces is None:
        msg = f"{readme.name} needs its Binder and Codespaces badges (the one place to set the repository)"
        raise ValueError(msg)
    if binder.group(1) != codespaces.group(1):
        msg = f"the badges disagree: Binder {binder.group(1)}, Codespaces {codespaces.group(1)}"
        raise ValueError(msg)
    return binder.group(1)


def binder_url(notebook: str, repo: str | None = None) -> str:
    """The lesson ``notebook`` (``07_deadlines.ipynb``), the learner's copy, on mybinder.org."""
    return f"https://mybinder.org/v2/gh/{repo or repository()}/HEAD?urlpath=lab/tree/my-work/{notebook}"


def codespaces_url(repo: str | None = None) -> str:
    return f"https://codespaces.new/{repo or repository()}?quickstart=1"
