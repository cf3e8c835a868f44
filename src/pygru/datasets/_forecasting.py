"""Real univariate series for forecasting, and windowing into supervised pairs."""

import contextlib
import datetime
import numbers
import warnings

import numpy as np
from sklearn.utils import Bunch

from .._numbers import is_integer
from .._sequences import from_nullable, level_names
from .._warnings import warn
from ._base import read_data_text

__all__ = ["load_airline", "load_lynx", "load_nile", "load_sunspots", "make_windows"]

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
_NILE_CITATION = (
    "Cobb, G. W. (1978). The problem of the Nile: conditional solution to a "
    "changepoint problem. Biometrika, 65(2), 243-251.\n"
    "Balke, N. S. (1993). Detecting level shifts in time series. Journal of "
    "Business & Economic Statistics, 11(1), 81-92."
)
_SUNSPOTS_CITATION = (
    "WDC-SILSO, Royal Observatory of Belgium, Brussels: yearly mean sunspot "
    "number, version 1 (before the 2015 recalibration), as distributed by the "
    "NOAA National Geophysical Data Center."
)
_AEON_SOURCE = "as shipped in the aeon 1.6.0 wheel (BSD-3-Clause)"
_STATSMODELS_SOURCE = "as shipped in the statsmodels 0.15.0 wheel (the data are public domain)"


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
        f"Airline.csv {_AEON_SOURCE}",
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
        f"Lynx.csv {_AEON_SOURCE}",
    )


def load_nile():
    """Load the annual flow of the river Nile at Aswan, 1871-1970.

    Yearly volume of the Nile's discharge at Aswan, in 10^8 cubic metres: 100
    values around a level that drops sharply near 1898, with no trend or season
    otherwise; the classic series for change points and local-level
    (state-space) models.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (float64 array of shape (100,)), ``index`` (the years, a
        ``datetime64[Y]`` array), ``frequency`` ("yearly"), ``name``,
        ``DESCR`` and ``citation``.

    Examples
    --------
    >>> from pygru.datasets import load_nile
    >>> nile = load_nile()
    >>> nile.data.shape, str(nile.index[0]), str(nile.index[-1])
    ((100,), '1871', '1970')
    """
    index, values = _read_series_csv("Nile", "nile.csv", "Y")
    return _series_bunch(
        "Nile",
        values,
        index,
        "yearly",
        "Annual flow of the river Nile at Aswan (10^8 m^3), 1871 to 1970. "
        "A level shift near 1898, no trend or season.",
        _NILE_CITATION,
        f"nile.csv {_STATSMODELS_SOURCE}",
    )


def load_sunspots():
    """Load the yearly mean sunspot numbers, 1700-2008.

    Yearly mean of the international (Wolf/Zurich) sunspot number, version 1 of
    the series (as published before the 2015 recalibration): 309 values with a
    cycle of about eleven years whose length and height vary, rising faster than
    it falls.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (float64 array of shape (309,)), ``index`` (the years, a
        ``datetime64[Y]`` array), ``frequency`` ("yearly"), ``name``,
        ``DESCR`` and ``citation``.

    Examples
    --------
    >>> from pygru.datasets import load_sunspots
    >>> sunspots = load_sunspots()
    >>> sunspots.data.shape, str(sunspots.index[0]), str(sunspots.index[-1])
    ((309,), '1700', '2008')
    """
    index, values = _read_series_csv("Sunspots", "sunspots.csv", "Y")
    return _series_bunch(
        "Sunspots",
        values,
        index,
        "yearly",
        "Yearly mean sunspot numbers (international sunspot number, version 1), "
        "1700 to 2008. A cycle of about eleven years of varying length and height.",
        _SUNSPOTS_CITATION,
        f"sunspots.csv {_STATSMODELS_SOURCE}",
    )


