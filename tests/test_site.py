"""The static site: every lesson executed and rendered, and each page checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lab.course.site import KEY_FIGURES, build_page
from tests.conftest import ROOT


def test_the_site_builds_with_real_outputs(tmp_path: Path) -> None:
    env = {**os.environ, "LAB_RUN_DIR": str(tmp_path / "runs"), "LAB_REPOSITORY": "me/fork"}
    done = subprocess.run(
        [sys.executable, "-m", "lab.course.site", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    pages = {p["name"]: p for p in json.loads((tmp_path / "site" / "pages.json").read_text())}
    assert sorted(pages) == sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert set(KEY_FIGURES) == set(pages)  # every lesson has its key figures named
    index = (tmp_path / "site" / "index.html").read_text()
    for name, page in pages.items():
        body = (tmp_path / "site" / f"{name}.html").read_text()
        assert not page["problems"], (name, page["problems"])
        assert "Traceback (most recent call last)" not in body and f"href='{name}.html'" in index
        assert name == "00_welcome" or "lab-timeline" in body or "lab-scaling" in body
        assert f"urlpath=lab/tree/my-work/{name}.ipynb" in body  # its launch bar, to itself
    assert index.count("needs a live kernel") == sum(p["widgets"] for p in pages.values())
    assert pages["07_deadlines"]["widgets"] and not pages["00_welcome"]["widgets"]
    print({name: round(p["seconds"]) for name, p in pages.items()})


def test_a_page_with_an_error_or_without_its_figures_is_refused(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# 2 · broken"), nbformat.v4.new_code_cell("1 / 0")]
    )
    path = tmp_path / "02_fan_out.ipynb"  # named like a lesson, so its key figures are looked for
    nbformat.write(nb, path)
    page = build_page(path, tmp_path)
    assert any("ZeroDivisionError" in p for p in page.problems)
    assert any("no timeline" in p for p in page.problems)
    assert any("key figure missing" in p for p in page.problems)


def test_a_pages_launch_links_open_that_lesson_once_the_repository_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import parse_qs, urlsplit

    from lab.course.launch import binder_url, codespaces_url, repository
    from lab.course.site import launch_bar
    from lab.course.workspace import WORK_DIR
    from lab.errors import Refused
    from tests.conftest import git

    monkeypatch.delenv("LAB_REPOSITORY", raising=False)
    clone = tmp_path / "clone"
    clone.mkdir()
    git(clone, "init", "-q")
    assert repository(clone) is None  # unnamed: no link to nowhere
    bar = launch_bar("07_deadlines.ipynb", widgets=True, repo=None)
    assert "href" not in bar and "LAB_REPOSITORY" in bar
    git(clone, "remote", "add", "origin", "git@github.com:me/fork.git")
    assert repository(clone) == "me/fork"
    git(clone, "remote", "set-url", "origin", "https://github.com/me/other.git")
    assert repository(clone) == "me/other"
    git(clone, "remote", "set-url", "origin", "/srv/git/lessons")  # not GitHub: unnamed
    assert repository(clone) is None
    monkeypatch.setenv("LAB_REPOSITORY", "room/lessons")  # named where the site is built
    assert repository(clone) == "room/lessons"
    repo = repository(clone)
    bar = launch_bar("07_deadlines.ipynb", widgets=True, repo=repo)
    assert binder_url("07_deadlines.ipynb", repo) in bar and codespaces_url(repo) in bar
    path = parse_qs(urlsplit(binder_url("07_deadlines.ipynb", repo)).query)["urlpath"][0]
    assert path == f"lab/tree/{WORK_DIR}/07_deadlines.ipynb"
    assert (ROOT / "notebooks" / "07_deadlines.ipynb").is_file()  # binder/start copies it there
    assert urlsplit(binder_url("x.ipynb", repo)).path == "/v2/gh/room/lessons/HEAD"
    assert codespaces_url(repo) == "https://codespaces.new/room/lessons?quickstart=1"
    monkeypatch.setenv("LAB_REPOSITORY", "OWNER REPO")
    with pytest.raises(Refused, match="LAB_REPOSITORY must be owner/name"):
        repository(clone)
