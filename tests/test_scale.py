"""Scale-out: parallel grid searches (joblib's loky processes, Dask) give the serial results;
fitted estimators travel between processes compactly."""

import io
import pickle

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold

from pygru import GRUClassifier, GRURegressor
from pygru._persistence import load, save

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

GRID = {"hidden_layer_sizes": [(3,), (5,)], "learning_rate_init": [1e-2, 3e-2]}


def data(n=36, steps=8, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, steps + 1, size=n)
    X = rng.standard_normal((n, steps, 2))
    X[np.arange(steps)[None, :] >= lengths[:, None]] = np.nan
    y = np.nansum(X[:, :, 0], axis=1)
    return X, y


def search(estimator, n_jobs):
    # R² on a regressor: unlike accuracy, it changes with the last bit of any weight.
    return GridSearchCV(estimator, GRID, cv=KFold(3), n_jobs=n_jobs, scoring="r2")


def assert_same_search(parallel, serial):
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_array_equal(parallel.cv_results_[key], serial.cv_results_[key])
    assert parallel.best_params_ == serial.best_params_
    np.testing.assert_array_equal(
        parallel.best_estimator_.network_.params, serial.best_estimator_.network_.params
    )


@pytest.fixture(scope="module")
def serial_search():
    """The reference: the same search, one fit after another in this thread.

    Training gives the same bits for any OpenMP and BLAS thread count (test_reliability.py),
    so the workers' thread settings (loky: cpu_count // n_jobs, Dask: OpenMP's default in
    worker threads) do not matter: only the distribution of the work differs.
    """
    X, y = data()
    return search(GRURegressor(max_iter=3, random_state=0), n_jobs=None).fit(X, y)


def test_loky_grid_search_equals_serial(serial_search):
    X, y = data()
    with joblib.parallel_config(backend="loky"):
        parallel = search(GRURegressor(max_iter=3, random_state=0), n_jobs=2).fit(X, y)
    assert_same_search(parallel, serial_search)


def test_dask_grid_search_equals_serial(serial_search):
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    X, y = data()
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_config(backend="dask"),
    ):
        parallel = search(GRURegressor(max_iter=3, random_state=0), n_jobs=2).fit(X, y)
    assert_same_search(parallel, serial_search)


def test_fitted_models_cross_process_boundaries_intact():
    X, y = data()
    model = GRUClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(
        X, (y > 0).astype(int)
    )
    expected = model.predict_proba(X)
    restored = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(_round_trip)(model, X) for _ in range(2)
    )
    for probabilities, blob in restored:
        np.testing.assert_array_equal(probabilities, expected)
        np.testing.assert_array_equal(load(io.BytesIO(blob)).predict_proba(X), expected)


def _round_trip(model, X):
    """In a worker process: predict, and save with pygru's own format."""
    buffer = io.BytesIO()
    save(model, buffer)
    return model.predict_proba(X), buffer.getvalue()


def _distinct_array_bytes(*objects):
    """Bytes of the distinct array buffers held by the objects' attributes (views count once,
    through their base)."""
    buffers = {}
    for obj in objects:
        for value in vars(obj).values():
            if isinstance(value, np.ndarray):
                base = value if value.base is None else value.base
                buffers[id(base)] = base.nbytes
    return sum(buffers.values())


def test_pickle_holds_each_array_once():
    X, y = data(n=64)
    model = GRURegressor(
        hidden_layer_sizes=(48, 48), bidirectional=True, max_iter=1, random_state=0
    ).fit(X, y)
    # What must be kept: the parameters, the optimizer's moments (partial_fit continues
    # from them after unpickling) and the small weight mask, each once.
    essential = _distinct_array_bytes(model, model.network_, model._optimizer)
    size = len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    assert size < 1.05 * essential + 16384, (size, essential)


def test_saved_model_size_is_close_to_the_parameter_bytes():
    X, y = data(n=64)
    model = GRURegressor(
        hidden_layer_sizes=(48, 48), bidirectional=True, max_iter=1, random_state=0
    ).fit(X, y)
    buffer = io.BytesIO()
    save(model, buffer)
    assert len(buffer.getvalue()) < model.network_.params.nbytes + 8192