def make_windows(series, lookback, horizon=1, step=1, target=None, output="last"):
    """Cut a series into (past window, future values) pairs for supervised learning.

    Window ``i`` starts at ``t = i * step``; its input is
    ``series[t : t + lookback]``. With ``output="last"`` its target is the ``horizon``
    values that follow the window, ``series[t + lookback : t + lookback + horizon]``,
    ready for ``GRURegressor(output="last")``. With ``output="sequence"`` every step
    ``s`` of the window gets the ``horizon`` values that follow *that step*,
    ``series[t + s + 1 : t + s + 1 + horizon]``, ready for
    ``GRURegressor(output="sequence")``; the target of the window's last step is the
    ``output="last"`` target. Either way there are
    ``(n_timepoints - lookback - horizon) // step + 1`` windows, and trailing values that
    do not fill a whole window are left out. The arrays are copies.

    Parameters
    ----------
    series : array-like of shape (n_timepoints,) or (n_timepoints, n_dims)
        The series, time along axis 0. Integer, float16 and long double input is
        converted to float64; float32/float64 input keeps its dtype, and so do pandas'
        nullable ``Float32`` and ``Float64``; the other nullable dtypes become float64; a
        missing value becomes NaN.
        An object array of numbers is read as float64. NaNs are passed through: the
        estimators read an input window that ends in NaN as a shorter sequence (trailing
        NaN is padding), and refuse NaN inside one and NaN targets, so fill gaps in the
        series first if they matter.
    lookback : int >= 1
        Number of past time points in each input window.
    horizon : int >= 1, default=1
        Number of future time points to predict.
    step : int >= 1, default=1
        Distance between the starts of consecutive windows.
    target : int or None, default=None
        For a 2-D series, the column to predict, negative ones counting from the last as
        in NumPy (-1: the last column); None predicts all columns. Must be None, 0 or -1
        for a 1-D series.
    output : {"last", "sequence"}, default="last"
        "last": one row of targets per window (many-to-one). "sequence": one row of
        targets per time step of the window (many-to-many). Name and meaning are those
        of ``GRURegressor(output=...)``.

    Returns
    -------
    X : ndarray of shape (n_windows, lookback, n_dims)
        Input windows (``n_dims = 1`` for a 1-D series).
    y : ndarray
        Targets, with ``n_targets = horizon * n_predicted`` values per row, where
        ``n_predicted`` is 1 for a 1-D series or a given ``target`` and ``n_dims``
        otherwise. Column ``h * n_predicted + d`` holds column ``d`` of the series
        ``h + 1`` steps ahead (step-major, so ``y.reshape(..., horizon, n_predicted)``
        separates steps and columns). ``output="last"``: shape ``(n_windows,)`` for
        one value per window (``horizon == 1`` and a 1-D series or a given ``target``),
        else ``(n_windows, n_targets)``. ``output="sequence"``: likewise
        ``(n_windows, lookback)`` or ``(n_windows, lookback, n_targets)``. A 2-D series
        of one column keeps its column axis, as a 2-D y does in scikit-learn.

    Raises
    ------
    ValueError
        If ``lookback``, ``horizon`` or ``step`` is below 1, ``output`` is not "last"
        or "sequence", ``target`` is out of range, the series is not 1-D or 2-D, it
        is shorter than ``lookback + horizon``, or it is a pandas object whose index of
        times (datetime64, periods, ``datetime.date`` objects, ISO 8601 strings) or
        numbers is not increasing or repeats a value (the rows are read in their order;
        an index of other labels is not read). Where such an index has steps of
        different sizes (a gap, say, which windows would cross as one step), a
        UserWarning says so.
    TypeError
        If ``lookback``, ``horizon``, ``step`` or ``target`` is not an integer, or the
        series is not numeric.

    Examples
    --------
    One step ahead, for ``GRURegressor(output="last")``:

    >>> import numpy as np
    >>> from pygru.datasets import make_windows
    >>> X, y = make_windows(np.arange(6), lookback=3)
    >>> X[:, :, 0]
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    >>> y
    array([3., 4., 5.])

    Several steps ahead, windows three steps apart:

    >>> X, y = make_windows(np.arange(10), lookback=4, horizon=2, step=3)
    >>> y
    array([[4., 5.],
           [7., 8.]])

    A series of two columns (0, 1, 2, ... and 100, 101, 102, ...), two steps ahead:
    the columns of y are (first column at t+1, second at t+1, first at t+2, second at
    t+2).

    >>> series = np.column_stack([np.arange(6), np.arange(100, 106)])
    >>> X, y = make_windows(series, lookback=3, horizon=2)
    >>> X.shape, y.shape
    ((2, 3, 2), (2, 4))
    >>> y
    array([[  3., 103.,   4., 104.],
           [  4., 104.,   5., 105.]])
    >>> y.reshape(len(y), 2, 2)[:, 1]  # both columns two steps ahead
    array([[  4., 104.],
           [  5., 105.]])

    The next value at every step, for ``GRURegressor(output="sequence")``:

    >>> X, y = make_windows(np.arange(6), lookback=3, output="sequence")
    >>> y
    array([[1., 2., 3.],
           [2., 3., 4.],
           [3., 4., 5.]])
    >>> make_windows(np.arange(6), lookback=3, horizon=2, output="sequence")[1].shape
    (2, 3, 2)
    """
    for argument, value in (("lookback", lookback), ("horizon", horizon), ("step", step)):
        if not is_integer(value):
            raise TypeError(f"{argument} must be an integer, got {value!r}")
        if value < 1:
            raise ValueError(f"{argument} must be at least 1, got {value}")
    # As Python ints: NumPy's small integers would overflow in the arithmetic on lengths.
    lookback, horizon, step = int(lookback), int(horizon), int(step)
    if not isinstance(output, str) or output not in ("last", "sequence"):
        raise ValueError(f'output must be "last" or "sequence", got {output!r}')
    _warn_if_several_series(getattr(series, "index", None))
    _check_time_order(getattr(series, "index", None))
    try:
        values = from_nullable(series, np.asarray(series))
    except ValueError as error:  # rows of different lengths: several series at once
        raise ValueError(
            "series must be one series, 1-D (n_timepoints,) or 2-D (n_timepoints, n_dims), "
            "with rows of one length; for several series, window each alone and stack the "
            "windows"
        ) from error
    if values.dtype.kind == "O":  # numbers held as objects, as scikit-learn reads them
        with contextlib.suppress(TypeError, ValueError):
            values = values.astype(np.float64)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"series must be numeric, got dtype {values.dtype}" + _column_hint(series))
    if values.dtype.kind != "f" or values.dtype.itemsize not in (4, 8):  # float16, ints
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
        if not is_integer(target):
            raise TypeError(f"target must be an integer or None, got {target!r}")
        target = int(target)
        if not -n_dims <= target < n_dims:
            raise ValueError(f"target {target} is out of range for {n_dims} column(s)")
        columns_predicted = columns[:, [target]]
    else:
        columns_predicted = columns
    if n_timepoints < lookback + horizon:
        raise ValueError(
            f"series of length {n_timepoints} is too short for lookback={lookback} "
            f"and horizon={horizon}: it needs at least {lookback + horizon} time points."
            + _TIME_ALONG_COLUMNS_HINT
            * (values.ndim == 2 and n_timepoints < n_dims)
        )
    if n_timepoints < n_dims:
        warn(
            f"series has {n_timepoints} time points (rows) of {n_dims} columns, so each "
            f"window reads {n_dims} values per step." + _TIME_ALONG_COLUMNS_HINT,
            UserWarning,
        )
    n_windows = (n_timepoints - lookback - horizon) // step + 1
    # Copies of views of the series (never the series itself, which the caller keeps)
    X = _windows(columns, lookback, step, n_windows).copy()
    if output == "last":
        # (window, step ahead, column): the horizon values after each window
        y = _windows(columns_predicted[lookback:], horizon, step, n_windows).copy()
        y = y.reshape(n_windows, -1)
    else:
        # (window, step of the window, step ahead, column): after each step of each window
        after = _windows(columns_predicted[1:], lookback + horizon - 1, step, n_windows)
        y = np.lib.stride_tricks.sliding_window_view(after, horizon, axis=1)
        y = y.transpose(0, 1, 3, 2).copy().reshape(n_windows, lookback, -1)
    if horizon == 1 and (values.ndim == 1 or target is not None):
        y = y[..., 0]
    return X, np.ascontiguousarray(y)


