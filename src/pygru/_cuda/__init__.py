"""CUDA backend of the GRU layer: ``gru.cu`` (the kernels), ``_kernels`` (CuPy RawModule
loader), ``_launch`` (launch configuration, plain Python), ``_layer`` (the algorithm),
``_backend`` (CuPy-array entry points).

Importing this package does not import CuPy; nothing here does until a GPU function runs.
"""

import numpy as np

from pygru._arrays import is_cupy_array

__all__ = ["is_cupy_array", "require_gpu", "device_module"]


def require_gpu():
    """The ``cupy`` module if CuPy is installed and sees a CUDA device; otherwise an
    ``ImportError`` or ``RuntimeError`` that says what to install."""
    from pygru._cuda._backend import require_gpu as require

    return require()


def device_module(device):
    """The array module for ``device`` ("cpu", "cuda" or "auto").

    "auto" is the GPU when CuPy imports and sees a CUDA device, else the CPU; "cuda" without
    them is a ``ValueError`` that says what is missing and how to install it.
    """
    if device == "cpu":
        return np
    try:
        return require_gpu()
    except (ImportError, RuntimeError) as error:
        if device == "auto":
            return np
        raise ValueError(f"device='cuda' is not available: {error}") from error
