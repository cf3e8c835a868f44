"""Time-series classification sets from the UCR/UEA archive, standard splits."""

import io

import numpy as np
from sklearn.utils import Bunch

from .._numbers import as_flag
from ._base import read_data_text
from ._ts import parse_ts

__all__ = [
    "UCR_DATASETS",
    "load_ucr",
    "load_italy_power_demand",
    "load_gunpoint",
    "load_japanese_vowels",
    "load_basic_motions",
    "load_arrowhead",
    "load_pickup_gesture_wiimote_z",
]

_UCR_ARCHIVE = (
    "Dau, H. A., Bagnall, A., Kamgar, K., Yeh, C.-C. M., Zhu, Y., Gharghabi, S., "
    "Ratanamahatana, C. A. and Keogh, E. (2019). The UCR time series archive. "
    "IEEE/CAA Journal of Automatica Sinica, 6(6), 1293-1305. "
    "doi:10.1109/JAS.2019.1911747"
)
_UEA_ARCHIVE = (
    "Bagnall, A., Dau, H. A., Lines, J., Flynn, M., Large, J., Bostrom, A., "
    "Southam, P. and Keogh, E. (2018). The UEA multivariate time series "
    "classification archive, 2018. arXiv:1811.00075"
)

# What the loaders say about each bundled set; sizes, lengths and classes are
# not repeated here but read from the data when DESCR is built.
_CATALOG = {
    "ItalyPowerDemand": {
        "summary": (
            "Hourly electrical power demand in Italy over one day (24 values), "
            "from twelve monthly demand series. The task is to tell days from "
            "October to March (class 1) from days from April to September "
            "(class 2)."
        ),
        "citation": (
            f"{_UCR_ARCHIVE}\n"
            "Keogh, E., Wei, L., Xi, X., Lonardi, S., Shieh, J. and Sirowy, S. "
            "(2006). Intelligent icons: integrating lite-weight data mining and "
            "visualization into GUI operating systems. Proceedings of the 6th "
            "IEEE International Conference on Data Mining (ICDM), 912-916."
        ),
    },
    "GunPoint": {
        "summary": (
            "X coordinate of the centroid of an actor's right hand, tracked on "
            "video while one female and one male actor either draw a replica "
            "gun from a hip holster, point it at a target and put it back "
            "(class 1, Gun-Draw) or point at the target with the index finger "
            "(class 2, Point)."
        ),
        "citation": (
            f"{_UCR_ARCHIVE}\n"
            "Ratanamahatana, C. A. and Keogh, E. (2005). Three myths about "
            "dynamic time warping data mining. Proceedings of the 2005 SIAM "
            "International Conference on Data Mining (SDM), 506-510."
        ),
    },
    "JapaneseVowels": {
        "summary": (
            "Nine male speakers uttered the Japanese vowels /ae/; each "
            "utterance is a sequence of 12 LPC cepstrum coefficients (one "
            "12-dimensional frame every 6.4 ms) of 7 to 29 frames. The task is "
            "to identify the speaker (classes 1-9). The training set has 30 "
            "utterances per speaker; the test set, recorded on other "
            "occasions, 24 to 88. Series have different lengths, so X is a "
            "list of (n_timepoints_i, 12) arrays."
        ),
        "citation": (
            f"{_UEA_ARCHIVE}\n"
            "Kudo, M., Toyama, J. and Shimbo, M. (1999). Multidimensional curve "
            "classification using passing-through regions. Pattern Recognition "
            "Letters, 20(11-13), 1103-1111.\n"
            "Kudo, M., Toyama, J. and Shimbo, M. Japanese Vowels [data set]. UCI "
            "Machine Learning Repository. doi:10.24432/C5NS47"
        ),
    },
    "BasicMotions": {
        "summary": (
            "Four students wore a smart watch while standing, walking, running "
            "and playing badminton, five times each. Each series is ten "
            "seconds at 10 Hz of the watch's 3-D accelerometer and 3-D "
            "gyroscope (6 dimensions); the task is to name the activity."
        ),
        "citation": (
            f"{_UEA_ARCHIVE}\n"
            "The data were collected in a student project at the University of "
            "East Anglia; the UEA archive paper is the reference."
        ),
    },
    "ArrowHead": {
        "summary": (
            "Outlines of images of projectile points (arrowheads) turned into "
            "series with the angle-based method and normalised to one length. "
            "The three classes are the shape types Avonlea (0), Clovis (1) and "
            "Mix (2)."
        ),
        "citation": (
            f"{_UCR_ARCHIVE}\n"
            "Ye, L. and Keogh, E. (2009). Time series shapelets: a new "
            "primitive for data mining. Proceedings of the 15th ACM SIGKDD "
            "International Conference on Knowledge Discovery and Data Mining, "
            "947-956."
        ),
    },
    "PickupGestureWiimoteZ": {
        "summary": (
            "Z-axis acceleration of a Nintendo Wiimote while each of ten "
            "people makes a 'pick-up' gesture; the task is to identify the "
            "person (classes 1-10). Series have different lengths, so X is a "
            "list of (n_timepoints_i, 1) arrays."
        ),
        "citation": (
            f"{_UCR_ARCHIVE}\n"
            "Guna, J., Humar, I. and Pogacnik, M. (2012). Intuitive gesture "
            "based user identification system. Proceedings of the 35th "
            "International Conference on Telecommunications and Signal "
            "Processing (TSP)."
        ),
    },
}

