"""The package's modules import each other in one direction only: no cycle, counting the
imports inside functions too (those run later, but a cycle among them is the same knot);
and the top-level package shows the names it loads on first use."""

import ast
import pkgutil
from pathlib import Path

from conftest import run_in_a_fresh_python

import pygru

PACKAGE_ROOT = Path(pygru.__file__).parent


def module_files():
    """Module name -> source path, for every module of the installed package."""
    files = {"pygru": PACKAGE_ROOT / "__init__.py"}
    for info in pkgutil.walk_packages(pygru.__path__, "pygru."):
        relative = Path(*info.name.split(".")[1:])
        path = (
            PACKAGE_ROOT / relative / "__init__.py"
            if info.ispkg
            else PACKAGE_ROOT / relative.with_suffix(".py")
        )
        if path.exists():  # compiled extension modules have no Python source
            files[info.name] = path
    return files


def imported_modules(path, known):
    """The package's modules that ``path`` imports, anywhere in the file. ``from pygru.a
    import b`` imports ``pygru.a.b`` when that is a module, else ``pygru.a``."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names if alias.name in known)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and node.module.split(".")[0] == "pygru"
        ):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                imported.add(submodule if submodule in known else node.module)
    return imported


def find_cycle(graph):
    """One cycle of ``graph`` (a list of modules), or None."""
    state, stack = {}, []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[module] = "done"
        stack.pop()
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_the_import_graph_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_module_of_the_package_takes_part_in_an_import_cycle():
    files = module_files()
    assert {"pygru.functional", "pygru._layer_args", "pygru._cuda._backend"} <= set(files)
    graph = {name: imported_modules(path, files) - {name} for name, path in files.items()}
    # The package's __init__ only re-exports lazily; what a module needs from the package it
    # imports from the submodule itself (``python -m pygru`` uses the public API).
    for name in graph:
        assert "pygru" not in graph[name] or name in ("pygru", "pygru.__main__"), (
            f"{name} imports names from the pygru package itself"
        )
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_dir_of_pygru_lists_the_names_it_loads_on_first_use(tmp_path):
    # dir(pygru) lacked GRUClassifier and 10 more of __all__ (loaded lazily by the module's
    # __getattr__), so tab completion and help(pygru) did not show them.
    code = (
        "import sys, pygru; names = dir(pygru); "
        "assert set(pygru.__all__) <= set(names), set(pygru.__all__) - set(names); "
        "assert 'sklearn' not in sys.modules and 'numpy' not in sys.modules"
    )
    run_in_a_fresh_python(code, tmp_path)


def test_the_public_submodules_are_attributes_of_pygru_on_first_use(tmp_path):
    # pygru.datasets raised AttributeError after `import pygru` (and pygru.export worked
    # only once something had touched pygru.to_onnx), where sklearn.datasets works.
    code = (
        "import sys, pygru\n"
        "names = ('datasets', 'export', 'functional', 'notebook', 'preprocessing', 'text')\n"
        "assert set(names) <= set(dir(pygru))\n"
        "assert 'sklearn' not in sys.modules\n"
        "for name in names:\n"
        "    assert getattr(pygru, name) is sys.modules['pygru.' + name]\n"
        "assert pygru.datasets.load_airline().data.shape == (144,)\n"
        "assert not {'torch', 'onnx', 'matplotlib', 'ipywidgets'} & set(sys.modules)"
    )
    run_in_a_fresh_python(code, tmp_path)
