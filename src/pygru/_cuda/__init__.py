"""CUDA backend of the GRU layer: ``gru.cu`` (the kernels), ``_kernels`` (CuPy RawModule
loader), ``_launch`` (launch configuration, plain Python), ``_layer`` (the algorithm),
``_backend`` (CuPy-array entry points).

Importing this package does not import CuPy; nothing here does until a GPU function runs.
"""

__all__ = ["is_cupy_array", "require_gpu"]


def is_cupy_array(value):
    """True for a CuPy ndarray, decided without importing CuPy."""
    return type(value).__module__.split(".")[0] == "cupy"


def require_gpu():
    """The ``cupy`` module if CuPy is installed and sees a CUDA device; otherwise an
    ``ImportError`` or ``RuntimeError`` that says what to install."""
    from pygru._cuda._backend import require_gpu as require

    return require()
