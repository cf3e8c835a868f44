"""Accuracy of GRUClassifier on the bundled real data, against same-run baselines and published
results.

Every number in the "this run" tables is computed by this script, in the same run, on the
archive's train/test split of each bundled UCR/UEA set; the "published" columns are quoted,
with their sources below and in benchmarks/README.md. Two tasks:

- Time-series classification (the six bundled sets): GRUClassifier with its defaults (plus
  any --options), the same for every set, test and train accuracy as mean +- std over seeds,
  against 1-NN Euclidean, 1-NN DTW (Sakoe-Chiba window of 10 %, computed here), logistic
  regression, MLPClassifier, and aeon's MiniRocket when aeon is installed.
- Text (VADER movie-review snippets): TokenSequencer + GRUClassifier(embedding_dim) against
  TF-IDF + LogisticRegression.

Forecasting is measured by benchmarks/forecasting.py.

    python benchmarks/accuracy.py                    # 5 seeds, both tasks (~5 min, 2 cores)
    python benchmarks/accuracy.py --quick            # 1 seed, short training: a smoke run
    python benchmarks/accuracy.py --options '{"pooling": "last"}' --no-write
    python benchmarks/accuracy.py --split validation # inner split of the training data only
    python benchmarks/accuracy.py --split validation --model-seeds 3 --tasks classification
    python benchmarks/accuracy.py --ts-dir DIR --tasks classification --no-write  # other sets
    python benchmarks/accuracy.py --ts-dir DIR --impute linear  # and those with gaps in series

--split validation never reads the test sets: each seed holds out a stratified 30 % of each
training set and scores on it. Candidate defaults are compared that way (benchmarks/README.md,
"Protocol"), with --model-seeds 3: each split is fitted with three GRU seeds, so that a
candidate is not judged against one lucky draw of the model's own initialisation and order.

The report goes to stdout and (unless --no-write) to benchmarks/results/accuracy.md, or for
--split validation to benchmarks/results/accuracy_validation.md (never to the test table).
"""

import argparse
import importlib
import json
import os
import platform
import shlex
import sys
import time
import warnings
from datetime import date
from functools import partial

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import pygru  # noqa: E402
from pygru import GRUClassifier  # noqa: E402
from pygru._cuda import device_module  # noqa: E402
from pygru.datasets import UCR_DATASETS, load_movie_reviews, load_ucr, read_ts  # noqa: E402
from pygru.preprocessing import SequenceImputer  # noqa: E402
from pygru.text import TokenSequencer  # noqa: E402

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
RESULTS = {  # the default report of each --split: a validation run never replaces the test table
    "test": os.path.join(RESULTS_DIR, "accuracy.md"),
    "validation": os.path.join(RESULTS_DIR, "accuracy_validation.md"),
}

# --------------------------------------------------------------------------- settings
# One setting for every set: nothing is tuned per data set or on test accuracy. The GRU
# variants of the table, (label, extra GRUClassifier parameters); --options adds to both.
VARIANTS = [("defaults", {}), ("unidirectional", {"bidirectional": False})]
DTW_WINDOW = 0.1  # Sakoe-Chiba band, as a fraction of the longer series of a pair
VALIDATION_FRACTION = 0.3  # --split validation: stratified share of each training set
MODEL_SEED_STRIDE = 1000  # --model-seeds: GRU random_state = seed + stride * j, j < model seeds
TEXT_SEQUENCER = dict(max_features=10000, max_len=50)
TEXT_CLASSIFIER = dict(
    embedding_dim=64,
    hidden_layer_sizes=(64,),
    learning_rate_init=3e-3,
    batch_size=32,
    max_iter=20,
    early_stopping=True,
    n_iter_no_change=3,
)
TEXT_TFIDF_C = 4.0
# --quick: 1 seed, 40 epochs, defaults only, no text: a smoke run, not for comparison.
QUICK_CLASSIFIER = dict(max_iter=40)

