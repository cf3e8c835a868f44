"""The documentation site builds with warnings as errors, and it is complete.

The site (``docs/``) is built from a copy in a temporary directory, as CI would from a fresh
clone: ``python -m sphinx -W -b html``, every gallery example executed (about a minute on 2
cores; ``PYGRU_DOCS_GALLERY=quick`` runs two of them, see ``docs/README.md``). Then every
public name of pygru has its API page, every user-guide page exists, and every gallery page
that ran shows its figure.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pygru
import pygru.datasets
import pygru.export
import pygru.functional
import pygru.notebook
import pygru.preprocessing
import pygru.text

DOCS = Path(__file__).resolve().parents[1] / "docs"

# Module-level constants, documented in the text of the API page rather than on pages of
# their own.
CONSTANTS = {"pygru.__version__", "pygru.text.OOV_ID", "pygru.text.PADDING_ID"}
CONSTANTS |= {"pygru.datasets.UCR_DATASETS"}

GUIDE_PAGES = [
    "installation",
    "inputs",
    "math",
    "training",
    "recipes",
    "saving",
    "reproducibility",
    "speed_accuracy",
    "notebooks",
]


def _public_names():
    names = []
    for module in (
        pygru,
        pygru.functional,
        pygru.preprocessing,
        pygru.text,
        pygru.datasets,
        pygru.notebook,
        pygru.export,
    ):
        for name in module.__all__:
            qualified = f"{module.__name__}.{name}"
            if qualified not in CONSTANTS:
                names.append(qualified)
    return names


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("docs")
    source = root / "docs"
    shutil.copytree(
        DOCS,
        source,
        ignore=shutil.ignore_patterns("_build", "generated", "auto_examples", "sg_execution_*"),
    )
    html = root / "html"
    environment = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    completed = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
        + [str(source), str(html)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-5000:]
    return html


def _example_scripts():
    return sorted(path.stem for path in (DOCS / "examples").glob("plot_*.py"))


def test_the_gallery_has_enough_examples():
    assert len(_example_scripts()) >= 8


@pytest.mark.parametrize("name", _public_names())
def test_every_public_name_has_a_page(site, name):
    # pygru.export's functions are the same objects as pygru's; both names are documented
    # on the page of the top-level name, except the one only pygru.export has.
    if name.startswith("pygru.export.") and name.split(".")[-1] in pygru.__all__:
        name = "pygru." + name.split(".")[-1]
    page = site / "generated" / f"{name}.html"
    assert page.is_file(), f"no API page for {name}"
    text = page.read_text(encoding="utf-8")
    assert f'id="{name}"' in text, f"{page.name} does not document {name}"


def test_the_api_index_links_every_page(site):
    text = (site / "api.html").read_text(encoding="utf-8")
    for path in (site / "generated").glob("*.html"):
        assert f'href="generated/{path.name}' in text, path.name


@pytest.mark.parametrize("page", GUIDE_PAGES)
def test_the_user_guide_pages_exist(site, page):
    assert (site / "guide" / f"{page}.html").is_file()


def test_the_design_page_exists(site):
    assert "the design, for contributors" in (site / "design.html").read_text(encoding="utf-8")


def test_the_gallery_pages_show_their_figures(site):
    gallery = os.environ.get("PYGRU_DOCS_GALLERY", "full")
    ran = []
    for stem in _example_scripts():
        page = site / "auto_examples" / f"{stem}.html"
        assert page.is_file(), f"no gallery page for {stem}"
        text = page.read_text(encoding="utf-8")
        images = re.findall(r'<img [^>]*src="\.\./(_images/sphx_glr_[^"]+\.png)"', text)
        if images:
            ran.append(stem)
        for image in images:
            assert (site / image).stat().st_size > 5000, image
    expected = {"full": len(_example_scripts()), "quick": 2, "none": 0}[gallery]
    assert len(ran) == expected, ran


def test_the_gallery_lists_the_quick_start_first_in_the_set_order(site):
    sys.path.insert(0, str(DOCS))
    try:
        from gallery_order import EXAMPLES
    finally:
        sys.path.remove(str(DOCS))
    assert sorted(EXAMPLES) == sorted(f"{stem}.py" for stem in _example_scripts())
    assert EXAMPLES[0] == "plot_quick_start.py"
    text = (site / "auto_examples" / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="(plot_\w+)\.html', text)
    assert list(dict.fromkeys(links)) == [name[: -len(".py")] for name in EXAMPLES]


@pytest.mark.parametrize("image", ["training_panel.png", "gate_viewer.png"])
def test_the_notebooks_page_shows_the_widget_screenshots(site, image):
    assert (DOCS / "_static" / image).stat().st_size < 200_000
    text = (site / "guide" / "notebooks.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img [^>]*src="\.\./(_images/[^"]+)"', text)
    assert f"_images/{image}" in sources, sources
    assert (site / "_images" / image).stat().st_size > 5000
