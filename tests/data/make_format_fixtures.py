"""Write the file-format fixtures of one format version that ``tests/test_io.py`` loads.

``format_v1_classifier.npz`` and ``format_v1_regressor.npz`` were written by ``pygru.save``
as it was before the persistence code moved out of ``pygru._io`` (format version 1);
``format_v1_expected.npz`` holds the inputs the test predicts on and the predictions the two
models gave when they were saved. The test checks that today's ``pygru.load`` still reads
these files and predicts the same, so do not regenerate them casually: a file written by a
newer pygru no longer tests that old files load.

``format_v2_regressor.npz`` and ``format_v2_expected.npz`` were written the same way by the
last pygru of format version 2 (commit 1021319, before the regressor's linear skip): a
one-step forecaster with standardised targets.

``format_v3_classifier.npz``, ``format_v3_regressor.npz`` and ``format_v3_expected.npz`` were
written by the last pygru of format version 3 (commit 928ac78, before ``ema_momentum`` and the
classifier's bidirectional default): the small classifier (one direction, no averaging) and
the one-step forecaster with its linear skip.

``format_v4_classifier.npz``, ``format_v4_regressor.npz`` and ``format_v4_expected.npz`` were
written by the last pygru of format version 4 (commit ab7e5e7 and its documentation-only
successors, before the regressor kept its linear skip's ridge penalty): the small classifier
with the bidirectional, weight-averaging defaults, and the one-step forecaster.

``format_v5_classifier.npz``, ``format_v5_regressor.npz`` and ``format_v5_expected.npz`` were
written by the last pygru of format version 5 (commit 6a06d5d, before ``conv_layers``): the
small classifier and the one-step forecaster, as for version 4.

``format_v6_classifier.npz``, ``format_v6_regressor.npz`` and ``format_v6_expected.npz`` were
written by the last pygru of format version 6 (commit 9d08acd, before ``window_warp``): the
small classifier and the one-step forecaster, as for version 4.

``format_v7_classifier.npz``, ``format_v7_regressor.npz`` and ``format_v7_expected.npz`` were
written by the last pygru of format version 7 (commit da6c104, before the regressor kept
the number of sequences its linear skip's penalty was chosen for): the small classifier and
the one-step forecaster, as for version 4.

``format_v8_classifier.npz``, ``format_v8_regressor.npz`` and ``format_v8_expected.npz`` were
written by the last pygru of format version 8 (commit 598e6b6, before ``standardize="auto"``
and ``"sequence"``): the small classifier and the one-step forecaster, as for version 4.

Run from the repository root, with the pygru of that version importable:
``python tests/data/make_format_fixtures.py 1`` (or ``2`` to ``8``).
"""

import sys
from pathlib import Path

import numpy as np

import pygru
from pygru.datasets import load_ucr

HERE = Path(__file__).resolve().parent


def fitted_classifier():
    """A small classifier on the bundled ItalyPowerDemand set, and the series to predict."""
    X_train, y_train, X_test, _ = load_ucr("ItalyPowerDemand", return_X_y=True)
    classifier = pygru.GRUClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    classifier.fit(X_train, y_train)
    return classifier, X_test[:40]


def fitted_regressor():
    """A small sequence-to-sequence regressor on random data, and the sequences to predict."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 7, 3))
    y = np.cumsum(X[:, :, :2], axis=1)
    regressor = pygru.GRURegressor(
        hidden_layer_sizes=(6,), output="sequence", max_iter=3, random_state=0
    )
    regressor.fit(X, y)
    return regressor, rng.standard_normal((5, 7, 3))


def fitted_forecaster():
    """A one-step forecaster of the bundled airline series, and windows to predict."""
    from pygru.datasets import load_airline, make_windows

    X, y = make_windows(load_airline().data, lookback=12)
    regressor = pygru.GRURegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=0)
    regressor.fit(X[:100], y[:100])
    return regressor, X[100:]


def write_fixtures(version, classifier=None, regressor=None):
    """Save each given (model, X to predict) as ``format_v<version>_<kind>.npz``, and their
    inputs and predictions as ``format_v<version>_expected.npz``."""
    expected = {}
    if classifier is not None:
        model, X = classifier
        pygru.save(model, HERE / f"format_v{version}_classifier.npz")
        expected.update(
            X_classifier=X,
            classifier_predict=model.predict(X),
            classifier_predict_proba=model.predict_proba(X),
        )
    if regressor is not None:
        model, X = regressor
        pygru.save(model, HERE / f"format_v{version}_regressor.npz")
        expected.update(X_regressor=X, regressor_predict=model.predict(X))
    np.savez(HERE / f"format_v{version}_expected.npz", **expected)


WRITERS = {
    "1": lambda: write_fixtures(1, fitted_classifier(), fitted_regressor()),
    "2": lambda: write_fixtures(2, regressor=fitted_forecaster()),
    "3": lambda: write_fixtures(3, fitted_classifier(), fitted_forecaster()),
    "4": lambda: write_fixtures(4, fitted_classifier(), fitted_forecaster()),
    "5": lambda: write_fixtures(5, fitted_classifier(), fitted_forecaster()),
    "6": lambda: write_fixtures(6, fitted_classifier(), fitted_forecaster()),
    "7": lambda: write_fixtures(7, fitted_classifier(), fitted_forecaster()),
    "8": lambda: write_fixtures(8, fitted_classifier(), fitted_forecaster()),
}


if __name__ == "__main__":
    WRITERS[sys.argv[1]]()