# --------------------------------------------------------------------------- published
# Accuracy on the archive's train/test split.
# UCR: the archive's DataSummary.csv (Dau et al. 2019): 1-NN "ED (w=0)" and "DTW
#   (learned_w)" (window learned on the training set, width in % of the length); the file
#   gives error rates.
UCR_1NN = {
    "ItalyPowerDemand": dict(ed=1 - 0.0447, dtw=(1 - 0.0447, 0)),
    "GunPoint": dict(ed=1 - 0.0867, dtw=(1 - 0.0867, 0)),
    "ArrowHead": dict(ed=1 - 0.2000, dtw=(1 - 0.2000, 0)),
    "PickupGestureWiimoteZ": dict(ed=1 - 0.4400, dtw=(1 - 0.3400, 17)),
}
# Fawaz, Forestier, Weber, Idoumghar, Muller (2019), Deep learning for time series
#   classification: a review, Data Min. Knowl. Disc. 33, 917-963: mean (std) accuracy in %
#   over 10 runs, from the authors' result files (github.com/hfawaz/dl-4-tsc,
#   results/results-uea-avg-std.csv for the UCR 2015 archive, results-mts-avg-std.csv for
#   the MTS archive). BasicMotions and PickupGestureWiimoteZ are not in that study.
FAWAZ = {
    "ItalyPowerDemand": dict(MLP=(95.4, 0.2), FCN=(96.1, 0.3), ResNet=(96.3, 0.4)),
    "GunPoint": dict(MLP=(92.7, 1.1), FCN=(100.0, 0.0), ResNet=(99.1, 0.7)),
    "ArrowHead": dict(MLP=(77.8, 1.2), FCN=(84.3, 1.5), ResNet=(84.5, 1.2)),
    "JapaneseVowels": dict(MLP=(97.6, 0.2), FCN=(99.3, 0.2), ResNet=(99.2, 0.3)),
}
# InceptionTime (the ensemble of five Inception networks), Ismail Fawaz et al. (2020),
#   InceptionTime: finding AlexNet for time series classification, Data Min. Knowl. Disc.
#   34, 1936-1962, from the authors' result files in github.com/hfawaz/InceptionTime:
#   "a": results-InceptionTime-85.csv, the UCR 2015 archive of the paper;
#   "b": results-InceptionTime-128.csv, UCR 2018 archive (not in the paper);
#   "c": results-mts.csv, the UEA archive (not in the paper).
INCEPTION_TIME = {
    "ItalyPowerDemand": (0.9679, "a"),
    "GunPoint": (1.0000, "a"),
    "ArrowHead": (0.8286, "a"),
    "PickupGestureWiimoteZ": (0.7600, "b"),
    "JapaneseVowels": (0.9919, "c"),
    "BasicMotions": (1.0000, "c"),
}
TEXT_PUBLISHED_UNVERIFIED = {"CNN-rand (Kim 2014)": 76.1, "CNN-non-static (Kim 2014)": 81.5}


# --------------------------------------------------------------------------- baselines
def as_list(X):
    """A list of (T_i, F) float64 arrays, from a 3-D array or a ragged list."""
    return [np.asarray(x, dtype=np.float64).reshape(len(x), -1) for x in X]


def pad(series, length):
    """(n, length, F) array, zero after each series' end."""
    out = np.zeros((len(series), length, series[0].shape[1]))
    for i, x in enumerate(series):
        out[i, : len(x)] = x
    return out


def band_width(n, m, window):
    """Half-width r of the Sakoe-Chiba band for series of lengths n (rows) and m: the
    window's share of the longer one, at least 1, and at least what keeps the band's rows
    connected, half the diagonal's slope (m - 1) / (n - 1) (all of the one row for n = 1).
    Narrower, series of very different lengths had no warping path (7 steps against 17 at
    r = 1: distance inf, and 1-NN took the first training label); aeon's and tslearn's
    bands for unequal lengths are connected too."""
    n, m = np.asarray(n), np.asarray(m)
    connected = np.where(n > 1, np.ceil((m - 1) / np.maximum(n - 1, 1) / 2), m - 1)
    return np.maximum.reduce(
        [np.ones_like(n), np.floor(window * np.maximum(n, m)), connected]
    ).astype(int)


def dtw_distances(test, train, window=DTW_WINDOW, max_pairs=20_000):
    """(len(test), len(train)) DTW distances between lists of (T, F) series.

    Cell cost: squared Euclidean distance summed over the features ("dependent" DTW). Each
    series keeps its own length. Cell (i, j) of a pair of lengths (n, m) may be visited when
    |j - i (m - 1) / (n - 1)| <= r, r = max(1, floor(window * max(n, m)), ceil(slope / 2))
    (``band_width``): the Sakoe-Chiba band around the diagonal from (0, 0) to (n - 1, m - 1);
    window=1 is unconstrained.
    Vectorised over (test, train) pairs; exact, no lower bounds."""
    a_len = np.array([len(x) for x in train])
    A = pad(train, a_len.max())
    n_train, t_train = len(train), A.shape[1]
    chunk = max(1, max_pairs // n_train)
    out = np.empty((len(test), n_train))
    for start in range(0, len(test), chunk):
        part = test[start : start + chunk]
        b_len = np.array([len(x) for x in part])
        B = pad(part, b_len.max())
        n_len = np.repeat(b_len, n_train)  # rows: the test series of each pair
        m_len = np.tile(a_len, len(part))  # columns: the training series
        slope = (m_len - 1) / np.maximum(n_len - 1, 1)
        r = band_width(n_len, m_len, window)
        dist = np.full(len(n_len), np.inf)
        # D[i - 1, j - 1] and D[i, j - 1] (shifted by one column), reused row after row:
        # the band's first and last columns only move right, so a row resets the columns it
        # writes and reads, and the columns right of them have never been written.
        prev, cur = (np.full((len(n_len), t_train + 1), np.inf) for _ in range(2))
        prev[:, 0] = 0.0
        for i in range(B.shape[1]):
            centre = i * slope
            first = max(0, int(np.floor((centre - r).min())))
            last = min(t_train - 1, int(np.ceil((centre + r).max())))
            band = np.arange(first, last + 1)  # the columns some pair may visit
            inside = np.abs(band[None, :] - centre[:, None]) <= r[:, None]
            cost = ((B[:, i, None, None, :] - A[None, :, band]) ** 2).sum(axis=-1)
            cost = np.where(inside, cost.reshape(len(n_len), len(band)), np.inf)
            cur[:, first : last + 2] = np.inf
            for c, j in enumerate(band):
                best = np.minimum(np.minimum(prev[:, j], prev[:, j + 1]), cur[:, j])
                cur[:, j + 1] = cost[:, c] + best
            done = n_len == i + 1
            dist[done] = cur[done, m_len[done]]
            prev, cur = cur, prev
        out[start : start + len(part)] = dist.reshape(len(part), n_train)
    return out


def euclidean_distances(test, train):
    """(len(test), len(train)) squared Euclidean distances between rows."""
    return (test**2).sum(1)[:, None] - 2 * test @ train.T + (train**2).sum(1)[None, :]


def nearest_neighbour(distances, y_train):
    return np.asarray(y_train)[np.argmin(distances, axis=1)]


def minirocket_class():
    """aeon's MiniRocketClassifier, or None when aeon is not installed."""
    try:
        from aeon.classification.convolution_based import MiniRocketClassifier
    except ImportError:
        return None
    return MiniRocketClassifier


# --------------------------------------------------------------------------- helpers
def mean_std(values, digits=3):
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def fmt(values):
    return "–" if values is None else mean_std(values)


def fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X, y)
    return time.perf_counter() - start


