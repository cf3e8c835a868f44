"""Real univariate series for forecasting, and windowing into supervised pairs."""

import numbers

import numpy as np
from sklearn.utils import Bunch

from ._base import read_data_text

__all__ = ["load_airline", "load_lynx", "make_windows"]

_AIRLINE_CITATION = (
    "Box, G. E. P. and Jenkins, G. M. (1976). Time Series Analysis: Forecasting "
    "and Control, revised edition. Holden-Day, San Francisco. Series G."
)
_LYNX_CITATION = (
    "Campbell, M. J. and Walker, A. M. (1977). A survey of statistical work on "
    "the Mackenzie River series of annual Canadian lynx trappings for the years "
    "1821-1934 and a new analysis. Journal of the Royal Statistical Society, "
    "Series A, 140(4), 411-431.\n"
    "Elton, C. and Nicholson, M. (1942). The ten-year cycle in numbers of the "
    "lynx in Canada. Journal of Animal Ecology, 11(2), 215-244."
)


def load_airline():
    """Load the Box & Jenkins airline passengers series (Series G).

    Monthly totals of international airline passengers, in thousands, from
    January 1949 to December 1960: 144 values with an upward trend, a yearly
    seasonal pattern and a seasonal swing that grows with the level (a log
    transform makes it roughly additive).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (float64 array of shape (144,)), ``index`` (the months, a
        ``datetime64[M]`` array), ``frequency`` ("monthly"), ``name``,
        ``DESCR`` and ``citation``.

    Examples
    --------
    >>> from pygru.datasets import load_airline, make_windows
    >>> airline = load_airline()
    >>> airline.data.shape, str(airline.index[0]), str(airline.index[-1])
    ((144,), '1949-01', '1960-12')
    >>> X, y = make_windows(airline.data, lookback=12)
    >>> X.shape, y.shape
    ((132, 12, 1), (132,))
    """
    index, values = _read_series_csv("Airline", "Airline.csv", "M")
    return _series_bunch(
        "Airline",
        values,
        index,
        "monthly",
        "Monthly totals of international airline passengers (thousands), "
        "January 1949 to December 1960: Series G of Box & Jenkins. Trend, "
        "yearly seasonality and a seasonal amplitude that grows with the level.",
        _AIRLINE_CITATION,
    )


def load_lynx():
    """Load the annual Canadian lynx trappings, 1821-1934.

    Number of lynx trapped each year in the Mackenzie River district of
    north-west Canada (Hudson's Bay Company records): 114 values with a
    strong, irregular cycle of about ten years, the classic test series for
    nonlinear autoregression (often modelled on a log10 scale).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (float64 array of shape (114,)), ``index`` (the years, a
        ``datetime64[Y]`` array), ``frequency`` ("yearly"), ``name``,
        ``DESCR`` and ``citation``.

    Examples
    --------
    >>> from pygru.datasets import load_lynx
    >>> lynx = load_lynx()
    >>> lynx.data.shape, str(lynx.index[0]), str(lynx.index[-1])
    ((114,), '1821', '1934')
    """
    index, values = _read_series_csv("Lynx", "Lynx.csv", "Y")
    return _series_bunch(
        "Lynx",
        values,
        index,
        "yearly",
        "Annual numbers of lynx trapped in the Mackenzie River district of "
        "north-west Canada, 1821 to 1934 (Hudson's Bay Company records). "
        "An irregular cycle of about ten years.",
        _LYNX_CITATION,
    )


