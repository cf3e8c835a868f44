"""The linear skip's starting point: ridge regression with the penalty chosen by
leave-one-out cross-validation (sample weights as repetitions), checked against
scikit-learn's Ridge and a leave-one-out computed by refitting."""

import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import Ridge, RidgeCV

from pygru import _linear as linear
from pygru._linear import chosen_penalty, ridge_blocked_errors, ridge_loo

ALPHAS = np.logspace(-3, 3, 13)


def regression_data(n=30, d=6, targets=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = X @ rng.standard_normal((d, targets)) + 3.0 + rng.standard_normal((n, targets))
    return X, Y


def refitted_loo(X, Y, weights, alpha, solver="auto"):
    """Leave-one-out error by refitting: each sample's weight lowered by one copy (all of
    it below 1), its error weighted by its weight."""
    errors = 0.0
    for i in np.flatnonzero(weights):
        kept = weights.copy()
        kept[i] -= min(weights[i], 1.0)
        ridge = Ridge(alpha=alpha, solver=solver).fit(X, Y, sample_weight=kept)
        errors += weights[i] * np.sum((Y[i] - ridge.predict(X[i : i + 1])[0]) ** 2)
    return errors / weights.sum()


@pytest.mark.parametrize("weights", ["none", "counts", "fractions"])
def test_ridge_loo_is_the_ridge_fit_of_the_penalty_with_the_lowest_loo(weights):
    X, Y = regression_data(n=15, d=4)
    rng = np.random.default_rng(1)
    given = {
        "none": np.ones(len(X)),
        "counts": rng.integers(0, 4, len(X)).astype(float),
        "fractions": rng.random(len(X)) * 2,
    }[weights]
    coef, intercept, alpha = ridge_loo(X, Y, None if weights == "none" else given, ALPHAS)
    scores = np.array([refitted_loo(X, Y, given, a) for a in ALPHAS])
    assert alpha == ALPHAS[np.flatnonzero(scores <= scores.min() * (1 + 1e-6)).max()]
    ridge = Ridge(alpha=alpha).fit(X, Y, sample_weight=given)
    np.testing.assert_allclose(coef, ridge.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(intercept, ridge.intercept_, rtol=1e-10)


def test_without_weights_it_chooses_as_scikit_learns_leave_one_out():
    X, Y = regression_data(n=40, d=8, targets=1)
    ridge_cv = RidgeCV(alphas=ALPHAS).fit(X, Y[:, 0])
    assert ridge_loo(X, Y, None, ALPHAS)[2] == ridge_cv.alpha_


def test_ridge_loo_prefers_a_larger_penalty_for_noise():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 10))
    _, _, alpha_signal = ridge_loo(X, X @ np.ones((10, 1)), None, ALPHAS)
    _, _, alpha_noise = ridge_loo(X, rng.standard_normal((40, 1)), None, ALPHAS)
    assert alpha_signal < alpha_noise


