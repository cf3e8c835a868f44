"""pygru: gated recurrent units for NumPy and scikit-learn users."""

__version__ = "0.1.0"

_ESTIMATORS = ("GRUClassifier", "GRURegressor")
_PERSISTENCE = ("save", "load", "to_torch_state_dict", "from_torch_state_dict",
                "to_keras_weights", "from_keras_weights")

__all__ = [*_ESTIMATORS, *_PERSISTENCE, "__version__"]


def __getattr__(name):
    # Loaded on first use so that `import pygru.functional` stays light.
    if name in _ESTIMATORS:
        from pygru import _estimators

        return getattr(_estimators, name)
    if name in _PERSISTENCE:
        from pygru import _io

        return getattr(_io, name)
    raise AttributeError(f"module 'pygru' has no attribute {name!r}")
