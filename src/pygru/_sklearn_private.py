"""The private scikit-learn names pygru uses, imported in this one place.

scikit-learn does not promise these across releases; pyproject.toml bounds scikit-learn to
the versions the test suite has run against, and a release that moves one of them breaks
this module only. Each is what scikit-learn's own estimators use:

- ``_fit_context``: validates the parameters once per fit (``_parameter_constraints``);
- ``Interval``, ``Options``, ``StrOptions``, ``RealNotInt``: the constraint types of those
  tables;
- ``_check_sample_weight``: sample weights checked and converted as scikit-learn does;
- ``InvalidParameterError``: what scikit-learn's functions raise for a parameter of the
  wrong kind (a ValueError and a TypeError), which pygru passes on as it is.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "_fit_context",
    "Interval",
    "InvalidParameterError",
    "Options",
    "RealNotInt",
    "StrOptions",
    "_check_sample_weight",
]
