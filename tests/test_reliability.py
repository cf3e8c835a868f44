"""Reliability: bit-identical results for any thread count and any BLAS, thread-safe
prediction, flat memory over epochs.

Divergence and KeyboardInterrupt handling are tested in test_estimators.py.
"""

import contextlib
import gc
import itertools
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import tracemalloc
from queue import Empty

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

# threadpool_limits(user_api="openmp") acts on the OpenMP runtimes loaded when it is called;
# the kernels (and libgomp with them) are imported lazily, so load them first.
import pygru._cpu  # noqa: F401
from pygru import GRUClassifier, GRURegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

THREAD_COUNTS = (1, 2, 3)


def sequences(n=45, steps=12, features=3, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, steps + 1, size=n)
    X = rng.standard_normal((n, steps, features))
    X[np.arange(steps)[None, :] >= lengths[:, None]] = np.nan
    y = (np.nansum(X[:, :, 0], axis=1) > 0).astype(int)
    return X, y


def model(**options):
    # batch_size 16 on 45 sequences leaves a last batch of 13; bidirectional, two layers and
    # dropout put every code path (reverse direction, stacked input gradients, masks) in play.
    settings = dict(
        hidden_layer_sizes=(12, 6),
        bidirectional=True,
        dropout=0.1,
        max_iter=3,
        batch_size=16,
        random_state=0,
    )
    settings.update(options)
    return GRUClassifier(**settings)


def fit_under(limits, estimator, X, y):
    openmp, blas = limits
    with threadpool_limits(openmp, user_api="openmp"), threadpool_limits(blas, user_api="blas"):
        estimator.fit(X, y)
        return estimator.network_.params.copy(), estimator.predict_proba(X)


def test_the_thread_limits_reach_the_kernels():
    from pygru._cpu import kernels as _gru

    if not _gru.built_with_openmp():
        pytest.skip("the kernels were built without OpenMP: one thread")
    with threadpool_limits(1, user_api="openmp"):
        assert _gru.max_threads() == 1
    with threadpool_limits(3, user_api="openmp"):
        assert _gru.max_threads() == 3


def test_predictions_of_a_fitted_model_do_not_depend_on_thread_counts():
    X, y = sequences()
    clf = model().fit(X, y)
    reg = GRURegressor(hidden_layer_sizes=(8,), output="sequence", max_iter=1, random_state=0).fit(
        X, np.where(np.isnan(X[..., 0]), np.nan, 1.0)
    )
    expected = clf.predict_proba(X), reg.predict(X)
    for openmp, blas in itertools.product(THREAD_COUNTS, THREAD_COUNTS):
        with (
            threadpool_limits(openmp, user_api="openmp"),
            threadpool_limits(blas, user_api="blas"),
        ):
            np.testing.assert_array_equal(clf.predict_proba(X), expected[0])
            np.testing.assert_array_equal(reg.predict(X), expected[1])


@pytest.mark.parametrize("openmp", [1, 2])
def test_training_does_not_depend_on_the_blas_thread_count(openmp):
    X, y = sequences()
    first = fit_under((openmp, 1), model(), X, y)
    for blas in THREAD_COUNTS[1:]:
        params, probabilities = fit_under((openmp, blas), model(), X, y)
        np.testing.assert_array_equal(params, first[0])
        np.testing.assert_array_equal(probabilities, first[1])


def test_training_does_not_depend_on_the_openmp_thread_count():
    X, y = sequences()
    first = fit_under((1, 1), model(), X, y)
    for openmp in THREAD_COUNTS[1:]:
        params, probabilities = fit_under((openmp, 1), model(), X, y)
        np.testing.assert_array_equal(params, first[0])
        np.testing.assert_array_equal(probabilities, first[1])


def test_training_on_a_problem_large_enough_for_threaded_blas_does_not_depend_on_it():
    # 256 sequences of 40 steps, 64 features, GRU(64): products large enough for OpenBLAS to
    # split over its threads, were any of them to go through BLAS.
    rng = np.random.default_rng(1)
    X = rng.standard_normal((256, 40, 64)).astype(np.float32)
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    estimator = dict(hidden_layer_sizes=(64,), max_iter=2, batch_size=128, random_state=0)
    results = [fit_under((1, blas), GRUClassifier(**estimator), X, y) for blas in (1, 2)]
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])