#: Names of the bundled UCR/UEA classification sets, as :func:`load_ucr` takes them.
UCR_DATASETS = tuple(_CATALOG)

_SPLITS = ("train", "test")


def load_ucr(name, split=None, return_X_y=False):
    """Load a bundled UCR/UEA time-series classification set.

    The sets come with the archive's standard train/test split. Values are
    float64 with time along axis 1, ``(n_series, n_timepoints, n_dims)``
    (univariate sets have ``n_dims = 1``); sets whose series have different
    lengths (JapaneseVowels, PickupGestureWiimoteZ) give a list of
    ``(n_timepoints_i, n_dims)`` arrays instead. Labels are the archive's
    class labels as strings.

    ============================  ============  ======  ======  =======
    name                          train/test    length  dims    classes
    ============================  ============  ======  ======  =======
    ``"ItalyPowerDemand"``        67 / 1029     24      1       2
    ``"GunPoint"``                50 / 150      150     1       2
    ``"JapaneseVowels"``          270 / 370     7-29    12      9
    ``"BasicMotions"``            40 / 40       100     6       4
    ``"ArrowHead"``               36 / 175      251     1       3
    ``"PickupGestureWiimoteZ"``   50 / 50       29-361  1       10
    ============================  ============  ======  ======  =======

    Parameters
    ----------
    name : str
        One of ``UCR_DATASETS`` (case-insensitive).
    split : {None, "train", "test"}, default=None
        None loads both parts of the split; "train" or "test" loads one.
    return_X_y : bool, default=False
        Return arrays instead of a Bunch: ``(X_train, y_train, X_test,
        y_test)``, or ``(X, y)`` when ``split`` is given.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``split=None``: ``X_train``, ``y_train``, ``X_test``, ``y_test``.
        With a split: ``X``, ``y`` and ``split``. Always: ``name``,
        ``class_labels`` (the declared labels, in the archive's order),
        ``DESCR`` (description, sizes and sources) and ``citation``.
    (X_train, y_train, X_test, y_test) or (X, y) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from pygru.datasets import load_ucr
    >>> data = load_ucr("BasicMotions")
    >>> data.X_train.shape, data.X_test.shape
    ((40, 100, 6), (40, 100, 6))
    >>> X, y = load_ucr("GunPoint", split="test", return_X_y=True)
    >>> X.shape, y.shape
    ((150, 150, 1), (150,))
    """
    name = _canonical_name(name)
    return_X_y = as_flag("return_X_y", return_X_y)
    if split is None:
        parts = _SPLITS
    elif isinstance(split, str) and split.lower() in _SPLITS:
        parts = (split.lower(),)
    else:
        raise ValueError(f"split must be None, 'train' or 'test'; got {split!r}")
    loaded = {part: _read_part(name, part) for part in parts}
    if return_X_y:
        return tuple(array for part in parts for array in loaded[part][:2])
    class_labels = np.asarray(loaded[parts[0]][2]["class_labels"])
    bunch = Bunch(
        name=name,
        class_labels=class_labels,
        DESCR=_describe(name, loaded, class_labels),
        citation=_CATALOG[name]["citation"],
    )
    if split is None:
        for part in parts:
            bunch[f"X_{part}"], bunch[f"y_{part}"] = loaded[part][:2]
    else:
        bunch.X, bunch.y = loaded[parts[0]][:2]
        bunch.split = parts[0]
    return bunch


