"""Make the screenshots of the notebook widgets shown on the guide's notebooks page.

Run by hand (not during the build), from the repository root, when the widgets change::

    python docs/make_screenshots.py

It serves a two-cell notebook with JupyterLab (a TrainingPanel on JapaneseVowels, a
GateViewer on ItalyPowerDemand), runs it in headless Chromium with playwright, clicks Start on
the panel, pauses it after a few epochs and saves both widgets as element screenshots in
``docs/_static/``, reduced to a 256-colour palette. It needs what
``tests/test_notebook_browser.py`` needs (jupyterlab, playwright, ipywidgets and Debian's
``/usr/bin/chromium``) and borrows that test's helpers.
"""

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_notebook_browser import CHROMIUM_FLAGS, _api, _chromium, _free_port  # noqa: E402
from test_notebooks_execute import kernel_environment  # noqa: E402

STATIC = Path(__file__).resolve().parent / "_static"
KERNEL_IDLE = "() => /\\| Idle/.test(document.querySelector('#jp-main-statusbar').innerText)"
EPOCHS = 12  # the panel is paused after this many epochs (or a few more)

CELLS = [
    """from pygru import GRUClassifier
from pygru.datasets import load_japanese_vowels
from pygru.notebook import TrainingPanel

X_train, y_train, X_test, y_test = load_japanese_vowels(return_X_y=True)
clf = GRUClassifier(hidden_layer_sizes=(32,), learning_rate_init=1e-2, max_iter=100,
                    random_state=0)
panel = TrainingPanel(clf, X_train, y_train, X_test, y_test)""",
    """from pygru.datasets import load_italy_power_demand
from pygru.notebook import GateViewer

X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
clf = GRUClassifier(hidden_layer_sizes=(8,), bidirectional=False, pooling="last",
                    learning_rate_init=1e-2, batch_size=32, max_iter=150, n_iter_no_change=10,
                    random_state=0).fit(X_train, y_train)
viewer = GateViewer(clf, X_test, y_test)
print("viewer ready")""",
]


def _notebook():
    cells = [
        {"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
        for s in CELLS
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}


def _save(locator, name):
    path = STATIC / name
    locator.screenshot(path=str(path))
    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"{path.relative_to(ROOT)}: {image.size[0]}x{image.size[1]}, {path.stat().st_size} B")


def main():
    from playwright.sync_api import expect, sync_playwright

    chromium = _chromium()
    if chromium is None:
        sys.exit("no Chromium executable (apt-get install chromium, or set PYGRU_CHROMIUM)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = tmp / "lab"
        root.mkdir()
        (root / "widgets.ipynb").write_text(json.dumps(_notebook()))
        config = tmp / "config"
        config.mkdir()
        lab = {"news_url": None, "extension_manager": "readonly"}
        (config / "jupyter_server_config.json").write_text(json.dumps({"LabApp": lab}))
        settings = tmp / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        env = {**os.environ, **kernel_environment(tmp / "jupyter")}
        env.update(
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        )
        env.pop("MPLBACKEND", None)
        port, token = _free_port(), secrets.token_hex(16)
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root"]
            + ["--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}"]
            + [f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(180):
                try:
                    _api(base, token, "/api/status")
                    break
                except (urllib.error.URLError, OSError):
                    time.sleep(0.5)
            expect.set_options(timeout=120_000)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
                )
                page = browser.new_page(viewport={"width": 1500, "height": 1400})
                page.set_default_timeout(120_000)
                page.goto(f"{base}/lab/tree/widgets.ipynb?token={token}")
                page.locator(".jp-Notebook").first.wait_for()
                page.locator("#jp-main-statusbar").wait_for()
                page.wait_for_function(KERNEL_IDLE)
                page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
                page.get_by_text("Run All Cells", exact=True).click()
                expect(page.get_by_text("viewer ready")).to_be_visible()
                panel = page.locator(".pygru-training-panel").first
                panel.locator("button.pygru-start").click()
                page.wait_for_function(
                    """([panel, n]) => {
                        const m = /Epoch (\\d+)\\//.exec(
                            panel.querySelector('.pygru-summary').innerText);
                        return m && Number(m[1]) >= n; }""",
                    arg=[panel.element_handle(), EPOCHS],
                )
                panel.locator("button.pygru-pause").click()
                expect(panel.locator(".pygru-status")).to_contain_text("Paused after epoch")
                time.sleep(1.0)  # the last curves image
                _save(panel, "training_panel.png")
                viewer = page.locator(".pygru-gate-viewer").first
                viewer.scroll_into_view_if_needed()
                _save(viewer, "gate_viewer.png")
                browser.close()
        finally:
            for kernel in _api(base, token, "/api/kernels") or []:
                _api(base, token, f"/api/kernels/{kernel['id']}", method="DELETE")
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