def _fit_and_report(queue, X, y):
    import contextlib
    import io

    import pygru

    fitted = model().fit(X, y)
    config = io.StringIO()
    with contextlib.redirect_stdout(config):
        pygru.show_config()
    queue.put((fitted.network_.params.copy(), fitted.predict_proba(X), config.getvalue()))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_process_forked_after_threaded_kernels_trains_and_predicts():
    # GNU OpenMP's threads do not survive fork(): a child entering a parallel region after
    # the parent ran one used to wait for them forever (multiprocessing's default on Linux).
    import multiprocessing

    from pygru._cpu import kernels as _gru

    if not _gru.built_with_openmp():
        pytest.skip("the kernels were built without OpenMP: one thread")
    X, y = sequences()
    parent = fit_under((2, 1), model(), X, y)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    with threadpool_limits(2, user_api="openmp"):
        child = context.Process(target=_fit_and_report, args=(queue, X, y))
        child.start()
    try:
        params, probabilities, config = queue.get(timeout=120)
    except Empty:
        pytest.fail("the forked process did not report within 120 s: it hangs")
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    np.testing.assert_array_equal(params, parent[0])
    np.testing.assert_array_equal(probabilities, parent[1])
    # show_config says what the kernels do there: one thread (they cannot trust the pool)
    assert "OpenMP threads: 1 (this process was forked" in config


_FORK_AFTER_TORCH = """
import os, sys
import numpy as np
import pygru  # the kernels are not loaded yet
import torch
from pygru import GRUClassifier

torch.set_num_threads(2)
values = torch.rand(2000, 2000)
(values.exp() + values.sin()).sum()  # an OpenMP parallel region that is not pygru's
pid = os.fork()
if pid == 0:
    X = np.random.default_rng(0).standard_normal((64, 10, 2))
    GRUClassifier((4,), max_iter=2).fit(X, np.arange(64) % 2)
    os._exit(0)
os._exit(os.waitpid(pid, 0)[1])
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
def test_a_process_forked_after_another_librarys_parallel_region_trains():
    # PyTorch's wheels load a GNU OpenMP of the same name as the kernels', so the two share
    # one runtime: a child forked after a torch operation waited forever in the kernels'
    # first parallel region (pygru had tracked only its own).
    pytest.importorskip("torch")
    from pygru._cpu import kernels as _gru

    if not _gru.built_with_openmp():
        pytest.skip("the kernels were built without OpenMP: one thread")
    environment = {**os.environ, "OMP_NUM_THREADS": "2"}
    script = [sys.executable, "-c", _FORK_AFTER_TORCH]
    process = subprocess.Popen(script, env=environment, start_new_session=True)
    try:
        assert process.wait(timeout=120) == 0
    except subprocess.TimeoutExpired:
        pytest.fail("the forked process did not finish within 120 s: it hangs")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the forked child too


_HASWELL_CHECKS = (
    "bit_identical or alone_or_in_a_ragged_batch or do_not_depend "
    "or does_not_depend or batch_composition or sample_order_invariance"
)


@pytest.mark.skipif(
    os.environ.get("OPENBLAS_CORETYPE") == "Haswell",
    reason="this run already uses OpenBLAS's Haswell kernels",
)
def run_python(arguments, environment, cwd, timeout):
    """This Python run with ``arguments`` in ``cwd`` under ``environment``, its output
    captured as text."""
    return subprocess.run(
        [sys.executable, *arguments],
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_bit_identity_holds_where_openblas_runs_its_haswell_kernels(tmp_path):
    # OpenBLAS's Haswell (AVX2) GEMM rounds a row differently depending on the call's row
    # count; forcing it is safe on every x86-64 CPU with AVX2. The bit-identity tests of the
    # kernels, the estimators and scikit-learn's sample-order check run again under it.
    from threadpoolctl import threadpool_info

    if "avx2" not in pygru._cpu.runnable_paths():
        pytest.skip("OpenBLAS's Haswell kernels need AVX2")
    tests = os.path.dirname(os.path.abspath(__file__))
    environment = {**os.environ, "OPENBLAS_CORETYPE": "Haswell"}
    probe = run_python(
        [
            "-c",
            "import numpy, scipy.linalg, threadpoolctl; print(sorted({i.get('architecture') "
            "for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'}))",
        ],
        environment,
        tmp_path,
        timeout=120,
    )
    assert probe.stdout.strip() == "['Haswell']", (probe.stdout, probe.stderr, threadpool_info())
    result = run_python(
        [
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::pytest.PytestUnknownMarkWarning",
            os.path.join(tests, "test_cpu_kernels.py"),
            os.path.join(tests, "test_reliability.py"),
            os.path.join(tests, "test_estimators.py"),
            "-k",
            _HASWELL_CHECKS,
        ],
        environment,
        tmp_path,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


_FIT_DIGESTS = """
import hashlib, sys, numpy as np
from pygru import GRUClassifier
X = np.random.default_rng(0).normal(size=(20, 8, 3))
y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
for dtype, width in (("float64", 16), ("float32", 256)):
    fitted = GRUClassifier((width,), max_iter=1, random_state=0, dtype=dtype).fit(X, y)
    print(hashlib.sha256(fitted.network_.params.tobytes()).hexdigest())
