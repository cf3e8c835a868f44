"""Sphinx configuration of the pygru documentation site.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are errors).
``PYGRU_DOCS_GALLERY=quick`` runs only two gallery examples (the test's reduced build);
``PYGRU_DOCS_GALLERY=none`` runs none (the other examples are still listed, without output).
"""

import os
import re
import sys
from pathlib import Path

import pygru

sys.path.insert(0, str(Path(__file__).resolve().parent))  # gallery_order

project = "pygru"
author = "The pygru developers"
copyright = "the pygru developers"
release = pygru.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",  # docs/design.md, which code comments cite, is a Markdown page
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md", "examples", "auto_examples/*.ipynb"]
templates_path = ["_templates"]

# API reference: one page per public name, generated from the numpydoc docstrings.
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# No intersphinx: the build must not touch the network. So references to other libraries
# cannot resolve, and only those are let through: every reference to pygru must resolve
# (nitpicky mode, with -W an error).
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(sklearn|numpy|scipy|torch|keras|onnx|pandas)(\..*)?")]

# The gallery: every example runs during the build and its figures are kept.
_GALLERY = os.environ.get("PYGRU_DOCS_GALLERY", "full")
if _GALLERY not in ("full", "quick", "none"):
    raise ValueError(f"PYGRU_DOCS_GALLERY must be full, quick or none, not {_GALLERY!r}")
_QUICK_EXAMPLES = ("plot_quick_start.py", "plot_speed_against_torch.py")
_FILENAME_PATTERN = {
    "full": r"/plot_",
    "quick": "|".join(re.escape("/" + name) for name in _QUICK_EXAMPLES),
    "none": r"^$",
}[_GALLERY]

sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": _FILENAME_PATTERN,
    "plot_gallery": "False" if _GALLERY == "none" else "True",
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    # Quick start first, then the order of docs/gallery_order.py (by import path: picklable).
    "within_subsection_order": "gallery_order.ExampleOrder",
    "show_memory": False,
    "image_scrapers": ("matplotlib",),
}

html_theme = "pydata_sphinx_theme"
html_title = f"pygru {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
}
html_static_path = []  # the screenshots in _static/ are figures: Sphinx copies them
html_show_sourcelink = False

myst_heading_anchors = 3
suppress_warnings = ["myst.header"]


_TRAILING_UNDERSCORE = re.compile(r"(?<![`\\\w])([A-Za-z]\w*?)_(?=[\s,.;:)\]]|$)")


def _escape_trailing_underscores(app, what, name, obj, options, lines):
    """Keep names such as ``n_features_in_`` in plain docstring text literal.

    In reStructuredText a word ending in "_" is a link to a target of that name; the
    docstrings use scikit-learn's fitted-attribute names (``coefs_``, ``patch_size_``) in
    prose and in types, never as links. Text inside ``double backticks``, doctest lines and
    directives are left alone.
    """
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith((">>>", "...", ".. ")):
            continue
        parts = line.split("``")
        parts[::2] = [_TRAILING_UNDERSCORE.sub(r"\1\\_", part) for part in parts[::2]]
        lines[i] = "``".join(parts)


def setup(app):
    # After numpydoc (priority 500) has turned the sections into reStructuredText.
    app.connect("autodoc-process-docstring", _escape_trailing_underscores, priority=600)
