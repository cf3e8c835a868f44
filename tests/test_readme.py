"""The README's Python examples run as printed, in order, section by section.

A section's blocks share one namespace, as a reader pasting them one after another would;
each section starts afresh in a temporary directory (the examples write files). The cluster
examples ("From a laptop to a cluster") need a Dask scheduler and are not run."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
RUN = [
    "Use it like any scikit-learn estimator",
    "Regression and forecasting",
    "The layer itself: `pygru.functional`",
    "Saving and sharing models",
]


def python_blocks_by_section(text):
    """{section heading: [code of each ```python block under it]} for the ## sections."""
    sections = {}
    for part in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        sections[heading.strip()] = re.findall(r"^```python\n(.*?)^```", body, re.M | re.S)
    return sections


def test_every_section_to_run_exists_and_has_examples():
    sections = python_blocks_by_section(README.read_text())
    for heading in RUN:
        assert sections.get(heading), heading


# A reader pasting the examples sees no warning either, except scikit-learn's note that a
# fit ran to max_iter: whether a default fit stops a few epochs early follows the CPU's
# kernels in the last bits (GunPoint: 284 epochs with the AVX2 kernels, 300 with AVX-512).
@pytest.mark.parametrize("heading", RUN)
@pytest.mark.filterwarnings(
    "ignore:Stochastic optimizer. maximum iterations:sklearn.exceptions.ConvergenceWarning"
)
@pytest.mark.filterwarnings("error::UserWarning")
def test_readme_examples_run(heading, tmp_path, monkeypatch):
    if heading == "Saving and sharing models":
        monkeypatch.setenv("KERAS_BACKEND", "torch")  # as the example sets it
        for module in ("onnxruntime", "torch", "keras"):
            pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}
    for code in python_blocks_by_section(README.read_text())[heading]:
        exec(compile(code, f"README.md ({heading})", "exec"), namespace)
