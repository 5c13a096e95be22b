"""Every lesson opened, run and clicked in real JupyterLab, in Debian's chromium.

Starts JupyterLab on 127.0.0.1 with a fresh workspace and settings folder (no
token, news pop-up off, full rendering so every output is in the page) and
drives it with Playwright. Screenshots go to ``test-artifacts/``; the README's
timeline picture is one of them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import ROOT

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


def artifact(name: str) -> str:
    """Where a screenshot called ``name`` goes (the folder is made on first use)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / f"{name}.png")
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


def _chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("chromium not found: scripts/test installs Debian's chromium, or set CHROMIUM=/path/to/chromium")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("jupyter")
    for name, value in SETTINGS.items():
        path = tmp / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    shutil.copytree(ROOT / "notebooks", tmp / "notebooks")  # JupyterLab saves what it runs: never into the repository
    port = _free_port()
    env = {**os.environ, "LAB_RUN_DIR": str(tmp / "runs"), "JUPYTER_CONFIG_DIR": str(tmp / "config")}
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
            "--ip=127.0.0.1", f"--port={port}", f"--ServerApp.root_dir={tmp}",
            "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
            f"--LabApp.workspaces_dir={tmp / 'workspaces'}", f"--LabApp.user_settings_dir={tmp / 'settings'}",
            "--LabApp.expose_app_in_browser=True",
        ],
        env=env, stdout=(tmp / "jupyter.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"JupyterLab did not start: {(tmp / 'jupyter.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=_chromium(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


KERNEL_READY = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""
STARTED = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"""
ALL_RAN = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent.trim());
  return prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:$/.test(t));
}"""


def open_and_run_all(browser: object, url: str, name: str):  # noqa: ANN201
    for earlier in browser.contexts:  # one lesson open at a time, as a learner would have it
        earlier.close()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{url}/lab/workspaces/{Path(name).stem}/tree/notebooks/{name}?reset")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function(KERNEL_READY, timeout=60_000, polling=250)
        for _ in range(3):  # a run-all issued while the session is still settling can be dropped: issue it again
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")  # not awaited
            try:
                page.wait_for_function(STARTED, timeout=5_000, polling=100)
                break
            except PlaywrightTimeout:
                continue
        page.wait_for_function(ALL_RAN, timeout=120_000, polling=250)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    except Exception:
        page.screenshot(path=artifact(f"{name}-failure"))
        raise
    error_outputs = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert error_outputs.count() == 0, error_outputs.first.inner_text()
    assert page.locator("text=Traceback").count() == 0
    return page, errors


def screenshot(page, name: str) -> None:  # noqa: ANN001
    """The whole notebook: the viewport grows to its height, since it scrolls inside the page."""
    height = page.evaluate("document.querySelector('.jp-WindowedPanel-inner, .jp-Notebook').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(max(900, height + 200), 12_000)})
    page.wait_for_timeout(300)
    page.screenshot(path=artifact(name))


def test_welcome_in_browser(jupyter: str, browser: object) -> None:
    page, errors = open_and_run_all(browser, jupyter, "00_welcome.ipynb")
    assert page.locator("table.lab-table caption", has_text="Environment check").count() == 1
    checks = page.locator("table.lab-table", has_text="Environment check").locator("td")
    assert checks.filter(has_text="✓").count() >= 8
    assert checks.filter(has_text="✗").count() == 0
    screenshot(page, "00_welcome")
    assert not errors


def test_sequential_in_browser(jupyter: str, browser: object) -> None:
    page, errors = open_and_run_all(browser, jupyter, "01_sequential.ipynb")
    timeline = page.locator("svg.lab-timeline")
    assert timeline.count() == 1
    assert timeline.locator("rect.bar[data-outcome='sent']").count() == 4
    assert timeline.locator("text.total").count() == 1
    screenshot(page, "01_sequential")
    assert not errors


def test_fan_out_in_browser(jupyter: str, browser: object) -> None:
    page, errors = open_and_run_all(browser, jupyter, "02_fan_out.ipynb")
    timelines = page.locator("svg.lab-timeline")
    assert timelines.count() == 4  # the run, then 1, 2 and 4 workers
    first = timelines.first
    assert first.locator("rect.bar[data-outcome='sent']").count() == 4
    first.scroll_into_view_if_needed()
    first.screenshot(path=artifact("02_fan_out-timeline"))
    assert page.locator(".widget-toggle-buttons").count() == 1
    assert page.locator("table.lab-table caption", has_text="Durable promises").count() == 1
    screenshot(page, "02_fan_out")
    assert not errors


def test_push_failures_clicked_in_browser(jupyter: str, browser: object) -> None:
    page, errors = open_and_run_all(browser, jupyter, "03_push_failures.ipynb")
    scripted = page.locator("svg.lab-timeline").first
    assert scripted.locator("rect.bar[data-channel='push'][data-attempt='2'][data-outcome='sent']").count() == 1
    panel = page.locator(".widget-vbox").filter(has=page.locator("button", has_text="Run a new order")).last
    toggle = panel.locator("button", has_text="push: simulate_crash")
    toggle.click()
    page.wait_for_function("(el) => el.classList.contains('mod-active')", arg=toggle.element_handle(), timeout=5_000)
    panel.locator("button", has_text="Run a new order").click()
    live = panel.locator("svg.lab-timeline")
    live.locator("rect.bar[data-channel='push'][data-attempt='1'][data-outcome='failed']").wait_for(timeout=15_000)
    live.locator("rect.bar[data-channel='push'][data-attempt='2'][data-outcome='sent']").wait_for(timeout=20_000)
    panel.locator("text=4/4 notified").wait_for(timeout=10_000)
    ledger = panel.locator("table.lab-table", has_text="Send ledger")
    assert ledger.locator("text=✓ once").count() == 4
    live.scroll_into_view_if_needed()
    panel.screenshot(path=artifact("03_push_failures-panel"))
    screenshot(page, "03_push_failures")
    assert not errors
