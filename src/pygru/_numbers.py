"""Whether an argument is a count or a number, as scikit-learn's parameter checks read
them: NumPy's integer and floating scalars qualify, a bool does not (``True`` is not one
epoch)."""

from numbers import Integral, Real

import numpy as np

from pygru._sklearn_private import Interval


def is_integer(value):
    """Whether ``value`` is an integer (Python's or NumPy's) other than a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_real(value):
    """Whether ``value`` is a real number (Python's or NumPy's) other than a bool."""
    return isinstance(value, Real) and not isinstance(value, bool)


def as_flag(name, value):
    """``value`` as a bool, or a TypeError naming ``name``: a flag is True or False (NumPy's
    too), not anything with a truth value, where the string "False" would read as True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def refuse_bools_in_a_list_of_counts(name, values):
    """Raise a TypeError naming ``name`` where ``values``, a list or tuple, holds a bool:
    NumPy reads ``[True, 4]`` as ``[1, 4]``, so the check after the conversion misses it."""
    if isinstance(values, (list, tuple)) and any(
        isinstance(value, (bool, np.bool_)) for value in values
    ):
        raise TypeError(f"{name} must hold ints, not bools; got {values!r}"[:300])


def refuse_bools_for_counts(estimator):
    """Raise a TypeError naming the first parameter of ``estimator`` that counts (its
    constraints include an ``Interval(Integral, ...)``) and is a bool: scikit-learn's checks
    take True as 1, and a bool where a count belongs is a mistake."""
    for name, constraints in estimator._parameter_constraints.items():
        value = getattr(estimator, name)
        counts = any(isinstance(c, Interval) and c.type is Integral for c in constraints)
        if counts and isinstance(value, (bool, np.bool_)):
            raise TypeError(
                f"The {name!r} parameter of {type(estimator).__name__} must be an int, "
                f"not a bool; got {value!r}."
            )