def log(message):
    print(message, file=sys.stderr, flush=True)


def take(X, index):
    return X[index] if isinstance(X, np.ndarray) else [X[i] for i in index]


def ts_sets(directory):
    """{name: folder} for the sets given as the UCR/UEA archive distributes them,
    ``NAME_TRAIN.ts`` with ``NAME_TEST.ts`` beside it, in ``directory`` or in its
    subfolders (the archive's zip has one folder per set)."""
    folders = [directory] + sorted(
        path
        for path in (os.path.join(directory, entry) for entry in os.listdir(directory))
        if os.path.isdir(path)
    )
    suffix = "_TRAIN.ts"
    found = {}
    for folder in folders:
        for file in sorted(os.listdir(folder)):
            name = file[: -len(suffix)]
            test = os.path.join(folder, f"{name}_TEST.ts")
            if file.endswith(suffix) and os.path.isfile(test):
                found.setdefault(name, folder)
    return found


def ts_dir_sets(parser, directory):
    """``ts_sets(directory)`` for the option --ts-dir; a usage error if there are none."""
    if not os.path.isdir(directory):
        parser.error(f"--ts-dir: {directory!r} is not a folder")
    found = ts_sets(directory)
    if not found:
        parser.error(
            f"--ts-dir: no NAME_TRAIN.ts with a NAME_TEST.ts in {directory!r} or its subfolders"
        )
    return found


def add_run_options(parser, results):
    """The options a benchmark run shares: its threads, and where ``publish`` puts the
    report (``results``: where it goes by default, as --help says it; see ``report_file``)."""
    parser.add_argument(
        "--threads", type=positive_int, default=1, help="OpenMP/BLAS threads (default 1)"
    )
    parser.add_argument(
        "--output",
        type=writable_file,
        help=f"report file (default {results}; a --quick run writes only to --output)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")


def path_from_root(path):
    """A file of benchmarks/results/ as --help names it, from the repository's root."""
    return os.path.join("benchmarks", "results", os.path.basename(path))


def writable_file(text):
    """An argparse type for --output: a file that can be written, tried before the run (a
    run of minutes must not end in an error about its report's path)."""
    existed = os.path.exists(text)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(text)), exist_ok=True)
        with open(text, "a", encoding="utf-8"):
            pass
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: {error.strerror}") from None
    if not existed:
        os.remove(text)
    return text


def positive_int(text):
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def estimator_options(estimator_class):
    """An argparse type for --options: a JSON object of ``estimator_class``'s parameters
    (a usage error names what is not one, before anything runs)."""

    def parse(text):
        try:
            options = json.loads(text)
        except json.JSONDecodeError as error:
            raise argparse.ArgumentTypeError(f"not JSON ({error}): {text!r}") from None
        if not isinstance(options, dict):
            raise argparse.ArgumentTypeError(
                f"expected a JSON object of {estimator_class.__name__} settings, got {text!r}"
            )
        unknown = sorted(set(options) - set(estimator_class().get_params()))
        if unknown:
            raise argparse.ArgumentTypeError(
                f"{estimator_class.__name__} has no parameter(s) {', '.join(unknown)}"
            )
        if "random_state" in options:
            raise argparse.ArgumentTypeError(
                "random_state is set by the script, one per seed (--seeds); leave it out"
            )
        check_settings(estimator_class(**options))
        return options

    return parse


def check_settings(estimator):
    """An ArgumentTypeError if ``estimator``'s settings would be refused by its fit (a value
    out of range, a malformed layer list, a device that is not there), so that a bad
    --options stops the run before it starts rather than after the first set's baselines."""
    try:
        estimator._validate_params()  # scikit-learn's checks of each parameter's type and range
        estimator._check_settings()  # the estimator's own checks of its settings together
        device_module(estimator.device)  # as fit refuses a device it cannot use
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def command_line(script, argv):
    """The command that ran ``benchmarks/<script>`` with ``argv`` (None: this process's own
    arguments), quoted so that it can be pasted back into a shell."""
    arguments = argv if argv is not None else sys.argv[1:]
    return shlex.join(["python", f"benchmarks/{script}", *arguments])


