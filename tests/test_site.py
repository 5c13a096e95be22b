"""The static site: every lesson executed and rendered, and each page checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lab.site import KEY_FIGURES, build_page
from tests.conftest import ROOT


def test_the_site_builds_with_real_outputs(tmp_path: Path) -> None:
    env = {**os.environ, "LAB_RUN_DIR": str(tmp_path / "runs")}
    done = subprocess.run(
        [sys.executable, "-m", "lab.site", str(tmp_path / "site")],
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


def test_a_pages_launch_links_open_that_lesson(tmp_path: Path) -> None:
    from urllib.parse import parse_qs, urlsplit

    from lab.launch import binder_url, codespaces_url, repository
    from lab.site import launch_bar
    from lab.workspace import WORK_DIR

    repo = repository()  # read off the README's badges: the one place to set it
    bar = launch_bar("07_deadlines.ipynb", widgets=True)
    assert binder_url("07_deadlines.ipynb") in bar and codespaces_url() in bar
    path = parse_qs(urlsplit(binder_url("07_deadlines.ipynb")).query)["urlpath"][0]
    assert path == f"lab/tree/{WORK_DIR}/07_deadlines.ipynb"
    assert (ROOT / "notebooks" / "07_deadlines.ipynb").is_file()  # binder/start copies it there
    assert urlsplit(binder_url("x.ipynb")).path == f"/v2/gh/{repo}/HEAD"
    assert codespaces_url() == f"https://codespaces.new/{repo}?quickstart=1"
    readme = tmp_path / "README.md"  # a fork that set one badge and not the other is told so
    readme.write_text(
        (ROOT / "README.md")
        .read_text()
        .replace("codespaces.new/OWNER/REPO", "codespaces.new/me/fork")
    )
    with pytest.raises(ValueError, match="the badges disagree"):
        repository(readme)
