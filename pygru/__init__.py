"""pygru: gated recurrent units for NumPy and scikit-learn users."""

__version__ = "0.1.0"
