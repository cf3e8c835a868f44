"""Sequence regression on sets of one's own: GRURegressor against RidgeCV, on raw targets.

Runs every regression set in a folder given as the Monash/UEA time-series extrinsic
regression archive distributes it (``NAME_TRAIN.ts`` and ``NAME_TEST.ts`` with
``@targetLabel true``, in the folder or one subfolder per set). pygru bundles no such set,
so this is how the regressor is checked on data it was not chosen on. Each method is
fitted on the training part, on the targets as the file has them (no scaling by hand), and
scored on the test part:

- the training targets' mean (a constant);
- RidgeCV on the flattened series (``StandardScaler`` + ``RidgeCV(alphas=logspace(-6, 6,
  25))``, the grid of the regressor's linear skip, alpha by leave-one-out), the linear
  baseline; equal-length sets only;
- GRURegressor with its defaults (``random_state=seed``): mean +- std over seeds, with its
  training R2 so that underfitting shows.

Errors: RMSE (the archive's metric) and R2 on the test part.

    python benchmarks/regression.py --ts-dir DIR            # 5 seeds
    python benchmarks/regression.py --ts-dir DIR --quick    # 1 seed, 40 epochs: a smoke run
    python benchmarks/regression.py --ts-dir DIR --options '{"linear_skip": false}'

Series padded with missing values at the end (``?``) are cut to their own length. A set with
values missing inside a series is reported and skipped, unless ``--impute ffill|linear``
names how to fill such gaps: ``pygru.preprocessing.SequenceImputer(method=...)`` then fills
them in both parts, before every method (which filling suits a set is the user's choice; the
report marks the sets that had gaps). The report goes to stdout and (unless --no-write) to
benchmarks/results/regression.md.

    python benchmarks/regression.py --ts-dir DIR --impute linear
"""

import argparse
import json
import os
import sys
import time
from datetime import date

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from pygru import GRURegressor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # helpers shared with accuracy.py
from accuracy import (  # noqa: E402
    add_impute_option,
    add_run_options,
    as_list,
    command_line,
    estimator_options,
    fill_gaps,
    fit_quietly,
    load_ts_dir,
    log,
    mean_std,
    not_run,
    path_from_root,
    positive_int,
    publish,
    read_part,
    report_file,
    versions_and_machine,
    without_missing_tails,
)

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "regression.md")
# The grid the regressor's own linear skip searches (1e-6 .. 1e6): on 1e-3 .. 1e3 the baseline
# chose the grid's edge on Tecator (1e-3, RMSE 2.65; 2.17 at 3e-5).
RIDGE_ALPHAS = np.logspace(-6, 6, 25)
QUICK_EPOCHS = 40


def load_regression_set(folder, name, impute=None):
    """((X_train, y_train, X_test, y_test), whether gaps were filled) of the set ``name`` in
    ``folder``, or a str that says why it is not run. ``impute``: the ``SequenceImputer``
    method that fills gaps inside series, or None (see ``accuracy.fill_gaps``)."""
    parts = []
    for part in ("TRAIN", "TEST"):
        read = read_part(folder, name, part)
        if isinstance(read, str):
            return read
        X, y, header = read
        if not header["target_label"]:
            return "no @targetLabel (a classification set: benchmarks/accuracy.py --ts-dir)"
        parts += [without_missing_tails(X), y]
    X_train, y_train, X_test, y_test = parts
    filled = fill_gaps(X_train, X_test, impute)
    if isinstance(filled, str):
        return filled
    X_train, X_test, had_gaps = filled
    return (X_train, y_train, X_test, y_test), had_gaps


def scores(y_true, y_pred):
    return {
        "rmse": float(mean_squared_error(y_true, y_pred) ** 0.5),
        "r2": float(r2_score(y_true, y_pred)),
    }


def is_equal_length(X_train, X_test):
    return isinstance(X_train, np.ndarray) and isinstance(X_test, np.ndarray)


def ridge_scores(X_train, y_train, X_test, y_test):
    """The linear baseline's test scores, or None for ragged sets (no flat layout)."""
    if not is_equal_length(X_train, X_test) or X_train.shape[1:] != X_test.shape[1:]:
        return None
    ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS))
    ridge.fit(X_train.reshape(len(X_train), -1), y_train)
    return scores(y_test, ridge.predict(X_test.reshape(len(X_test), -1)))


def length_range(X_train, X_test):
    lengths = [len(x) for x in as_list(X_train) + as_list(X_test)]
    low, high = min(lengths), max(lengths)
    return str(low) if low == high else f"{low}-{high}"


