"""The notebooks in notebooks/ run top to bottom in a fresh kernel, cleanly, and are stored
without outputs."""

import json
import os
import sys
from pathlib import Path

import pytest

import pygru

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = [
    "01_quick_start.ipynb",
    "02_interactive_training.ipynb",
    "03_gates.ipynb",
    "04_text_sentiment.ipynb",
    "05_forecasting.ipynb",
    "06_gru_vs_lstm.ipynb",
]
# Notebooks that compare pygru with an optional peer run only where the peer is installed.
PEERS = {"06_gru_vs_lstm.ipynb": "torch"}
# What a notebook must print where its prose states a result.
PRINTED = {
    "02_interactive_training.ipynb": [
        "paused after 2 epoch(s): paused",
        "same losses as straight through: True",
    ],
}


def kernel_environment(directory):
    """Environment variables under which a "python3" Jupyter kernel runs this interpreter
    and imports the pygru under test (the notebooks name the "python3" kernel)."""
    kernel = Path(directory) / "kernels" / "python3"
    kernel.mkdir(parents=True, exist_ok=True)
    (kernel / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (pygru tests)",
                "language": "python",
            }
        )
    )
    source_root = str(Path(pygru.__file__).resolve().parent.parent)
    return {
        "JUPYTER_PATH": os.pathsep.join(
            filter(None, [str(directory), os.environ.get("JUPYTER_PATH")])
        ),
        "PYTHONPATH": os.pathsep.join(filter(None, [source_root, os.environ.get("PYTHONPATH")])),
    }


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name):
    notebook = json.loads((NOTEBOOK_DIR / name).read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{name} is stored with outputs; clear them before committing"
            )


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    for module in ("nbclient", "nbformat", "ipykernel", "ipywidgets", "matplotlib"):
        pytest.importorskip(module)
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in kernel_environment(tmp_path_factory.mktemp("jupyter")).items():
            patch.setenv(variable, value)
        patch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws figures
        yield


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom(name, kernel, tmp_path):
    if name in PEERS:
        pytest.importorskip(PEERS[name])
    import nbclient
    import nbformat

    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=240,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    # Errors in threads (the training panel's worker) and warnings do not fail a cell;
    # they reach the notebook as stderr.
    stderr = [
        f"cell {index}: {output['text']}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output["output_type"] == "stream" and output["name"] == "stderr"
    ]
    assert not stderr, "\n".join(stderr)
    stdout = "".join(
        output["text"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output["output_type"] == "stream" and output["name"] == "stdout"
    )
    for text in PRINTED.get(name, []):
        assert text in stdout, f"{name} does not print {text!r}"
    figures = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert figures, f"{name} shows no figure"
