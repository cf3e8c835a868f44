"""One-step-ahead forecasts of four real series: GRURegressor against classical baselines.

For each bundled series (airline, lynx, Nile, sunspots) the last 20 % of the values are held
out. Every method is fitted on the first 80 % only and then forecasts each held-out value
from the true values before it (rolling one-step-ahead, no refit). Methods:

- naive: the previous value; seasonal naive: the value one season m back (series with a
  season or cycle only);
- linear autoregression: RidgeCV on the same lag windows the GRU reads (standardised lags,
  alpha chosen by RidgeCV's leave-one-out on the training windows, from the grid the
  regressor's linear skip searches, 1e-6 .. 1e6); and the same on the differenced series
  (an ARIMA(p, 1, 0) with drift, p = lookback - 1: the next change from the window's
  changes; its penalty shrinks towards the naive forecast with drift rather than towards
  the training mean, a stronger baseline on series that leave their training range);
- ETS (statsmodels, skipped when it is missing): the ETSModel with the lowest AICc on the
  training part among additive/multiplicative error (multiplicative only for a positive
  series), no or damped additive trend, and no or a season of period m of the error's kind;
  the test part is smoothed with the parameters fitted on the training part;
- GRURegressor with its defaults (``random_state=seed``), and with ``early_stopping=True,
  validation_split="last"``: mean +- std over seeds.

Everything runs on the raw scale (no log or other transform for any method). Errors: MAE,
and MASE (the MAE divided by the in-sample MAE of the naive forecast on the training part).

    python benchmarks/forecasting.py            # 5 seeds: the published table
    python benchmarks/forecasting.py --quick    # 1 seed, short GRU training: a smoke run
    python benchmarks/forecasting.py --split validation --options '{"linear_skip": false}'

--split validation never reads the held-out part: it runs the same protocol on the first
80 % of each series alone (its last 20 % becomes the evaluation part), which is where
defaults are chosen (benchmarks/README.md). --origins 0.6 0.7 0.8 scores it at several
forecast origins instead: fit on that fraction of the training part, forecast the rest of
it; the report then adds each method's mean MASE over the series x origin cells and the
cells where it is at least as good as the linear AR. --options adds GRURegressor
parameters to both GRU rows.

    python benchmarks/forecasting.py --split validation --origins 0.6 0.7 0.8 --no-write
    python benchmarks/forecasting.py --csv elnino.csv 12 --csv unemp.csv 4 --no-write

--csv FILE SEASON runs the same protocol on a series of one's own (one value per line, or the
last column of a CSV with a header; SEASON in steps, or none), named after its file, in place
of the bundled ones unless --series names some; two series of the same name are refused.

The report goes to stdout and (unless --no-write) to benchmarks/results/forecasting.md, or for
--split validation to benchmarks/results/forecasting_validation.md, and with --origins to
benchmarks/results/forecasting_origins.md (a validation run never replaces the test table).
"""

import argparse
import os
import sys
import time
import warnings
from datetime import date

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch
from threadpoolctl import threadpool_limits

from pygru import GRURegressor
from pygru.datasets import load_airline, load_lynx, load_nile, load_sunspots, make_windows

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # helpers shared with accuracy.py
from accuracy import (  # noqa: E402
    add_run_options,
    command_line,
    estimator_options,
    optional_module,
    path_from_root,
    positive_int,
    publish,
    report_file,
    versions_and_machine,
)

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
# The default report of each kind of run (report_path): a validation run, with or without
# --origins, never replaces the test table.
RESULTS = {
    "test": os.path.join(RESULTS_DIR, "forecasting.md"),
    "validation": os.path.join(RESULTS_DIR, "forecasting_validation.md"),
    "origins": os.path.join(RESULTS_DIR, "forecasting_origins.md"),
}