def test_sample_weights_act_as_repetitions():
    X, Y = regression_data(n=20)
    counts = np.random.default_rng(2).integers(0, 4, len(X))
    weighted = ridge_loo(X, Y, counts.astype(float), ALPHAS)
    repeated = ridge_loo(np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0), None, ALPHAS)
    assert weighted[2] == repeated[2]
    np.testing.assert_allclose(weighted[0], repeated[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weighted[1], repeated[1], rtol=1e-9)


def test_windows_of_ragged_sequences_get_a_penalty_that_predicts():
    # The skip's window holds zeros before a short sequence: the later columns are non-zero
    # for a few long sequences only, whose leverage is high. GCV, which averages leverages,
    # chose 3e-3 here and predicted held-out targets far worse than their mean (R2 -35).
    rng = np.random.default_rng(0)
    sequences = [rng.standard_normal((rng.integers(2, 40), 2)) for _ in range(80)]
    y = np.array([x[:, 0].mean() for x in sequences])
    window = np.zeros((80, 39, 2))
    for i, x in enumerate(sequences):
        window[i, 39 - len(x) :] = x
    window = window.reshape(80, -1)
    coef, intercept, alpha = ridge_loo(window[:60], y[:60, None], None, ALPHAS)
    assert alpha >= 1.0
    predicted = window[60:] @ coef[0] + intercept[0]
    mean_error = np.mean((y[60:] - y[:60].mean()) ** 2)
    assert np.mean((y[60:] - predicted) ** 2) < mean_error


def test_penalties_whose_errors_tie_to_a_millionth_choose_the_largest():
    errors = np.array([2.0, 1.0, 1.0 + 5e-7, 1.0 + 2e-6, 3.0])
    assert chosen_penalty(errors, [1, 2, 3, 4, 5]) == 2
    assert chosen_penalty(errors, [5, 4, 3, 2, 1]) == 1  # whatever the order of alphas
    assert chosen_penalty(np.r_[errors[:3], 0.0, 0.0], [1, 2, 3, 4, 5]) == 4
    assert chosen_penalty([np.inf, np.inf, np.inf], [2, 3, 1]) == 1  # none scored: largest
    assert chosen_penalty([np.nan, 2.0, 1.0], [1, 2, 3]) == 2  # NaN: not scored
    assert chosen_penalty([np.nan, np.nan], [1, 2]) == 1
    with pytest.raises(ValueError, match="one error per penalty"):
        chosen_penalty([2.0, 1.0], [1, 2, 3])


def test_a_noiseless_fit_chooses_the_same_penalty_when_rounding_changes():
    # 20 samples, 40 features, a target the features explain exactly: the smallest
    # penalties' leave-one-out errors differ in their eighth digit, by rounding, and the
    # lowest of them moved with X's last bit (on Python 3.13's NumPy, a regressor fitted
    # with a sequence of weight 0 chose another skip penalty than the one fitted without).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 40))
    Y = X[:, -5:].sum(axis=1, keepdims=True)
    alphas = np.logspace(-6, 6, 25)
    chosen = {
        ridge_loo(X * (1 + 2.0**-52 * rng.integers(-2, 3, X.shape)), Y, None, alphas)[2]
        for _ in range(20)
    }
    assert len(chosen) == 1


def windows_of_a_walk(n, width, seed):
    """n sliding windows of ``width`` values of a random walk and the next value (with
    noise), fractional weights up to 3: more columns than rows, the fit nearly interpolates
    at small penalties."""
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.standard_normal(n + width))
    X = np.lib.stride_tricks.sliding_window_view(walk[:-1], width).copy()
    return X, walk[width:, None] + rng.standard_normal((n, 1)), 3 * rng.random(n)


@pytest.mark.parametrize(
    ("n", "width", "seed"), [(5, 26, 39), (7, 32, 5), (3, 12, 0), (5, 26, 4), (4, 40, 11)]
)
def test_fewer_rows_than_columns_get_the_leave_one_out_errors_of_refits(
    monkeypatch, n, width, seed
):
    # There 1 - leverage was a difference of nearly equal numbers at the smallest penalties:
    # errors off by up to 2.6e-8 (relative) on the first of these with NumPy 2.4's OpenBLAS
    # (more on other builds), and on the last two a penalty one grid step below the
    # refits' choice (the only 2 of 120 such walks where the choice moved; review36a).
    X, Y, weights = windows_of_a_walk(n, width, seed)
    alphas = np.logspace(-6, 6, 25) * np.mean(np.var(X, axis=0))
    scores = []
    monkeypatch.setattr(
        linear,
        "chosen_penalty",
        lambda errors, a: scores.append(errors) or chosen_penalty(errors, a),
    )
    alpha = ridge_loo(X, Y, weights, alphas)[2]
    refits = [refitted_loo(X, Y, weights, a, solver="svd") for a in alphas]
    solved_as = 2.0 ** np.frexp(np.abs(Y).max())[1]  # (errors of Y / 2^k, |Y / 2^k| < 1)
    np.testing.assert_allclose(scores[0] * solved_as**2, refits, rtol=1e-8)
    assert alpha == alphas[chosen_penalty(refits, alphas)]


def test_a_sample_of_weight_zero_is_not_there():
    X, Y = regression_data(n=20)
    weights = np.r_[np.ones(19), 0.0]
    with_zero = ridge_loo(X, Y, weights, ALPHAS)
    without = ridge_loo(X[:-1], Y[:-1], None, ALPHAS)
    for given, expected in zip(with_zero, without):
        np.testing.assert_array_equal(given, expected)