# aeon's layout of a multivariate series is (n_channels, n_timepoints); make_windows' is (T, C).
_TIME_ALONG_COLUMNS_HINT = (
    " If time runs along the columns, as in aeon's (n_channels, n_timepoints), pass series.T."
)


def _warn_if_several_series(index):
    """Warn where a pandas index has several levels: the long layout of several series,
    (instance, time) as sktime's ``pd-multiindex`` has it, was cut into windows across the
    series' boundaries. One series may carry such an index too, (year, month), so it is
    a warning."""
    if getattr(index, "nlevels", 1) == 1:
        return
    warn(
        f"series' index has {index.nlevels} levels {level_names(index)}: make_windows reads "
        "the rows, in their order, as one series. If they hold several series, as sktime's "
        "(instance, time) layout does, window each alone, keeping its times (which "
        "make_windows checks), and stack the windows: [make_windows(part.droplevel(0), ...) "
        "for _, part in series.groupby(level=0, sort=False)], with level 0 naming the "
        "series (group by the other level where the times come first); if they are one "
        "series, pass series.to_numpy()",
        UserWarning,
    )


def _windows(columns, length, step, n_windows):
    """Views (n_windows, length, n_columns) of ``columns``: window i starts at row i * step
    (a copy of them costs their size; index arrays cost twice a float32 series')."""
    windows = np.lib.stride_tricks.sliding_window_view(columns, length, axis=0)
    return windows[: (n_windows - 1) * step + 1 : step].swapaxes(1, 2)


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


