"""Load a script of ``benchmarks/`` as a module, for the tests of its functions and of a
--quick run (the scripts are not a package)."""

import importlib.util
import re
import shlex
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(filename):
    """The module of ``benchmarks/<filename>``, executed afresh."""
    name = f"benchmark_{Path(filename).stem}"
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def recorded_command(report):
    """The arguments of the command a report says wrote it ("Written by `...`"), as a shell
    would split them."""
    return shlex.split(re.search(r"Written by `([^`]*)`", report).group(1))


def write_ts(path, series, labels, label_tag="@classLabel true a b"):
    """A univariate .ts file as the archive distributes them; NaN is written as '?'.
    ``label_tag``: the header's label line (``@targetLabel true`` for regression)."""
    lines = ["@problemName Toy", "@univariate true", "@equalLength true"]
    lines += [f"@seriesLength {len(series[0])}", label_tag, "@data"]
    for x, label in zip(series, labels):
        lines.append(",".join("?" if np.isnan(v) else repr(float(v)) for v in x) + f":{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