def make_windows(series, lookback, horizon=1, step=1, target=None):
    """Cut a series into (past window, future values) pairs for supervised learning.

    Window ``i`` starts at ``t = i * step``: its input is
    ``series[t : t + lookback]`` and its target the ``horizon`` values that
    follow, ``series[t + lookback : t + lookback + horizon]``. There are
    ``(n_timepoints - lookback - horizon) // step + 1`` windows; trailing
    values that do not fill a whole window are left out. The arrays are copies.

    Parameters
    ----------
    series : array-like of shape (n_timepoints,) or (n_timepoints, n_dims)
        The series, time along axis 0. Integer input is converted to float64;
        float32/float64 input keeps its dtype. NaNs are passed through.
    lookback : int >= 1
        Number of past time points in each input window.
    horizon : int >= 1, default=1
        Number of future time points to predict.
    step : int >= 1, default=1
        Distance between the starts of consecutive windows.
    target : int or None, default=None
        For a 2-D series, the column to predict; None predicts all columns.
        Must be None or 0 for a 1-D series.

    Returns
    -------
    X : ndarray of shape (n_windows, lookback, n_dims)
        Input windows (``n_dims = 1`` for a 1-D series).
    y : ndarray
        Targets: shape ``(n_windows,)`` if ``horizon == 1`` and a single
        column is predicted (1-D series, or ``target`` given), else
        ``(n_windows, horizon)``; when all columns of a 2-D series are
        predicted, ``(n_windows, n_dims)`` for ``horizon == 1`` and
        ``(n_windows, horizon, n_dims)`` otherwise.

    Raises
    ------
    ValueError
        If ``lookback``, ``horizon`` or ``step`` is below 1, the series is
        not 1-D or 2-D, or it is shorter than ``lookback + horizon``.
    TypeError
        If ``lookback``, ``horizon`` or ``step`` is not an integer, or the
        series is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from pygru.datasets import make_windows
    >>> X, y = make_windows(np.arange(6), lookback=3)
    >>> X[:, :, 0]
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    >>> y
    array([3., 4., 5.])
    >>> X, y = make_windows(np.arange(10), lookback=4, horizon=2, step=3)
    >>> y
    array([[4., 5.],
           [7., 8.]])
    """
    for argument, value in (("lookback", lookback), ("horizon", horizon), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{argument} must be an integer, got {value!r}")
        if value < 1:
            raise ValueError(f"{argument} must be at least 1, got {value}")
    values = np.asarray(series)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"series must be numeric, got dtype {values.dtype}")
    if values.dtype.kind != "f":
        values = values.astype(np.float64)
    if values.ndim not in (1, 2):
        raise ValueError(
            f"series must be 1-D (n_timepoints,) or 2-D (n_timepoints, n_dims), "
            f"got shape {values.shape}"
        )
    columns = values[:, None] if values.ndim == 1 else values
    n_timepoints, n_dims = columns.shape
    if n_dims == 0:
        raise ValueError("series has no columns")
    if target is not None:
        if isinstance(target, bool) or not isinstance(target, numbers.Integral):
            raise TypeError(f"target must be an integer or None, got {target!r}")
        if not -n_dims <= target < n_dims:
            raise ValueError(f"target {target} is out of range for {n_dims} column(s)")
    if n_timepoints < lookback + horizon:
        raise ValueError(
            f"series of length {n_timepoints} is too short for lookback={lookback} "
            f"and horizon={horizon}: it needs at least {lookback + horizon} time points"
        )
    n_windows = (n_timepoints - lookback - horizon) // step + 1
    starts = np.arange(n_windows)[:, None] * step
    X = columns[starts + np.arange(lookback)]
    y = columns[starts + lookback + np.arange(horizon)]
    if values.ndim == 1 or target is not None:
        y = y[:, :, 0 if target is None else target]
    if horizon == 1:
        y = y[:, 0]
    return X, np.ascontiguousarray(y)


def _read_series_csv(folder, filename, unit):
    """Read a two-column CSV (date, value) with one header line."""
    source = f"pygru/datasets/data/{folder}/{filename}"
    rows = read_data_text(folder, filename).splitlines()[1:]
    dates, values = [], []
    for lineno, row in enumerate(rows, start=2):
        if not row.strip():
            continue
        date, _, value = row.partition(",")
        try:
            dates.append(np.datetime64(date.strip(), unit))
            values.append(float(value))
        except ValueError:
            raise ValueError(f"{source}, line {lineno}: cannot read {row!r}") from None
    return np.array(dates), np.array(values, dtype=np.float64)


def _series_bunch(name, values, index, frequency, summary, citation):
    description = "\n".join(
        [
            name,
            "=" * len(name),
            "",
            summary,
            "",
            f"{len(values)} {frequency} values, {index[0]} to {index[-1]}.",
            "",
            f"Source: {name}.csv as shipped in the aeon 1.6.0 wheel (BSD-3-Clause); "
            "see pygru/datasets/data/README.md.",
            "",
            "Please cite:",
            citation,
        ]
    )
    return Bunch(
        data=values,
        index=index,
        frequency=frequency,
        name=name,
        DESCR=description,
        citation=citation,
    )
