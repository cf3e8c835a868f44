"""Where arrays live: NumPy on the CPU, CuPy on the GPU, and moving between them.

The estimators and the network are written once against an "array module" ``xp`` (``numpy``
or ``cupy``) taken from the arrays themselves, as CuPy's ``get_array_module`` does. CuPy is
imported only when a CuPy array or ``device="cuda"`` appears.
"""

import numpy as np


def is_cupy_array(value):
    """True for a CuPy ndarray, decided without importing CuPy."""
    return type(value).__module__.split(".")[0] == "cupy"


def array_module(array):
    """``cupy`` for a CuPy array, ``numpy`` for anything else."""
    if is_cupy_array(array):
        import cupy

        return cupy
    return np


def valid_steps(xp, lengths, n_steps):
    """(n, n_steps) True at each sequence's steps before its length, where ``lengths`` (an
    ``xp`` array) is: nothing crosses to a device here."""
    return xp.arange(n_steps)[None, :] < lengths[:, None]


def to_host(array):
    """A NumPy array with the values of ``array`` (itself if it already is one)."""
    return array.get() if is_cupy_array(array) else array
