"""The CPU kernels, compiled once per instruction set; the widest this CPU runs is used.

setup.py builds ``_gru.pxi`` three times on x86-64, the way NumPy dispatches its loops:
``baseline`` (x86-64, SSE2), ``avx2`` (x86-64-v3: AVX2 + FMA) and ``avx512`` (x86-64-v4), and
only ``baseline`` elsewhere. One wheel then runs on every CPU of its architecture and uses
what the CPU has. The environment variable ``PYGRU_CPU_KERNELS`` (``baseline``, ``avx2`` or
``avx512``), read at import, forces a path, e.g. to compare paths or to rule one out.

Import a path through :func:`kernel_module`, which checks the CPU first. Each module is
compiled for its instruction set down to its module setup code; the wider ones are entered
through a check compiled for plain x86-64 (``_path_guard.c``), so importing ``_gru_avx512``
directly on a CPU without AVX-512 raises ImportError rather than executing an illegal
instruction (a tool that imports every module it finds, such as a doctest sweep, skips the
paths :func:`runnable_paths` omits).

Results are bit-identical for any batch composition and thread count on one path; two paths
differ in rounding (fused multiply-adds, vector math widths), like NumPy's.
"""

import os
from importlib import import_module
from importlib.util import find_spec

PATHS = ("baseline", "avx2", "avx512")
ENVIRONMENT_VARIABLE = "PYGRU_CPU_KERNELS"

__all__ = ["PATHS", "ENVIRONMENT_VARIABLE", "runnable_paths", "kernel_module", "kernels", "path"]


def runnable_paths():
    """The paths built into this installation that this CPU can run, narrowest first."""
    try:
        baseline = import_module("pygru._cpu._gru_baseline")
    except ModuleNotFoundError as error:
        raise ImportError(
            "pygru's compiled kernels are missing: this is a source tree that was never "
            f"built ({os.path.dirname(__file__)}). Install pygru with pip (pip install . "
            "from the clone's root, or pip install -e . to work on it) and import the "
            "installed package."
        ) from error
    level = baseline.cpu_level()
    return [name for name in PATHS[: level + 1] if find_spec(f"pygru._cpu._gru_{name}")]


def kernel_module(name):
    """The compiled kernels of path ``name``, or a ValueError/RuntimeError saying why not."""
    runnable = runnable_paths()
    if name not in PATHS:
        raise ValueError(
            f"{ENVIRONMENT_VARIABLE} must be one of {', '.join(PATHS)} "
            f"(or unset for the widest this CPU runs), got {name!r}; this CPU and build run "
            f"{', '.join(runnable)}"
        )
    if name not in runnable:
        raise RuntimeError(
            f"the {name} kernels cannot run here: this CPU and build run {', '.join(runnable)}"
        )
    return import_module(f"pygru._cpu._gru_{name}")


def _chosen_path():
    forced = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    return forced if forced else runnable_paths()[-1]


path = _chosen_path()
kernels = kernel_module(path)