"""


@pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"), reason="OpenBLAS's x86-64 kernels"
)
def test_a_fit_does_not_depend_on_which_kernels_openblas_picks(tmp_path):
    # The orthogonal initialiser took np.linalg.qr's Q, whose last bits follow OpenBLAS's
    # kernels: a float64 fit, and a float32 one of a wide layer, changed with them. Prescott's
    # (SSE3) kernels run on every x86-64 CPU and differ from any CPU's own.
    digests = []
    for coretype in (None, "Prescott"):
        environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
        environment.update({"OPENBLAS_CORETYPE": coretype} if coretype else {})
        result = run_python(["-c", _FIT_DIGESTS], environment, tmp_path, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        digests.append(result.stdout.split())
    assert len(digests[0]) == 2 and digests[1] == digests[0]


# ---------------------------------------------------------------------------- threads


def test_concurrent_predictions_equal_serial_ones():
    X, y = sequences(n=200)
    classifier = model(max_iter=1).fit(X, y)
    regressor = GRURegressor(hidden_layer_sizes=(5,), max_iter=1, random_state=0).fit(
        X, y.astype(float)
    )
    inputs = [X, X[:1], X[::-1], X[:37]]
    serial = {
        (kind, index): predict(part)
        for index, part in enumerate(inputs)
        for kind, predict in (("proba", classifier.predict_proba), ("reg", regressor.predict))
    }
    results, errors = {}, []
    barrier = threading.Barrier(8)

    def worker(worker_id):
        try:
            barrier.wait()
            for repeat in range(3):
                for (kind, index), _ in serial.items():
                    predict = classifier.predict_proba if kind == "proba" else regressor.predict
                    results[worker_id, repeat, kind, index] = predict(inputs[index])
        except Exception as error:  # reported below: a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 8 * 3 * len(serial)
    for (_, _, kind, index), result in results.items():
        np.testing.assert_array_equal(result, serial[kind, index])


_CONCURRENT_FIRST_CALLS = """
import json
import threading
import numpy as np
from threadpoolctl import threadpool_info
from pygru.functional import gru_forward

rng = np.random.default_rng(0)
arguments = [rng.standard_normal(shape).astype(np.float32)
             for shape in [(8, 30, 4), (96, 4), (96, 32), (96,), (96,)]]
def blas_threads():
    return [info["num_threads"] for info in threadpool_info()
            if info["user_api"] == "blas" and "scipy" in info["filepath"].split("/")[-2]]
before = blas_threads()
def worker():
    for _ in range(200):
        gru_forward(*arguments)