def _series_bunch(name, values, index, frequency, summary, citation, source):
    description = "\n".join(
        [
            name,
            "=" * len(name),
            "",
            summary,
            "",
            f"{len(values)} {frequency} values, {index[0]} to {index[-1]}.",
            "",
            f"Source: {source}; see pygru/datasets/data/README.md.",
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


def _check_time_order(index):
    """Refuse a pandas index of times or numbers that does not increase step by step, and
    warn where its steps differ: the windows are cut from the rows in their order, so a
    newest-first export gave windows that run backwards in time, and a gap is crossed as if
    it were one step. Other indexes (labels, or none) say nothing of time."""
    given, index = index, _as_times(index)
    if index is None:
        return
    if index.hasnans:
        row = int(np.flatnonzero(index.isna())[0])
        raise ValueError(
            f"series' index has a missing time (NaT, or NaN) at row {row}: drop that row or "
            "give it its time"
        )
    if index.dtype.kind == "f" and not np.isfinite(index).all():
        row = int(np.flatnonzero(~np.isfinite(index))[0])
        raise ValueError(
            f"series' index has an infinite time ({given[row]}) at row {row}: drop that row "
            "or give it its time"
        )
    if not index.is_monotonic_increasing:
        raise ValueError(
            f"series' index is not in time order (from {given[0]} to {given[-1]}): the "
            "windows are cut from the rows in their order, so sort the series by time "
            "first (series.sort_index())"
        )
    if not index.is_unique:
        clock = (
            " Or local clock times, whose hour the end of summer time repeats: make the "
            "times unambiguous (series.tz_localize(zone, ambiguous='infer'), or UTC)"
            if index.dtype.kind == "M" and getattr(index, "tz", None) is None
            else ""
        )
        raise ValueError(
            f"series' index repeats a time ({given[np.flatnonzero(index.duplicated())[0]]}): "
            "several series in one table? Window each series alone and stack the windows." + clock
        )
    if len(index) < 3 or _regular_steps(index) or _regular_steps(_wall_clock(given)):
        return
    warn(
        f"series' index has steps of different sizes (from {given[0]} to {given[-1]}, "
        f"{len(index)} rows): each window reads its rows as equally spaced, across any "
        "gap. Give the series one row per step and fill the gaps before windowing "
        "(series.asfreq(...).interpolate(), or .ffill(), for a time index): windows of a "
        "series with NaN have NaN targets, which no model trains on, and a window that ends "
        "in NaN is read as a shorter one. Where the rows are the steps already (trading "
        "days around holidays, say), give the index its frequency "
        "(pandas.offsets.CustomBusinessDay) or pass series.to_numpy()",
        UserWarning,
    )


def _as_times(index):
    """A pandas index of times or numbers as it is; dates held as ``datetime.date`` objects
    or as ISO 8601 strings (a CSV's date column made the index without parsing it) as
    datetimes; None for anything else (labels, or no pandas index)."""
    kind = getattr(getattr(index, "dtype", None), "kind", None)
    if kind is None:
        return None
    if kind in "iufmM" or type(index).__name__ == "PeriodIndex":
        return index
    import pandas as pd

    values = list(index[:1])
    if values and isinstance(values[0], datetime.date):
        with contextlib.suppress(TypeError, ValueError), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # utc, as for strings: datetimes whose offsets change (summer time) in one index
            aware = isinstance(values[0], datetime.datetime) and values[0].tzinfo is not None
            return pd.DatetimeIndex(pd.to_datetime(index, utc=aware))
    if values and isinstance(values[0], numbers.Real) and not isinstance(values[0], bool):
        with contextlib.suppress(TypeError, ValueError):
            return pd.Index(pd.to_numeric(np.asarray(index)))  # numbers held as objects
    if values and isinstance(values[0], str):
        with contextlib.suppress(TypeError, ValueError), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # utc: offsets that change (summer time) in one column are one time axis
            return pd.DatetimeIndex(pd.to_datetime(index, format="ISO8601", utc=True))
    return None


def _regular_steps(index):
    """Whether the index (increasing) has one step throughout: periods one or k apart
    (a PeriodIndex always has a frequency, gaps or not), a frequency pandas sets or infers,
    the same day and time every k calendar months (the 15th of each month, which pandas
    cannot infer), or equal differences of numbers. None (no wall clock) is not regular."""
    if index is None:
        return False
    if type(index).__name__ == "PeriodIndex":
        steps = np.diff(index.asi8)
        return bool(np.all(steps == steps[0]))
    if getattr(index, "freq", None) is not None:
        return True
    if index.dtype.kind in "mM":
        import pandas as pd

        with warnings.catch_warnings():  # pandas 3 announces another return type
            warnings.simplefilter("ignore")
            return pd.infer_freq(index) is not None or _every_k_months(index)
    values = np.asarray(index)
    if values.dtype.kind in "iu":  # exactly (epoch nanoseconds are past float64's integers)
        steps = np.diff(values.astype(np.int64))
        return bool(np.all(steps == steps[0]))
    steps = np.diff(values.astype(np.float64))
    # Up to rounding: of the step (0.1, 0.2, ...) or of the values (epoch seconds at 10 Hz),
    # in their own precision (float32 times of 0.1 s are 4e-9 apart from equal steps).
    rounding = 16 * float(np.spacing(np.abs(values).max()))
    return bool(np.allclose(steps, steps[0], rtol=1e-6, atol=rounding))


def _every_k_months(index):
    """Whether a datetime index steps by the same number of calendar months, on the same
    day of the month and at the same time of day throughout."""
    if index.dtype.kind != "M":
        return False
    months = np.diff(np.asarray(index.year) * 12 + np.asarray(index.month))
    same_day = np.all(index.day == index.day[0]) and np.all(index.time == index.time[0])
    return bool(same_day and months[0] > 0 and np.all(months == months[0]))


def _wall_clock(index):
    """A pandas index of times with UTC offsets (ISO 8601 strings or datetimes) as the
    local clock times they name, without their offsets; None for anything else. Daily
    local midnights are a day apart on the clock, 23 or 25 hours in UTC across a change
    of summer time."""
    import pandas as pd

    if isinstance(index, pd.DatetimeIndex):
        return None if index.tz is None else index.tz_localize(None)
    if getattr(index, "dtype", None) is None or not len(index):
        return None
    if not isinstance(index[0], (str, datetime.datetime)):
        return None
    with contextlib.suppress(TypeError, ValueError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stamps = [pd.Timestamp(value) for value in index]
        if any(stamp.tzinfo is None for stamp in stamps):
            return None
        return pd.DatetimeIndex([stamp.tz_localize(None) for stamp in stamps])
    return None


def _column_hint(series):
    """Name a DataFrame's first column that is not numbers: a CSV read as it is keeps its
    date column beside the values, as strings (datetime64 with ``parse_dates``)."""
    if getattr(series, "ndim", None) != 2 or not hasattr(series, "dtypes"):
        return ""
    columns = [(n, d) for n, d in series.dtypes.items() if getattr(d, "kind", "O") not in "biuf"]
    if not columns:
        return ""
    name, dtype = columns[0]
    return (
        f" (column {name!r} holds {dtype}: if it holds the times, make it the index, "
        f"series.set_index({name!r}), which reads ISO 8601 dates as dates (parse others "
        "first with pd.to_datetime); else drop it)"
    )