def test_more_parameters_than_samples():
    X, Y = regression_data(n=5, d=12)
    coef, intercept, alpha = ridge_loo(X, Y, None, ALPHAS)
    assert coef.shape == (2, 12) and np.all(np.isfinite(coef))
    np.testing.assert_allclose(coef, Ridge(alpha=alpha).fit(X, Y).coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("weights", [np.ones(1), np.array([0.4]), np.array([1.0, 0.0])])
def test_one_sample_admits_no_penalty(weights):
    # Leaving the only sample (or one copy of it) out leaves nothing to predict it from:
    # no penalty is named, and the largest penalty's fit, the sample's own target, is
    # returned.
    X, Y = regression_data(n=len(weights), d=5)
    coef, intercept, alpha = ridge_loo(X, Y, weights, ALPHAS)
    assert alpha is None and not coef.any()
    np.testing.assert_allclose(intercept, Y[0])
    largest = ridge_loo(X, Y, weights, [max(ALPHAS)])
    np.testing.assert_allclose(coef, largest[0])


def test_two_samples_admit_no_penalty_unless_their_weights_repeat_them():
    # Leaving one out leaves the other alone, which the intercept fits whatever the
    # penalty: every penalty tied, the largest was named, and the regressor warned that the
    # inputs explain the targets by next to nothing (audit39f). Weights that repeat the
    # samples leave a copy of each in every leave-one-out fit, which tells penalties apart.
    X, Y = regression_data(n=2, d=3)
    for weights in (None, np.array([0.5, 1.0])):
        coef, intercept, alpha = ridge_loo(X, Y, weights, ALPHAS)
        assert alpha is None
        np.testing.assert_allclose(coef, ridge_loo(X, Y, weights, [max(ALPHAS)])[0])
    assert ridge_loo(X, Y, np.array([3.0, 2.0]), ALPHAS)[2] is not None


def test_no_penalty_scored_returns_the_largest_whatever_the_order_of_alphas():
    # Two samples, one of weight 1e-10: every penalty interpolates the heavy one. The
    # docstring's largest penalty was returned only for ascending alphas; descending ones
    # returned the smallest penalty's solution (coef 1 where the largest gives about 0).
    X, Y = np.array([[0.0], [1.0]]), np.array([[0.0], [1.0]])
    weights = np.array([1.0, 1e-10])
    ascending = ridge_loo(X, Y, weights, [1e-20, 1e6])
    descending = ridge_loo(X, Y, weights, [1e6, 1e-20])
    assert ascending[2] is None and descending[2] is None
    np.testing.assert_array_equal(descending[0], ascending[0])
    assert abs(ascending[0][0, 0]) < 1e-9


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_inputs_whose_squares_overflow_are_refused():
    # X of 1e154 made the singular values' squares inf and every shrinkage 0: a solution
    # of zeros, with NumPy's overflow warning only (scikit-learn's RidgeCV raises too).
    X, Y = regression_data(n=30, d=3)
    ridge_loo(X * 1e150, Y, None, ALPHAS)  # large, and still solved
    with pytest.raises(ValueError, match="inputs are too large: the squares .* overflow"):
        ridge_loo(X * 1e154, Y, None, ALPHAS)


def test_weights_that_sum_to_one_are_the_same_data_at_a_stronger_penalty():
    # Weights as repetitions: dividing every weight by n multiplies the penalty's relative
    # strength by n, so the choice moves down the grid, and the model is a ridge fit.
    X, Y = regression_data(n=40, d=5)
    coef, intercept, alpha = ridge_loo(X, Y, np.full(40, 1 / 40), ALPHAS)
    assert alpha is not None and alpha <= ridge_loo(X, Y, None, ALPHAS)[2]
    ridge = Ridge(alpha=alpha).fit(X, Y, sample_weight=np.full(40, 1 / 40))
    np.testing.assert_allclose(coef, ridge.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("factor", [1e-300, 1e300, 2.0**1000])
def test_targets_of_any_magnitude_get_their_own_penalty_and_solution(factor):
    # Y's squares overflowed at 1e300 (every leave-one-out error inf, so no penalty was
    # chosen, with a warning blaming the number of sequences), and at 1e307 the mean did
    # too (NaN weights). The solution is now the one of Y scaled to below 1 by a power of
    # two, scaled back: bit for bit that of Y where nothing overflows.
    X, Y = regression_data()
    coef, intercept, alpha = ridge_loo(X, Y, None, ALPHAS)
    exponent = int(np.round(np.log2(factor)))
    scaled = ridge_loo(X, np.ldexp(Y, exponent), None, ALPHAS)
    assert scaled[2] == alpha
    np.testing.assert_array_equal(np.ldexp(scaled[0], -exponent), coef)
    np.testing.assert_array_equal(np.ldexp(scaled[1], -exponent), intercept)
    np.testing.assert_array_equal(ridge_loo(X, Y * 8.0, None, ALPHAS)[0], coef * 8.0)


def test_the_solution_is_the_same_for_any_blas_thread_count():
    # OpenBLAS's threaded SVD and products round differently on 1 and 2 threads from about
    # 20,000 rows: a float64 regressor's linear skip started elsewhere in its last bits
    # (the same on a machine with one core, where both runs have one thread).
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 24))
    X[:, 1:] += 0.9 * X[:, :-1]  # lags of a series are correlated
    Y = X @ rng.standard_normal((24, 1)) + rng.standard_normal((20000, 1))
    solutions = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            solutions.append(ridge_loo(X, Y, None, ALPHAS))
    (coef_1, intercept_1, alpha_1), (coef_2, intercept_2, alpha_2) = solutions
    np.testing.assert_array_equal(coef_1, coef_2)
    np.testing.assert_array_equal(intercept_1, intercept_2)
    assert alpha_1 == alpha_2