def run_set(name, data, seeds, options):
    X_train, y_train, X_test, y_test = data
    row = {
        "name": name,
        "n": f"{len(y_train)} / {len(y_test)}",
        "length": length_range(X_train, X_test),
        "dims": as_list(X_train)[0].shape[1],
        "mean": scores(y_test, np.full(len(y_test), np.mean(y_train))),
        "ridge": ridge_scores(X_train, y_train, X_test, y_test),
        "gru": [],
        "gru_train_r2": [],
        "fit_s": [],
    }
    for seed in seeds:
        model = GRURegressor(random_state=seed, **options)
        row["fit_s"].append(fit_quietly(model, X_train, y_train))
        row["gru"].append(scores(y_test, model.predict(X_test)))
        row["gru_train_r2"].append(float(r2_score(y_train, model.predict(X_train))))
        log(
            f"{name} seed {seed}: RMSE {row['gru'][-1]['rmse']:.4g}, R2 {row['gru'][-1]['r2']:.3f}"
        )
    return row


def rmse_decimals(row):
    """Decimals that give the constant forecast's RMSE four significant digits, so that
    every RMSE of a set is written to the same scale."""
    scale = row["mean"]["rmse"]
    return max(0, 3 - int(np.floor(np.log10(scale)))) if scale > 0 else 4


def cell(result, key, decimals=3):
    """A method's test score: one value, or mean ± std over seeds (a list of results)."""
    if result is None:
        return "–"
    if isinstance(result, dict):
        return f"{result[key]:.{decimals}f}"
    return mean_std([r[key] for r in result], decimals)


def report(rows, skipped, n_seeds, options):
    lines = [
        "## Test RMSE and R² on the raw targets",
        "",
        f"GRURegressor: mean ± std over {n_seeds} seed(s) (`random_state=0..{n_seeds - 1}`)"
        + (f", options {json.dumps(options)}" if options else ", defaults")
        + ". RidgeCV: on the flattened series, equal-length sets only.",
        "",
        "| data set | train / test | length | dims | mean (RMSE / R²) | RidgeCV (RMSE / R²) "
        "| GRURegressor RMSE | GRURegressor R² | GRU train R² | GRU fit s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        d, ridge = rmse_decimals(row), row["ridge"]
        lines.append(
            f"| {row['name']} | {row['n']} | {row['length']} | {row['dims']} | "
            f"{cell(row['mean'], 'rmse', d)} / {cell(row['mean'], 'r2')} | "
            + ("–" if ridge is None else f"{cell(ridge, 'rmse', d)} / {cell(ridge, 'r2')}")
            + f" | {cell(row['gru'], 'rmse', d)} | {cell(row['gru'], 'r2')} | "
            f"{mean_std(row['gru_train_r2'])} | {np.mean(row['fit_s']):.1f} |"
        )
    if skipped:
        lines += ["", "Not run: " + not_run(skipped) + "."]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ts-dir",
        required=True,
        help="folder with NAME_TRAIN.ts and NAME_TEST.ts regression sets (or subfolders)",
    )
    parser.add_argument("--seeds", type=positive_int, default=5, help="seeds (default 5)")
    parser.add_argument(
        "--quick", action="store_true", help="1 seed, 40 epochs: a smoke run, not for comparison"
    )
    parser.add_argument(
        "--options",
        type=estimator_options(GRURegressor),
        default={},
        help="extra GRURegressor settings as JSON, e.g. '{\"linear_skip\": false}'",
    )
    add_impute_option(parser)
    add_run_options(parser, path_from_root(RESULTS))
    args = parser.parse_args(argv)
    seeds = list(range(1 if args.quick else args.seeds))
    options = {**({"max_iter": QUICK_EPOCHS} if args.quick else {}), **args.options}

    start = time.perf_counter()
    with threadpool_limits(args.threads):
        sets, skipped = load_ts_dir(parser, args.ts_dir, load_regression_set, args.impute)
        rows = [run_set(label, data, seeds, options) for label, data in sets.items()]
    if not rows:
        parser.error(f"--ts-dir: no regression set in {args.ts_dir!r} ({skipped[0][1]})")
    elapsed = time.perf_counter() - start

    command = command_line("regression.py", argv)
    header = [
        f"# pygru sequence regression on the sets in `{args.ts_dir}`",
        "",
        f"Written by `{command}` on {date.today().isoformat()}: "
        f"{versions_and_machine(args.threads)}; "
        f"total {elapsed / 60:.1f} min. "
        + (
            f"**--quick run: {QUICK_EPOCHS} epochs, 1 seed; not for comparison.** "
            if args.quick
            else ""
        )
        + "The protocol: the docstring of `benchmarks/regression.py`.",
        "",
    ]
    text = "\n".join(header + report(rows, skipped, len(seeds), args.options)) + "\n"
    publish(text, report_file(args, RESULTS))
    return rows


if __name__ == "__main__":
    main()
