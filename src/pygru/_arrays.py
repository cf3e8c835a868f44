"""Where arrays live: NumPy on the CPU, CuPy on the GPU, and moving between them.

The estimators and the network are written once against an "array module" ``xp`` (``numpy``
or ``cupy``) taken from the arrays themselves, as CuPy's ``get_array_module`` does. CuPy is
imported only when a CuPy array or ``device="cuda"`` appears.
"""
import numpy as np

from pygru._cuda import is_cupy_array


def array_module(array):
    """``cupy`` for a CuPy array, ``numpy`` for anything else."""
    if is_cupy_array(array):
        import cupy

        return cupy
    return np


def to_host(array):
    """A NumPy array with the values of ``array`` (itself if it already is one)."""
    return array.get() if is_cupy_array(array) else array


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices accumulated (``np.add.at``)."""
    if is_cupy_array(target):
        import cupyx

        cupyx.scatter_add(target, index, values)
    else:
        np.add.at(target, index, values)


def device_module(device):
    """The array module for ``device`` ("cpu", "cuda" or "auto").

    "auto" is the GPU when CuPy imports and sees a CUDA device, else the CPU; "cuda" without
    them is a ``ValueError`` that says what is missing and how to install it.
    """
    if device == "cpu":
        return np
    from pygru._cuda import require_gpu

    try:
        return require_gpu()
    except (ImportError, RuntimeError) as error:
        if device == "auto":
            return np
        raise ValueError(f"device='cuda' is not available: {error}") from error