def test_fits_in_threads_leave_the_blas_setting_as_they_found_it():
    # Each call saves and restores OpenBLAS's one process-wide setting: two at once left it
    # at 1 thread (16 rounds in 20). In a process of its own, started with 2 BLAS threads.
    script = """
import threading, numpy as np
from threadpoolctl import threadpool_info
from pygru._linear import ridge_blocked_errors, ridge_loo
def blas():
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
rng = np.random.default_rng(0)
X, Y = rng.normal(size=(300, 8)), rng.normal(size=(300, 1))
alphas = np.logspace(-6, 6, 25)
before, changed = blas(), 0
for _ in range(10):
    threads = [threading.Thread(target=lambda: [ridge_loo(X, Y, None, alphas) for _ in range(20)])
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    changed += blas() != before
print(before, changed)
"""
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    before, changed = result.stdout.rsplit(" ", 1)
    if "2" not in before:
        pytest.skip(f"this BLAS does not report 2 threads: {before}")
    assert int(changed) == 0


@pytest.mark.parametrize("weighted", [False, True])
def test_blocked_errors_are_those_of_ridge_fits_without_the_purged_neighbours(weighted):
    # Each of 5 contiguous blocks is predicted by scikit-learn's Ridge fitted on the rows
    # more than `purge` rows away from it; the errors are on Y / 2^k, one scale for all.
    X, Y = regression_data(n=60)
    weights = np.random.default_rng(1).integers(1, 4, 60).astype(float) if weighted else None
    errors, kept_weights = ridge_blocked_errors(X, Y, weights, ALPHAS[::4], 5, purge=3)
    np.testing.assert_array_equal(kept_weights, np.ones(60) if weights is None else weights)
    scale = 2.0 ** -int(np.frexp(np.abs(Y).max())[1])
    for start, stop in [(0, 12), (12, 24), (24, 36), (36, 48), (48, 60)]:
        fitted = np.r_[0 : max(0, start - 3), stop + 3 : 60]
        for row, alpha in enumerate(ALPHAS[::4]):
            ridge = Ridge(alpha=alpha).fit(
                X[fitted], Y[fitted], None if weights is None else weights[fitted]
            )
            expected = np.sum(((ridge.predict(X[start:stop]) - Y[start:stop]) * scale) ** 2, 1)
            np.testing.assert_allclose(errors[row, start:stop], expected, rtol=1e-9)


def test_blocked_errors_need_half_of_the_other_rows_in_each_fit():
    # 60 rows in blocks of 12: a purge of 12 leaves the middle blocks' fits 24 of the 48
    # other rows (half: allowed); a purge of 13 leaves 22 (refused: None).
    X, Y = regression_data(n=60)
    assert ridge_blocked_errors(X, Y, None, ALPHAS, 5, purge=12) is not None
    assert ridge_blocked_errors(X, Y, None, ALPHAS, 5, purge=13) is None
    assert ridge_blocked_errors(X, Y, np.zeros(60), ALPHAS, 5, purge=0) is None  # no weight