def load_italy_power_demand(split=None, return_X_y=False):
    """Load ItalyPowerDemand: 24-hour demand curves, winter vs summer days.

    67 training and 1029 test series of length 24, univariate, 2 classes
    ("1": October to March, "2": April to September). Same as
    ``load_ucr("ItalyPowerDemand", ...)``.

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        None loads both parts of the split; "train" or "test" loads one.
    return_X_y : bool, default=False
        Return arrays instead of a Bunch: ``(X_train, y_train, X_test,
        y_test)``, or ``(X, y)`` when ``split`` is given.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple
        X arrays of shape (n_series, 24, 1) and string labels, in the Bunch
        or tuple described in :func:`load_ucr`.

    Examples
    --------
    >>> from pygru.datasets import load_italy_power_demand
    >>> X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
    >>> X_train.shape, X_test.shape, y_train[:4]
    ((67, 24, 1), (1029, 24, 1), array(['1', '1', '2', '2'], dtype='<U1'))
    """
    return load_ucr("ItalyPowerDemand", split=split, return_X_y=return_X_y)


def load_gunpoint(split=None, return_X_y=False):
    """Load GunPoint: hand motion, drawing a gun vs pointing a finger.

    50 training and 150 test series of length 150, univariate, 2 classes
    ("1": Gun-Draw, "2": Point). Same as ``load_ucr("GunPoint", ...)``.

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        None loads both parts of the split; "train" or "test" loads one.
    return_X_y : bool, default=False
        Return arrays instead of a Bunch: ``(X_train, y_train, X_test,
        y_test)``, or ``(X, y)`` when ``split`` is given.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple
        X arrays of shape (n_series, 150, 1) and string labels, in the Bunch
        or tuple described in :func:`load_ucr`.

    Examples
    --------
    >>> from pygru.datasets import load_gunpoint
    >>> X, y = load_gunpoint(split="train", return_X_y=True)
    >>> X.shape, y.shape
    ((50, 150, 1), (50,))
    """
    return load_ucr("GunPoint", split=split, return_X_y=return_X_y)


def load_japanese_vowels(split=None, return_X_y=False):
    """Load JapaneseVowels: speaker identification from LPC cepstra.

    270 training and 370 test series of 12 dimensions and 7-29 time points,
    9 classes (the speakers, "1" to "9"). X is a list of
    ``(n_timepoints_i, 12)`` arrays. Same as ``load_ucr("JapaneseVowels", ...)``.

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        None loads both parts of the split; "train" or "test" loads one.
    return_X_y : bool, default=False
        Return arrays instead of a Bunch: ``(X_train, y_train, X_test,
        y_test)``, or ``(X, y)`` when ``split`` is given.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple
        X as lists of arrays of shape (n_timepoints_i, 12) and string labels,
        in the Bunch or tuple described in :func:`load_ucr`.

    Examples
    --------
    >>> from pygru.datasets import load_japanese_vowels
    >>> data = load_japanese_vowels()
    >>> len(data.X_train), len(data.X_test), data.X_train[0].shape
    (270, 370, (20, 12))
    """
    return load_ucr("JapaneseVowels", split=split, return_X_y=return_X_y)


def load_basic_motions(split=None, return_X_y=False):
    """Load BasicMotions: activity recognition from a smart watch.

    40 training and 40 test series of length 100 with 6 dimensions, 4 classes
    (Standing, Running, Walking, Badminton). Same as
    ``load_ucr("BasicMotions", ...)``.

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        None loads both parts of the split; "train" or "test" loads one.
    return_X_y : bool, default=False
        Return arrays instead of a Bunch: ``(X_train, y_train, X_test,
        y_test)``, or ``(X, y)`` when ``split`` is given.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple
        X arrays of shape (n_series, 100, 6) and string labels, in the Bunch
        or tuple described in :func:`load_ucr`.

    Examples
    --------
    >>> from pygru.datasets import load_basic_motions
    >>> data = load_basic_motions(split="test")
    >>> data.X.shape, data.class_labels.tolist()
    ((40, 100, 6), ['Standing', 'Running', 'Walking', 'Badminton'])
    """
    return load_ucr("BasicMotions", split=split, return_X_y=return_X_y)