def optional_module(name):
    """The module ``name`` if it imports, else None."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def versions_and_machine(threads, *extra):
    """What decides a table's last digits, for its header: the versions, the CPU kernel path
    (AVX2 and AVX-512 round differently), the CPUs and threads; ``extra`` adds optional
    packages as (name, module or None)."""
    import scipy

    optional = "".join(f", {name} {module.__version__}" for name, module in extra if module)
    return (
        f"pygru {pygru.__version__} (CPU kernels: {pygru._cpu.path}), scikit-learn "
        f"{sklearn.__version__}, NumPy {np.__version__}, SciPy {scipy.__version__}{optional}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPU(s), {threads} thread(s)"
    )


def first_paragraph(docstring):
    """A script's description for --help: its docstring's first paragraph, on one line."""
    return " ".join(docstring.strip().split("\n\n")[0].split())


def report_file(args, results):
    """Where a run's report goes: --output, else ``results``; None with --no-write, and
    for a --quick run without --output, a smoke run that must not replace the published
    report."""
    if args.no_write or (getattr(args, "quick", False) and args.output is None):
        return None
    return args.output or results


def publish(report, path):
    """Print the report and write it to the file ``path`` (None: print only)."""
    print(report)
    if path is not None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as file:
            file.write(report)
        log(f"written to {path}")


def load_ts_set(directory, name, impute=None):
    """(A set from ``directory`` (see ``ts_sets``) in ``load_ucr``'s form, whether gaps in
    it were filled), or a str that says why it is not run. Series padded with missing values
    at the end (``?`` in the file) are cut to their own length; gaps inside series are
    filled as ``fill_gaps`` says."""
    data = Bunch(name=name)
    for part in ("train", "test"):
        read = read_part(directory, name, part.upper())
        if isinstance(read, str):
            return read
        X, y, header = read
        if header["target_label"]:
            return "a regression set (@targetLabel: benchmarks/regression.py --ts-dir)"
        if y is None:
            return f"{name}_{part.upper()}.ts has no class labels"
        data[f"X_{part}"], data[f"y_{part}"] = without_missing_tails(X), y
    filled = fill_gaps(data.X_train, data.X_test, impute)
    if isinstance(filled, str):
        return filled
    data.X_train, data.X_test, gaps_filled = filled
    return data, gaps_filled


def read_part(directory, name, part):
    """``read_ts`` of ``NAME_PART.ts`` in ``directory``, or a str that says why it cannot be
    read (so that one odd file does not stop a run over a whole folder)."""
    try:
        return read_ts(os.path.join(directory, f"{name}_{part}.ts"))
    except ValueError as error:
        return f"not readable ({error})"


def fill_gaps(X_train, X_test, impute):
    """(X_train, X_test, whether they had gaps), with values missing inside series filled by
    ``SequenceImputer(method=impute)`` (fitted on X_train), or, for gaps and no ``impute``,
    a str that says why the set is not run. No method here reads NaN inside a series."""
    has_gaps = any(np.isnan(x).any() for x in as_list(X_train) + as_list(X_test))
    if has_gaps and impute is None:
        return "values missing inside a series (--impute ffill|linear fills them)"
    if has_gaps:
        imputer = SequenceImputer(method=impute).fit(X_train)
        X_train, X_test = imputer.transform(X_train), imputer.transform(X_test)
    return X_train, X_test, has_gaps


def add_impute_option(parser):
    parser.add_argument(
        "--impute",
        choices=["ffill", "linear"],
        help="fill values missing inside a series with pygru.preprocessing.SequenceImputer"
        "(method=...) instead of skipping the set",
    )


def load_ts_dir(parser, directory, load, impute):
    """({label: data} of the sets in ``directory`` that ``load(folder, name, impute)`` reads,
    [(name, why not)] of the others, each logged). ``load`` returns (data, whether gaps were
    filled) or a str that says why not; a label names the filling of a set with gaps."""
    loaded, skipped = {}, []
    for name, folder in ts_dir_sets(parser, directory).items():
        result = load(folder, name, impute)
        if isinstance(result, str):
            log(f"{name}: not run, {result}")
            skipped.append((name, result))
        else:
            data, gaps_filled = result
            loaded[f"{name} (gaps filled: {impute})" if gaps_filled else name] = data
    return loaded, skipped


def not_run(skipped):
    """The sets ``load_ts_dir`` skipped, as one line: "NAME: why; NAME: why"."""
    return "; ".join(f"{name}: {why}" for name, why in skipped)


def without_missing_tails(X):
    """X as it is, or, if any series ends in steps that are missing in every dimension, a
    list of the series without those steps."""
    series = as_list(X)
    observed = [np.flatnonzero(~np.isnan(x).all(axis=1)) for x in series]
    if all(len(o) and o[-1] == len(x) - 1 for o, x in zip(observed, series)):
        return X
    return [x[: o[-1] + 1] if len(o) else x[:0] for o, x in zip(observed, series)]


def make_splits(data, split, seeds):
    """(X_train, y_train, X_eval, y_eval) per distinct split: the archive's test split
    once, or (split="validation") one stratified inner split of the training set per seed."""
    y = np.asarray(data.y_train)
    if split == "test":
        return [(data.X_train, y, data.X_test, np.asarray(data.y_test))]
    out = []
    for seed in seeds:
        fit, held = train_test_split(
            np.arange(len(y)), test_size=VALIDATION_FRACTION, stratify=y, random_state=seed
        )
        out.append((take(data.X_train, fit), y[fit], take(data.X_train, held), y[held]))
    return out


def best_published(name):
    """Best of FCN and ResNet (Fawaz et al. 2019), or None."""
    return max(FAWAZ[name]["FCN"][0], FAWAZ[name]["ResNet"][0]) / 100 if name in FAWAZ else None


# --------------------------------------------------------------------------- classification
def run_baselines(split):
    """Deterministic baselines on one split: 1-NN ED / DTW, logistic regression."""
    X_train, y_train, X_eval, y_eval = split
    train, test = as_list(X_train), as_list(X_eval)
    length = max(len(x) for x in train + test)
    flat_train = pad(train, length).reshape(len(train), -1)
    flat_test = pad(test, length).reshape(len(test), -1)
    ed = np.mean(nearest_neighbour(euclidean_distances(flat_test, flat_train), y_train) == y_eval)
    start = time.perf_counter()
    dtw = np.mean(nearest_neighbour(dtw_distances(test, train), y_train) == y_eval)
    dtw_time = time.perf_counter() - start
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    fit_quietly(logistic, flat_train, y_train)
    return dict(ed=ed, dtw=dtw, dtw_time=dtw_time, logistic=logistic.score(flat_test, y_eval)), (
        flat_train,
        flat_test,
    )


def model_seeds_of(seed, n_model_seeds):
    """The GRU's random_state values for one split seed: the seed itself, then seeds
    MODEL_SEED_STRIDE apart, so that the model's own randomness is averaged separately from
    the split's."""
    return [seed + MODEL_SEED_STRIDE * j for j in range(n_model_seeds)]


