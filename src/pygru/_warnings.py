"""Warnings attributed to the user's own line.

A fixed ``stacklevel`` names the right frame for one call path only: ``fit`` runs inside
scikit-learn's fit decorator, a Pipeline or a search, and a helper may be reached from
several depths. Each warning named a line inside pygru or scikit-learn, where Python's
default filter shows a message once per line, so the same warning from a second call site
was hidden.
"""

import sys
import warnings

# Frames of these packages are passed over: the warning names the first frame outside them
# (skl2onnx calls pygru's converter).
_LIBRARIES = frozenset({"pygru", "sklearn", "joblib", "skl2onnx"})


def warn(message, category=UserWarning):
    """``warnings.warn(message, category)`` at the first calling frame outside pygru,
    scikit-learn, joblib and skl2onnx: the user's line that called ``fit``, ``predict``,
    ``save`` or an export, whatever wraps the call. In a thread or process that pygru or
    those packages started, the outermost frame."""
    frame, stacklevel = sys._getframe(1), 2  # stacklevel 2 names the caller of warn
    while frame.f_back is not None and _in_libraries(frame):
        frame, stacklevel = frame.f_back, stacklevel + 1
    warnings.warn(message, category, stacklevel=stacklevel)


def _in_libraries(frame):
    return frame.f_globals.get("__name__", "").partition(".")[0] in _LIBRARIES
