"""Load a script of ``benchmarks/`` as a module, for the tests of its functions and of a
--quick run (the scripts are not a package)."""

import importlib.util
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(filename):
    """The module of ``benchmarks/<filename>``, executed afresh."""
    name = f"benchmark_{Path(filename).stem}"
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