def load_arrowhead(split=None, return_X_y=False):
    """Load ArrowHead: shape classes of projectile points from outlines.

    36 training and 175 test series of length 251, univariate, 3 classes
    ("0": Avonlea, "1": Clovis, "2": Mix). Same as
    ``load_ucr("ArrowHead", ...)``.

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        None loads both parts of the split; "train" or "test" loads one.
    return_X_y : bool, default=False
        Return arrays instead of a Bunch: ``(X_train, y_train, X_test,
        y_test)``, or ``(X, y)`` when ``split`` is given.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple
        X arrays of shape (n_series, 251, 1) and string labels, in the Bunch
        or tuple described in :func:`load_ucr`.

    Examples
    --------
    >>> from pygru.datasets import load_arrowhead
    >>> X_train, y_train, X_test, y_test = load_arrowhead(return_X_y=True)
    >>> X_train.shape, X_test.shape
    ((36, 251, 1), (175, 251, 1))
    """
    return load_ucr("ArrowHead", split=split, return_X_y=return_X_y)


def load_pickup_gesture_wiimote_z(split=None, return_X_y=False):
    """Load PickupGestureWiimoteZ: person identification from a gesture.

    50 training and 50 test univariate series of 29-361 time points, 10
    classes (the people, "1" to "10"). X is a list of ``(n_timepoints_i, 1)``
    arrays. Same as ``load_ucr("PickupGestureWiimoteZ", ...)``.

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        None loads both parts of the split; "train" or "test" loads one.
    return_X_y : bool, default=False
        Return arrays instead of a Bunch: ``(X_train, y_train, X_test,
        y_test)``, or ``(X, y)`` when ``split`` is given.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple
        X as lists of arrays of shape (n_timepoints_i, 1) and string labels,
        in the Bunch or tuple described in :func:`load_ucr`.

    Examples
    --------
    >>> from pygru.datasets import load_pickup_gesture_wiimote_z
    >>> X, y = load_pickup_gesture_wiimote_z(split="train", return_X_y=True)
    >>> len(X), X[0].shape, len(set(y))
    (50, (324, 1), 10)
    """
    return load_ucr("PickupGestureWiimoteZ", split=split, return_X_y=return_X_y)


def _canonical_name(name):
    by_lower = {known.lower(): known for known in _CATALOG}
    if not isinstance(name, str) or name.lower() not in by_lower:
        raise ValueError(f"unknown data set {name!r}; the bundled ones are {', '.join(_CATALOG)}")
    return by_lower[name.lower()]


def _read_part(name, part):
    filename = f"{name}_{part.upper()}.ts.gz"
    text = read_data_text(name, filename)
    return parse_ts(io.StringIO(text), source=f"pygru/datasets/data/{name}/{filename}")


def _describe(name, loaded, class_labels):
    lines = [name, "=" * len(name), "", _CATALOG[name]["summary"], ""]
    for part, (X, _, _) in loaded.items():
        lengths = [len(series) for series in X]
        low, high = min(lengths), max(lengths)
        length = str(low) if low == high else f"{low}-{high}"
        lines.append(f"{part}: {len(X)} series, length {length}, {X[0].shape[-1]} dimension(s)")
    labels = ", ".join(class_labels)
    lines += [
        f"classes: {len(class_labels)} ({labels})",
        "",
        f"Source: the UCR/UEA time series archive (timeseriesclassification.com), "
        f"files {name}_TRAIN.ts and {name}_TEST.ts as shipped in the aeon 1.6.0 "
        "wheel (BSD-3-Clause); see pygru/datasets/data/README.md.",
        "",
        "Please cite:",
        _CATALOG[name]["citation"],
    ]
    return "\n".join(lines)
