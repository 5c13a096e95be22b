"""Each learner works in their own copies of the lessons: ``my-work/``, git-ignored.

The committed lessons (``notebooks/``) are the course; a learner's guesses,
exercise code and outputs belong to the learner. So the lessons' launchers
(``scripts/lessons``, Binder's ``start``) open ``my-work/NN_….ipynb``, copied
from ``notebooks/`` the first time and never overwritten after: a reload or a
reopened tab finds the outputs where the learner left them (JupyterLab saves
them, every few seconds with the course's settings), ``git status`` stays clean
and ``git pull`` never meets a learner's edit. A copy is made anew only on request:

    python -m lab.course.workspace            # copy the lessons that have no working copy yet
    python -m lab.course.workspace --reset 04 # lesson 04 afresh; the old copy is kept beside it
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from lab.errors import Refused
from lab.paths import PROJECT

LESSONS = PROJECT / "notebooks"
WORK_DIR = "my-work"  # in .gitignore; the Jupyter server keeps the outputs of notebooks here


def work_dir(root: Path = PROJECT) -> Path:
    return root / WORK_DIR


def prepare(root: Path = PROJECT, lessons: Path = LESSONS) -> list[Path]:
    """Copy every lesson in ``lessons`` that has no working copy in ``root``; return the copies made.

    ``root`` is the clone (a laptop, Binder) or, in the room, the learner's home.
    """
    made = []
    work = work_dir(root)
    work.mkdir(exist_ok=True)
    for lesson in sorted(lessons.glob("*.ipynb")):
        copy = work / lesson.name
        if not copy.exists():
            shutil.copy2(lesson, copy)
            made.append(copy)
    return made


def reset(prefix: str, root: Path = PROJECT) -> tuple[Path, Path | None]:
    """Lesson ``prefix`` ("04") afresh from the course; the old copy is renamed, never deleted."""
    lessons = sorted((root / "notebooks").glob(f"{prefix}*.ipynb"))
    if len(lessons) != 1:
        names = ", ".join(p.name[:2] for p in sorted((root / "notebooks").glob("*.ipynb")))
        msg = f"no single lesson starts with {prefix!r}; the lessons are {names}"
        raise Refused(msg)
    copy = work_dir(root) / lessons[0].name
    kept = None
    if copy.exists():
        kept = copy.with_name(f"{copy.stem}.before-reset-{time.strftime('%Y%m%d-%H%M%S')}.ipynb")
        copy.rename(kept)
    work_dir(root).mkdir(exist_ok=True)
    shutil.copy2(lessons[0], copy)
    return copy, kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reset", metavar="NN", help="make lesson NN's working copy afresh")
    parser.add_argument("--root", type=Path, default=PROJECT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reset:
        try:
            copy, kept = reset(args.reset, args.root)
        except Refused as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"{copy.relative_to(args.root)} is the course's lesson again")
        if kept:
            print(f"your old copy is {kept.relative_to(args.root)}")
        return 0
    made = prepare(args.root, args.root / "notebooks")
    if made:
        print(f"your working copies of {len(made)} lesson(s) are in {WORK_DIR}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