def test_blocked_errors_where_a_fit_lacks_the_largest_targets():
    # The targets were scaled below 1 once for all rows, and again inside each block's fit
    # by its own largest value: where the rows a fit held reached less than half of the
    # largest target, its solution and the block's targets were on two scales (errors off
    # by orders of magnitude for series that trend, whose last block holds the largest).
    X, Y = regression_data(n=60)
    Y[48:] *= 8.0
    errors, _ = ridge_blocked_errors(X, Y, None, ALPHAS[::4], 5, purge=3)
    scale = 2.0 ** -int(np.frexp(np.abs(Y).max())[1])
    fitted = np.r_[0:45]
    for row, alpha in enumerate(ALPHAS[::4]):
        ridge = Ridge(alpha=alpha).fit(X[fitted], Y[fitted])
        expected = np.sum(((ridge.predict(X[48:]) - Y[48:]) * scale) ** 2, 1)
        np.testing.assert_allclose(errors[row, 48:], expected, rtol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
def test_fits_read_in_chunks_are_the_fits_read_whole(monkeypatch, weighted):
    # The data are factorised a chunk of rows at a time; chunks of a few rows, cutting the
    # blocks and their purges anywhere, give the same fits as one chunk.
    import pygru._linear as linear

    X, Y = regression_data(n=97, d=5)
    weights = np.random.default_rng(2).integers(0, 3, 97).astype(float) if weighted else None
    whole = ridge_loo(X, Y, weights, ALPHAS), ridge_blocked_errors(X, Y, weights, ALPHAS, 5, 4)
    monkeypatch.setattr(linear, "_CHUNK_BYTES", 1)  # chunks of 2 * (1 + 5 + 2) rows
    chunked = ridge_loo(X, Y, weights, ALPHAS), ridge_blocked_errors(X, Y, weights, ALPHAS, 5, 4)
    assert chunked[0][2] == whole[0][2]
    np.testing.assert_allclose(chunked[0][0], whole[0][0], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(chunked[0][1], whole[0][1], rtol=1e-10)
    np.testing.assert_allclose(chunked[1][0], whole[1][0], rtol=1e-8, atol=1e-15)


def test_memory_does_not_grow_with_copies_of_the_data():
    # The SVD of all rows held several float64 copies of X (the data, its centred and
    # weighted copies, U and its squares: 1.5 GB for 50,000 windows of 512 float32 values,
    # 98 MB). Read a chunk of rows at a time, what grows with the rows is a few values per
    # row and penalty: less than one float64 copy of X (2,080 and 3,250 bytes a row before,
    # for rows of 512 bytes in float64; 125 and 270 now).
    import tracemalloc

    def windows(n, width=64):
        rng = np.random.default_rng(0)
        series = np.cumsum(rng.standard_normal(n + width - 1)).astype(np.float32)
        X = np.lib.stride_tricks.sliding_window_view(series, width)
        return X, X[:, -3:].sum(1, keepdims=True) + rng.standard_normal((n, 1))

    for call in (
        lambda X, Y: ridge_loo(X, Y, None, ALPHAS),
        lambda X, Y: ridge_blocked_errors(X, Y, None, ALPHAS, 5, 64),
    ):
        peaks = []
        for n in (40_000, 160_000):
            X, Y = windows(n)
            tracemalloc.start()
            call(X, Y)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        assert (peaks[1] - peaks[0]) / 120_000 < 64 * 8, peaks


def test_blocked_errors_read_columns_given_side_by_side_as_one_array():
    # The correction test passes the window and the GRU's features as two arrays, which
    # were copied into one float64 array (358 MB for 50,000 sequences).
    X, Y = regression_data(n=60, d=7)
    side_by_side = ridge_blocked_errors(
        (X[:, :3].astype(np.float32), X[:, 3:]), Y, None, ALPHAS, 5, 3
    )
    joined = np.hstack([X[:, :3].astype(np.float32).astype(np.float64), X[:, 3:]])
    np.testing.assert_array_equal(
        side_by_side[0], ridge_blocked_errors(joined, Y, None, ALPHAS, 5, 3)[0]
    )


def test_rows_of_very_unequal_weights_keep_the_precision_of_a_direct_solve():
    # The rows were centred on their unweighted mean before the factorisation: heavy rows
    # far from it rounded the centred columns on that distance (coefficients 1.5e-10 off
    # where scikit-learn's Ridge is 1e-15 off; review34).
    rng = np.random.default_rng(0)
    X = np.vstack([rng.standard_normal((6, 3)), 1e6 + rng.standard_normal((60, 3))])
    Y = X @ np.array([[1.0], [-2.0], [0.5]]) + rng.standard_normal((66, 1))
    weights = np.r_[np.full(6, 1e10), np.ones(60)]
    coef, intercept, alpha = ridge_loo(X, Y, weights, [1.0])
    ridge = Ridge(alpha=1.0, solver="svd").fit(X, Y[:, 0], sample_weight=weights)
    np.testing.assert_allclose(coef[0], ridge.coef_, rtol=1e-13)
    np.testing.assert_allclose(intercept, ridge.intercept_, rtol=1e-13)


@pytest.mark.parametrize("n", [0, 3])
def test_no_weight_at_all_is_refused_by_name(n):
    X, Y = regression_data(n=n)
    with pytest.raises(ValueError, match="positive total weight"):
        ridge_loo(X, Y, np.zeros(n), ALPHAS)
