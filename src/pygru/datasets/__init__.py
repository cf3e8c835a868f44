"""Real data sets bundled with pygru, loaded like :mod:`sklearn.datasets`.

Time-series classification (UCR/UEA archive, standard train/test splits):
:func:`load_ucr` and one loader per set, e.g. :func:`load_gunpoint`.
Forecasting: :func:`load_airline`, :func:`load_lynx`, :func:`load_nile`,
:func:`load_sunspots`, and :func:`make_windows` to cut any series into (window, next
values) pairs for ``GRURegressor(output="last")`` or ``output="sequence"``.
Sentiment of short texts (VADER ground truth): :func:`load_movie_reviews`,
:func:`load_tweets`.
Any ``.ts`` file (e.g. another set downloaded from timeseriesclassification.com):
:func:`read_ts`.

Sources, citations and licences of the bundled files: ``data/README.md``.
"""

from ._forecasting import load_airline, load_lynx, load_nile, load_sunspots, make_windows
from ._text import load_movie_reviews, load_tweets
from ._ts import read_ts
from ._ucr import (
    UCR_DATASETS,
    load_arrowhead,
    load_basic_motions,
    load_gunpoint,
    load_italy_power_demand,
    load_japanese_vowels,
    load_pickup_gesture_wiimote_z,
    load_ucr,
)

__all__ = [
    "UCR_DATASETS",
    "load_airline",
    "load_arrowhead",
    "load_basic_motions",
    "load_gunpoint",
    "load_italy_power_demand",
    "load_japanese_vowels",
    "load_lynx",
    "load_movie_reviews",
    "load_nile",
    "load_pickup_gesture_wiimote_z",
    "load_sunspots",
    "load_tweets",
    "load_ucr",
    "make_windows",
    "read_ts",
]