for _ in range(3):
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
print(json.dumps({"before": before, "after": blas_threads()}))
"""


def test_concurrent_kernel_calls_leave_the_blas_thread_count_alone(tmp_path):
    # The pygru this test imported (installed, or the in-place build), run outside the
    # source tree, whose pygru/ has no compiled kernels when pygru is pip-installed.
    import pygru

    root = os.path.dirname(os.path.dirname(os.path.abspath(pygru.__file__)))
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
    }
    result = run_python(["-c", _CONCURRENT_FIRST_CALLS], environment, tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    threads = json.loads(result.stdout)
    assert threads["after"] == threads["before"]


def test_fits_in_parallel_threads_equal_serial_fits():
    X, y = sequences()
    settings = [dict(random_state=seed) for seed in range(4)]
    serial = [model(**options).fit(X, y).network_.params for options in settings]
    fitted, errors = [None] * len(settings), []

    def worker(index):
        try:
            fitted[index] = model(**settings[index]).fit(X, y).network_.params
        except Exception as error:  # reported below: a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(settings))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for expected, actual in zip(serial, fitted):
        np.testing.assert_array_equal(actual, expected)


# ---------------------------------------------------------------------------- memory


def traced_memory_per_epoch(estimator, X, y):
    sizes = []

    def record(estimator, record):
        gc.collect()
        sizes.append(tracemalloc.get_traced_memory()[0])

    estimator.set_params(callbacks=[record])
    # One OpenMP thread: the memory is the same, and spinning threads on a busy machine
    # would make this slow test slower.
    with threadpool_limits(1, user_api="openmp"):
        tracemalloc.start()
        try:
            estimator.fit(X, y)
        finally:
            tracemalloc.stop()
    return np.array(sizes)


@pytest.mark.parametrize(
    "options",
    [
        dict(early_stopping=True, validation_fraction=0.25),
        dict(solver="sgd", learning_rate="adaptive", hidden_layer_sizes=(16,), dropout=0.0),
    ],
    ids=["adam-dropout-early-stopping", "sgd-adaptive"],
)
def test_memory_does_not_grow_from_epoch_to_epoch(options):
    X, y = sequences(n=32, steps=10)
    settings = dict(max_iter=20, n_iter_no_change=1000, tol=0.0)
    settings.update(options)
    sizes = traced_memory_per_epoch(model(**settings), X, y)
    assert len(sizes) == 20
    # What still grows after a few epochs is loss_curve_ and NumPy's cache of freed small
    # buffers (< 1 KiB each, which tracemalloc keeps counting) filling up: a few hundred
    # bytes per epoch. Keeping anything of a batch would add tens of kilobytes per epoch
    # (the gates of one layer and direction are 16 x 10 x 36 floats, 23 KiB).
    growth = sizes[-1] - sizes[4]
    assert growth < 15 * 2048, np.diff(sizes)


def test_memory_does_not_grow_over_repeated_predictions():
    X, y = sequences(n=64, steps=20)
    clf = model(max_iter=1).fit(X, y)
    with threadpool_limits(1, user_api="openmp"):
        for _ in range(5):
            clf.predict_proba(X)
        tracemalloc.start()
        try:
            gc.collect()
            start = tracemalloc.get_traced_memory()[0]
            for _ in range(20):
                clf.predict_proba(X)
            gc.collect()
            growth = tracemalloc.get_traced_memory()[0] - start
        finally:
            tracemalloc.stop()
    assert growth < 16 * 1024


@pytest.mark.parametrize("mmap_mode", [None, "r"])
def test_a_joblib_copy_trains_on_as_the_original_does(tmp_path, mmap_mode):
    # joblib stores each array on its own, so the optimizer's reference to the network's
    # weights comes back as a separate copy, and a memory-mapped load as read-only arrays.
    import joblib

    X, y = sequences()
    original = model(max_iter=2).fit(X, y)
    joblib.dump(original, tmp_path / "model.joblib")
    copy = joblib.load(tmp_path / "model.joblib", mmap_mode=mmap_mode)
    for _ in range(2):
        original.partial_fit(X, y)
        copy.partial_fit(X, y)
    np.testing.assert_array_equal(copy.predict_proba(X), original.predict_proba(X))
    copy = joblib.load(tmp_path / "model.joblib", mmap_mode=mmap_mode)
    copy.set_params(warm_start=True).fit(X, y)
    original = joblib.load(tmp_path / "model.joblib").set_params(warm_start=True).fit(X, y)
    np.testing.assert_array_equal(copy.predict_proba(X), original.predict_proba(X))


_FORK_DURING_A_RIDGE_START = """
import os
import numpy as np
from pygru import GRURegressor, _linear

_linear._ONE_BLAS_THREAD.acquire()  # as another thread's regressor fit in its ridge start
pid = os.fork()
if pid == 0:
    X = np.random.default_rng(0).standard_normal((50, 8, 1))
    GRURegressor((4,), max_iter=2).fit(X, X[:, -1, 0])
    os._exit(0)
os._exit(os.waitpid(pid, 0)[1])
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
def test_a_process_forked_during_another_threads_ridge_start_trains():
    # The lock that makes ridge starts take turns was copied held into the child, with no
    # thread there to release it: its first regressor fit waited forever.
    script = [sys.executable, "-c", _FORK_DURING_A_RIDGE_START]
    process = subprocess.Popen(script, start_new_session=True)
    try:
        assert process.wait(timeout=120) == 0
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("the forked process did not finish within 120 s: it hangs")
