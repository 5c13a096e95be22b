"""The committed lessons are saved as they are committed: what a learner runs never reaches git.

Learners work in their own copies (``my-work/``, see ``lab.course.workspace``), which
keep every output so a reload finds them. A notebook under ``notebooks/`` — the
course itself, opened by an instructor editing it — is saved through
``pre_save`` (``scripts/jupyter_server_config.py``): JupyterLab's outputs,
execution counts, widget state and the kernel's language details are stripped,
so a run-and-saved lesson is byte for byte the committed one and ``git status``
stays clean.

    python -m lab.course.notebook_files notebooks/*.ipynb   # rewrite files in the committed form
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RUNTIME_CELL_KEYS = ("execution", "scrolled", "collapsed", "trusted")
# What JupyterLab writes into a notebook once its kernel is up, for the Python
# the course is tested with (.python-version). The lessons are committed with
# exactly this, so opening one on that Python does not mark it modified.
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.12.1",
}


def clean(nb: dict) -> dict:
    for cell in nb.get("cells", []):
        # One line per list item, as Jupyter writes a cell's source when it saves.
        source = cell.get("source", "")
        cell["source"] = ("".join(source) if isinstance(source, list) else source).splitlines(
            keepends=True
        )
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in RUNTIME_CELL_KEYS:
            cell.get("metadata", {}).pop(key, None)
    meta = nb.setdefault("metadata", {})
    meta.pop("widgets", None)
    if meta.get("language_info", {}).get("name", "python") == "python":
        meta["language_info"] = dict(LANGUAGE_INFO)
    return nb


def canonical(text: str) -> str:
    """The committed form of a notebook's JSON text."""
    return json.dumps(clean(json.loads(text)), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


COMMITTED = ("notebooks/",)  # where the course's own notebooks live (relative to the server root)


def pre_save(model: dict, path: str = "", **_: object) -> None:
    """Jupyter's ``ContentsManager.pre_save_hook``: strip a committed lesson before it is written.

    A learner's working copy (anywhere else, ``my-work/`` above all) keeps its outputs.
    """
    committed = path.lstrip("/").startswith(COMMITTED)
    if committed and model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        clean(model["content"])


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(canonical(path.read_text()))
