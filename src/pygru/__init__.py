"""pygru: gated recurrent units for NumPy and scikit-learn users."""

from pygru import _fork  # noqa: F401  (before any kernel loads: see its docstring)
from pygru._version import __version__

_ESTIMATORS = ("GRUClassifier", "GRURegressor")
_PERSISTENCE = ("save", "load")
_EXPORT = (
    "to_onnx",
    "to_torch_module",
    "from_torch_module",
    "to_torch_state_dict",
    "from_torch_state_dict",
    "to_keras_weights",
    "from_keras_weights",
)

__all__ = [*_ESTIMATORS, *_PERSISTENCE, *_EXPORT, "show_config", "__version__"]
# The public submodules, imported on first use as pygru.<name>, as scikit-learn's are.
_SUBMODULES = ("datasets", "export", "functional", "notebook", "preprocessing", "text")


def show_config():
    """Print the CPU kernel path in use, the paths this CPU runs, the OpenMP thread count and
    the BLAS libraries loaded (the kernels do not use BLAS; NumPy and SciPy do).

    Examples
    --------
    >>> import pygru
    >>> pygru.show_config()  # doctest: +ELLIPSIS
    pygru ...
    CPU kernels: ... (runnable here: baseline...; choose with PYGRU_CPU_KERNELS)
    ...
    """
    import platform

    # SciPy's BLAS too: threadpool_info lists only loaded libraries (audit40j).
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    from pygru import _cpu

    print(f"pygru {__version__} on {platform.machine()}, Python {platform.python_version()}")
    print(
        f"CPU kernels: {_cpu.path} (runnable here: {', '.join(_cpu.runnable_paths())}; "
        f"choose with {_cpu.ENVIRONMENT_VARIABLE})"
    )
    if _cpu.kernels.built_with_openmp() and _fork.forked:
        print("OpenMP threads: 1 (this process was forked: OpenMP's threads do not survive it)")
    elif _cpu.kernels.built_with_openmp():
        print(f"OpenMP threads: {_cpu.kernels.max_threads()}")
    else:
        print("OpenMP threads: 1 (built without OpenMP: the compiler had none)")
    for library in threadpool_info():
        if library["user_api"] == "blas":
            print(
                f"BLAS for NumPy/SciPy: {library['internal_api']} {library['version']} "
                f"({library.get('architecture')}, {library['num_threads']} threads), "
                f"{library['filepath']}"
            )


def __getattr__(name):
    # Loaded on first use so that `import pygru.functional` stays light.
    if name in _ESTIMATORS:
        from pygru import _estimators

        return getattr(_estimators, name)
    if name in _PERSISTENCE:
        from pygru import _persistence

        return getattr(_persistence, name)
    if name in _EXPORT:
        from pygru import export

        return getattr(export, name)
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"pygru.{name}")
    raise AttributeError(f"module 'pygru' has no attribute {name!r}")


def __dir__():
    # With the lazy names of __getattr__, so that tab completion and help(pygru) show them
    # (PEP 562; scikit-learn, SciPy and NumPy pair the two likewise).
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))