# --------------------------------------------------------------------------- settings
# Fixed rules, the same for every series; nothing here was chosen by looking at test errors.
SERIES = {  # name: (loader, season or cycle length m in steps, None if there is none)
    "airline": (load_airline, 12),  # months in a year
    "lynx": (load_lynx, 10),  # the ~10-year lynx cycle
    "nile": (load_nile, None),  # no season
    "sunspots": (load_sunspots, 11),  # the ~11-year solar cycle
}
TEST_FRACTION = 0.2  # the last 20 % of each series, rounded to whole steps
LOOKBACK_SEASONS = 2  # the windows cover two seasons ...
LOOKBACK_WITHOUT_SEASON = 10  # ... or ten steps for a series without one
RIDGE_ALPHAS = np.logspace(-6, 6, 25)  # the linear skip's grid (up to 1e5 windows)
GRU_VARIANTS = [  # (key, label, parameters beyond random_state)
    ("gru", "GRURegressor defaults", {}),
    (
        "gru_es",
        'GRURegressor early_stopping, validation_split="last"',
        {"early_stopping": True, "validation_split": "last"},
    ),
]
QUICK_GRU = {"max_iter": 30}
N_SEEDS = 5


# --------------------------------------------------------------------------- helpers
def log(message):
    print(message, file=sys.stderr, flush=True)


def mean_std(values, digits):
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def lookback_for(season):
    return LOOKBACK_WITHOUT_SEASON if season is None else LOOKBACK_SEASONS * season


def split_point(n_values):
    """Index of the first held-out value."""
    return n_values - int(round(TEST_FRACTION * n_values))


def errors(forecast, truth, naive_scale):
    mae = float(np.mean(np.abs(forecast - truth)))
    return mae, mae / naive_scale


# --------------------------------------------------------------------------- methods
def forecast_linear_ar(X_train, y_train, X_test):
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS))
    return model.fit(X_train[:, :, 0], y_train).predict(X_test[:, :, 0])


def forecast_linear_ar_of_changes(X_train, y_train, X_test):
    """The linear AR of the differenced series, an ARIMA(lookback - 1, 1, 0) with drift:
    each value's change from the window's last value regressed on the window's changes
    (RidgeCV as above). A strong penalty leaves the last value plus the mean change (the
    naive forecast with drift), where the linear AR's leaves the training mean."""
    changes = forecast_linear_ar(
        np.diff(X_train, axis=1), y_train - X_train[:, -1, 0], np.diff(X_test, axis=1)
    )
    return changes + X_test[:, -1, 0]


def ets_candidates(series, season):
    errors_allowed = ["add", "mul"] if np.all(series > 0) else ["add"]
    for error in errors_allowed:
        for trend in (None, "add"):
            for seasonal in (None, error) if season else (None,):
                yield dict(
                    error=error,
                    trend=trend,
                    damped_trend=trend is not None,
                    seasonal=seasonal,
                    seasonal_periods=season if seasonal else None,
                )


def ets_label(spec):
    letter = {None: "N", "add": "A", "mul": "M"}
    trend = "Ad" if spec["trend"] else "N"
    return f"ETS({letter[spec['error']]},{trend},{letter[spec['seasonal']]})"