def run_classification(loaders, seeds, options, quick, split_mode, n_model_seeds=1):
    """One row of results per set; ``loaders`` maps each set's name to a function that
    loads it (``load_ucr``'s Bunch)."""
    settings = {**(QUICK_CLASSIFIER if quick else {}), **options}
    # The unidirectional variant only where it differs from the settings themselves.
    variants = VARIANTS[:1] if quick or settings.get("bidirectional") is False else VARIANTS
    rocket = minirocket_class()
    rows = []
    for name, load in loaders.items():
        data = load()
        lengths = [len(x) for x in as_list(data.X_train) + as_list(data.X_test)]
        equal = isinstance(data.X_train, np.ndarray) and isinstance(data.X_test, np.ndarray)
        row = dict(
            name=name,
            n_train=len(data.y_train),
            n_test=len(data.y_test),
            dims=as_list(data.X_train[:1])[0].shape[1],
            classes=len(np.unique(data.y_train)),
            length=f"{min(lengths)}-{max(lengths)}" if not equal else str(lengths[0]),
        )
        log(f"[classification] {name}")
        splits = make_splits(data, split_mode, seeds)
        for key in ("ed", "dtw", "dtw_time", "logistic", "mlp", "rocket", "rocket_time"):
            row[key] = []
        flats = []
        for split in splits:
            base, flat = run_baselines(split)
            flats.append(flat)
            for key, value in base.items():
                row[key].append(value)
        for label, _ in variants:
            row[label] = dict(test=[], train=[], time=[], epochs=[])
        for k, seed in enumerate(seeds):
            X_train, y_train, X_eval, y_eval = splits[k % len(splits)]
            flat_train, flat_test = flats[k % len(splits)]
            mlp = make_pipeline(StandardScaler(), MLPClassifier(max_iter=1000, random_state=seed))
            fit_quietly(mlp, flat_train, y_train)
            row["mlp"].append(mlp.score(flat_test, y_eval))
            if rocket is not None and equal:
                clf = rocket(random_state=seed)
                to_aeon = (0, 2, 1)  # aeon reads (n, channels, length)
                row["rocket_time"].append(
                    fit_quietly(clf, np.transpose(X_train, to_aeon), y_train)
                )
                row["rocket"].append(clf.score(np.transpose(X_eval, to_aeon), y_eval))
            for label, extra in variants:
                result = row[label]
                for model_seed in model_seeds_of(seed, n_model_seeds):
                    clf = GRUClassifier(random_state=model_seed, **{**settings, **extra})
                    result["time"].append(fit_quietly(clf, X_train, y_train))
                    result["test"].append(clf.score(X_eval, y_eval))
                    result["train"].append(clf.score(X_train, y_train))
                    result["epochs"].append(clf.n_iter_)
                    result["k"] = getattr(clf, "patch_size_", "–")
        row["rocket"] = row["rocket"] or None
        for label, _ in variants:
            r = row[label]
            log(
                f"    {label}: test {mean_std(r['test'])}  train {mean_std(r['train'])}  "
                f"({np.mean(r['time']):.1f} s, epochs {r['epochs']})"
            )
        log(
            f"    ED {mean_std(row['ed'])}  DTW {mean_std(row['dtw'])} "
            f"({np.mean(row['dtw_time']):.1f} s)  logistic {mean_std(row['logistic'])}  "
            f"MLP {mean_std(row['mlp'])}  MiniRocket {fmt(row['rocket'])}"
        )
        rows.append(row)
    return rows, settings, [label for label, _ in variants], rocket is not None


