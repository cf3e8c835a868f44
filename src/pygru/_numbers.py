"""Whether an argument is a count or a number, as scikit-learn's parameter checks read
them: NumPy's integer and floating scalars qualify, a bool does not (``True`` is not one
epoch)."""

from numbers import Integral, Real


def is_integer(value):
    """Whether ``value`` is an integer (Python's or NumPy's) other than a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_real(value):
    """Whether ``value`` is a real number (Python's or NumPy's) other than a bool."""
    return isinstance(value, Real) and not isinstance(value, bool)
