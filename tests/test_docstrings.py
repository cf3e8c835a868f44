"""The documentation runs: every ``>>>`` example in the installed pygru package passes, and
every public callable that takes arguments documents each of them, and nothing else, in a
numpydoc "Parameters" section.

The examples are found with ``doctest.DocTestFinder`` in every module of the package
(``pkgutil.walk_packages``), so a new module or a new example is checked without being listed
here. A module whose examples need optional packages (ipywidgets and matplotlib for
``pygru.notebook``) is skipped when they are missing.
"""

import ast
import doctest
import importlib
import inspect
import pkgutil
import re

import pytest

import pygru
from pygru._cpu import PATHS, runnable_paths

# The package has this many examples (``>>>`` statements) at least; the sweep fails if it
# finds fewer, e.g. because the walk no longer reaches a subpackage.
MIN_EXAMPLES = 170

OPTION_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names():
    """Every module of the installed package but the compiled kernels this CPU cannot run
    (``pygru._cpu`` never imports those: their code, module setup included, is compiled for
    the wider instruction set, and importing one raises ImportError)."""
    found = {info.name for info in pkgutil.walk_packages(pygru.__path__, "pygru.")}
    unrunnable = {f"pygru._cpu._gru_{path}" for path in set(PATHS) - set(runnable_paths())}
    return sorted({"pygru", *found} - unrunnable)


MODULE_NAMES = _module_names()


def _is_notebook_module(name):
    return name == "pygru.notebook" or name.startswith("pygru.notebook.")


def _import(name):
    """The module, or a skip when it needs CuPy to import and CuPy is missing."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        if name.startswith("pygru._cuda") and "cupy" in str(error).lower():
            pytest.skip(f"{name} needs CuPy to import: {error}")
        raise


def _doctests(module):
    return [
        test for test in doctest.DocTestFinder().find(module, module.__name__) if test.examples
    ]


def test_the_walk_finds_the_package():
    for name in (
        "pygru",
        "pygru._estimators",
        "pygru.functional",
        "pygru.text",
        "pygru.datasets._ucr",
        "pygru.notebook._panel",
        "pygru._cpu._gru_baseline",  # every x86-64 CPU runs it
    ):
        assert name in MODULE_NAMES


def test_the_package_has_examples():
    counts = {}
    for name in MODULE_NAMES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue  # reported by test_examples_run
        counts[name] = sum(len(test.examples) for test in _doctests(module))
    total = sum(counts.values())
    assert total >= MIN_EXAMPLES, (
        f"found {total} examples, expected at least {MIN_EXAMPLES}: {counts}"
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("module_name", MODULE_NAMES)
def test_examples_run(module_name):
    module = _import(module_name)
    tests = _doctests(module)  # may be none: a module without examples passes
    notebook = tests and _is_notebook_module(module_name)
    if notebook:
        # pygru.notebook imports without them; its examples make widgets and figures.
        pytest.importorskip("ipywidgets")
        pytest.importorskip("matplotlib").use("Agg")
    runner = doctest.DocTestRunner(optionflags=OPTION_FLAGS)
    report = []
    try:
        for test in tests:
            runner.run(test, out=report.append)
    finally:
        if notebook:
            from matplotlib import pyplot

            pyplot.close("all")
    assert runner.failures == 0, "".join(report)


# ---------------------------------------------------------------------------- parameters
_PUBLIC_MODULES = (
    "pygru",
    "pygru.export",
    "pygru.functional",
    "pygru.preprocessing",
    "pygru.text",
    "pygru.datasets",
    "pygru.notebook",
)


def _public_callables():
    """(qualified name, object) of every public callable and of the public methods that
    pygru's own classes define for them."""
    found = {}
    for module_name in _PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None)
        if names is None:
            names = [name for name in vars(module) if not name.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if not callable(obj):
                continue
            qualified = f"{module_name}.{name}"
            found[qualified] = obj
            if inspect.isclass(obj):
                for attribute, method in _public_methods(obj):
                    found[f"{qualified}.{attribute}"] = method
    return found


def _public_methods(cls):
    seen = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("pygru"):
            continue
        for attribute, value in vars(klass).items():
            if attribute.startswith("_") or attribute in seen:
                continue
            seen.add(attribute)
            if inspect.isfunction(value):
                yield attribute, getattr(cls, attribute)


def _parameter_names(obj):
    """Names of the parameters a caller passes (not self)."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    return [name for name in signature.parameters if name not in ("self", "cls")]


_SECTION = re.compile(r"^(\w[\w ]*)\n-{3,}$", re.MULTILINE)


def _documented_parameters(docstring):
    """Names listed in the numpydoc "Parameters" section of a cleaned docstring, or None
    when there is no such section."""
    sections = list(_SECTION.finditer(docstring))
    for index, section in enumerate(sections):
        if section.group(1) == "Parameters":
            end = sections[index + 1].start() if index + 1 < len(sections) else None
            body = docstring[section.end() : end]
            names = set()
            for line in body.splitlines():
                if line and not line[0].isspace():
                    entry = line.split(" : ", 1)[0]
                    names.update(name.strip().lstrip("*") for name in entry.split(","))
            return names
    return None


PUBLIC_CALLABLES = _public_callables()


def test_public_callables_found():
    for name in (
        "pygru.GRUClassifier",
        "pygru.GRUClassifier.fit",
        "pygru.GRURegressor.gate_activations",
        "pygru.text.TokenSequencer",
        "pygru.datasets.load_ucr",
        "pygru.notebook.TrainingPanel",
        "pygru.functional.gru_forward",
        "pygru.show_config",
    ):
        assert name in PUBLIC_CALLABLES


@pytest.mark.parametrize("name", PUBLIC_CALLABLES)
def test_public_callable_documents_its_parameters(name):
    obj = PUBLIC_CALLABLES[name]
    docstring = inspect.getdoc(obj)
    assert docstring and docstring.strip(), f"{name} has no docstring"
    parameters = _parameter_names(obj)
    if not parameters:
        return
    documented = _documented_parameters(docstring)
    assert documented is not None, f"{name} takes {parameters} but has no Parameters section"
    missing = [parameter for parameter in parameters if parameter not in documented]
    assert not missing, f"{name}: Parameters section does not describe {missing}"
    # and lists nothing else: a paragraph left inside the section renders as a parameter
    unknown = sorted(documented - set(parameters))
    assert not unknown, f"{name}: Parameters section lists {unknown}, not parameters"


@pytest.mark.parametrize("name", ["pygru.GRUClassifier", "pygru.GRURegressor"])
def test_estimator_parameters_have_defaults(name):
    """Every constructor parameter is listed with its default, as scikit-learn's are."""
    estimator = PUBLIC_CALLABLES[name]
    docstring = inspect.getdoc(estimator)
    assert set(estimator._parameter_constraints) == set(_parameter_names(estimator))
    for parameter, default in estimator().get_params().items():
        entry = re.search(rf"^{parameter} : .*default=(.+)$", docstring, re.MULTILINE)
        assert entry, f"{name}: no entry with a default for {parameter}"
        assert ast.literal_eval(entry.group(1)) == default, (
            f"{name}: {parameter}'s entry gives default={entry.group(1)}, not {default!r}"
        )
    for section in ("Parameters", "Attributes", "See Also", "Notes", "Examples"):
        assert f"\n{section}\n{'-' * len(section)}\n" in docstring, f"{name}: no {section}"