def check(ok, delta):
    return f"{'✓' if ok else '✗'} {delta * 100:+.1f}"


def classification_report(
    rows, settings, labels, has_rocket, n_seeds, split_mode, n_model_seeds=1
):
    where = (
        "the archive's test split"
        if split_mode == "test"
        else f"a stratified {VALIDATION_FRACTION:.0%} inner validation split of the training "
        "set, one per seed (the test sets are not read)"
    )
    gru = f"GRUClassifier({format_settings(settings)}{', ' * bool(settings)}random_state=seed)"
    over = f"{n_seeds} seed(s)"
    if n_model_seeds > 1:
        over = (
            f"{n_seeds} seed(s) × {n_model_seeds} model seeds (the GRU's random_state is seed "
            f"+ {MODEL_SEED_STRIDE} j, j < {n_model_seeds}; the baselines' is seed)"
        )
    lines = [
        f"## Time-series classification (accuracy on {where})",
        "",
        f"pygru: `{gru}`, the same for every set (bidirectional by default)"
        + (
            "; *unidirectional*: the same with `bidirectional=False`"
            * ("unidirectional" in labels)
        )
        + f". {'Test' if split_mode == 'test' else 'Validation'} and train accuracy are "
        f"mean ± std over {over}; fit s: mean seconds per fit; k: the patch size chosen by "
        "`patch_size='auto'`. Baselines, computed in this run: 1-NN Euclidean, "
        "`StandardScaler` + `LogisticRegression(max_iter=5000)` and `StandardScaler` + "
        "`MLPClassifier(max_iter=1000, random_state=seed)` on the flattened series, "
        "zero-padded to the longest one on the ragged sets; 1-NN DTW with a Sakoe-Chiba band "
        f"of {DTW_WINDOW:.0%} (squared-Euclidean cell cost summed over the dimensions, each "
        "series at its own length, the band following the diagonal of each pair); "
        "`aeon` `MiniRocketClassifier(random_state=seed)` on the equal-length sets"
        + ("" if has_rocket else " (**aeon not installed: not run**)")
        + '. "–": not applicable or not run.',
        "",
        "### Measured in this run",
        "",
    ]
    sizes = "train / test" if split_mode == "test" else "archive's train / test"
    head = f"| data set | {sizes} | length | dims | classes |"
    rule = "|---|---|---|---|---|"
    for label in labels:
        head += f" pygru {label} | train acc. | fit s |"
        rule += "---|---|---|"
    head += " k | 1-NN ED | 1-NN DTW | logistic | MLP | MiniRocket |"
    rule += "---|---|---|---|---|---|"
    lines += [head, rule]
    for r in rows:
        line = f"| {r['name']} | {r['n_train']} / {r['n_test']} | {r['length']} | "
        line += f"{r['dims']} | {r['classes']} |"
        for label in labels:
            v = r[label]
            line += f" **{mean_std(v['test'])}** | {mean_std(v['train'])} | "
            line += f"{np.mean(v['time']):.1f} |"
        line += f" {r[labels[0]]['k']} | {mean_std(r['ed'])} | {mean_std(r['dtw'])} | "
        line += f"{mean_std(r['logistic'])} | {mean_std(r['mlp'])} | {fmt(r['rocket'])} |"
        lines.append(line)
    if split_mode == "test":
        lines += published_table(rows)
    lines += goals_table(rows, labels, split_mode)
    return lines


def published_table(rows):
    lines = [
        "",
        "### Published results for the same split",
        "",
        "1-NN: the UCR archive's `DataSummary.csv` (Dau et al. 2019; DTW with the window "
        "learned on the training set, its width in % of the length in brackets). MLP, FCN, "
        "ResNet: Fawaz et al. (2019), mean (std) over 10 runs, from the authors' result files. "
        "InceptionTime: Ismail Fawaz et al. (2020), from the authors' result files: "
        "ᵃ the paper's UCR 2015 archive, ᵇ UCR 2018 archive, ᶜ UEA archive (ᵇ ᶜ: not in the "
        'paper). "–": not in that source. Sources in `benchmarks/README.md`.',
        "",
        "| data set | 1-NN ED | 1-NN DTW (learned w) | MLP | FCN | ResNet | InceptionTime |",
        "|---|---|---|---|---|---|---|",
    ]
    marks = dict(a="ᵃ", b="ᵇ", c="ᶜ")
    for r in rows:
        name = r["name"]
        cells = ["–", "–"]
        if name in UCR_1NN:
            p = UCR_1NN[name]
            cells = [f"{p['ed']:.3f}", f"{p['dtw'][0]:.3f} ({p['dtw'][1]})"]
        for model in ("MLP", "FCN", "ResNet"):
            if name in FAWAZ:
                mean, std = FAWAZ[name][model]
                cells.append(f"{mean / 100:.3f} ({std / 100:.3f})")
            else:
                cells.append("–")
        if name in INCEPTION_TIME:
            value, source = INCEPTION_TIME[name]
            cells.append(f"{value:.3f}{marks[source]}")
        else:
            cells.append("–")
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return lines


