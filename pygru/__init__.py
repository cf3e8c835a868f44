"""pygru: gated recurrent units for NumPy and scikit-learn users."""

__version__ = "0.1.0"

__all__ = ["GRUClassifier", "GRURegressor", "__version__"]


def __getattr__(name):
    # The estimators pull in scikit-learn; load them on first use so that
    # `import pygru.functional` stays light.
    if name in ("GRUClassifier", "GRURegressor"):
        from pygru import _estimators

        return getattr(_estimators, name)
    raise AttributeError(f"module 'pygru' has no attribute {name!r}")
