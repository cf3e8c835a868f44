"""The training panel in a real browser: JupyterLab serves notebooks/02_interactive_training,
headless Chromium runs all its cells, clicks Start, waits for epochs, clicks Pause.

Needs jupyterlab, playwright (the Python package; its own browser download is not used) and a
Chromium executable: /usr/bin/chromium (Debian's package), or the one in $PYGRU_CHROMIUM.
Skips, saying what is missing, otherwise.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from test_notebooks_execute import NOTEBOOK_DIR, kernel_environment

NOTEBOOK = "02_interactive_training.ipynb"
# Chromium as root in a container: no sandbox, no GPU, and none of the background requests
# to Google's services that hang a machine without internet access.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SERVER_START_TIMEOUT = 90  # seconds
EPOCHS_BEFORE_PAUSE = 3
WAIT_MS = 120_000  # for each step in the page


def _chromium():
    candidates = [
        os.environ.get("PYGRU_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ]
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


@pytest.fixture
def requirements():
    missing = []
    for module in ("jupyterlab", "playwright", "ipykernel", "ipywidgets", "matplotlib"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the Python package {module}")
    chromium = _chromium()
    if chromium is None:
        missing.append("a Chromium executable (apt-get install chromium, or set PYGRU_CHROMIUM)")
    if missing:
        pytest.skip("the browser test needs " + ", ".join(missing))
    return chromium


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(base, token, path, method="GET"):
    request = urllib.request.Request(
        f"{base}{path}", method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


@pytest.fixture
def jupyterlab(requirements, tmp_path):
    """A JupyterLab server on a free localhost port, serving a copy of the panel notebook;
    shut down (kernels first) whatever the test does."""
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(NOTEBOOK_DIR / NOTEBOOK, root / NOTEBOOK)
    config = tmp_path / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                # Nothing that would reach out to the internet: no news, update or PyPI queries.
                "LabApp": {
                    "news_url": None,
                    "extension_manager": "readonly",
                    "check_for_updates_class": "jupyterlab.handlers.announcements."
                    "NeverCheckForUpdate",
                },
            }
        )
    )
    # JupyterLab's settings: do not ask about news (the toast would cover the notebook).
    notification = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = {**os.environ, **kernel_environment(tmp_path / "jupyter")}
    env.update(
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
    )
    env.pop("MPLBACKEND", None)
    port, token = _free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                _api(base, token, "/api/status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "JupyterLab did not start:\n"
                        + (tmp_path / "jupyterlab.log").read_text()[-3000:]
                    )
                time.sleep(0.5)
        yield base, token
    finally:
        try:
            for kernel in _api(base, token, "/api/kernels"):
                _api(base, token, f"/api/kernels/{kernel['id']}", method="DELETE")
        except (urllib.error.URLError, OSError, TypeError):
            pass  # the server is already gone; its kernels went with it
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)
        log.close()


def _summary_epoch(panel):
    match = re.search(r"Epoch (\d+)/", panel.locator(".pygru-summary").inner_text())
    return int(match.group(1)) if match else None


def test_training_panel_in_jupyterlab(requirements, jupyterlab, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, token = jupyterlab
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=requirements,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            page.locator(".jp-Notebook").first.wait_for()
            # The kernel has started and connected ("No Kernel | Initializing" before).
            page.wait_for_function(
                "() => /\\| Idle/.test(document.querySelector('#jp-main-statusbar').innerText)"
            )

            page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
            page.get_by_text("Run All Cells", exact=True).click()
            # The last cell prints this when every cell above has run.
            outputs = page.locator(".jp-OutputArea-output")
            expect(outputs.get_by_text("same losses as straight through")).to_be_visible()

            panel = page.locator(".pygru-training-panel").first
            panel.scroll_into_view_if_needed()
            expect(panel.locator(".pygru-status")).to_contain_text("Ready")
            curves_before = panel.locator(".pygru-curves").get_attribute("src")

            panel.locator("button.pygru-start").click()
            wait_for_epoch = """([panel, epochs]) => {
                const match = /Epoch (\\d+)\\//.exec(
                    panel.querySelector('.pygru-summary').innerText);
                return match && Number(match[1]) >= epochs;
            }"""
            page.wait_for_function(wait_for_epoch, arg=[panel.element_handle(), 1])
            # The notebook stays usable while the panel trains: run a cell meanwhile.
            status_cell = page.locator(".jp-CodeCell").filter(
                has_text="panel.phase, panel.summary"
            )
            status_cell.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            expect(status_cell.locator(".jp-OutputArea-output")).to_contain_text("'running'")
            page.wait_for_function(
                wait_for_epoch, arg=[panel.element_handle(), EPOCHS_BEFORE_PAUSE]
            )
            expect(panel.locator("button.pygru-pause")).to_be_enabled()
            panel.locator("button.pygru-pause").click()
            expect(panel.locator(".pygru-status")).to_contain_text("Paused after epoch")

            epoch = _summary_epoch(panel)
            assert epoch >= EPOCHS_BEFORE_PAUSE
            expect(panel.locator(".pygru-status")).to_contain_text(f"Paused after epoch {epoch}")
            expect(panel.locator(".pygru-progress")).to_be_visible()
            expect(panel.locator("button.pygru-resume")).to_be_enabled()
            expect(panel.locator("button.pygru-start")).to_be_disabled()
            assert panel.locator(".pygru-curves").get_attribute("src") != curves_before
            time.sleep(1.0)  # paused means paused: no epoch comes after the click
            assert _summary_epoch(panel) == epoch

            panel.screenshot(path=str(tmp_path / "training_panel.png"))
            panel.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / "jupyterlab.png"))

            assert panel.locator(".pygru-error").count() == 0
            error_outputs = page.locator(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
            )
            assert error_outputs.count() == 0, error_outputs.all_inner_texts()
            assert page.get_by_text("Error displaying widget").count() == 0
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"))  # what the page showed
            raise
        finally:
            context.close()