def goals_table(rows, labels, split_mode):
    lines = [
        "",
        "### Goals (issue 16)",
        "",
        "(1) test accuracy ≥ max(1-NN ED, MLP) of this run; (2) within 5 points of the best "
        "published FCN/ResNet (the goal is on the mean over the sets with a published "
        "number, last row); (3) within 3 points of MiniRocket of this run on the equal-length "
        "sets (the goal is on the mean, last row); (4) train accuracy ≥ 0.9. Means over "
        "seeds; differences in points.",
        "",
        "| data set | variant | test | train | (1) vs max(ED, MLP) | (2) vs FCN/ResNet | "
        "(3) vs MiniRocket | (4) train ≥ 0.9 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label in labels:
        sums = dict(pub=[], rocket=[])
        for r in rows:
            test, train = np.mean(r[label]["test"]), np.mean(r[label]["train"])
            baseline = max(np.mean(r["ed"]), np.mean(r["mlp"]))
            best = best_published(r["name"]) if split_mode == "test" else None
            rocket = None if r["rocket"] is None else np.mean(r["rocket"])
            if best is not None:
                sums["pub"].append((test, best))
            if rocket is not None:
                sums["rocket"].append((test, rocket))
            lines.append(
                f"| {r['name']} | {label} | {test:.3f} | {train:.3f} | "
                f"{check(test >= baseline, test - baseline)} | "
                f"{'–' if best is None else check(test >= best - 0.05, test - best)} | "
                f"{'–' if rocket is None else check(test >= rocket - 0.03, test - rocket)} | "
                f"{'✓' if train >= 0.9 else '✗'} |"
            )
        cells = []
        for key, margin in (("pub", 0.05), ("rocket", 0.03)):
            pairs = np.array(sums[key]).reshape(-1, 2)
            if len(pairs):
                gap = pairs[:, 0].mean() - pairs[:, 1].mean()
                cells.append(f"{check(gap >= -margin, gap)} ({len(pairs)} sets)")
            else:
                cells.append("–")
        lines.append(f"| mean | {label} | | | | {cells[0]} | {cells[1]} | |")
    return lines


def format_settings(settings):
    return ", ".join(f"{key}={value!r}" for key, value in settings.items())


# --------------------------------------------------------------------------- text
def run_text(seeds):
    settings = TEXT_CLASSIFIER
    log("[text] movie reviews")
    data = load_movie_reviews()
    tfidf = make_pipeline(
        TfidfVectorizer(sublinear_tf=True), LogisticRegression(C=TEXT_TFIDF_C, max_iter=2000)
    )
    tfidf_time = fit_quietly(tfidf, data.X_train, data.y_train)
    row = dict(
        n_train=len(data.X_train),
        n_test=len(data.X_test),
        tfidf=tfidf.score(data.X_test, data.y_test),
        tfidf_time=tfidf_time,
    )
    scores, times, epochs = [], [], []
    for seed in seeds:
        pipeline = make_pipeline(
            TokenSequencer(**TEXT_SEQUENCER), GRUClassifier(random_state=seed, **settings)
        )
        times.append(fit_quietly(pipeline, data.X_train, data.y_train))
        scores.append(pipeline.score(data.X_test, data.y_test))
        epochs.append(pipeline[-1].n_iter_)
    row["gru"], row["gru_time"], row["gru_epochs"] = scores, times, epochs
    log(f"    GRU {mean_std(scores)} ({np.mean(times):.1f} s)  TF-IDF {row['tfidf']:.3f}")
    return row, settings


def text_report(row, settings, n_seeds):
    published = "; ".join(f"{k} {v:.1f}%?" for k, v in TEXT_PUBLISHED_UNVERIFIED.items())
    return [
        "## Text: VADER movie-review snippets, binary sentiment",
        "",
        f"`load_movie_reviews()` (default split: stratified 80/20, random_state=0, "
        f"|rating| ≥ 0.5). pygru: `make_pipeline("
        f"TokenSequencer({format_settings(TEXT_SEQUENCER)}), "
        f"GRUClassifier({format_settings(settings)}, random_state=seed))`, "
        f"mean ± std over {n_seeds} seed(s). Baseline: `TfidfVectorizer(sublinear_tf=True)` + "
        f"`LogisticRegression(C={TEXT_TFIDF_C})`.",
        "",
        "| data | train / test | pygru accuracy | fit s | epochs | TF-IDF + logistic | fit s |",
        "|---|---|---|---|---|---|---|",
        f"| movie reviews | {row['n_train']} / {row['n_test']} | **{mean_std(row['gru'])}** | "
        f"{np.mean(row['gru_time']):.1f} | {row['gru_epochs']} | {row['tfidf']:.3f} | "
        f"{row['tfidf_time']:.1f} |",
        "",
        f"For orientation only (different protocol: 10-fold cross-validation on all 10,662 MR "
        f"sentences; ? = quoted from memory, not checked): {published}.",
    ]


# --------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=first_paragraph(__doc__))
    parser.add_argument(
        "--seeds", type=positive_int, default=5, help="seeds per model (default 5)"
    )
    parser.add_argument(
        "--model-seeds",
        type=int,
        default=1,
        help=f"GRU fits per seed, with random_state seed + {MODEL_SEED_STRIDE} j (default 1): "
        "averages the model's own randomness apart from the split's, for comparing candidate "
        "defaults",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 seed, 40 epochs, defaults only, no text: a smoke run, not for comparison",
    )
    parser.add_argument(
        "--options",
        type=estimator_options(GRUClassifier),
        default={},
        help='extra GRUClassifier settings as JSON, e.g. \'{"pooling": "mean"}\'',
    )
    parser.add_argument(
        "--split",
        choices=["test", "validation"],
        default="test",
        help="score on the archive's test split, or on an inner validation split of the "
        "training set (for choosing defaults)",
    )
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=["classification", "text"],
        choices=["classification", "text"],
        help="tasks to run (default both; text is left out of --quick and --split validation "
        "runs)",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(UCR_DATASETS),
        help="bundled sets to run (default: all six, or none with --ts-dir)",
    )
    parser.add_argument(
        "--ts-dir",
        help="also run every set in this folder (or its subfolders) given as the UCR/UEA "
        "archive distributes it, NAME_TRAIN.ts and NAME_TEST.ts (e.g. sets held back from "
        "the bundled ones)",
    )
    add_impute_option(parser)
    add_run_options(
        parser,
        f"{path_from_root(RESULTS['test'])}, or {path_from_root(RESULTS['validation'])} "
        "with --split validation",
    )
    args = parser.parse_args(argv)
    if args.model_seeds < 1:
        parser.error(f"--model-seeds must be at least 1, got {args.model_seeds}")
    # The text task has its own settings and no inner split: a smoke run or a choice of
    # defaults (which must never read a test split) leaves it out.
    tasks = [
        task
        for task in args.tasks
        if not (task == "text" and (args.quick or args.split == "validation"))
    ]
    if not tasks:
        parser.error(
            "--tasks text: no task is left to run; the text task (its own settings, no inner "
            f"split) is left out of {'--quick' if args.quick else '--split validation'} runs"
        )
    if "text" in args.tasks and "text" not in tasks:
        log("the text task is left out of --quick and --split validation runs")
    loaders = {
        name: partial(load_ucr, name)
        for name in (args.datasets or ([] if args.ts_dir else UCR_DATASETS))
    }
    skipped = []
    if args.ts_dir is not None:
        sets, skipped = load_ts_dir(parser, args.ts_dir, load_ts_set, args.impute)
        loaders.update({label: (lambda data=data: data) for label, data in sets.items()})
        if not loaders and "classification" in args.tasks:
            parser.error(
                f"--ts-dir: no classification set to run in {args.ts_dir!r} ({not_run(skipped)})"
            )
    seeds = list(range(1 if args.quick else args.seeds))

    start = time.perf_counter()
    sections = []
    with threadpool_limits(args.threads):
        if "classification" in tasks:
            rows, settings, labels, has_rocket = run_classification(
                loaders, seeds, args.options, args.quick, args.split, args.model_seeds
            )
            sections += classification_report(
                rows, settings, labels, has_rocket, len(seeds), args.split, args.model_seeds
            )
            if skipped:
                sections += ["", "Not run: " + not_run(skipped)]
            sections.append("")
        if "text" in tasks:
            row, settings = run_text(seeds)
            sections += text_report(row, settings, len(seeds)) + [""]
    elapsed = time.perf_counter() - start

    command = command_line("accuracy.py", argv)
    title = "the bundled real data" if args.ts_dir is None else f"the sets in `{args.ts_dir}`"
    header = [
        f"# pygru accuracy on {title}",
        "",
        f"Written by `{command}` on {date.today().isoformat()}: "
        f"{versions_and_machine(args.threads, ('aeon', optional_module('aeon')))}; "
        f"{len(seeds)} seed(s)"
        + (f" × {args.model_seeds} model seeds" if args.model_seeds > 1 else "")
        + f"; GRUClassifier options {json.dumps(args.options)}; split "
        f"{args.split}; total {elapsed / 60:.1f} min. "
        + ("**--quick run: 40 epochs, 1 seed; not for comparison.** " if args.quick else "")
        + "Fit times depend on the machine and its load. Protocol and sources: "
        "`benchmarks/README.md`. Forecasting: `benchmarks/forecasting.py`.",
        "",
    ]
    publish("\n".join(header + sections).rstrip() + "\n", report_file(args, RESULTS[args.split]))
    return rows if "classification" in tasks else None


if __name__ == "__main__":
    main()