def forecast_ets(series, n_train, season):
    """One-step forecasts of series[n_train:] by the training part's best ETS by AICc."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    train = series[:n_train]
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of some candidates
        for spec in ets_candidates(train, season):
            fitted = ETSModel(train, **spec).fit(disp=False)
            if np.isfinite(fitted.aicc) and (best is None or fitted.aicc < best[1].aicc):
                best = (spec, fitted)
        spec, fitted = best
        smoothed = ETSModel(series, **spec).smooth(fitted.params)
    return np.asarray(smoothed.fittedvalues)[n_train:], ets_label(spec)


def statsmodels_available():
    try:
        import statsmodels  # noqa: F401
    except ImportError:
        return False
    return True


def fit_quietly(model, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start


# --------------------------------------------------------------------------- one series
def read_series_csv(path):
    """The values of a series stored one per line, or in the last column of a CSV file whose
    first line may be a header. Anything else that is not a finite number is an error."""
    values = []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue  # an empty line
            field = line.strip().rsplit(",", 1)[-1].strip().strip('"')
            try:
                value = float(field)
            except ValueError:
                if number == 1:
                    continue  # a header
                # An empty field is a missing value (pandas' to_csv writes NaN so): skipping
                # it would shift every later value one step earlier in time.
                raise ValueError(f"{path}, line {number}: {field!r} is not a number") from None
            if not np.isfinite(value):
                raise ValueError(f"{path}, line {number}: {field!r} is not a finite number")
            values.append(value)
    return Bunch(data=np.asarray(values))


def run_series(
    name, seeds, quick, with_ets, split="test", options=None, origin=None, catalog=None
):
    """One series' row; with split="validation" the training part alone, forecast from
    ``origin`` (the fraction of it fitted on; None: its last 20 % is forecast). ``catalog``
    maps names to (loader, season) as ``SERIES`` does (the default)."""
    loader, season = (catalog or SERIES)[name]
    series = loader().data
    if split == "validation":  # the training part only; its own last 20 % is evaluated
        series = series[: split_point(len(series))]
    n_train = split_point(len(series)) if origin is None else int(round(origin * len(series)))
    lookback = lookback_for(season)
    label = name if origin is None else f"{name} {origin:.0%}"
    if n_train <= lookback:  # no training window, and no window for the first forecasts
        log(f"[{label}] not run: fitted on {n_train} values, fewer than lookback + 1")
        return None
    X, y = make_windows(series, lookback=lookback)  # y[i] = series[i + lookback]
    is_test = np.arange(lookback, len(series)) >= n_train
    X_train, y_train, X_test, truth = X[~is_test], y[~is_test], X[is_test], y[is_test]
    naive_scale = np.mean(np.abs(np.diff(series[:n_train])))
    test_times = np.arange(n_train, len(series))

    row = dict(
        name=label,
        length=len(series),
        n_test=len(truth),
        season=season,
        lookback=lookback,
        n_windows=len(y_train),
    )
    row["naive"] = errors(series[test_times - 1], truth, naive_scale)
    if season:
        row["seasonal"] = errors(series[test_times - season], truth, naive_scale)
    linear = forecast_linear_ar(X_train, y_train, X_test)
    row["linear"] = errors(linear, truth, naive_scale)
    changes = forecast_linear_ar_of_changes(X_train, y_train, X_test)
    row["linear_changes"] = errors(changes, truth, naive_scale)
    if with_ets:
        ets, row["ets_model"] = forecast_ets(series, n_train, season)
        row["ets"] = errors(ets, truth, naive_scale)
    for key, label, parameters in GRU_VARIANTS:
        settings = {**parameters, **(QUICK_GRU if quick else {}), **(options or {})}
        results, times = [], []
        try:
            for seed in seeds:
                model = GRURegressor(random_state=seed, **settings)
                times.append(fit_quietly(model, X_train, y_train))
                results.append(errors(model.predict(X_test), truth, naive_scale))
        except ValueError as error:
            if not str(error).startswith("early stopping:"):
                raise
            log(f"[{name}] {label}: not run, {error}")  # too few windows to validate on
            continue
        row[key], row[f"{key}_time"] = np.array(results), float(np.mean(times))
    log(
        f"[{name}] MAE naive {row['naive'][0]:.1f}  linear AR {row['linear'][0]:.1f}  "
        + (f"ETS {row['ets'][0]:.1f}  " if with_ets else "")
        + f"GRU {mean_std(row['gru'][:, 0], 1)}"
    )
    return row


# --------------------------------------------------------------------------- report
def cell(row, key):
    """MAE (MASE) of one method on one series; mean ± std for the seeded GRU rows."""
    if key not in row:
        return "–"
    result = np.asarray(row[key])
    digits = mae_digits(row)
    if result.ndim == 1:
        return f"{result[0]:.{digits}f} ({result[1]:.2f})"
    return f"{mean_std(result[:, 0], digits)} ({mean_std(result[:, 1], 2)})"


def fit_time(row, key):
    """Mean fit seconds of a GRU row, "–" where it was not run."""
    return f"{row[key + '_time']:.1f}" if key + "_time" in row else "–"


def mae_digits(row):
    """Decimals for a series' MAEs: three significant digits of the naive forecast's MAE,
    at least one decimal (so series in the tens and above read as before)."""
    naive = row["naive"][0]
    return max(1, 2 - int(np.floor(np.log10(naive)))) if naive > 0 else 1


def methods_of(with_ets):
    """(row key, label) of each method in the report, in its order."""
    methods = [
        ("naive", "naive (previous value)"),
        ("seasonal", "seasonal naive (value m back)"),
        ("linear", "linear AR (RidgeCV on the lag window)"),
        ("linear_changes", "linear AR of the differences (ARIMA(p, 1, 0) by RidgeCV)"),
    ]
    if with_ets:
        methods.append(("ets", "ETS (statsmodels, AICc on the training part)"))
    return methods + [(key, label) for key, label, _ in GRU_VARIANTS]


def report(rows, seeds, quick, with_ets, split="test", origins=None):
    gru_settings = ", ".join(f"{k}={v!r}" for k, v in QUICK_GRU.items()) if quick else ""
    if split == "test":
        heading = "## One-step-ahead forecasts on the last 20 % of each series"
    elif origins:
        heading = (
            "## Inner validation at several origins: the first 80 % of each series alone, "
            "fitted on the first part of it named in each column, the rest forecast (the "
            "held-out part is never read)"
        )
    else:
        heading = (
            "## Inner validation: the first 80 % of each series alone, its last 20 % "
            "forecast (the held-out part is never read)"
        )
    lines = [
        heading,
        "",
        "MAE (MASE) on the held-out part, raw scale; the GRU rows are mean ± std over "
        f"{len(seeds)} seed(s) (`random_state={seeds[0]}..{seeds[-1]}`"
        + (f", {gru_settings}" if gru_settings else "")
        + "). MASE = MAE / in-sample MAE of the naive forecast on the training part "
        "(below 1: better than the naive forecast was in-sample).",
        "",
        "| method | " + " | ".join(row["name"] for row in rows) + " |",
        "|---|" + "---|" * len(rows),
    ]
    for key, label in methods_of(with_ets):
        lines.append(f"| {label} | " + " | ".join(cell(row, key) for row in rows) + " |")
    lines += [
        "",
        "| series | length | held out | season m | lookback | training windows | "
        "ETS chosen | GRU fit s (defaults / early stopping) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['name']} | {row['length']} | last {row['n_test']} | "
            f"{row['season'] or '–'} | {row['lookback']} | {row['n_windows']} | "
            f"{row.get('ets_model', 'not run')} | "
            f"{fit_time(row, 'gru')} / {fit_time(row, 'gru_es')} |"
        )
    return lines


def origins_summary(rows, with_ets):
    """Each method's mean MASE over the rows (series x origin cells) and the cells where it
    is at least as good as the linear AR."""
    lines = [
        "",
        "## Over all series x origin cells",
        "",
        "| method | mean MASE | cells at least as good as the linear AR |",
        "|---|---|---|",
    ]
    linear = np.array([row["linear"][1] for row in rows])
    for key, label in methods_of(with_ets):
        if any(key not in row for row in rows):  # the seasonal naive without a season,
            continue  # early stopping on too few windows
        mase = np.array([np.mean(np.asarray(row[key])[..., 1]) for row in rows])
        lines.append(f"| {label} | {mase.mean():.3f} | {np.sum(mase <= linear)} / {len(rows)} |")
    return lines


# --------------------------------------------------------------------------- main
def csv_series(parser, path, season):
    """(loader, season) for ``--csv FILE SEASON``; bad values are usage errors."""
    if season.lower() == "none":
        season = None
    elif season.isdigit() and int(season) >= 2:
        season = int(season)
    else:
        parser.error(
            f"--csv {path}: SEASON must be an integer of at least 2 or 'none', got {season!r}"
        )
    try:
        series = read_series_csv(path)
    except (OSError, ValueError) as error:
        parser.error(f"--csv: {error}")
    needed = int(np.ceil((lookback_for(season) + 2) / (1 - TEST_FRACTION)))
    if len(series.data) < needed:
        parser.error(
            f"--csv {path}: {len(series.data)} values; a lookback of {lookback_for(season)} "
            f"steps needs at least {needed}"
        )
    if np.ptp(series.data[: split_point(len(series.data))]) == 0:
        parser.error(f"--csv {path}: the series is constant over its training part")
    return (lambda: series), season


def series_catalog(parser, args):
    """{name: (loader, season)} of the series to run: the bundled ones --series names (all
    four without --series or --csv), and each --csv file's, named after the file. Two
    series of one name are a usage error that names both (one would replace the other)."""
    catalog = {name: SERIES[name] for name in args.series or ([] if args.csv else SERIES)}
    given_as = {name: f"--series {name}" for name in catalog}
    for path, season in args.csv:
        name = os.path.splitext(os.path.basename(path))[0]
        if name in given_as:
            parser.error(
                f"--csv {path} and {given_as[name]} would both be the series {name!r}; "
                "rename one of the files"
            )
        given_as[name] = f"--csv {path}"
        catalog[name] = csv_series(parser, path, season)
    return catalog


def report_path(args):
    """The default report of this run: the test table, or the validation or origins one."""
    return RESULTS["origins" if args.origins else args.split]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=positive_int, default=N_SEEDS, help=f"default {N_SEEDS}")
    parser.add_argument(
        "--quick", action="store_true", help="1 seed, short GRU training: not for comparison"
    )
    parser.add_argument(
        "--series",
        nargs="+",
        choices=list(SERIES),
        help="bundled series to run (default: all four, or none with --csv)",
    )
    parser.add_argument(
        "--csv",
        nargs=2,
        action="append",
        default=[],
        metavar=("FILE", "SEASON"),
        help="also run the series in FILE (one value per line, or the last column of a CSV "
        "with a header), named after the file, with season or cycle length SEASON in steps or "
        "'none'; repeatable. With --csv the bundled series run only if --series names them",
    )
    parser.add_argument(
        "--split",
        choices=["test", "validation"],
        default="test",
        help="validation: evaluate on the last 20 %% of each training part (default test)",
    )
    parser.add_argument(
        "--origins",
        type=float,
        nargs="+",
        help="with --split validation: fractions of each training part to fit on, each "
        "forecasting the rest of it (default: 0.8 alone)",
    )
    parser.add_argument(
        "--options",
        type=estimator_options(GRURegressor),
        default={},
        help="JSON of extra GRURegressor parameters",
    )
    add_run_options(
        parser,
        f"{path_from_root(RESULTS['test'])}; with --split validation "
        f"{path_from_root(RESULTS['validation'])}, and with --origins "
        f"{path_from_root(RESULTS['origins'])}",
    )
    args = parser.parse_args(argv)
    if args.origins and (args.split != "validation" or not all(0 < o < 1 for o in args.origins)):
        parser.error("--origins takes fractions in (0, 1) and needs --split validation")
    catalog = series_catalog(parser, args)
    seeds = list(range(1 if args.quick else args.seeds))
    with_ets = statsmodels_available()
    if not with_ets:
        log("statsmodels is not installed: the ETS row is skipped (pip install statsmodels)")

    start = time.perf_counter()
    with threadpool_limits(args.threads):
        rows = [
            run_series(
                name, seeds, args.quick, with_ets, args.split, args.options, origin, catalog
            )
            for name in catalog
            for origin in args.origins or [None]
        ]
    rows = [row for row in rows if row is not None]  # series too short for their lookback
    if not rows:
        parser.error("no series or origin leaves a training window (see the lines above)")
    elapsed = time.perf_counter() - start

    command = command_line("forecasting.py", argv)
    header = [
        "# pygru forecasting benchmark",
        "",
        f"Written by `{command}` on {date.today().isoformat()}: "
        f"{versions_and_machine(args.threads, ('statsmodels', optional_module('statsmodels')))}; "
        f"total {elapsed / 60:.1f} min. "
        + ("**--quick run: 1 seed, short training; not for comparison.** " if args.quick else "")
        + "The protocol and its fixed rules: `benchmarks/README.md` and the docstring of "
        "`benchmarks/forecasting.py`.",
        "",
    ]
    lines = header + report(rows, seeds, args.quick, with_ets, args.split, args.origins)
    if args.origins:
        lines += origins_summary(rows, with_ets)
    publish("\n".join(lines) + "\n", report_file(args, report_path(args)))
    return rows


if __name__ == "__main__":
    main()
